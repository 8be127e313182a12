"""Walk a packet through one native nftables base chain (libnftables-json expressions).

The same contract as doctor/walk.py for iptables: rules in order, `jump` returns, `goto` does
not, `return` or the end of a jumped-to chain goes back, the end of the base chain applies its
policy. A NAT statement (`snat`, `dnat`, `masquerade`, `redirect`) ends the chain as the kernel
does. What cannot be evaluated here (fib lookups, `xt` extensions of iptables-nft, limits,
unknown keys) makes the rule "unknown": it is treated as not matching and the result says it is
uncertain, never guessed. A new connection is assumed (`ct state new`); `ct status dnat` is true
when an earlier hook rewrote the destination.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from netui.doctor.walk import Packet, in_cidr, ip_int
from netui.model.nftables import NftRule, NftTable, rule_text, value_text

MAX_DEPTH = 32
NAT_STATEMENTS = ("snat", "dnat", "masquerade", "redirect")
PROTO_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1, "sctp": 132}


class Unknown(Exception):
    """A match this walker cannot evaluate (why in args[0])."""


@dataclass(frozen=True)
class NftStep:
    rule: NftRule
    matched: bool | None
    note: str = ""


@dataclass
class NftWalk:
    table: NftTable
    chain: str  # the base chain walked
    packet: Packet
    verdict: str = "accept"  # accept / drop / reject / snat / dnat / masquerade / redirect
    decided_by: NftRule | None = None  # None: the base chain's policy (or its end)
    steps: list[NftStep] = field(default_factory=list)
    unknown: list[NftStep] = field(default_factory=list)
    final_packet: Packet | None = None
    nat_to: str | None = None  # snat/dnat target address as nft prints it
    note: str = ""

    @property
    def uncertain(self) -> bool:
        return bool(self.unknown)

    def where(self) -> str:
        if self.decided_by is not None:
            return self.decided_by.ref()
        return f"table {self.table.family} {self.table.name} chain {self.chain} policy"

    def lines(self) -> list[str]:
        out = [
            f"table {self.table.family} {self.table.name} chain {self.chain}: {self.packet.describe()}"
        ]
        for s in self.steps:
            mark = {True: "✓ match", False: "· no", None: "? unknown"}[s.matched]
            out.append(
                f"  {mark:9} {s.rule.chain} handle {s.rule.handle} [{s.rule.packets} pkts] "
                f"{s.rule.text[:200]}" + (f"   ({s.note})" if s.note else "")
            )
        out.append(
            f"  => {self.verdict} by {self.where()}" + (f" ({self.note})" if self.note else "")
        )
        return out


@dataclass(frozen=True)
class Conntrack:
    """What conntrack knows of the packet's connection when it reaches a chain."""

    state: str = "new"
    status: frozenset[str] = frozenset()


def _value(expr: Any, p: Packet, ct: Conntrack) -> Any:
    """The packet's value for a match's left side (raises Unknown)."""
    if isinstance(expr, dict) and "payload" in expr:
        pl = expr["payload"]
        proto, fld = pl.get("protocol"), pl.get("field")
        if proto == "ip":
            if fld == "saddr":
                return ("ip", p.src)
            if fld == "daddr":
                return ("ip", p.dst)
            if fld == "protocol":
                return p.proto
            raise Unknown(f"ip {fld}")
        if proto in ("ip6", "icmpv6", "arp"):
            return None  # not an IPv4 packet: the match is false
        if proto in ("tcp", "udp", "sctp", "th", "icmp"):
            if proto not in ("th",) and proto != p.proto:
                return None
            if fld == "dport":
                return p.dport
            if fld == "sport":
                return p.sport
            raise Unknown(f"{proto} {fld}")
        raise Unknown(f"payload {proto} {fld}")
    if isinstance(expr, dict) and "meta" in expr:
        key = expr["meta"].get("key")
        if key in ("iifname", "iif"):
            if p.in_iface is None:
                raise Unknown("input interface unknown")
            return p.in_iface
        if key in ("oifname", "oif"):
            if p.out_iface is None:
                raise Unknown("output interface unknown")
            return p.out_iface
        if key == "l4proto":
            return p.proto
        if key == "nfproto":
            return "ipv4"
        if key == "protocol":
            return "ip"
        if key == "mark":
            return p.mark
        raise Unknown(f"meta {key}")
    if isinstance(expr, dict) and "ct" in expr:
        key = expr["ct"].get("key")
        if key == "state":
            return ct.state
        if key == "status":
            return ct.status
        raise Unknown(f"ct {key}")
    if isinstance(expr, dict) and len(expr) == 1 and next(iter(expr)) in ("&", "|", "^"):
        ((op, args),) = expr.items()
        if isinstance(args, list) and len(args) == 2 and isinstance(args[1], int):
            have = _value(args[0], p, ct)
            if isinstance(have, int):
                return {"&": have & args[1], "|": have | args[1], "^": have ^ args[1]}[op]
        raise Unknown(f"expression {value_text(expr)[:60]}")
    if isinstance(expr, dict) and "fib" in expr:
        fib = expr["fib"]
        flags = fib.get("flags")
        flags = flags if isinstance(flags, list) else [flags]
        if fib.get("result") == "type" and flags == ["daddr"] and p.local_ips:
            return "local" if p.dst in p.local_ips else "unicast"
        raise Unknown("fib lookup")
    if isinstance(expr, dict) and "concat" in expr:
        return tuple(_value(x, p, ct) for x in expr["concat"])
    raise Unknown(value_text(expr)[:60])


def _set_items(table: NftTable, right: Any) -> list[Any] | None:
    if isinstance(right, str) and right.startswith("@"):
        s = table.sets.get(right[1:])
        if s is None:
            raise Unknown(f"set {right} not in the table")
        return list(s.elements)
    if isinstance(right, dict) and "set" in right:
        items = right["set"]
        return items if isinstance(items, list) else [items]
    return None


def _element_key(item: Any) -> Any:
    # a set's element may be wrapped as {"elem": {"val": ..., "timeout": ...}}
    if isinstance(item, dict) and "elem" in item and isinstance(item["elem"], dict):
        return item["elem"].get("val")
    return item


def _equals(have: Any, want: Any) -> bool:
    """Does one value (address, port, name, protocol, state, mark) equal one set element?"""
    want = _element_key(want)
    if isinstance(have, tuple) and have and have[0] == "ip":
        addr = have[1]
        if isinstance(want, dict) and "prefix" in want:
            pre = want["prefix"]
            return in_cidr(addr, f"{pre['addr']}/{pre['len']}")
        if isinstance(want, dict) and "range" in want:
            lo, hi = want["range"]
            return ip_int(str(lo)) <= ip_int(addr) <= ip_int(str(hi))
        if isinstance(want, str):
            return in_cidr(addr, want) if "/" in want else addr == want
        return False
    if isinstance(have, tuple):  # a concatenation
        parts = want.get("concat") if isinstance(want, dict) else None
        if not isinstance(parts, list) or len(parts) != len(have):
            return False
        return all(_equals(h, w) for h, w in zip(have, parts, strict=True))
    if isinstance(want, dict) and "range" in want and isinstance(have, int):
        lo, hi = want["range"]
        return int(lo) <= have <= int(hi)
    if isinstance(have, str) and isinstance(want, str):
        if want.endswith("*"):
            return have.startswith(want[:-1])
        return have == want
    if isinstance(have, str) and isinstance(want, int):
        return PROTO_NUMBERS.get(have) == want
    return have == want


def _match(m: dict[str, Any], table: NftTable, p: Packet, ct: Conntrack) -> bool:
    op = m.get("op", "==")
    have = _value(m.get("left"), p, ct)
    if have is None:
        return False
    right = m.get("right")
    if isinstance(have, frozenset):  # ct status: a flag test
        flags = right if isinstance(right, list) else [right]
        hit = any(f in have for f in flags)
        return hit if op in ("==", "in") else not hit
    if op in ("<", ">", "<=", ">=") and isinstance(have, int) and isinstance(right, int):
        return {"<": have < right, ">": have > right, "<=": have <= right, ">=": have >= right}[op]
    items = _set_items(table, right)
    candidates = items if items is not None else (right if isinstance(right, list) else [right])
    hit = any(_equals(have, w) for w in candidates)
    if op in ("==", "in"):
        return hit
    if op == "!=":
        return not hit
    raise Unknown(f"operator {op}")


def _vmap_target(v: dict[str, Any], table: NftTable, p: Packet, ct: Conntrack) -> Any:
    """The verdict a verdict map gives the packet, or None when no element matches."""
    key = v.get("key")
    if isinstance(key, dict) and "numgen" in key:
        # kube-proxy's endpoint choice: random, so any endpoint stands for all of them
        data = _set_items(table, v.get("data")) or []
        return data[0][1] if data and isinstance(data[0], list) else None
    have = _value(key, p, ct)
    if have is None:
        return None
    for item in _set_items(table, v.get("data")) or []:
        if isinstance(item, list) and len(item) == 2 and _equals(have, item[0]):
            return item[1]
    return None


def _nat_packet(p: Packet, kind: str, stmt: Any) -> tuple[Packet, str | None]:
    if not isinstance(stmt, dict) or "addr" not in stmt:
        return p, None
    addr = value_text(stmt["addr"])
    port = stmt.get("port")
    if kind == "dnat":
        new = replace(p, dst=addr, dport=int(port) if isinstance(port, int) else p.dport)
        return new, addr + (f":{port}" if port is not None else "")
    return p, addr


def walk_chain(
    table: NftTable, chain_name: str, packet: Packet, ct: Conntrack = Conntrack()
) -> NftWalk:
    """Walk `packet` through base chain `chain_name` of `table`."""
    result = NftWalk(table, chain_name, packet)
    base = table.chains.get(chain_name)
    p = packet
    stack: list[tuple[str, int]] = [(chain_name, 0)]
    while stack:
        name, i = stack.pop()
        chain = table.chains.get(name)
        rules = chain.rules if chain else []
        jumped = False
        while i < len(rules) and not jumped:
            rule = rules[i]
            i += 1
            outcome = _rule(rule, table, p, ct, result)
            if outcome is None:
                continue
            kind, arg, p = outcome
            if kind == "next":
                continue
            if kind == "return":
                break
            if kind in ("jump", "goto"):
                if len(stack) >= MAX_DEPTH or arg not in table.chains:
                    result.note = f"{kind} {arg}: not followed"
                    continue
                if kind == "jump":
                    stack.append((name, i))
                stack.append((arg, 0))
                jumped = True
                continue
            result.verdict, result.decided_by = kind, rule
            result.final_packet = p
            return result
    result.verdict = base.policy if base and base.policy else "accept"
    result.final_packet = p
    return result


def _rule(
    rule: NftRule, table: NftTable, p: Packet, ct: Conntrack, result: NftWalk
) -> tuple[str, Any, Packet] | None:
    """Evaluate one rule: None when it does not decide anything, else (verdict kind, its
    argument — a chain for jump/goto —, the packet as it leaves the rule)."""
    try:
        for stmt in rule.expr:
            if not isinstance(stmt, dict) or len(stmt) != 1:
                raise Unknown("statement of unknown shape")
            ((k, v),) = stmt.items()
            if k == "match":
                if not _match(v, table, p, ct):
                    result.steps.append(NftStep(rule, False))
                    return None
            elif k in ("counter", "log", "comment", "limit", "quota", "notrack", "nftrace"):
                if k in ("limit", "quota"):
                    raise Unknown(f"{k} depends on traffic rates")
            elif k in ("accept", "drop", "continue", "return"):
                result.steps.append(NftStep(rule, True))
                return ("next", None, p) if k == "continue" else (k, None, p)
            elif k == "reject":
                result.steps.append(NftStep(rule, True))
                return ("reject", None, p)
            elif k in ("jump", "goto"):
                result.steps.append(NftStep(rule, True))
                return (k, v.get("target"), p)
            elif k in NAT_STATEMENTS:
                result.steps.append(NftStep(rule, True))
                new, to = _nat_packet(p, k, v)
                result.nat_to = to
                return (k, None, new)
            elif k == "vmap":
                verdict = _vmap_target(v, table, p, ct)
                if verdict is None:
                    result.steps.append(NftStep(rule, False))
                    return None
                result.steps.append(NftStep(rule, True, f"vmap gives {value_text(verdict)}"))
                if isinstance(verdict, dict) and len(verdict) == 1:
                    ((vk, vv),) = verdict.items()
                    if vk in ("jump", "goto"):
                        return (vk, vv.get("target") if isinstance(vv, dict) else None, p)
                    if vk in ("accept", "drop", "return"):
                        return (vk, None, p)
                raise Unknown(f"verdict {value_text(verdict)}")
            elif (
                k == "mangle" and isinstance(v, dict) and v.get("key") == {"meta": {"key": "mark"}}
            ):
                value = v.get("value")
                mark = value if isinstance(value, int) else _value(value, p, ct)
                if not isinstance(mark, int):
                    raise Unknown("mark set from an expression")
                p = replace(p, mark=mark & 0xFFFFFFFF)
            else:
                raise Unknown(f"{k} cannot be evaluated")
    except Unknown as e:
        step = NftStep(rule, None, str(e.args[0]) if e.args else "")
        result.steps.append(step)
        result.unknown.append(step)
        return None
    except (TypeError, ValueError, KeyError, IndexError) as e:
        step = NftStep(rule, None, f"unreadable expression ({type(e).__name__})")
        result.steps.append(step)
        result.unknown.append(step)
        return None
    result.steps.append(NftStep(rule, True))
    return ("next", None, p)  # matched without a verdict; the packet may carry a new mark


def describe(rule: NftRule) -> str:
    return f"{rule.ref()}: {rule_text(rule.expr)[:200]}"
