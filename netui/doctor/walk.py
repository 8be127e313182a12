"""Walk a packet through a netfilter table the way the kernel does, and keep the path.

Rules are tried in order; a jump enters a user chain, `RETURN` (or the end of a user chain)
goes back to the caller, `RETURN` or the end of a built-in chain applies its policy, the first
matching terminating target ends the walk. `MARK` changes the packet's mark for later rules,
which is how kube-proxy's KUBE-MARK-MASQ / KUBE-POSTROUTING pair works. A match this walker
cannot evaluate (ipset membership, statistic, unknown modules) is reported as unknown, never
guessed: the rule is treated as not matching and the result says it is uncertain. Connection
state is evaluated for what the walk models: the first packet of a new connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

from netui.model.iptables import Match, Rule, RuleSpec, Table

NAT_TERMINATING = frozenset(
    {"MASQUERADE", "SNAT", "DNAT", "ACCEPT", "REDIRECT", "NETMAP", "DROP", "REJECT"}
)
FILTER_TERMINATING = frozenset({"ACCEPT", "DROP", "REJECT"})
NON_TERMINATING = frozenset(
    {"MARK", "CONNMARK", "LOG", "NFLOG", "TRACE", "AUDIT", "CT", "NOTRACK", "TCPMSS"}
)
MAX_DEPTH = 32


@lru_cache(maxsize=65536)
def _range(cidr: str) -> tuple[int, int]:
    addr, _, plen = cidr.partition("/")
    parts = addr.split(".")
    if (
        len(parts) != 4
        or not all(p.isascii() and p.isdigit() and int(p) < 256 for p in parts)
        or (plen and not (plen.isascii() and plen.isdigit() and int(plen) <= 32))
    ):
        raise ValueError(cidr)
    value = (int(parts[0]) << 24) | (int(parts[1]) << 16) | (int(parts[2]) << 8) | int(parts[3])
    n = int(plen) if plen else 32
    mask = (0xFFFFFFFF << (32 - n)) & 0xFFFFFFFF
    first = value & mask
    return first, first | (~mask & 0xFFFFFFFF)


def ip_int(address: str) -> int:
    return _range(address)[0]


def in_cidr(address: str, cidr: str) -> bool:
    """Whether `address` is in `cidr`; a rule's operand that is no network (a hostile host can
    print `-s 172.17.0.0/1,`; bench/fuzz.py found it) holds nothing."""
    a = ip_int(address)
    try:
        first, last = _range(cidr)
    except ValueError:
        return False
    return first <= a <= last


@dataclass(frozen=True)
class Packet:
    src: str
    dst: str
    proto: str = "tcp"
    dport: int | None = 80
    sport: int | None = 40000
    in_iface: str | None = None
    out_iface: str | None = None
    mark: int = 0
    local_ips: tuple[str, ...] = ()  # the host's own addresses, for addrtype LOCAL

    def describe(self) -> str:
        port = f":{self.dport}" if self.dport else ""
        return f"{self.proto} {self.src} -> {self.dst}{port}" + (
            f" out {self.out_iface}" if self.out_iface else ""
        )


@dataclass(frozen=True)
class Step:
    chain: str
    rule: Rule
    matched: bool | None  # None: a match could not be evaluated
    note: str = ""


@dataclass
class Walk:
    packet: Packet
    hook: str
    steps: list[Step] = field(default_factory=list)
    verdict: str = "ACCEPT"  # the target that decided, or the chain policy
    decided_by: Rule | None = None  # None when the built-in chain's policy decided
    unknown: list[Step] = field(default_factory=list)
    final_packet: Packet | None = None

    @property
    def uncertain(self) -> bool:
        return bool(self.unknown)

    @property
    def nat_applied(self) -> bool:
        return self.verdict in ("MASQUERADE", "SNAT", "NETMAP")

    def lines(self) -> list[str]:
        out = [f"{self.hook}: {self.packet.describe()}"]
        for s in self.steps:
            mark = {True: "✓ match", False: "· no", None: "? unknown"}[s.matched]
            out.append(
                f"  {mark:9} {s.chain} #{s.rule.position} [{s.rule.packets} pkts] {s.rule.text}"
                + (f"   ({s.note})" if s.note else "")
            )
        who = (
            f"rule {self.decided_by.chain} #{self.decided_by.position}"
            if self.decided_by
            else "the chain policy"
        )
        out.append(
            f"  => {self.verdict} by {who}"
            + ("; uncertain: some matches could not be evaluated" if self.uncertain else "")
        )
        return out


def _operand(value: str | None, negated: bool, address: str) -> bool:
    if value is None:
        return True
    hit = in_cidr(address, value)
    return hit != negated


def _iface(pattern: str, iface: str | None) -> bool | None:
    if iface is None:
        return None
    if pattern.endswith("+"):
        return iface.startswith(pattern[:-1])
    return iface == pattern


def _parse_mark(text: str) -> tuple[int, int]:
    value, _, mask = text.partition("/")
    return int(value, 0), int(mask, 0) if mask else 0xFFFFFFFF


def _port_list(text: str) -> list[tuple[int, int]] | None:
    """`80,443,873:874` as ranges; None when a part is not a number (a service name)."""
    out = []
    for part in text.split(","):
        lo, colon, hi = part.partition(":")
        if not lo.isdigit() or (colon and hi and not hi.isdigit()):
            return None
        out.append((int(lo), int(hi) if colon and hi else (65535 if colon else int(lo))))
    return out


def _multiport(m: Match, p: Packet) -> bool | None:
    """Does `-m multiport` fit the packet? None when an option cannot be read."""
    options = (
        (("--dports", "--destination-ports"), (p.dport,)),
        (("--sports", "--source-ports"), (p.sport,)),
        (("--ports",), (p.sport, p.dport)),  # either end
    )
    seen = False
    for names, ports in options:
        for opt in names:
            val, neg = m.option(opt)
            if val is None:
                continue
            ranges = _port_list(val)
            if ranges is None or any(port is None for port in ports):
                return None
            seen = True
            hit = any(lo <= port <= hi for port in ports if port is not None for lo, hi in ranges)
            if hit == neg:
                return False
    return True if seen else None


# The walk models the first packet of a connection: conntrack sees it as NEW, never as part of
# an ESTABLISHED/RELATED flow, and it is tracked (not INVALID, not UNTRACKED). SNAT/DNAT are
# states of a connection's later life (or of a DNAT this walk may not know of): not guessed.
NEW_CONNECTION_STATES = {"NEW": True, "ESTABLISHED": False, "RELATED": False}
NEW_CONNECTION_STATES |= {"INVALID": False, "UNTRACKED": False}


def _new_connection_state(m: Match) -> bool | None:
    """Does `-m state --state …` / `-m conntrack --ctstate …` fit a new connection?"""
    opt = "--state" if m.name == "state" else "--ctstate"
    val, neg = m.option(opt)
    # Any other conntrack option (--ctorigdst, --ctstatus, …) is beyond this walk.
    plain = [a for a in m.args if a != "!"]
    if val is None or plain != [opt, val]:
        return None
    known = [NEW_CONNECTION_STATES.get(state) for state in val.split(",")]
    if any(known):
        hit = True
    elif None in known:
        return None
    else:
        hit = False
    return hit != neg


def dnat_destination(to: str, p: Packet) -> Packet:
    """The packet after `-j DNAT --to-destination TO`: `a.b.c.d[-e.f.g.h][:port[-port]]`.
    A range gives the kernel a choice; the walk follows its first address and port."""
    addr, colon, ports = to.rpartition(":") if ":" in to else (to, "", "")
    addr = addr.split("-", 1)[0]
    first_port = ports.split("-", 1)[0]
    return replace(
        p,
        dst=addr or p.dst,
        dport=int(first_port) if colon and first_port.isdigit() else p.dport,
    )


def evaluate(spec: RuleSpec, p: Packet) -> tuple[bool | None, str]:
    """Does the rule's match part fit the packet? (True / False / None = cannot tell, why)."""
    try:
        if spec.source and not _operand(spec.source.value, spec.source.negated, p.src):
            return False, ""
        if spec.destination and not _operand(
            spec.destination.value, spec.destination.negated, p.dst
        ):
            return False, ""
    except ValueError:
        return None, "address is not IPv4"
    if spec.protocol:
        proto = spec.protocol.value
        hit = proto in ("all", "0") or proto == p.proto
        if hit == spec.protocol.negated:
            return False, ""
    for op, iface in ((spec.in_interface, p.in_iface), (spec.out_interface, p.out_iface)):
        if op is not None:
            known = _iface(op.value, iface)
            if known is None:
                return None, f"interface {op} unknown for this packet"
            if known == op.negated:
                return False, ""
    unknown = ""
    for m in spec.matches:
        if m.name == "comment":
            continue
        if m.name in ("tcp", "udp", "sctp"):
            if p.proto != m.name:
                return False, ""
            for opt, port in (
                ("--dport", p.dport),
                ("--destination-port", p.dport),
                ("--sport", p.sport),
                ("--source-port", p.sport),
            ):
                val, neg = m.option(opt)
                if val is None:
                    continue
                ranges = _port_list(val if val[:1] != ":" else "0" + val)
                if ranges is None:
                    return None, f"port {val} is not a number"
                hit = port is not None and any(lo <= port <= hi for lo, hi in ranges)
                if hit == neg:
                    return False, ""
            continue
        if m.name in ("multiport", "state", "conntrack"):
            fits = _multiport(m, p) if m.name == "multiport" else _new_connection_state(m)
            if fits is False:
                return False, ""
            if fits is True:
                continue
        if m.name == "mark":
            val, neg = m.option("--mark")
            if val is not None:
                value, mask = _parse_mark(val)
                if ((p.mark & mask) == value) == neg:
                    return False, ""
                continue
        if m.name == "addrtype" and p.local_ips:
            ok = True
            for opt, addr in (("--dst-type", p.dst), ("--src-type", p.src)):
                val, neg = m.option(opt)
                if val is None:
                    continue
                if val != "LOCAL" or "--limit-iface-out" in m.args or "--limit-iface-in" in m.args:
                    ok = False
                    break
                if (addr in p.local_ips) == neg:
                    return False, ""
            if ok:
                continue
        unknown = unknown or f"-m {m.name} cannot be evaluated"
    if spec.fragment:
        unknown = unknown or "fragment match"
    if unknown:
        return None, unknown
    return True, ""


def _apply_mark(p: Packet, spec: RuleSpec) -> Packet:
    for opt, xor in (
        ("--set-xmark", True),
        ("--set-mark", False),
        ("--or-mark", None),
        ("--and-mark", None),
    ):
        val = spec.target_option(opt)
        if val is None:
            continue
        if opt == "--or-mark":
            return replace(p, mark=p.mark | int(val, 0))
        if opt == "--and-mark":
            return replace(p, mark=p.mark & int(val, 0))
        value, mask = _parse_mark(val)
        kept = p.mark & ~mask & 0xFFFFFFFF
        return replace(p, mark=(kept ^ value) if xor else (kept | value))
    return p


def _quick_miss(rule: Rule, p: Packet) -> bool:
    """True when the rule's -s/-d alone rule the packet out (no full parse needed)."""
    src, src_neg, dst, dst_neg = rule.addresses
    try:
        if src is not None and in_cidr(p.src, src) == src_neg:
            return True
        if dst is not None and in_cidr(p.dst, dst) == dst_neg:
            return True
    except ValueError:
        return False
    return False


def walk(table: Table, hook: str, packet: Packet) -> Walk:
    """Walk `packet` through built-in chain `hook` of `table`."""
    terminating = NAT_TERMINATING if table.name == "nat" else FILTER_TERMINATING
    result = Walk(packet, hook)
    start = table.chain(hook)
    if start is None:
        result.final_packet = packet
        return result
    p = packet
    # An explicit stack of (chain, next index) instead of recursion: jumps nest at most 32 deep.
    stack: list[tuple[str, int]] = [(hook, 0)]
    while stack:
        chain_name, i = stack.pop()
        chain = table.chain(chain_name)
        rules = chain.rules if chain else []
        while i < len(rules):
            rule = rules[i]
            i += 1
            if _quick_miss(rule, p):
                if chain_name == hook:
                    result.steps.append(Step(chain_name, rule, False))
                continue
            spec = rule.spec
            matched, note = evaluate(spec, p)
            target = spec.target
            is_chain = target is not None and target in table.chains
            if matched is not True:
                if matched is None and (target in terminating or is_chain or target == "RETURN"):
                    step = Step(chain_name, rule, None, note)
                    result.steps.append(step)
                    result.unknown.append(step)
                elif chain_name == hook or target in terminating or target == "RETURN":
                    result.steps.append(Step(chain_name, rule, False))
                continue
            result.steps.append(Step(chain_name, rule, True))
            if target is None:
                continue
            if target in ("MARK", "CONNMARK"):
                p = _apply_mark(p, spec)
                continue
            if target == "RETURN":
                if chain_name == hook:
                    result.verdict, result.decided_by = "RETURN", rule
                    result.final_packet = p
                    return result
                break  # back to the caller
            if target in terminating:
                if target == "DNAT":
                    p = dnat_destination(spec.target_option("--to-destination") or "", p)
                result.verdict, result.decided_by = target, rule
                result.final_packet = p
                return result
            if is_chain:
                if len(stack) >= MAX_DEPTH:
                    break
                if not spec.goto:
                    stack.append((chain_name, i))
                stack.append((target, 0))
                break
            # LOG, TRACE, unknown non-terminating targets: carry on
        # falling off a user chain returns to the caller (the stack); off the built-in chain: policy
    result.verdict = start.policy if start.policy != "-" else "ACCEPT"
    result.final_packet = p
    return result


def masquerade_path(table: Table, packet: Packet) -> tuple[Walk | None, Walk]:
    """What the nat table does to a forwarded packet: PREROUTING (DNAT, marks) then
    POSTROUTING (source NAT). Returns (prerouting walk or None, postrouting walk)."""
    pre = walk(table, "PREROUTING", packet) if table.chain("PREROUTING") else None
    after = pre.final_packet if pre and pre.final_packet else packet
    post = walk(table, "POSTROUTING", after)
    return pre, post
