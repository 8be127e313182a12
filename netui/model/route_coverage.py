"""Which known network each route serves, and which known networks a host cannot reach by a
route of their own. Shared by `netui show routes` and the TUI's host screen."""

from __future__ import annotations

from dataclasses import dataclass

from netui.model.networks import NetworkMap
from netui.model.routes import RoutingTable


@dataclass(frozen=True)
class AnnotatedRoute:
    line: str
    network: str  # the known network's label, "default", a "+"-joined list, or ""


@dataclass(frozen=True)
class UncoveredNetwork:
    cidr: str
    network: str
    carried_by: str  # "no route at all" or "only the default route (...)"


def route_annotations(routes: RoutingTable, networks: NetworkMap) -> list[AnnotatedRoute]:
    """Each route with the known network it serves ("" when none)."""
    out = []
    for r in routes.routes:
        if r.dst == "default":
            out.append(AnnotatedRoute(r.line, "default"))
            continue
        owner = networks.owner(r.dst)
        inside = [kn.label for kn in networks.overlapping(r.dst)] if owner is None else []
        out.append(AnnotatedRoute(r.line, owner.label if owner else " + ".join(inside)))
    return out


def uncovered_networks(
    routes: RoutingTable, networks: NetworkMap, own_clusters: frozenset[str] = frozenset()
) -> list[UncoveredNetwork]:
    """Known networks this host has no specific route for, and what would carry them instead.
    A network split into narrower routes (a CNI's per-node pod slices) counts as routed. The
    Service range of a cluster the host is a node of needs no route: kube-proxy answers its
    ClusterIPs on the node itself."""
    out = []
    for kn in networks.networks:
        if kn.kind == "services" and kn.cluster in own_clusters:
            continue
        net = kn.network
        if any(r.dst != "default" and r.network in net for r in routes.routes):
            continue
        r = routes.covering(kn.cidr)
        if r is None:
            out.append(UncoveredNetwork(kn.cidr, kn.label, "no route at all"))
        elif r.dst == "default":
            out.append(UncoveredNetwork(kn.cidr, kn.label, f"only the default route ({r.line})"))
    return out
