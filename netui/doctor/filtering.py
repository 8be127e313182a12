"""Would the forwarder's filter FORWARD chain drop the traffic it must carry? (Docker sets the
policy to DROP; hardening scripts do too: forwarding is on, yet nothing passes.) The traffic is
the office's, and that of every cluster the target lists in `reach_from` (its nodes' network
and its Pod range): each source walked through FORWARD to each of the target's ranges.

A foreign DROP/REJECT above netui's own jump is answered by moving the jump above it (a
`jump-move`), not by one more accept in netui's chain behind that same DROP."""

from __future__ import annotations

from netui.doctor.context import ClusterFacts, DoctorInput
from netui.doctor.masquerade import office_packet, samples
from netui.doctor.walk import Walk, walk
from netui.model.at_boot import OWNED_CHAINS
from netui.model.findings import ERROR, Change, Finding
from netui.model.iptables import Table
from netui.model.snapshot import TABLES

FILTER_CHAIN = next(chain for table, _, chain in OWNED_CHAINS if table == "filter")


def forward_sources(inp: DoctorInput, target: ClusterFacts) -> list[tuple[str, str]]:
    """(who, cidr) whose packets `target`'s forwarder must forward: the office's ranges, then
    each reach_from source cluster's node networks and Pod ranges (once each, in that order)."""
    out = [("the office", o) for o in inp.office]
    for name in target.reach_from:
        source = inp.clusters.get(name)
        if source is None:
            continue
        out += [(f"cluster {name}'s nodes", n) for n in source.node_cidrs]
        out += [(f"cluster {name}'s Pods", p) for p in source.pod_cidrs]
    seen: set[str] = set()
    unique = []
    for who, cidr in out:
        if cidr not in seen and cidr not in target.cidrs:
            seen.add(cidr)
            unique.append((who, cidr))
    return unique


def _who(w: Walk) -> str:
    if w.decided_by is None:
        return "the FORWARD policy"
    return f"rule {w.decided_by.chain} #{w.decided_by.position}"


def _fixes(filt: Table, w: Walk, host: str, who: str, src: str, dst: str) -> tuple[Change, ...]:
    """Accept the pair in netui's chain; when a foreign rule in FORWARD itself drops above
    netui's jump, move the jump above it too (else the accept would sit behind the DROP)."""
    accept = Change(
        "forward-accept",
        host,
        f"accept forwarding {who} {src} <-> {dst} on {host} (first in FORWARD)",
        {"source": src, "destination": dst},
    )
    rule = w.decided_by
    fwd = filt.chain("FORWARD")
    jump = next((r for r in fwd.rules if r.target == FILTER_CHAIN), None) if fwd else None
    if rule is None or rule.chain != "FORWARD" or jump is None or jump.position < rule.position:
        return (accept,)
    move = Change(
        "jump-move",
        host,
        f"move netui's jump (FORWARD #{jump.position}) above FORWARD #{rule.position} `{rule.text}`",
        {"table": "filter", "from": str(jump.position), "to": str(rule.position)},
    )
    return (move, accept)


def check(inp: DoctorInput) -> list[Finding]:
    out = []
    for c in inp.clusters.values():
        snap = inp.snapshot(c.forwarder, TABLES)
        if snap is None or snap.filter is None or c.forwarder is None:
            continue
        for who, src in forward_sources(inp, c):
            for cidr in c.cidrs:
                w = walk(
                    snap.filter,
                    "FORWARD",
                    office_packet(snap, samples(src)[0], samples(cidr)[0]),
                )
                if w.verdict not in ("DROP", "REJECT"):
                    continue
                out.append(
                    Finding(
                        "forward-blocked",
                        ERROR,
                        c.forwarder,
                        f"{c.forwarder} forwards nothing from {who} to {cidr}: {_who(w)} says {w.verdict}",
                        tuple(w.lines()),
                        _fixes(snap.filter, w, c.forwarder, who, src, cidr),
                        c.name,
                    )
                )
    return out
