"""The lab's topology as plain data: who lives where, with which addresses and routes.

    office-pc 10.1.3.10 ─┐                      ┌─ a-master 192.168.1.109 (forwarder, nft)
                  office bridge ── router ── node LAN ─ a-worker 192.168.1.110 ── pods 10.200.1.0/24
                      10.1.3.1     192.168.1.1  │        b-master 192.168.1.243 (forwarder, legacy)
                                                ├─ b-worker 192.168.1.244 ── pods 10.42.1.0/24
                                                ├─ jump 192.168.1.5
                                                └─ dcgw 192.168.1.254 (workers' default; no way to the office)

Cluster A is kubeadm-shaped (kubeadm-config, kube-proxy config map, nft iptables); cluster B is
k3s-shaped (ServiceCIDR API, k3s default CIDRs, legacy iptables), so each discovery path and
both iptables variants are exercised.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

PREFIX = "nu-"
OFFICE_CIDR = "10.1.3.0/24"
LAN_CIDR = "192.168.1.0/24"
LAN_BRIDGE_NS = PREFIX + "lan"


@dataclass(frozen=True)
class Pod:
    name: str  # also the Kubernetes name
    namespace: str  # Kubernetes namespace
    ip: str
    port: int
    kind: str  # "registry", "app", "dns"

    @property
    def netns(self) -> str:
        return f"{PREFIX}pod-{self.ip.replace('.', '-')}"


@dataclass(frozen=True)
class Service:
    name: str
    namespace: str
    cluster_ip: str
    port: int
    protocol: str  # "tcp" / "udp"
    pod: str  # name of the backing pod
    target_port: int
    port_name: str = "http"


@dataclass(frozen=True)
class LabHost:
    name: str  # name in the environment file
    ip: str  # address on its LAN
    segment: str  # "office" or "lan"
    gateway: str | None = None
    extra_routes: tuple[tuple[str, str], ...] = ()  # (cidr, via)
    forwarding: bool = False
    variant: str = "nft"
    sshd: bool = True

    @property
    def netns(self) -> str:
        return PREFIX + self.name


@dataclass(frozen=True)
class LabCluster:
    name: str
    shape: str  # "kubeadm" or "k3s"
    pod_cidr: str
    service_cidr: str
    dns_ip: str
    master: str
    worker: str
    master_pod_cidr: str
    worker_pod_cidr: str
    pods: tuple[Pod, ...]
    services: tuple[Service, ...]
    api_port: int  # on 127.0.0.1 in the root namespace
    domain: str = "cluster.local"
    variant: str = "nft"
    master_ip: str = ""
    worker_ip: str = ""
    # flannel's default: Pods' traffic leaving the Pod range is masqueraded to the node's address
    cni_masquerade: bool = False

    def ip_of(self, node: str) -> str:
        return self.master_ip if node == self.master else self.worker_ip

    @property
    def context(self) -> str:
        return f"lab-{self.name}"

    @property
    def gateway(self) -> str:
        """The worker's bridge address, the pods' default gateway."""
        net, _ = self.worker_pod_cidr.split("/")
        a, b, c, _ = net.split(".")
        return f"{a}.{b}.{c}.1"


CLUSTER_A = LabCluster(
    name="a",
    shape="kubeadm",
    pod_cidr="10.200.0.0/16",
    service_cidr="10.96.0.0/12",
    dns_ip="10.96.0.10",
    master="a-master",
    worker="a-worker",
    master_pod_cidr="10.200.0.0/24",
    worker_pod_cidr="10.200.1.0/24",
    pods=(
        Pod("eureka-0", "default", "10.200.1.2", 8761, "registry"),
        Pod("app-7d4b9c", "default", "10.200.1.3", 8080, "app"),
        Pod("coredns-5d78c9", "kube-system", "10.200.1.4", 53, "dns"),
    ),
    services=(
        Service("kubernetes", "default", "10.96.0.1", 443, "tcp", "", 6443, "https"),
        Service("kube-dns", "kube-system", "10.96.0.10", 53, "udp", "coredns-5d78c9", 53, "dns"),
        Service(
            "kube-dns", "kube-system", "10.96.0.10", 53, "tcp", "coredns-5d78c9", 53, "dns-tcp"
        ),
        Service("eureka", "default", "10.96.0.20", 8761, "tcp", "eureka-0", 8761, "http"),
        Service("app", "default", "10.96.0.30", 80, "tcp", "app-7d4b9c", 8080, "http"),
    ),
    api_port=16443,
    variant="nft",
    master_ip="192.168.1.109",
    worker_ip="192.168.1.110",
)


def _cluster_b(shape: str, pods: str, services: str, cni_masquerade: bool = False) -> LabCluster:
    """Cluster B of a plan: its Pods in `pods`.0.0/16, its Services in `services`.0.0/16."""
    return LabCluster(
        name="b",
        shape=shape,
        pod_cidr=f"{pods}.0.0/16",
        service_cidr=f"{services}.0.0/16",
        dns_ip=f"{services}.0.10",
        master="b-master",
        worker="b-worker",
        master_pod_cidr=f"{pods}.0.0/24",
        worker_pod_cidr=f"{pods}.1.0/24",
        pods=(
            Pod("app-v2-6c8f", "default", f"{pods}.1.2", 8080, "app"),
            Pod("coredns-6799fb", "kube-system", f"{pods}.1.3", 53, "dns"),
        ),
        services=(
            Service("kubernetes", "default", f"{services}.0.1", 443, "tcp", "", 6443, "https"),
            Service(
                "kube-dns",
                "kube-system",
                f"{services}.0.10",
                53,
                "udp",
                "coredns-6799fb",
                53,
                "dns",
            ),
            Service(
                "kube-dns",
                "kube-system",
                f"{services}.0.10",
                53,
                "tcp",
                "coredns-6799fb",
                53,
                "dns-tcp",
            ),
            Service("app", "default", f"{services}.0.30", 80, "tcp", "app-v2-6c8f", 8080, "http"),
        ),
        api_port=26443,
        variant="legacy",
        master_ip="192.168.1.243",
        worker_ip="192.168.1.244",
        cni_masquerade=cni_masquerade,
    )


CLUSTER_B = _cluster_b("k3s", "10.42", "10.43")

CLUSTERS = (CLUSTER_A, CLUSTER_B)

ROUTER_OFFICE_IP = "10.1.3.1"
ROUTER_LAN_IP = "192.168.1.1"
DCGW_IP = "192.168.1.254"

HOSTS: tuple[LabHost, ...] = (
    LabHost("office-pc", "10.1.3.10", "office", gateway=ROUTER_OFFICE_IP),
    LabHost("router", ROUTER_LAN_IP, "lan", forwarding=True),
    LabHost("jump", "192.168.1.5", "lan", gateway=ROUTER_LAN_IP),
    LabHost("dcgw", DCGW_IP, "lan", forwarding=True, sshd=False),
    # Forwarders: default to the datacenter gateway, a route back to the office via the router,
    # and a host-gw route to their worker's pods. Forwarding is off: nothing is configured yet.
    LabHost(
        "a-master",
        "192.168.1.109",
        "lan",
        gateway=DCGW_IP,
        extra_routes=((OFFICE_CIDR, ROUTER_LAN_IP), ("10.200.1.0/24", "192.168.1.110")),
    ),
    LabHost("a-worker", "192.168.1.110", "lan", gateway=DCGW_IP, forwarding=True),
    LabHost(
        "b-master",
        "192.168.1.243",
        "lan",
        gateway=DCGW_IP,
        extra_routes=((OFFICE_CIDR, ROUTER_LAN_IP), ("10.42.1.0/24", "192.168.1.244")),
        variant="legacy",
    ),
    LabHost("b-worker", "192.168.1.244", "lan", gateway=DCGW_IP, forwarding=True, variant="legacy"),
)
HOST_BY_NAME = {h.name: h for h in HOSTS}

# The non-root operator account (passwordless sudo) and one whose sudo wants a password.
SUDO_USER = "ops"
SUDO_HOST = "b-master"
PASSWORD_SUDO_USER = "audit"


@dataclass(frozen=True)
class Planted:
    """One mistake `netui lab up --broken` plants, and the doctor code that must find it."""

    code: str
    host: str
    what: str


def planted(a: LabCluster, b: LabCluster, office: str) -> tuple[Planted, ...]:
    """The mistakes of `--broken` for a plan with clusters `a` and `b`."""
    return (
        Planted(
            "forwarding-not-persisted",
            a.master,
            "ip_forward=1 at runtime; persisted in /etc/sysctl.d/ip_forward, a name without .conf that nothing reads",
        ),
        Planted(
            "masquerade-reversed",
            a.master,
            f"-s {a.pod_cidr} -d {office} -j MASQUERADE (source and destination swapped)",
        ),
        Planted(
            "cidr-unknown",
            a.master,
            f"-s 1{office} -d {a.pod_cidr} -j MASQUERADE (an extra digit: 1{office} for {office})",
        ),
        Planted(
            "rule-shadowed",
            a.master,
            f"-s {office} -d {a.service_cidr} -j MASQUERADE placed after -s {office} -d {a.service_cidr} -j RETURN",
        ),
        Planted(
            "masquerade-missing",
            a.master,
            f"no working MASQUERADE for office -> cluster {a.name} pods",
        ),
        Planted("forwarding-off", b.master, "net.ipv4.ip_forward=0"),
        Planted("masquerade-too-broad", b.master, f"-s {office} -j MASQUERADE (any destination)"),
        Planted("forward-blocked", b.master, "filter FORWARD policy DROP, as Docker leaves it"),
        Planted("no-return-route", b.master, f"the route {office} via the router removed"),
        Planted(
            "route-wrong-gateway",
            "router",
            f"{a.pod_cidr} via {b.master_ip} (cluster {b.name}'s forwarder)",
        ),
        Planted(
            "route-missing",
            "router",
            f"no route for {a.service_cidr}, {b.pod_cidr}, {b.service_cidr}",
        ),
        Planted(
            "dns-loop",
            a.master,
            f"dnsmasq drop-in with server={a.master_ip}, its own listen address",
        ),
        Planted(
            "dns-forward-split",
            a.master,
            f"server=/{a.domain}/{b.dns_ip}: cluster {a.name}'s domain sent to cluster {b.name}'s DNS",
        ),
        Planted(
            "host-unreachable",
            "old-router",
            "an environment entry for a host whose namespace does not exist",
        ),
    )


BROKEN: tuple[Planted, ...] = planted(CLUSTER_A, CLUSTER_B, OFFICE_CIDR)
# Not plantable in live state: `cidr-host-bits` (the kernel masks host bits of every rule and
# route it stores, so it only shows in files netui reads) and `cidr-overlap` (a property of the
# environment's CIDRs; the lab's clusters are distinct by design). Unit tests cover both.


@dataclass(frozen=True)
class LabFiles:
    """Where `netui lab up` writes what it prints."""

    home: str
    env: str = field(init=False)
    env_ssh: str = field(init=False)
    kubeconfig: str = field(init=False)
    kubeconfig_jump: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "env", f"{self.home}/env.yaml")
        object.__setattr__(self, "env_ssh", f"{self.home}/env-ssh.yaml")
        object.__setattr__(self, "kubeconfig", f"{self.home}/kubeconfig")
        object.__setattr__(self, "kubeconfig_jump", f"{self.home}/kubeconfig-jump")


def pods_of(cluster: LabCluster) -> dict[str, Pod]:
    return {p.name: p for p in cluster.pods}


def cluster_of_host(host: str) -> LabCluster | None:
    for c in CLUSTERS:
        if host in (c.master, c.worker):
            return c
    return None


# --- the article's own address plan ------------------------------------------------------------
# Exactly the plan of the method netui automates: cluster B's Pods (10.100.0.0/16) sit inside
# cluster A's Services (10.96.0.0/12), routed longest-prefix-first. A's nodes default to the
# office router; B's nodes to the datacenter gateway (so B needs routes of its own to reach A).

ARTICLE_A = dataclasses.replace(CLUSTER_A, cni_masquerade=True)
ARTICLE_B = _cluster_b("kubeadm", "10.100", "10.254", cni_masquerade=True)

ARTICLE_HOSTS: tuple[LabHost, ...] = (
    *HOSTS[:4],
    LabHost(
        "a-master",
        "192.168.1.109",
        "lan",
        gateway=ROUTER_LAN_IP,
        extra_routes=(("10.200.1.0/24", "192.168.1.110"),),
    ),
    LabHost("a-worker", "192.168.1.110", "lan", gateway=ROUTER_LAN_IP, forwarding=True),
    LabHost(
        "b-master",
        "192.168.1.243",
        "lan",
        gateway=DCGW_IP,
        extra_routes=((OFFICE_CIDR, ROUTER_LAN_IP), ("10.100.1.0/24", "192.168.1.244")),
        variant="legacy",
    ),
    LabHost("b-worker", "192.168.1.244", "lan", gateway=DCGW_IP, forwarding=True, variant="legacy"),
)


@dataclass(frozen=True)
class LabPlan:
    """One address plan the lab can be built with (`netui lab up --plan NAME`)."""

    name: str
    summary: str
    hosts: tuple[LabHost, ...]
    clusters: tuple[LabCluster, ...]
    broken: tuple[Planted, ...]
    # cluster -> the clusters whose nodes and Pods may call it (written as reach_from:)
    reach_from: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def host(self, name: str) -> LabHost:
        return next(h for h in self.hosts if h.name == name)

    @property
    def host_names(self) -> tuple[str, ...]:
        return tuple(h.name for h in self.hosts)


CLASSIC = LabPlan(
    "classic",
    "disjoint ranges: a kubeadm cluster (nft) and a k3s cluster (legacy iptables)",
    HOSTS,
    CLUSTERS,
    BROKEN,
)
ARTICLE = LabPlan(
    "article",
    "the method's own plan: B's Pods 10.100.0.0/16 nested in A's Services 10.96.0.0/12, "
    "cluster to cluster both ways",
    ARTICLE_HOSTS,
    (ARTICLE_A, ARTICLE_B),
    planted(ARTICLE_A, ARTICLE_B, OFFICE_CIDR),
    reach_from=(("a", ("b",)), ("b", ("a",))),
)
# the same plan where the CNIs do not masquerade Pod egress (Calico without natOutgoing,
# Cilium in native routing): the other cluster's forwarder sees the Pods' own addresses
ARTICLE_ROUTED = dataclasses.replace(
    ARTICLE,
    name="article-routed",
    summary="the article's plan with CNIs that do not masquerade Pod egress (Pods' own addresses "
    "reach the other cluster), cluster a calling b",
    clusters=tuple(dataclasses.replace(c, cni_masquerade=False) for c in ARTICLE.clusters),
    # one way (a's nodes and Pods call b): nothing routes b's forwarder to a's Pods but the
    # return route, as a migration's old cluster has no business calling the new one
    reach_from=(("b", ("a",)),),
)
PLANS = {p.name: p for p in (CLASSIC, ARTICLE, ARTICLE_ROUTED)}


EXTRA_HOSTS_MAX = 60


def with_extra_hosts(plan: LabPlan, count: int) -> LabPlan:
    """`plan` with `count` more forwarder-like hosts on the datacenter LAN (fwd-01 …), each
    with sshd and IP forwarding: a fleet for fan-out measurements (`lab up --extra-hosts N`)."""
    if not 0 <= count <= EXTRA_HOSTS_MAX:
        raise ValueError(f"extra hosts: give 0 to {EXTRA_HOSTS_MAX}, not {count}")
    extra = tuple(
        LabHost(
            f"fwd-{i:02d}", f"192.168.1.{150 + i}", "lan", gateway=ROUTER_LAN_IP, forwarding=True
        )
        for i in range(1, count + 1)
    )
    return dataclasses.replace(plan, hosts=plan.hosts + extra)


def plan_named(name: str) -> LabPlan:
    try:
        return PLANS[name]
    except KeyError:
        raise ValueError(f"no lab plan {name!r}; plans: {', '.join(PLANS)}") from None
