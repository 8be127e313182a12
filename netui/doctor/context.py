"""What the doctor looks at: the environment, each cluster's networks (the file's values, else
discovery's), and the hosts' snapshots. Pure data; building it does no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from netaddr import IPNetwork

from netui.discovery.model import ClusterInventory, network_map
from netui.model.envfile import Environment
from netui.model.networks import NetworkMap
from netui.model.snapshot import HostSnapshot


@dataclass(frozen=True)
class ClusterFacts:
    name: str
    pod_cidrs: tuple[str, ...]
    service_cidrs: tuple[str, ...]
    dns_ip: str | None
    domain: str
    forwarder: str | None  # host name in the environment
    forwarder_ip: str | None  # the address the router should route to

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

    def snapshot(self, host: str | None) -> HostSnapshot | None:
        if host is None:
            return None
        s = self.snapshots.get(host)
        return s if s is not None and s.ok else None

    @property
    def office(self) -> tuple[str, ...]:
        return self.env.office.cidrs

    @property
    def router_lan_ips(self) -> list[str]:
        snap = self.snapshot(self.env.office.router)
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
    if snap and snap.ok:
        ips = [str(ip) for ip in snap.routes.local_ips() if not str(ip).startswith("127.")]
        if router and router.ok:
            # the forwarder address on a subnet the router is directly attached to
            for ip in ips:
                for iface in router.routes.interfaces:
                    if any(ip in IPNetwork(a) for a in iface.addresses):
                        return ip
        return ips[0] if ips else None
    return None


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
            spec.name, pods, svcs, dns, spec.domain, spec.forwarder, fip
        )
    return DoctorInput(env, clusters, network_map(env, inventory), snapshots, inventory)
