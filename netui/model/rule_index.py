"""Filtering one chain's rules as the operator types, at 20,000 rules per chain.

The index is built once per snapshot and chain: each rule's -s/-d as integer ranges (netaddr
per rule per keystroke cost ~2 s on kube-proxy's KUBE-SERVICES) and its lowercased text. A
keystroke that only extends a text filter searches the previous matches, not the chain.
The meaning is exactly `matches` below: a text filter finds the text anywhere in the rule, an
address or CIDR finds every rule whose (non-negated) -s or -d overlaps it.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from socket import inet_aton, inet_ntoa

from netui.model.iptables import Rule

NO_RANGE = (1 << 32, -1)  # past both ends: overlaps nothing, not even 0.0.0.0/0


def is_address(needle: str) -> bool:
    """An IPv4 address or CIDR (a bare address filters like its /32)."""
    head, slash, prefix = needle.partition("/")
    parts = head.split(".")
    return (
        len(parts) == 4
        and all(p.isdigit() and int(p) < 256 for p in parts)
        # "10.96.0.20/" is still being typed: a text filter until the prefix is there
        and (not slash or (prefix.isdigit() and int(prefix) <= 32))
    )


def cidr_range(cidr: str) -> tuple[int, int]:
    """First and last address of an IPv4 address or CIDR; NO_RANGE when it is neither."""
    addr, _, plen = cidr.partition("/")
    parts = addr.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        return NO_RANGE
    if plen and not (plen.isdigit() and int(plen) <= 32):
        return NO_RANGE
    value = (int(parts[0]) << 24) | (int(parts[1]) << 16) | (int(parts[2]) << 8) | int(parts[3])
    n = int(plen) if plen else 32
    mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
    first = value & mask
    return first, first | (~mask & 0xFFFFFFFF)


def _fast_range(cidr: str) -> tuple[int, int]:
    """cidr_range for what iptables-save prints (a.b.c.d/n), in C where it can be."""
    addr, _, plen = cidr.partition("/")
    if addr.count(".") != 3:
        return NO_RANGE
    try:
        value = int.from_bytes(inet_aton(addr), "big")
        n = int(plen) if plen else 32
    except (OSError, ValueError):
        return NO_RANGE
    if not 0 <= n <= 32:
        return NO_RANGE
    mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
    first = value & mask
    return first, first | (~mask & 0xFFFFFFFF)


# iptables-save prints a rule's -s and -d first (`[! ]-s X [! ]-d Y`, before -i/-o/-p/-m): one
# anchored match reads both, in C, instead of tokenising 20,000 rules in Python.
_HEAD = re.compile(r"(?:(! )?-s (\S+)(?: |$))?(?:(! )?-d (\S+)(?: |$))?")
# A head whose -s or -d is a network (any prefix but /32): the few rules an address can fall in
# without its text holding that address.
_NET = re.compile(r"(?:! )?-[sd] [^ ]*/(?!32(?: |$))|(?:! )?-s [^ ]+ (?:! )?-d [^ ]*/(?!32(?: |$))")
# The same, for every line of a chain's texts joined by newlines: one search in C for the chain
# (led by the newline, a literal the engine skips to; `^` with re.M tries every character).
_NET_LINES = re.compile(
    r"\n(?:(?:! )?-[sd] [^ \n]*/(?!32(?: |\n|$))|(?:! )?-s [^ \n]+ (?:! )?-d [^ \n]*/(?!32(?: |\n|$)))"
)


def _ranges(rule: Rule) -> tuple[int, int, int, int]:
    """A rule's non-negated -s and -d as ranges."""
    m = _HEAD.match(rule.text)
    s_neg, src, d_neg, dst = m.groups() if m else (None, None, None, None)
    s = _fast_range(src) if src and not s_neg else NO_RANGE
    d = _fast_range(dst) if dst and not d_neg else NO_RANGE
    return (*s, *d)


def matches(rule: Rule, needle: str) -> bool:
    """The filter's meaning for one rule (the index gives the same answers, faster)."""
    if is_address(needle):
        lo, hi = cidr_range(needle)
        s0, s1, d0, d1 = _ranges(rule)
        return (s0 <= hi and lo <= s1) or (d0 <= hi and lo <= d1)
    return needle.lower() in rule.text.lower()


class RuleIndex:
    """One chain's rules (in order) ready to be filtered keystroke by keystroke.

    Filing 20,000 rules' addresses in Python costs more than a repaint, so a keystroke does not
    wait for it: an address typed is found by searching the texts for `a.b.c.d` (C speed,
    then checked exactly), plus the few rules whose -s/-d is a network (filed once). A wider
    CIDR files every rule's addresses, once, and keeps them for the next keystrokes.
    """

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self._texts = [r.text for r in rules]
        self._lower: list[str] | None = None
        self._nets: list[tuple[int, int, int, int, int]] | None = None  # (ranges, index)
        self._all: list[tuple[int, int, int, int]] | None = None
        self._last_text: tuple[str, list[int]] | None = None
        self._joined: tuple[str, list[int]] | None = None

    def _lines(self) -> tuple[str, list[int]]:
        """Every text joined by newlines, and where each line starts: searched in C, a match's
        rule found by bisecting (a loop over 20,000 texts in Python is what a keystroke cannot
        afford)."""
        if self._joined is None:
            starts = [0, *accumulate(map((1).__add__, map(len, self._texts)))]
            self._joined = ("\n".join(self._texts), starts)
        return self._joined

    def _line_of(self, offset: int) -> int:
        return bisect_right(self._lines()[1], offset) - 1

    def _networks(self) -> list[tuple[int, int, int, int, int]]:
        """Rules whose -s or -d is wider than one address, with their ranges."""
        if self._nets is None:
            joined, _ = self._lines()
            # in "\n" + joined, a match's newline stands where its line starts in `joined`
            found = [self._line_of(m.start()) for m in _NET_LINES.finditer("\n" + joined)]
            self._nets = [(*_ranges(self.rules[i]), i) for i in found]
        return self._nets

    def _holding(self, key: str) -> list[int]:
        """Indexes of the texts that hold `key`, in order."""
        joined, _ = self._lines()
        out: list[int] = []
        at = joined.find(key)
        while at >= 0:
            i = self._line_of(at)
            out.append(i)
            at = joined.find(key, self._lines()[1][i + 1])  # on from the next line
        return out

    def _address_positions(self, needle: str) -> list[int]:
        lo, hi = cidr_range(needle)
        fits = [
            i
            for s0, s1, d0, d1, i in self._networks()
            if (s0 <= hi and lo <= s1) or (d0 <= hi and lo <= d1)
        ]
        if lo == hi:
            key = inet_ntoa(lo.to_bytes(4, "big"))  # candidates; `matches` decides
            rules = self.rules
            fits += [i for i in self._holding(key) if matches(rules[i], needle)]
        else:
            if self._all is None:
                self._all = [_ranges(r) for r in self.rules]
            fits += [
                i
                for i, (s0, s1, d0, d1) in enumerate(self._all)
                if (s0 <= hi and lo <= s1) or (d0 <= hi and lo <= d1)
            ]
        return sorted(set(fits))

    def positions(self, needle: str) -> list[int]:
        """Indexes (into `rules`) of the rules the filter keeps, in order."""
        if not needle:
            return list(range(len(self.rules)))
        if is_address(needle):
            return self._address_positions(needle)
        if self._lower is None:
            self._lower = [t.lower() for t in self._texts]
        low = needle.lower()
        lower = self._lower
        last = self._last_text
        # a longer needle holding the last one can only keep fewer rules: search those
        pool = last[1] if last is not None and last[0] in low else range(len(lower))
        found = [i for i in pool if low in lower[i]]
        self._last_text = (low, found)
        return found
