"""Is the office's traffic to each cluster masqueraded on the forwarder, and if not, why?

The verdict comes from walking real packets (office → a few addresses of each cluster CIDR)
through PREROUTING and POSTROUTING, so kube-proxy's marks, a RETURN in the built-in chain and
jumps are all honoured; the rule scan below catches the classic hand-written mistakes.
"""

from __future__ import annotations

from netaddr import AddrFormatError, IPNetwork

from netui.doctor.context import ClusterFacts, DoctorInput
from netui.doctor.path import forward_path
from netui.doctor.walk import Packet, Walk, in_cidr, masquerade_path
from netui.model.at_boot import OWNED_CHAINS
from netui.model.findings import ERROR, WARNING, Change, Finding
from netui.model.hooks import NFT
from netui.model.iptables import Rule, Table
from netui.model.owners import NETUI, OTHER, chain_owner, rule_owner
from netui.model.snapshot import ROUTES, TABLES, HostSnapshot

SNAT_TARGETS = ("MASQUERADE", "SNAT")
NETUI_NAT_CHAIN = next(chain for table, _, chain in OWNED_CHAINS if table == "nat")


def samples(cidr: str) -> list[str]:
    """A few addresses that stand for a network: first host, middle, last host."""
    net = IPNetwork(cidr)
    if net.size <= 2:
        return [str(net.ip)]
    picks = [net.first + 1, net.first + net.size // 2, net.last - 1]
    return [_int_to_ip(p) for p in dict.fromkeys(picks)]


def _int_to_ip(value: int) -> str:
    return ".".join(str((value >> s) & 255) for s in (24, 16, 8, 0))


def rule_ref(rule: Rule) -> str:
    return f"{rule.chain} #{rule.position} [{rule.packets} pkts, {rule.bytes} bytes]: {rule.text}"


def office_packet(snap: HostSnapshot, src: str, dst: str) -> Packet:
    out_route = snap.routes.lookup(dst)
    in_route = snap.routes.lookup(src)
    return Packet(
        src=src,
        dst=dst,
        in_iface=in_route.dev if in_route else None,
        out_iface=out_route.dev if out_route else None,
        local_ips=tuple(str(ip) for ip in snap.routes.local_ips()),
    )


def _would_masquerade(rule: Rule, src: str, dst: str) -> bool:
    if rule.target not in SNAT_TARGETS:
        return False
    spec = rule.spec
    for op, addr in ((spec.source, src), (spec.destination, dst)):
        if op is not None and (op.negated or not in_cidr(addr, op.value)):
            return False
    return True


def _label(inp: DoctorInput, cidr: str) -> str:
    kn = inp.networks.owner(cidr)
    return f"{kn.label} {cidr}" if kn else cidr


def unmasqueraded(
    snap: HostSnapshot, nat: Table, sources: tuple[str, ...], destinations: tuple[str, ...]
) -> list[tuple[str, str, Walk]]:
    """(source, destination, the walk that shows it) for every pair of networks whose traffic is
    not masqueraded on this host, judged by walking a few sample packets."""
    out = []
    for source in sources:
        src = samples(source)[0]
        for cidr in destinations:
            for dst in samples(cidr):
                packet = office_packet(snap, src, dst)
                _pre, post = masquerade_path(nat, packet)
                if not post.nat_applied and not _native_snat(snap, packet):
                    out.append((source, cidr, post))
                    break
    return out


def _native_snat(snap: HostSnapshot, packet: Packet) -> bool:
    """A native nft table (firewalld's policy, fw4's zone) that masquerades the connection:
    it is masqueraded even though iptables' nat table does not do it."""
    if snap.nft is None or not snap.nft.tables:
        return False

    def out(addr: str) -> str | None:
        r = snap.routes.lookup(addr)
        return r.dev if r else None

    hop = forward_path(snap, packet, out).snat_by
    return hop is not None and hop.chain.source == NFT


def check_pairs(inp: DoctorInput, c: ClusterFacts, snap: HostSnapshot, nat: Table) -> list[Finding]:
    host = c.forwarder
    assert host is not None
    return [
        _explain(inp, c, host, nat, office, cidr, post)
        for office, cidr, post in unmasqueraded(snap, nat, inp.office, c.cidrs)
    ]


def _explain(
    inp: DoctorInput, c: ClusterFacts, host: str, nat: Table, office: str, cidr: str, post: Walk
) -> Finding:
    packet = post.packet
    evidence = tuple(post.lines())
    want = Change(
        "masquerade-add",
        host,
        f"add MASQUERADE -s {office} -d {cidr} on {host} (netui's own chain, ahead of kube-proxy and CNI rules)",
        {"source": office, "destination": cidr},
    )
    # kube-proxy's and CNIs' MASQUERADEs depend on marks and sets: not the rule the operator meant
    candidates = [r for r in _scanned_rules(nat) if _would_masquerade(r, packet.src, packet.dst)]
    winner = post.decided_by
    if candidates and winner is not None:
        good = candidates[0]
        title = f"the MASQUERADE for {_label(inp, office)} -> {_label(inp, cidr)} never fires: an earlier {winner.spec.target} wins"
        return Finding(
            "rule-shadowed",
            ERROR,
            host,
            title,
            (f"wins: {rule_ref(winner)}", f"never reached: {rule_ref(good)}", *evidence),
            _shadow_fixes(host, nat, post, good, office, cidr),
            c.name,
            rule=(winner.chain, winner.text),
        )
    title = f"{_label(inp, office)} -> {_label(inp, cidr)} is not masqueraded on {host}: replies from the cluster cannot find the way back"
    if post.uncertain:
        title += " (uncertain: some matches could not be evaluated)"
    return Finding("masquerade-missing", ERROR, host, title, evidence, (want,), c.name)


def _shadow_fixes(
    host: str, nat: Table, post: Walk, good: Rule, office: str, cidr: str
) -> tuple[Change, ...]:
    """What answers a shadowed MASQUERADE: netui's jump placed above the POSTROUTING rule
    through which the winner decides (where the jump stands below it), and — unless the rule
    that never fires is netui's own, reached once the jump moves — the rule in netui's chain."""
    winner = post.decided_by
    assert winner is not None
    hits = [s.rule for s in post.steps if s.rule.chain == "POSTROUTING" and s.matched]
    entry = hits[-1] if hits else winner
    jump = next((r for r in _builtin(nat) if r.target == NETUI_NAT_CHAIN), None)
    moved = jump is not None and jump.position > entry.position
    fixes = []
    if good.chain != NETUI_NAT_CHAIN or not moved:
        fixes.append(
            Change(
                "rule-move",
                host,
                f"move `{good.text}` above {winner.chain} #{winner.position} (or let netui's chain jump sit first)",
                {
                    "table": "nat",
                    "chain": good.chain,
                    "rule": good.text,
                    "from": str(good.position),
                    "to": str(winner.position),
                    "above": str(entry.position),
                    "source": office,
                    "destination": cidr,
                },
            )
        )
    if jump is not None and moved:
        fixes.append(
            Change(
                "jump-move",
                host,
                f"move netui's jump (POSTROUTING #{jump.position}) above POSTROUTING #{entry.position} `{entry.text}`",
                {"table": "nat", "from": str(jump.position), "to": str(entry.position)},
            )
        )
    return tuple(fixes)


def _builtin(nat: Table) -> list[Rule]:
    c = nat.chain("POSTROUTING")
    return c.rules if c is not None else []


def _scanned_rules(nat: Table) -> list[Rule]:
    """SNAT/MASQUERADE rules a person (or netui) wrote: kube-proxy's and CNIs' own chains are
    theirs to get right, and judging them would only produce noise. Their chains are skipped by
    name, so their (many) rules are never even built."""
    out = []
    for chain in nat.chains.values():
        if chain_owner(chain.name) not in (None, NETUI):
            continue
        out += [
            r for r in chain.rules if r.target in SNAT_TARGETS and rule_owner(r) in (OTHER, NETUI)
        ]
    return out


def check_rules(inp: DoctorInput, c: ClusterFacts, nat: Table) -> list[Finding]:
    """Each MASQUERADE-like rule of the forwarder's NAT table, read for the three mistakes a rule
    written by hand makes: source and destination swapped, a typo'd CIDR, office to everywhere."""
    host = c.forwarder
    assert host is not None
    out: list[Finding] = []
    all_cluster = [x for cl in inp.clusters.values() for x in cl.cidrs]
    for rule in _scanned_rules(nat):
        spec = rule.spec
        src = spec.source.value if spec.source and not spec.source.negated else None
        dst = spec.destination.value if spec.destination and not spec.destination.negated else None
        delete = Change(
            "rule-delete",
            host,
            f"delete {rule.chain} #{rule.position} `{rule.text}`",
            {
                "table": "nat",
                "chain": rule.chain,
                "rule": rule.text,
                "position": str(rule.position),
            },
        )
        if src and dst and _within_any(src, all_cluster) and _within_any(dst, inp.office):
            out.append(_reversed(c, rule, src, dst, delete))
            continue
        unknown = _unknown_cidrs(inp, c, rule, src, dst, delete)
        out += unknown
        if unknown:
            continue
        if (
            src
            and any(_overlap(src, o) for o in inp.office)
            and (dst is None or dst == "0.0.0.0/0")
            and spec.out_interface is None
        ):
            out.append(_too_broad(inp, c, rule, delete))
    return out


def _reversed(c: ClusterFacts, rule: Rule, src: str, dst: str, delete: Change) -> Finding:
    host = c.forwarder or ""
    right = f"-s {dst} -d {src}"
    title = f"MASQUERADE with source and destination swapped: {rule.chain} #{rule.position} masquerades traffic *from* the cluster *to* the office"
    return Finding(
        "masquerade-reversed",
        ERROR,
        host,
        title,
        (rule_ref(rule), f"meant: {right} -j MASQUERADE"),
        (
            delete,
            Change(
                "masquerade-add",
                host,
                f"add MASQUERADE {right}",
                {"source": dst, "destination": src},
            ),
        ),
        c.name,
        rule=(rule.chain, rule.text),
    )


def _unknown_cidrs(
    inp: DoctorInput,
    c: ClusterFacts,
    rule: Rule,
    src: str | None,
    dst: str | None,
    delete: Change,
) -> list[Finding]:
    """A side of the rule that names a network nobody knows, next to one of the same size that is."""
    host = c.forwarder or ""
    out = []
    for side, value in (("source", src), ("destination", dst)):
        if value is None or value in ("0.0.0.0/0",) or inp.networks.is_known(value):
            continue
        meant = inp.networks.closest(value)
        if meant is None or IPNetwork(meant.cidr).prefixlen != IPNetwork(value).prefixlen:
            continue
        fixed = rule.text.replace(value, meant.cidr)
        title = f"{rule.chain} #{rule.position} names {value} as its {side}, a network the environment does not know; it probably meant {meant.cidr} ({meant.label})"
        out.append(
            Finding(
                "cidr-unknown",
                ERROR,
                host,
                title,
                (rule_ref(rule),),
                (
                    delete,
                    Change(
                        "masquerade-add",
                        host,
                        f"add `{fixed}`",
                        {
                            "source": meant.cidr if side == "source" else (src or ""),
                            "destination": meant.cidr if side == "destination" else (dst or ""),
                        },
                    ),
                ),
                c.name,
                rule=(rule.chain, rule.text),
            )
        )
    return out


def _too_broad(inp: DoctorInput, c: ClusterFacts, rule: Rule, delete: Change) -> Finding:
    host = c.forwarder or ""
    title = f"{rule.chain} #{rule.position} masquerades the office's traffic to every destination, hiding source addresses far more widely than the clusters need"
    fixes = tuple(
        Change(
            "masquerade-add",
            host,
            f"add MASQUERADE -s {o} -d {x}",
            {"source": o, "destination": x},
        )
        for o in inp.office
        for x in c.cidrs
    )
    return Finding(
        "masquerade-too-broad",
        WARNING,
        host,
        title,
        (rule_ref(rule), "netui masquerades only office -> cluster CIDRs"),
        (*fixes, delete),
        c.name,
        rule=(rule.chain, rule.text),
    )


def _within_any(cidr: str, nets: tuple[str, ...] | list[str]) -> bool:
    try:
        inner = IPNetwork(cidr)
    except (AddrFormatError, ValueError, TypeError):  # `-s 172\17.0.2`: bench/fuzz.py found it
        return False
    return any(inner in IPNetwork(n) for n in nets)


def _overlap(a: str, b: str) -> bool:
    """Whether two networks share an address; a rule's `-s`/`-d` that is no network (a host
    may print `-s 172.17.0.0/1,`: bench/fuzz.py found it crashing the doctor) shares none."""
    try:
        na, nb = IPNetwork(a), IPNetwork(b)
    except (AddrFormatError, ValueError, TypeError):
        return False
    return na.first <= nb.last and nb.first <= na.last


def check(inp: DoctorInput) -> list[Finding]:
    out: list[Finding] = []
    for c in inp.clusters.values():
        snap = inp.snapshot(c.forwarder, TABLES, ROUTES)
        if snap is None or snap.nat is None or not c.cidrs:
            continue
        out += check_rules(inp, c, snap.nat)
        out += check_pairs(inp, c, snap, snap.nat)
    return out
