"""The text of `iptables-save [-c]`: parse it, render it back byte for byte, read rules on demand.

Speed matters more than elegance here: a kube-proxy host holds 100,000 rules, and `shlex.split`
per line costs ~16 s on such a table where `str.split` costs ~0.2 s. So parsing only cuts each
line into chain, counters and the rule text; the matches and the target of a rule are tokenised
the first time someone asks (`Rule.spec`), which the doctor does for a few chains only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

BUILTIN_CHAINS = {
    "nat": ("PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"),
    "filter": ("INPUT", "FORWARD", "OUTPUT"),
    "mangle": ("PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"),
    "raw": ("PREROUTING", "OUTPUT"),
    "security": ("INPUT", "FORWARD", "OUTPUT"),
}
# Targets that end a packet's walk through the nat table when they match.
TERMINATING_NAT_TARGETS = frozenset(
    {"MASQUERADE", "SNAT", "DNAT", "ACCEPT", "REDIRECT", "NETMAP", "DROP"}
)


class ParseError(ValueError):
    """iptables-save text that does not have the shape iptables-save prints."""

    def __init__(self, line_no: int, line: str, why: str) -> None:
        super().__init__(f"line {line_no}: {why}: {line[:120]!r}")
        self.line_no = line_no


class RuleId(NamedTuple):
    """The same rule across refreshes: where it lives, what it says, and which copy it is.

    Positions shift whenever kube-proxy inserts a rule; the text of a rule does not, so the
    identity is the text plus how many identical rules come before it in the same chain.
    """

    table: str
    chain: str
    spec: str
    occurrence: int

    def __str__(self) -> str:
        suffix = f" #{self.occurrence + 1}" if self.occurrence else ""
        return f"{self.table}/{self.chain}: {self.spec}{suffix}"


# --- tokens -------------------------------------------------------------------------------


def split_spec(spec: str) -> list[str]:
    """Split a rule as iptables-save quotes it: double quotes, with \\" and \\\\ escapes."""
    if '"' not in spec:
        return spec.split()
    tokens: list[str] = []
    i, n = 0, len(spec)
    while i < n:
        while i < n and spec[i] == " ":
            i += 1
        if i >= n:
            break
        buf: list[str] = []
        while i < n and spec[i] != " ":
            c = spec[i]
            if c == '"':
                i += 1
                while i < n and spec[i] != '"':
                    if spec[i] == "\\" and i + 1 < n:
                        i += 1
                    buf.append(spec[i])
                    i += 1
                i += 1  # closing quote
            else:
                buf.append(c)
                i += 1
        tokens.append("".join(buf))
    return tokens


def quote(value: str) -> str:
    """Quote a value the way iptables-save does for strings such as comments."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def join_spec(tokens: Iterable[str], quoted: Iterable[int] = ()) -> str:
    """The inverse of split_spec for tokens at the `quoted` indexes (others are plain words)."""
    q = set(quoted)
    return " ".join(quote(t) if i in q else t for i, t in enumerate(tokens))


# --- rule details -------------------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """One `-m NAME ...` block: the module and its raw argument tokens (negations included)."""

    name: str
    args: tuple[str, ...]

    def option(self, opt: str) -> tuple[str | None, bool]:
        """Value of `--opt` inside this match and whether it was negated with `!`."""
        for i, tok in enumerate(self.args):
            if tok == opt:
                negated = i > 0 and self.args[i - 1] == "!"
                value = self.args[i + 1] if i + 1 < len(self.args) else None
                return value, negated
        return None, False


@dataclass(frozen=True)
class Operand:
    """A value of a basic match such as `-s 10.1.3.0/24` or `! -o eth0`."""

    value: str
    negated: bool = False

    def __str__(self) -> str:
        return f"!{self.value}" if self.negated else self.value


@dataclass(frozen=True)
class RuleSpec:
    """What a rule says, tokenised. Unknown options are kept in `extra`, never dropped."""

    source: Operand | None = None
    destination: Operand | None = None
    protocol: Operand | None = None
    in_interface: Operand | None = None
    out_interface: Operand | None = None
    fragment: Operand | None = None
    matches: tuple[Match, ...] = ()
    target: str | None = None
    target_args: tuple[str, ...] = ()
    goto: bool = False
    extra: tuple[str, ...] = ()

    @property
    def comment(self) -> str | None:
        for m in self.matches:
            if m.name == "comment":
                return m.option("--comment")[0]
        return None

    def match(self, name: str) -> Match | None:
        for m in self.matches:
            if m.name == name:
                return m
        return None

    def target_option(self, opt: str) -> str | None:
        args = self.target_args
        for i, tok in enumerate(args):
            if tok == opt and i + 1 < len(args):
                return args[i + 1]
        return None


_BASIC = {
    "-s": "source",
    "--source": "source",
    "-d": "destination",
    "--destination": "destination",
    "-p": "protocol",
    "--protocol": "protocol",
    "-i": "in_interface",
    "--in-interface": "in_interface",
    "-o": "out_interface",
    "--out-interface": "out_interface",
}


def parse_spec(spec: str) -> RuleSpec:
    """Tokenise the part of a rule after `-A CHAIN`."""
    tokens = split_spec(spec)
    basic: dict[str, Operand] = {}
    matches: list[Match] = []
    extra: list[str] = []
    target: str | None = None
    target_args: list[str] = []
    goto = False
    cur_name: str | None = None
    cur_args: list[str] = []
    negate = False
    i, n = 0, len(tokens)

    def close_match() -> None:
        nonlocal cur_name, cur_args
        if cur_name is not None:
            matches.append(Match(cur_name, tuple(cur_args)))
        cur_name, cur_args = None, []

    while i < n:
        tok = tokens[i]
        if tok in ("-j", "--jump", "-g", "--goto"):
            close_match()
            if negate:
                extra.append("!")
                negate = False
            goto = tok in ("-g", "--goto")
            target = tokens[i + 1] if i + 1 < n else None
            target_args = tokens[i + 2 :]
            break
        if tok == "!":
            # A `!` before a basic option negates it; inside a match it belongs to the match.
            nxt = tokens[i + 1] if i + 1 < n else ""
            if nxt in _BASIC or nxt in ("-f", "--fragment"):
                negate = True
            elif cur_name is not None:
                cur_args.append(tok)
            else:
                extra.append(tok)
            i += 1
            continue
        if tok in _BASIC and i + 1 < n:
            close_match()
            basic[_BASIC[tok]] = Operand(tokens[i + 1], negate)
            negate = False
            i += 2
            continue
        if tok in ("-f", "--fragment"):
            close_match()
            basic["fragment"] = Operand("fragment", negate)
            negate = False
            i += 1
            continue
        if tok in ("-m", "--match") and i + 1 < n:
            close_match()
            cur_name = tokens[i + 1]
            i += 2
            continue
        if cur_name is not None:
            cur_args.append(tok)
        else:
            extra.append(tok)
        i += 1
    else:
        close_match()
    return RuleSpec(
        matches=tuple(matches),
        target=target,
        target_args=tuple(target_args),
        goto=goto,
        extra=tuple(extra),
        # the parsed matches by field name: a dict[str, object] mypy cannot match field by field
        **basic,  # type: ignore[arg-type]
    )


# --- table structure ----------------------------------------------------------------------


class Rule:
    """One `-A` line. Plain class with slots: 100,000 of these are built per snapshot."""

    __slots__ = ("_addresses", "_spec", "chain", "counters", "position", "table", "text")

    def __init__(
        self, table: str, chain: str, text: str, counters: str | None, position: int
    ) -> None:
        self.table = table
        self.chain = chain
        self.text = text  # everything after "-A CHAIN ", exactly as printed
        self.counters = counters  # "[packets:bytes]" as printed, or None without -c
        self.position = position  # 1-based, as `iptables -L --line-numbers` counts
        self._spec: RuleSpec | None = None
        self._addresses: tuple[str | None, bool, str | None, bool] | None = None

    @property
    def spec(self) -> RuleSpec:
        if self._spec is None:
            self._spec = parse_spec(self.text)
        return self._spec

    @property
    def addresses(self) -> tuple[str | None, bool, str | None, bool]:
        """(source, negated, destination, negated) read cheaply from the head of the rule:
        iptables-save prints `-s`/`-d` before any `-m`, so no tokenising is needed. Lets a
        packet walk skip most of kube-proxy's 20,000-rule KUBE-SERVICES without parsing them."""
        if self._addresses is None:
            head = " " + self.text
            for marker in (" -m ", " -j ", " -g "):
                cut = head.find(marker)
                if cut >= 0:
                    head = head[:cut]
            src = dst = None
            src_neg = dst_neg = False
            if '"' in head:  # a quoted value before any match: only the tokens can tell
                s, d = self.spec.source, self.spec.destination
                self._addresses = (
                    s.value if s else None,
                    bool(s and s.negated),
                    d.value if d else None,
                    bool(d and d.negated),
                )
                return self._addresses
            words = head.split()
            for i, w in enumerate(words[:-1]):
                if w == "-s":
                    src, src_neg = words[i + 1], i > 0 and words[i - 1] == "!"
                elif w == "-d":
                    dst, dst_neg = words[i + 1], i > 0 and words[i - 1] == "!"
            self._addresses = (src, src_neg, dst, dst_neg)
        return self._addresses

    @property
    def target(self) -> str | None:
        """The jump target, read from the text without tokenising the whole rule."""
        if self._spec is not None:
            return self._spec.target
        if '"' in self.text:
            # A quoted option may hold " -j " itself (`--log-prefix "x -j DROP"`): only the
            # tokens can say where the target is.
            return self.spec.target
        j = self.text.rfind(" -j ")
        if j < 0:
            j = self.text.rfind(" -g ")
        if j < 0:
            return self.spec.target
        return self.text[j + 4 :].split(" ", 1)[0]

    @property
    def packets(self) -> int:
        return int(self.counters[1 : self.counters.index(":")]) if self.counters else 0

    @property
    def bytes(self) -> int:
        return int(self.counters[self.counters.index(":") + 1 : -1]) if self.counters else 0

    @property
    def line(self) -> str:
        """The rule as iptables-save prints it."""
        body = f"-A {self.chain} {self.text}" if self.text else f"-A {self.chain}"
        return f"{self.counters} {body}" if self.counters else body

    @property
    def restore_line(self) -> str:
        """The rule as iptables-restore takes it, without counters."""
        return f"-A {self.chain} {self.text}" if self.text else f"-A {self.chain}"

    def __repr__(self) -> str:
        return f"Rule({self.table}/{self.chain}#{self.position}: {self.text!r})"


class Chain:
    """A chain and its rules in order. The printed lines are kept as read; `Rule` objects are
    built the first time `rules` is asked for (most chains of a kube-proxy host never are)."""

    __slots__ = ("_lines", "_rules", "counters", "declared", "name", "policy", "table")

    def __init__(
        self,
        name: str,
        policy: str = "-",
        counters: str = "[0:0]",
        declared: bool = True,
        table: str = "",
    ) -> None:
        self.name = name
        self.policy = policy  # ACCEPT/DROP for built-in chains, "-" for user chains
        self.counters = counters
        self.declared = declared
        self.table = table
        self._lines: list[str] = []
        self._rules: list[Rule] | None = None

    @property
    def rules(self) -> list[Rule]:
        if self._rules is None:
            self._rules = [
                _rule_from_line(self.table, self.name, line, i)
                for i, line in enumerate(self._lines, 1)
            ]
            self._lines = []
        return self._rules

    def __len__(self) -> int:
        return len(self._rules) if self._rules is not None else len(self._lines)

    def lines(self) -> list[str]:
        """The rules as iptables-save prints them."""
        if self._rules is None:
            return list(self._lines)
        return [r.line for r in self._rules]

    @property
    def builtin(self) -> bool:
        return self.policy != "-"

    @property
    def header(self) -> str:
        return f":{self.name} {self.policy} {self.counters}"

    def __repr__(self) -> str:
        return f"Chain({self.name!r}, {self.policy!r}, {len(self)} rules)"


def _rule_from_line(table: str, chain: str, line: str, position: int) -> Rule:
    counters = None
    if line[0] == "[":
        end = line.index("] ")
        counters, line = line[: end + 1], line[end + 2 :]
    text = line[4 + len(chain) :]  # after "-A CHAIN "
    return Rule(table, chain, text, counters, position)


@dataclass
class Table:
    name: str
    chains: dict[str, Chain] = field(default_factory=dict)

    def chain(self, name: str) -> Chain | None:
        return self.chains.get(name)

    def rules(self) -> Iterator[Rule]:
        for chain in self.chains.values():
            yield from chain.rules

    def rule_count(self) -> int:
        return sum(len(c) for c in self.chains.values())

    def ids(self) -> dict[RuleId, Rule]:
        """Every rule by its stable identity."""
        out: dict[RuleId, Rule] = {}
        for chain in self.chains.values():
            seen: dict[str, int] = {}
            for rule in chain.rules:
                k = seen.get(rule.text, 0)
                seen[rule.text] = k + 1
                out[RuleId(self.name, chain.name, rule.text, k)] = rule
        return out

    def rule_id(self, rule: Rule) -> RuleId:
        chain = self.chains[rule.chain]
        k = sum(1 for r in chain.rules[: rule.position - 1] if r.text == rule.text)
        return RuleId(self.name, rule.chain, rule.text, k)

    def find(self, rid: RuleId) -> Rule | None:
        chain = self.chains.get(rid.chain)
        if chain is None:
            return None
        k = 0
        for rule in chain.rules:
            if rule.text == rid.spec:
                if k == rid.occurrence:
                    return rule
                k += 1
        return None

    def render(self) -> list[str]:
        lines = [f"*{self.name}"]
        lines.extend(c.header for c in self.chains.values() if c.declared)
        for chain in self.chains.values():
            lines.extend(chain.lines())
        lines.append("COMMIT")
        return lines


@dataclass
class Ruleset:
    """A whole iptables-save output: tables, plus the comment lines around them, in order."""

    items: list[Table | str] = field(default_factory=list)

    @property
    def tables(self) -> dict[str, Table]:
        return {t.name: t for t in self.items if isinstance(t, Table)}

    def table(self, name: str) -> Table | None:
        return self.tables.get(name)

    @property
    def comments(self) -> list[str]:
        return [i for i in self.items if isinstance(i, str)]

    def render(self) -> str:
        out: list[str] = []
        for item in self.items:
            if isinstance(item, Table):
                out.extend(item.render())
            else:
                out.append(item)
        return "\n".join(out) + "\n" if out else ""


def _counts(inner: str) -> bool:
    """`packets:bytes` as iptables-save prints them (ASCII digits: int() refuses others)."""
    packets, sep, count = inner.partition(":")
    return (
        bool(sep)
        and packets.isascii()
        and packets.isdigit()
        and count.isascii()
        and count.isdigit()
    )


def parse(text: str) -> Ruleset:
    """Parse iptables-save output (with or without -c) of any table(s).

    The hot loop only finds each rule's chain name and files the line under it; see Chain.
    """
    ruleset = Ruleset()
    table: Table | None = None
    chains: dict[str, Chain] = {}
    no = 0
    for no, line in enumerate(text.splitlines(), 1):
        c0 = line[:1]
        if c0 == "[" or c0 == "-":
            if table is None:
                raise ParseError(no, line, "rule outside a table (no *table line before it)")
            if c0 == "[":
                start = line.find("] -A ") + 5
                if start == 4:
                    raise ParseError(no, line, "counters without a closing ']' before '-A CHAIN'")
                if not _counts(line[1 : start - 5]):
                    raise ParseError(no, line, "counters that are not [packets:bytes]")
            elif line.startswith("-A "):
                start = 3
            else:
                raise ParseError(no, line, "expected '-A CHAIN'")
            end = line.find(" ", start)
            name = line[start:end] if end > 0 else line[start:]
            chain = chains.get(name)
            if chain is None:
                chain = chains[name] = Chain(name, declared=False, table=table.name)
            chain._lines.append(line)
        elif c0 == ":":
            if table is None:
                raise ParseError(no, line, "chain outside a table")
            parts = line[1:].split(" ")
            if len(parts) != 3 or parts[2][-1:] != "]" or not _counts(parts[2][1:-1]):
                raise ParseError(no, line, "expected ':CHAIN POLICY [packets:bytes]'")
            chains[parts[0]] = Chain(parts[0], parts[1], parts[2], table=table.name)
        elif c0 == "*":
            if table is not None:
                raise ParseError(
                    no, line, f"table {table.name} has no COMMIT before the next table"
                )
            chains = {}
            table = Table(line[1:], chains)
        elif line == "COMMIT":
            if table is None:
                raise ParseError(no, line, "COMMIT without a table")
            ruleset.items.append(table)
            table = None
        elif c0 == "#" or (not line and table is None):
            ruleset.items.append(line)
        elif not line:
            raise ParseError(no, line, "empty line inside a table")
        else:
            raise ParseError(no, line, "not a line iptables-save prints")
    if table is not None:
        raise ParseError(no, "", f"table {table.name} has no COMMIT")
    return ruleset


def parse_table(text: str, name: str = "nat") -> Table:
    """The one table `name` of an iptables-save output (empty if the output has none)."""
    return parse(text).table(name) or Table(name)
