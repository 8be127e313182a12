"""A forwarded packet's path through the whole firewall of a host: every base chain of every
table at prerouting, forward (or input, for IPVS) and postrouting, in priority order.

The kernel's rules, as walked here: a drop or reject anywhere ends the packet; `accept` ends
only that base chain (the next one at the hook still runs); at the NAT hooks the first chain
that makes a NAT decision for the connection wins and later NAT chains of that kind are not
called. iptables' chains (either variant) are walked by doctor/walk.py, native nft chains by
doctor/nftwalk.py; marks and a DNAT carry over from hop to hop. IPVS (kube-proxy's ipvs mode)
is followed through /proc/net/ip_vs when the address is a local IPVS service, else the path is
"uncertain", never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace

from netui.doctor.nftwalk import Conntrack, walk_chain
from netui.doctor.walk import Packet, walk
from netui.model.hooks import IPTABLES, BaseChain
from netui.model.snapshot import HostSnapshot

SNAT = ("snat", "masquerade")
DNAT = ("dnat", "redirect")


@dataclass
class Hop:
    chain: BaseChain
    verdict: str  # lower case: accept, drop, reject, snat, masquerade, dnat, redirect, return
    where: str  # the rule (table, chain, position or handle) or the policy that decided
    lines: list[str]
    uncertain: bool = False
    nat_to: str | None = None
    skipped: str = ""  # why the chain did not run (a NAT decision was already made)

    @property
    def blocks(self) -> bool:
        return self.verdict in ("drop", "reject")


@dataclass
class PacketPath:
    packet: Packet
    hops: list[Hop] = field(default_factory=list)
    final: Packet | None = None
    blocked_by: Hop | None = None
    snat_by: Hop | None = None
    dnat_by: Hop | None = None
    notes: list[str] = field(default_factory=list)
    uncertain: bool = False

    @property
    def verdict(self) -> str:
        if self.blocked_by is not None:
            return "dropped"
        return "uncertain" if self.uncertain else "passes"

    def lines(self) -> list[str]:
        out = [f"path of {self.packet.describe()}:"]
        for h in self.hops:
            if h.skipped:
                out.append(
                    f"  {h.chain.hook:11} {h.chain.priority:>5} {h.chain.label}: {h.skipped}"
                )
                continue
            extra = f" to {h.nat_to}" if h.nat_to else ""
            out.append(
                f"  {h.chain.hook:11} {h.chain.priority:>5} {h.chain.label}: {h.verdict}{extra} "
                f"({h.where})" + (" uncertain" if h.uncertain else "")
            )
        out += [f"  note: {n}" for n in self.notes]
        return out


def _xt_hop(snap: HostSnapshot, bc: BaseChain, p: Packet) -> tuple[Hop, Packet]:
    table = snap.iptables_tables[bc.table]
    w = walk(table, bc.chain, p)
    verdict = w.verdict.lower()
    if verdict == "return":
        verdict = bc.policy
    where = (
        f"iptables {bc.table} {w.decided_by.chain} #{w.decided_by.position}"
        if w.decided_by
        else f"iptables {bc.table} {bc.chain} policy"
    )
    nat_to = None
    if w.decided_by is not None and verdict in ("snat", "dnat"):
        opt = "--to-source" if verdict == "snat" else "--to-destination"
        nat_to = w.decided_by.spec.target_option(opt)
    return (
        Hop(bc, verdict, where, w.lines(), w.uncertain, nat_to),
        w.final_packet or p,
    )


def _nft_hop(snap: HostSnapshot, bc: BaseChain, p: Packet, ct: Conntrack) -> tuple[Hop, Packet]:
    assert snap.nft is not None
    table = snap.nft.tables[f"{bc.family} {bc.table}"]
    w = walk_chain(table, bc.chain, p, ct)
    return Hop(bc, w.verdict, w.where(), w.lines(), w.uncertain, w.nat_to), w.final_packet or p


def _run_hook(snap: HostSnapshot, hook: str, p: Packet, path: PacketPath, ct: Conntrack) -> Packet:
    """Every base chain at `hook`; returns the packet as it leaves the hook."""
    for bc in snap.hooks.get(hook, []):
        if bc.type == "nat" and (
            (hook in ("prerouting", "output") and path.dnat_by is not None)
            or (hook in ("postrouting", "input") and path.snat_by is not None)
        ):
            path.hops.append(Hop(bc, "", "", [], skipped="not called: the NAT decision was made"))
            continue
        if bc.source == IPTABLES:
            if bc.table not in snap.iptables_tables:
                continue
            hop, p = _xt_hop(snap, bc, p)
        else:
            if snap.nft is None or f"{bc.family} {bc.table}" not in snap.nft.tables:
                continue
            hop, p = _nft_hop(snap, bc, p, ct)
        path.hops.append(hop)
        path.uncertain = path.uncertain or hop.uncertain
        if hop.blocks:
            path.blocked_by = hop
            return p
        if bc.type == "nat" and hop.verdict in DNAT and path.dnat_by is None:
            path.dnat_by = hop
            ct = Conntrack(ct.state, ct.status | {"dnat"})
        if bc.type == "nat" and hop.verdict in SNAT and path.snat_by is None:
            path.snat_by = hop
    return p


def forward_path(
    snap: HostSnapshot, packet: Packet, out_iface: Callable[[str], str | None]
) -> PacketPath:
    """The path of a new connection's first packet arriving from outside (`packet.in_iface`)
    and routed on. `out_iface(dst)` is the route lookup, asked again after a DNAT."""
    path = PacketPath(packet)
    p = _run_hook(snap, "prerouting", packet, path, Conntrack())
    if path.blocked_by:
        path.final = p
        return path
    ct = Conntrack(status=frozenset({"dnat"}) if path.dnat_by else frozenset())
    if p.dst != packet.dst:
        p = replace(p, out_iface=out_iface(p.dst))
    if p.dst in {str(ip) for ip in snap.routes.local_ips()}:
        routed = _ipvs(snap, p, path, ct, out_iface)
        if routed is None or path.blocked_by:
            path.final = p
            return path
        p = routed
    else:
        p = _run_hook(snap, "forward", p, path, ct)
        if path.blocked_by:
            path.final = p
            return path
    p = _run_hook(snap, "postrouting", p, path, ct)
    path.final = p
    return path


def input_path(snap: HostSnapshot, packet: Packet) -> PacketPath:
    """The path of a new connection's first packet arriving from outside for the host itself
    (a query to its dnsmasq): prerouting, then input, of every table."""
    path = PacketPath(packet)
    p = _run_hook(snap, "prerouting", packet, path, Conntrack())
    if not path.blocked_by:
        p = _run_hook(snap, "input", p, path, Conntrack())
    path.final = p
    return path


def _ipvs(
    snap: HostSnapshot,
    p: Packet,
    path: PacketPath,
    ct: Conntrack,
    out_iface: Callable[[str], str | None],
) -> Packet | None:
    """A packet for one of the host's own addresses: IPVS (kube-ipvs0 holds the ClusterIPs)
    takes it at the input hook and sends it to a real server; anything else is delivered."""
    p = _run_hook(snap, "input", p, path, ct)
    if path.blocked_by:
        return p
    services = snap.firewall.ipvs_services()
    real = services.get(f"{p.dst}:{p.dport}")
    if real:
        path.notes.append(f"IPVS: {p.dst}:{p.dport} is a virtual service; real server {real[0]}")
        addr, _, port = real[0].partition(":")
        return replace(p, dst=addr, dport=int(port), out_iface=out_iface(addr))
    if any(i.name == "kube-ipvs0" for i in snap.routes.interfaces):
        path.notes.append(
            f"{p.dst} is on kube-ipvs0 but /proc/net/ip_vs has no service {p.dst}:{p.dport} "
            "(or cannot be read): where IPVS sends it is uncertain"
        )
        path.uncertain = True
    else:
        path.notes.append(
            f"{p.dst} is this host's own address: the packet is delivered, not forwarded"
        )
    return None
