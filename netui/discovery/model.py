"""What discovery learns about clusters, with where each value came from. Pure data."""

from __future__ import annotations

from dataclasses import dataclass, field

from netui.model.envfile import Environment
from netui.model.networks import KnownNetwork, NetworkMap

ENV = "environment file"


@dataclass(frozen=True)
class Sourced:
    """A value and the place it was read from ("kubeadm-config", "ServiceCIDR API", ...)."""

    value: str
    source: str


@dataclass(frozen=True)
class NodeInfo:
    name: str
    roles: tuple[str, ...]
    internal_ip: str | None
    pod_cidrs: tuple[str, ...]
    taints: tuple[str, ...]  # "key=value:Effect"
    ready: bool
    forwarder: bool = False
    version: str | None = None


@dataclass(frozen=True)
class ServicePort:
    port: int
    protocol: str  # "TCP" / "UDP"
    name: str = ""


@dataclass(frozen=True)
class ServiceInfo:
    """A Service with the Pod addresses behind it, for probes and hop names."""

    name: str
    namespace: str
    cluster_ip: str | None
    ports: tuple[ServicePort, ...]
    endpoints: tuple[tuple[str, int, str], ...] = ()  # (ip, port, protocol)

    @property
    def dns_name(self) -> str:
        return f"{self.name}.{self.namespace}.svc"


@dataclass
class ClusterInventory:
    name: str
    context: str | None
    domain: str
    forwarder: str | None
    pod_cidrs: list[Sourced] = field(default_factory=list)  # the chosen ones
    service_cidrs: list[Sourced] = field(default_factory=list)
    dns_ip: Sourced | None = None
    nodes: list[NodeInfo] = field(default_factory=list)
    services: list[ServiceInfo] = field(default_factory=list)
    candidates: dict[str, list[Sourced]] = field(
        default_factory=dict
    )  # every value every source gave
    disagreements: list[str] = field(default_factory=list)
    error: str | None = None  # the API could not be asked; env-file values still stand
    # what the cluster runs, read off what each leaves behind (discovery/flavour.py)
    cni: Sourced | None = None
    proxy_mode: Sourced | None = None
    found_domain: Sourced | None = None  # CoreDNS's or kubeadm's; the spec's domain is used
    cilium: dict[str, str] = field(default_factory=dict)  # cilium-config's kube-proxy keys
    # objects the API gave that could not be used, each named (a /33 podCIDR, a node with no
    # status): skipped one by one, never an error that hides the rest
    warnings: list[str] = field(default_factory=list)

    @property
    def pod_cidr_values(self) -> tuple[str, ...]:
        return tuple(s.value for s in self.pod_cidrs)

    @property
    def service_cidr_values(self) -> tuple[str, ...]:
        return tuple(s.value for s in self.service_cidrs)


def choose(
    name: str, given: tuple[str, ...], found: list[Sourced]
) -> tuple[list[Sourced], list[str]]:
    """The values to use (the environment file wins, else the first source in discovery order)
    and a note for every source that disagrees with them."""
    if given:
        chosen = [Sourced(v, ENV) for v in given]
    elif found:
        first = found[0].source
        chosen = [s for s in found if s.source == first]
    else:
        return [], []
    want = {s.value for s in chosen}
    notes = []
    by_source: dict[str, set[str]] = {}
    for s in found:
        by_source.setdefault(s.source, set()).add(s.value)
    for source, values in by_source.items():
        if source.startswith("node podCIDRs"):
            continue  # per-node slices are narrower by nature; checked separately
        if values != want:
            notes.append(
                f"{name}: {source} says {', '.join(sorted(values))}, using {', '.join(sorted(want))} from {chosen[0].source}"
            )
    return chosen, notes


def network_map(env: Environment, inventory: dict[str, ClusterInventory]) -> NetworkMap:
    """The known networks: the office, and each cluster's pods and services as the environment
    file gives them or, where it is silent, as discovery found them."""
    nets = [KnownNetwork(c, "office") for c in env.office.cidrs]
    for spec in env.clusters.values():
        inv = inventory.get(spec.name)
        pods = spec.pod_cidrs or (inv.pod_cidr_values if inv else ())
        svcs = spec.service_cidrs or (inv.service_cidr_values if inv else ())
        nets += [KnownNetwork(c, "pods", spec.name) for c in pods]
        nets += [KnownNetwork(c, "services", spec.name) for c in svcs]
    return NetworkMap(nets)


def needs_discovery(env: Environment) -> bool:
    return any(not (c.pod_cidrs and c.service_cidrs) for c in env.clusters.values())
