"""`netui init`: an environment file drafted from what is already there — the kubeconfig's
contexts (discovery fills CIDRs, DNS, nodes, CNI, kube-proxy mode), the ssh config's aliases
and users, this host's routes and resolvers. Every value keeps where it came from and what to
check, so the rendered YAML (core/draft_yaml.py) can say it next to the value.

`gather` does the reading; `build_draft` is a pure function of what was read.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from netaddr import IPAddress, IPNetwork

from netui.discovery.jumphost import JumpRoute, on_link, route_to
from netui.discovery.kubeconfig import KubeContext, usable_name
from netui.discovery.model import ClusterInventory, NodeInfo
from netui.model.envfile import parse_host_uri

MAX_NODE_HOSTS = 16  # per cluster; a 300-node cluster's hosts are listed, not all made hosts
PLACEHOLDER_OFFICE = "192.0.2.0/24"  # TEST-NET-1 (RFC 5737): never a real network
_VIRTUAL_DEVS = (
    "docker",
    "br-",
    "veth",
    "cni",
    "flannel",
    "cali",
    "cilium",
    "vxlan",
    "weave",
    "virbr",
    "lxc",
    "kube-",
    "tun",
    "wg",
    "tailscale",
    "lo",
)
_PRIVATE = [IPNetwork(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")]


@dataclass(frozen=True)
class SshAlias:
    """A `Host` entry of the ssh config, as OpenSSH resolves it."""

    alias: str
    hostname: str
    user: str | None


@dataclass(frozen=True)
class DraftHost:
    name: str
    uri: str
    source: str
    check: str = ""
    ip: str | None = None


@dataclass
class DraftCluster:
    context: KubeContext
    inventory: ClusterInventory
    forwarder: str | None = None  # a host name of the draft
    forwarder_reason: str = ""
    node_hosts: list[str] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # nodes not made hosts (over the cap)

    @property
    def name(self) -> str:
        return self.context.cluster_name


@dataclass(frozen=True)
class OfficeGuess:
    cidrs: tuple[str, ...]
    source: str
    gateway: str | None  # the office router's address, as this host reaches it


@dataclass
class Draft:
    kubeconfig: str
    kubeconfig_source: str
    ssh_config: str | None
    clusters: list[DraftCluster]
    hosts: dict[str, DraftHost]
    office: OfficeGuess | None  # None: the placeholder range stands in the draft
    router: str | None = None
    dns_host: str | None = None
    dns_listen: str | None = None
    dns_source: str = ""
    missing: list[str] = field(default_factory=list)


# --- the office, from this host's routes --------------------------------------------------------


def _private(net: IPNetwork) -> bool:
    return any(net in p for p in _PRIVATE)


def office_from_routes(
    routes: list[JumpRoute],
    cluster_nets: list[IPNetwork],
    node_ips: list[str],
    client_ip: str | None = None,
) -> OfficeGuess | None:
    """The office LAN as this host suggests it, in this order: a private network reached
    through a gateway (the office router) that is no cluster range and holds no node; a network
    this host sits on that holds no node (the jump host stands in the office); the /24 around
    the address the operator's SSH session came from."""

    def fits(net: IPNetwork) -> bool:
        if not _private(net) or any(net in c or c in net for c in cluster_nets):
            return False
        return not any(IPAddress(ip) in net for ip in node_ips)

    def candidate(r: JumpRoute) -> bool:
        if r.dest == "0.0.0.0/0" or r.dev.startswith(_VIRTUAL_DEVS):
            return False
        return fits(IPNetwork(r.dest))

    default_gw = next((r.gateway for r in routes if r.dest == "0.0.0.0/0"), None)
    via = [r for r in routes if r.gateway and candidate(r)]
    if via:
        gw = via[0].gateway
        same = [r for r in via if r.gateway == gw]
        text = ", ".join(f"{r.dest} via {r.gateway} dev {r.dev}" for r in same)
        return OfficeGuess(tuple(r.dest for r in same), f"this host's route {text}", gw)
    direct = [r for r in routes if r.gateway is None and candidate(r)]
    if direct:
        net = IPNetwork(direct[0].dest)
        gw = default_gw if default_gw and IPAddress(default_gw) in net else None
        return OfficeGuess(
            (direct[0].dest,),
            f"the network this host sits on ({direct[0].dest} dev {direct[0].dev}), which holds no node",
            gw,
        )
    if client_ip:
        net = IPNetwork(f"{client_ip}/24").cidr
        if fits(net):
            way = route_to(routes, client_ip)
            return OfficeGuess(
                (str(net),),
                f"the /24 around {client_ip}, the address this SSH session came from "
                "(CHECK the prefix: /24 is a guess)",
                way.gateway if way else None,
            )
    return None


# --- hosts, from the ssh config -----------------------------------------------------------------


def host_uri(
    ip: str, names: tuple[str, ...], aliases: list[SshAlias], default_user: str | None
) -> tuple[str, str, str]:
    """How to reach a machine known by its IP (and names): (uri, source, what to check)."""
    for a in aliases:
        if a.hostname == ip or a.alias in names or a.hostname in names:
            sudo = "?sudo=1" if a.user and a.user != "root" else ""
            uri = f"ssh://{a.alias}{sudo}"
            if _valid_uri(uri):
                how = (
                    f"user {a.user}, commands through sudo -n"
                    if sudo
                    else f"user {a.user or 'root'}"
                )
                return uri, f"ssh config Host {a.alias} (HostName {a.hostname}, {how})", ""
    user = default_user or "root"
    sudo = "?sudo=1" if user != "root" else ""
    return (
        f"ssh://{user}@{ip}{sudo}",
        "no Host in the ssh config names it: its address, user " + user,
        f"`ssh {user}@{ip}` works from here" + (" and `sudo -n true` there" if sudo else ""),
    )


def _valid_uri(uri: str) -> bool:
    try:
        parse_host_uri("x", uri)
    except ValueError:
        return False
    return True


# --- the forwarder ------------------------------------------------------------------------------


def _endpoints_on(node: NodeInfo, inv: ClusterInventory) -> int:
    """Service endpoints on a node (inside its podCIDR): the load the API shows without metrics."""
    nets = [IPNetwork(c) for c in node.pod_cidrs if "." in c]
    return sum(
        1
        for s in inv.services
        for ip, _port, _proto in s.endpoints
        if any(IPAddress(ip) in n for n in nets)
    )


def propose_forwarder(
    inv: ClusterInventory, router_lan: IPNetwork | None
) -> tuple[NodeInfo, str] | None:
    """The node to masquerade on: Ready, on the router's network (the router routes the
    cluster's ranges to it directly), a control-plane node, else the least loaded worker."""
    nodes = [n for n in inv.nodes if n.internal_ip]
    if not nodes:
        return None

    def near(n: NodeInfo) -> bool:
        return bool(router_lan and n.internal_ip and IPAddress(n.internal_ip) in router_lan)

    def key(n: NodeInfo) -> tuple[bool, bool, bool, int, str]:
        control = "control-plane" in n.roles or "master" in n.roles
        return (not n.ready, not near(n), not control, _endpoints_on(n, inv), n.name)

    best = min(nodes, key=key)
    why = ["Ready" if best.ready else "NOT Ready (no node is)"]
    if router_lan:
        why.append(
            f"on {router_lan} with the office router, which reaches it directly"
            if near(best)
            else f"NOT on the router's network {router_lan}: check the router can reach {best.internal_ip}"
        )
    if "control-plane" in best.roles or "master" in best.roles:
        why.append("a control-plane node (few workloads, rarely drained)")
    else:
        why.append(f"the least loaded worker ({_endpoints_on(best, inv)} Service endpoints)")
    return best, ", ".join(why)


# --- the draft ----------------------------------------------------------------------------------


def build_draft(
    kubeconfig: tuple[str, str],
    contexts: list[KubeContext],
    inventory: dict[str, ClusterInventory],
    aliases: list[SshAlias],
    default_user: str | None,
    routes: list[JumpRoute],
    resolvers: list[str],
    ssh_config: str | None = None,
    client_ip: str | None = None,
    office_given: tuple[str, ...] = (),
) -> Draft:
    """The draft from what was read; pure."""
    cluster_nets = [
        IPNetwork(s.value)
        for inv in inventory.values()
        for s in (*inv.pod_cidrs, *inv.service_cidrs)
    ]
    node_ips = [n.internal_ip for inv in inventory.values() for n in inv.nodes if n.internal_ip]
    office = (
        OfficeGuess(office_given, "given with --office", _gateway_to(routes, office_given[0]))
        if office_given
        else office_from_routes(routes, cluster_nets, node_ips, client_ip)
    )
    draft = Draft(kubeconfig[0], kubeconfig[1], ssh_config, [], {}, office)
    taken: set[str] = set()

    def add_host(wanted: str, ip: str, names: tuple[str, ...], why: str) -> str:
        for h in draft.hosts.values():
            if h.ip == ip:
                return h.name
        name = usable_name(wanted, taken)
        taken.add(name)
        uri, source, check = host_uri(ip, names, aliases, default_user)
        draft.hosts[name] = DraftHost(name, uri, f"{why}; {source}", check, ip)
        return name

    router_lan = None
    if office and office.gateway:
        router_lan = next((n for n in on_link(routes) if IPAddress(office.gateway) in n), None)
        draft.router = add_host("router", office.gateway, (), f"gateway of {office.source}")
    for ctx in contexts:
        inv = inventory[ctx.cluster_name]
        dc = DraftCluster(ctx, inv)
        draft.clusters.append(dc)
        if inv.error:
            draft.missing.append(
                f"cluster {dc.name}: {inv.error}; its nodes and ranges are not in the draft"
            )
            continue
        proposal = propose_forwarder(inv, router_lan)
        chosen = proposal[0] if proposal else None
        ordered = sorted(inv.nodes, key=lambda n: (n is not chosen, n.name))
        for i, n in enumerate(ordered):
            if not n.internal_ip:
                continue
            if i >= MAX_NODE_HOSTS:
                dc.left_out.append(f"{n.name} {n.internal_ip}")
                continue
            roles = ",".join(n.roles)
            host = add_host(
                n.name,
                n.internal_ip,
                (n.name,),
                f"node of {dc.name} ({roles}), InternalIP {n.internal_ip}",
            )
            dc.node_hosts.append(host)
            if n is chosen:
                dc.forwarder = host
                dc.forwarder_reason = proposal[1] if proposal else ""
        if not dc.forwarder:
            draft.missing.append(
                f"cluster {dc.name}: no node with an InternalIP to forward through; give forwarder:"
            )
    _choose_dns(draft, resolvers)
    if office is None:
        draft.missing.append(
            f"office.cidrs: no office network in this host's routes; the draft holds the placeholder {PLACEHOLDER_OFFICE}: replace it"
        )
    if not draft.router:
        draft.missing.append(
            "office.router: not found; without it netui prints the router's routes instead of applying them"
        )
    draft.missing.append(
        "office.probe_from: a host on the office LAN to trace and probe from (optional)"
    )
    return draft


def _gateway_to(routes: list[JumpRoute], cidr: str) -> str | None:
    way = route_to(routes, str(IPNetwork(cidr).ip))
    return way.gateway if way else None


def _choose_dns(draft: Draft, resolvers: list[str]) -> None:
    """The office DNS host: this host's resolver when it is a host of the draft (the office asks
    it too), else the first cluster's forwarder, where dnsmasq usually runs."""
    by_ip = {h.ip: h.name for h in draft.hosts.values() if h.ip}
    for r in resolvers:
        if r in by_ip:
            draft.dns_host, draft.dns_listen = by_ip[r], r
            draft.dns_source = (
                f"this host's resolver (/etc/resolv.conf nameserver {r}) is {by_ip[r]}"
            )
            return
    first = next((c for c in draft.clusters if c.forwarder), None)
    if first and first.forwarder:
        draft.dns_host = first.forwarder
        draft.dns_listen = draft.hosts[first.forwarder].ip
        seen = (
            f"this host's resolvers ({', '.join(resolvers)}) are no host here"
            if resolvers
            else "this host has no resolver"
        )
        draft.dns_source = f"{seen}; proposed: {first.name}'s forwarder — check dnsmasq runs there and the office asks it"


# --- reading what is there ----------------------------------------------------------------------


def read_ssh_aliases(path: str | None) -> tuple[list[SshAlias], str | None, str | None]:
    """The ssh config's concrete Host aliases (Include followed), the user `Host *` gives, and
    the file read (None when there is none)."""
    from netui.backends.ssh import load_ssh_config

    file = os.path.expanduser(path or "~/.ssh/config")
    if not os.path.exists(file):
        return [], None, None
    config = load_ssh_config(file)
    out = []
    for alias in sorted(config.get_hostnames()):
        if any(ch in alias for ch in "*?!") or not alias:
            continue
        entry = config.lookup(alias)
        out.append(SshAlias(alias, str(entry.get("hostname", alias)), entry.get("user")))
    default_user = config.lookup("netui-init.invalid").get("user")
    return out, default_user, file


@dataclass(frozen=True)
class Facts:
    """What `gather` read; `draft_from` turns it into a draft (again, with an office asked for)."""

    kubeconfig: tuple[str, str]  # path, why this one
    contexts: list[KubeContext]
    inventory: dict[str, ClusterInventory]
    aliases: list[SshAlias]
    default_user: str | None
    ssh_config: str | None
    routes: list[JumpRoute]
    resolvers: list[str]
    client_ip: str | None


def draft_from(facts: Facts, office: tuple[str, ...] = ()) -> Draft:
    return build_draft(
        facts.kubeconfig,
        facts.contexts,
        facts.inventory,
        facts.aliases,
        facts.default_user,
        facts.routes,
        facts.resolvers,
        facts.ssh_config,
        facts.client_ip,
        office,
    )


def gather(kubeconfig: str | None = None, ssh_config: str | None = None) -> Facts:
    """Read the kubeconfig, ask every cluster's API (in parallel, bounded by discovery's
    timeouts), read the ssh config, this host's routes, resolvers and SSH session."""
    from netui.discovery.jumphost import read_resolvers, read_routes, ssh_client_address
    from netui.discovery.kube import discover
    from netui.discovery.kubeconfig import (
        environment_from_kubeconfig,
        kubeconfig_file,
        read_contexts,
    )

    path, why = kubeconfig_file(kubeconfig)
    contexts = read_contexts(path)
    inventory = discover(environment_from_kubeconfig(path))
    aliases, default_user, ssh_file = read_ssh_aliases(ssh_config)
    return Facts(
        (os.path.abspath(path), why),
        contexts,
        inventory,
        aliases,
        default_user,
        ssh_file,
        read_routes(),
        read_resolvers(),
        ssh_client_address(dict(os.environ)),
    )
