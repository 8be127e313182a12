"""What the doctor looks at: the environment, each cluster's networks (the file's values, else
discovery's), and the hosts' snapshots. Pure data; building it does no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from netaddr import IPNetwork

from netui.discovery.model import ClusterInventory, network_map
from netui.model.envfile import Environment
from netui.model.networks import NetworkMap
from netui.model.snapshot import ROUTES, HostSnapshot


@dataclass(frozen=True)
class ClusterFacts:
    name: str
    pod_cidrs: tuple[str, ...]
    service_cidrs: tuple[str, ...]
    dns_ip: str | None
    domain: str
    forwarder: str | None  # host name in the environment
    forwarder_ip: str | None  # the address the router should route to
    node_cidrs: tuple[str, ...] = ()  # where its nodes live (file, else the nodes' subnets)
    nodes: tuple[
        str, ...
    ] = ()  # hosts of this cluster netui may change (file's nodes: + forwarder)
    reach_from: tuple[str, ...] = ()  # clusters whose nodes and Pods may call this one

    @property
    def cidrs(self) -> tuple[str, ...]:
        return self.pod_cidrs + self.service_cidrs


@dataclass
class DoctorInput:
    env: Environment
    clusters: dict[str, ClusterFacts]
    networks: NetworkMap
    snapshots: dict[str, HostSnapshot]
    inventory: dict[str, ClusterInventory] = field(default_factory=dict)

    def snapshot(self, host: str | None, *needs: str) -> HostSnapshot | None:
        """The host's snapshot when it was read, with each aspect in `needs` (model/snapshot
        ASPECTS; all of them when none is named) readable: what is unknown is never taken
        as empty (doctor.unreadable says which checks were not done)."""
        if host is None:
            return None
        s = self.snapshots.get(host)
        return s if s is not None and s.readable(*needs) else None

    @property
    def office(self) -> tuple[str, ...]:
        return self.env.office.cidrs

    @property
    def router_lan_ips(self) -> list[str]:
        snap = self.snapshot(self.env.office.router, ROUTES)
        # loopback addresses are no gateway for anyone
        return [str(ip) for ip in snap.routes.local_ips() if not ip.is_loopback()] if snap else []


def _forwarder_ip(
    env: Environment, name: str, inv: ClusterInventory | None, snaps: dict[str, HostSnapshot]
) -> str | None:
    if inv:
        for n in inv.nodes:
            if n.name == name and n.internal_ip:
                return n.internal_ip
    snap = snaps.get(name)
    router = snaps.get(env.office.router or "")
    if snap and snap.readable(ROUTES):
        ips = [str(ip) for ip in snap.routes.local_ips() if not str(ip).startswith("127.")]
        if router and router.readable(ROUTES):
            # the forwarder address on a subnet the router is directly attached to
            for ip in ips:
                for iface in router.routes.interfaces:
                    if any(ip in IPNetwork(a) for a in iface.addresses):
                        return ip
        return ips[0] if ips else None
    return None


def _node_cidrs(
    env: Environment, inv: ClusterInventory | None, snaps: dict[str, HostSnapshot]
) -> tuple[str, ...]:
    """Where a cluster's nodes live when the file does not say: the subnet of the router (or of
    a node host) that holds each node's InternalIP, else the address alone (/32)."""
    if inv is None:
        return ()
    nets: list[IPNetwork] = []
    for snap in snaps.values():
        if snap.readable(ROUTES):
            for iface in snap.routes.interfaces:
                nets += [
                    IPNetwork(a).cidr for a in iface.addresses if not IPNetwork(a).ip.is_loopback()
                ]
    out: dict[str, None] = {}
    for n in inv.nodes:
        if not n.internal_ip:
            continue
        holding = [net for net in nets if n.internal_ip in net and net.prefixlen >= 16]
        best = max(holding, key=lambda net: net.prefixlen, default=None)
        out[str(best) if best is not None else f"{n.internal_ip}/32"] = None
    return tuple(out)


def build_input(
    env: Environment, snapshots: dict[str, HostSnapshot], inventory: dict[str, ClusterInventory]
) -> DoctorInput:
    clusters = {}
    for spec in env.clusters.values():
        inv = inventory.get(spec.name)
        pods = spec.pod_cidrs or (inv.pod_cidr_values if inv else ())
        svcs = spec.service_cidrs or (inv.service_cidr_values if inv else ())
        dns = spec.dns_ip or (inv.dns_ip.value if inv and inv.dns_ip else None)
        fip = _forwarder_ip(env, spec.forwarder, inv, snapshots) if spec.forwarder else None
        clusters[spec.name] = ClusterFacts(
            spec.name,
            pods,
            svcs,
            dns,
            spec.domain,
            spec.forwarder,
            fip,
            node_cidrs=spec.node_cidrs or _node_cidrs(env, inv, snapshots),
            nodes=tuple(
                dict.fromkeys((*(() if spec.forwarder is None else (spec.forwarder,)), *spec.nodes))
            ),
            reach_from=spec.reach_from,
        )
    return DoctorInput(env, clusters, network_map(env, inventory), snapshots, inventory)
