"""Cluster to cluster (a migration: the new cluster's nodes and Pods call the old cluster's
Services, and back), for each pair the environment opts in with `clusters.T.reach_from: [S]`.

Two things make S -> T work, the same two as office -> T:
- T's forwarder masquerades S's node network and Pod range on their way to T's ranges, so T's
  Pods answer the forwarder (their own default gateway has no way back to S's Pods);
- S's nodes send T's ranges to T's forwarder: through the office router where that is their
  default gateway (the router already routes every cluster for the office), else by a route on
  each node netui may change (`clusters.S.nodes`).

And where S's nodes do not masquerade their Pods' egress (a CNI without flannel's default),
T's forwarder sees S's Pod addresses: once it masquerades them, T's Pods answer it, and it must
route S's Pod range back to S (through S's forwarder, or the office router that routes every
cluster) — its own default gateway knows nothing of S's Pods (`cluster-return-route-missing`).
"""

from __future__ import annotations

from netaddr import IPAddress, IPNetwork

from netui.doctor.context import ClusterFacts, DoctorInput
from netui.doctor.masquerade import samples, unmasqueraded
from netui.model.findings import ERROR, WARNING, Change, Finding
from netui.model.snapshot import ROUTES, TABLES


def pairs(inp: DoctorInput) -> list[tuple[ClusterFacts, ClusterFacts]]:
    """(source, target) for every opted-in pair whose clusters are both known."""
    out = []
    for target in inp.clusters.values():
        for name in target.reach_from:
            source = inp.clusters.get(name)
            if source is not None:
                out.append((source, target))
    return out


def check_masquerade(inp: DoctorInput, source: ClusterFacts, target: ClusterFacts) -> list[Finding]:
    snap = inp.snapshot(target.forwarder, TABLES, ROUTES)
    if snap is None or snap.nat is None or target.forwarder is None:
        return []
    sources = tuple(dict.fromkeys((*source.node_cidrs, *source.pod_cidrs)))
    out = []
    for src, dst, post in unmasqueraded(snap, snap.nat, sources, target.cidrs):
        kind = "Pods" if src in source.pod_cidrs else "nodes"
        out.append(
            Finding(
                "cluster-masquerade-missing",
                ERROR,
                target.forwarder,
                f"cluster {source.name}'s {kind} {src} -> cluster {target.name} {dst} is not masqueraded on {target.forwarder}: "
                f"cluster {target.name}'s Pods answer through their own gateway and the replies are lost",
                tuple(post.lines()),
                (
                    Change(
                        "masquerade-add",
                        target.forwarder,
                        f"add MASQUERADE -s {src} -d {dst} on {target.forwarder} (netui's own chain)",
                        {"source": src, "destination": dst},
                    ),
                ),
                target.name,
            )
        )
    return out


def _on_link(inp: DoctorInput, host: str, address: str) -> bool:
    snap = inp.snapshot(host, ROUTES)
    if snap is None:
        return False
    ip = IPAddress(address)
    return any(ip in IPNetwork(a) for i in snap.routes.interfaces for a in i.addresses)


def check_routes(inp: DoctorInput, source: ClusterFacts, target: ClusterFacts) -> list[Finding]:
    if not target.forwarder_ip:
        return []
    router_ips = set(inp.router_lan_ips)
    router = inp.snapshot(inp.env.office.router, ROUTES)
    out = []
    for node in source.nodes:
        snap = inp.snapshot(node, ROUTES)
        if snap is None:
            continue
        if target.forwarder_ip in {str(ip) for ip in snap.routes.local_ips()}:
            continue  # the node is the target's forwarder itself
        for cidr in target.cidrs:
            r = snap.routes.lookup(samples(cidr)[0])
            if r is not None and r.gateway == target.forwarder_ip:
                continue
            if r is not None and r.gateway in router_ips and router is not None:
                # the office router carries it on; whether it routes to the right forwarder is
                # the router check's finding (route-missing / route-wrong-gateway)
                continue
            how = f"it leaves via {r.line}" if r else "no route matches it"
            fixes: tuple[Change, ...] = ()
            if _on_link(inp, node, target.forwarder_ip):
                fixes = (
                    Change(
                        "route-replace",
                        node,
                        f"ip route replace {cidr} via {target.forwarder_ip} on {node}",
                        {"cidr": cidr, "via": target.forwarder_ip},
                    ),
                )
            out.append(
                Finding(
                    "cluster-route-missing",
                    ERROR,
                    node,
                    f"{node} (cluster {source.name}) has no way to cluster {target.name} {cidr}: "
                    f"it should go to {target.forwarder} ({target.forwarder_ip})",
                    (
                        how,
                        "its default gateway is not the office router, so the router's routes do not help",
                    )
                    if r is not None and r.dst == "default"
                    else (how,),
                    fixes,
                    target.name,
                )
            )
    if source.nodes == (source.forwarder,) or not source.nodes:
        out.append(
            Finding(
                "cluster-route-missing",
                WARNING,
                None,
                f"cluster {source.name}'s other nodes are not listed (clusters.{source.name}.nodes): netui cannot check or add their routes to cluster {target.name}",
                ("list the hosts netui may change under clusters." + source.name + ".nodes",),
                (),
                target.name,
            )
        )
    return out


def pods_masqueraded(inp: DoctorInput, source: ClusterFacts, target: ClusterFacts) -> bool | None:
    """Do `source`'s nodes masquerade their Pods' traffic to `target`'s ranges? None when no
    node's nat table could be read (nothing to judge by)."""
    judged = False
    for node in dict.fromkeys((*source.nodes, source.forwarder)):
        snap = inp.snapshot(node, TABLES, ROUTES)
        if snap is None or snap.nat is None:
            continue
        judged = True
        if unmasqueraded(snap, snap.nat, source.pod_cidrs, target.cidrs):
            return False
    return True if judged else None


def return_hops(inp: DoctorInput, source: ClusterFacts) -> list[tuple[str, str, str]]:
    """(Pod range, via, whose) a target forwarder routes `source`'s Pods back through: each
    node's podCIDR to that node (as flannel's host-gw does: never through the source's
    forwarder, which may masquerade the answer mid-stream), else the whole range to the
    source's forwarder when the API names no node's podCIDR."""
    inv = inp.inventory.get(source.name)
    per_node = [
        (cidr, n.internal_ip, n.name)
        for n in (inv.nodes if inv else [])
        if n.internal_ip
        for cidr in n.pod_cidrs
    ]
    if per_node or not source.forwarder_ip or source.forwarder is None:
        return per_node
    return [(cidr, source.forwarder_ip, source.forwarder) for cidr in source.pod_cidrs]


def check_return_route(
    inp: DoctorInput, source: ClusterFacts, target: ClusterFacts
) -> list[Finding]:
    snap = inp.snapshot(target.forwarder, ROUTES)
    if snap is None or target.forwarder is None:
        return []
    if pods_masqueraded(inp, source, target) is not False:
        return []
    out = []
    for cidr, via, whose in return_hops(inp, source):
        r = snap.routes.lookup(samples(cidr)[0])
        if r is not None and (r.gateway in {via, *inp.router_lan_ips} or r.dst != "default"):
            continue  # to the node, the office router, or a route someone chose for it
        fixes: tuple[Change, ...] = ()
        if _on_link(inp, target.forwarder, via):
            fixes = (
                Change(
                    "route-replace",
                    target.forwarder,
                    f"ip route replace {cidr} via {via} on {target.forwarder}",
                    {"cidr": cidr, "via": via},
                ),
            )
        out.append(
            Finding(
                "cluster-return-route-missing",
                ERROR,
                target.forwarder,
                f"{target.forwarder} has no way back to cluster {source.name}'s Pods {cidr}: "
                f"they reach cluster {target.name} unmasqueraded and the answers should go to "
                f"{whose} ({via})",
                (
                    f"it leaves via {r.line}" if r else "no route matches it",
                    f"cluster {source.name}'s nodes do not masquerade their Pods' egress",
                    *(
                        ()
                        if fixes
                        else (
                            f"{via} is not on {target.forwarder}'s link: route {cidr} to it by hand",
                        )
                    ),
                ),
                fixes,
                target.name,
            )
        )
    return out


def check(inp: DoctorInput) -> list[Finding]:
    out: list[Finding] = []
    for source, target in pairs(inp):
        out += check_masquerade(inp, source, target)
        out += check_routes(inp, source, target)
        out += check_return_route(inp, source, target)
    return out
