"""The rest of a host's firewall: native nftables tables, firewalld, ufw, nftables.service,
kube-proxy's mode, Cilium, rp_filter. Each finding names the table, chain and rule handle that
decides, and carries its fix as data.

The office's packets are walked through every base chain of every table (doctor/path.py);
iptables' own FORWARD verdicts are filtering.py's to report, so only native chains are named
here, plus a native NAT at an earlier priority that takes the NAT decision from netui's.
"""

from __future__ import annotations

from netaddr import IPAddress, IPNetwork

from netui.doctor.context import ClusterFacts, DoctorInput
from netui.doctor.filtering import forward_sources
from netui.doctor.masquerade import office_packet, samples
from netui.doctor.path import Hop, PacketPath, forward_path
from netui.model.findings import ERROR, INFO, WARNING, Change, Finding
from netui.model.firewall import NETUI_DNS_POLICY, NETUI_POLICY
from netui.model.hooks import NFT
from netui.model.snapshot import HostSnapshot

LINK_LOCAL = IPNetwork("169.254.0.0/16")


def path_of(snap: HostSnapshot, src: str, dst: str) -> PacketPath:
    def out(addr: str) -> str | None:
        r = snap.routes.lookup(addr)
        return r.dev if r else None

    return forward_path(snap, office_packet(snap, src, dst), out)


def firewalld_fix(inp: DoctorInput, host: str) -> Change:
    dests = [x for c in inp.clusters.values() if c.forwarder == host for x in c.cidrs]
    return Change(
        "firewalld-office",
        host,
        f"firewalld on {host}: policy {NETUI_POLICY} (the office to the clusters: accept, "
        "masquerade) in its permanent configuration, then `firewall-cmd --reload` (it flushes "
        "iptables rules not in its configuration: netui puts its own back at once, kube-proxy "
        "re-creates its own)",
        {"sources": ",".join(inp.office), "destinations": ",".join(dests)},
    )


def firewalld_dns_fix(inp: DoctorInput, host: str) -> Change:
    return Change(
        "firewalld-office",
        host,
        f"firewalld on {host}: policy {NETUI_DNS_POLICY} (the office's DNS queries to this host) "
        "in its permanent configuration, then `firewall-cmd --reload`",
        {"sources": ",".join(inp.office), "destinations": "", "dns": "yes"},
    )


def nft_accept_fix(hop: Hop, host: str, office: str, cidr: str) -> Change:
    bc = hop.chain
    return Change(
        "nft-rule-insert",
        host,
        f"insert `ip saddr {office} ip daddr {cidr} accept` first in "
        f"table {bc.family} {bc.table} chain {bc.chain} on {host} (someone else's chain: explicit)",
        {
            "family": bc.family,
            "table": bc.table,
            "chain": bc.chain,
            "source": office,
            "destination": cidr,
        },
    )


def _blocked(inp: DoctorInput, c: ClusterFacts, host: str, snap: HostSnapshot) -> list[Finding]:
    out = []
    for who, office in forward_sources(inp, c):
        for cidr in c.cidrs:
            path = path_of(snap, samples(office)[0], samples(cidr)[0])
            hop = path.blocked_by
            if hop is not None and hop.chain.source == NFT:
                owner = hop.chain.owner
                if owner == "firewalld" and office not in inp.office:
                    fix: tuple[Change, ...] = ()  # netui's zone is the office's source only
                elif owner == "firewalld":
                    fix = (firewalld_fix(inp, host),)
                elif owner == "kube-proxy":
                    fix = ()  # kube-proxy rewrites its table: a rule there would not last
                else:
                    fix = (nft_accept_fix(hop, host, office, cidr),)
                out.append(
                    Finding(
                        "forward-blocked",
                        ERROR,
                        host,
                        f"{host} forwards nothing from {who} to {cidr}: {hop.where} "
                        f"says {hop.verdict} ({owner})",
                        (*path.lines(), *hop.lines),
                        fix,
                        c.name,
                    )
                )
            elif hop is None:
                out += _preempted(host, c, snap, path, office, cidr)
    return out


def _preempted(
    host: str, c: ClusterFacts, snap: HostSnapshot, path: PacketPath, office: str, cidr: str
) -> list[Finding]:
    """A native NAT chain that source-NATs the office to some other address before netui's
    MASQUERADE runs: the first NAT decision of a connection is the only one."""
    hop = path.snat_by
    if hop is None or hop.chain.source != NFT or hop.verdict != "snat" or not hop.nat_to:
        return []
    own = {str(ip) for ip in snap.routes.local_ips()}
    if hop.nat_to.split(":")[0] in own:
        return []
    fix = nft_accept_fix(hop, host, office, cidr)
    return [
        Finding(
            "nat-preempted",
            ERROR,
            host,
            f"{hop.where} (priority {hop.chain.priority}) source-NATs {office} -> {cidr} to "
            f"{hop.nat_to} before netui's masquerade can: replies go to {hop.nat_to}",
            (*path.lines(), *hop.lines),
            (fix,),
            c.name,
        )
    ]


def _firewalld(inp: DoctorInput, host: str, snap: HostSnapshot) -> list[Finding]:
    conf = snap.firewall.firewalld_conf or {}
    zones = snap.firewall.firewalld_zones()
    policies = snap.firewall.firewalld_policies()
    office_zones = [
        z.name
        for z in zones
        for o in inp.office
        if any(IPNetwork(o) in IPNetwork(s) for s in z.sources if "/" in s or "." in s)
    ]
    evidence = [
        f"firewalld runs (table inet firewalld is loaded); backend {conf.get('FirewallBackend', '?')}, "
        f"default zone {conf.get('DefaultZone', '?')}",
        f"FlushAllOnReload={conf.get('FlushAllOnReload', 'yes (default)')}",
        "zone of the office source: "
        + (
            ", ".join(office_zones)
            if office_zones
            else f"none (the default zone {conf.get('DefaultZone', 'public')} applies)"
        ),
    ]
    ifaces = [f"{i} in {z.name}" for z in zones for i in z.interfaces]
    if ifaces:
        evidence.append("interfaces bound in permanent zones: " + ", ".join(ifaces))
    ours = {p.name: p for p in policies}.get(NETUI_POLICY)
    dests = [x for c in inp.clusters.values() if c.forwarder == host for x in c.cidrs]
    missing = [d for d in dests if ours is None or d not in ours.masquerade_to]
    if ours is not None and not missing:
        return [
            Finding(
                "firewalld-running",
                INFO,
                host,
                f"firewalld runs on {host}; netui's policy {NETUI_POLICY} carries the office's "
                "forwarding and masquerading through reloads and boots",
                tuple(evidence),
            )
        ]
    flushes = conf.get("FlushAllOnReload", "yes").lower() != "no"
    title = f"firewalld runs on {host}" + (
        ": a reload erases rules not in firewalld's configuration (netui's iptables rules included)"
        if flushes
        else ": netui's forwarding and masquerading are not in its configuration"
    )
    if missing:
        evidence.append("not in firewalld's permanent configuration: " + ", ".join(missing))
    return [
        Finding(
            "firewalld-running",
            WARNING,
            host,
            title,
            tuple(evidence),
            (firewalld_fix(inp, host),),
        )
    ]


def _managers(inp: DoctorInput, host: str, snap: HostSnapshot) -> list[Finding]:
    out = []
    fw = snap.firewall
    if "firewalld" in snap.firewall_managers:
        out += _firewalld(inp, host, snap)
    policy = (fw.ufw_forward_policy or "").upper()
    if fw.ufw_enabled and policy in ("DROP", "REJECT"):
        ways = [
            f"ufw route allow from {o} to {x}"
            for o in inp.office
            for c in inp.clusters.values()
            if c.forwarder == host
            for x in c.cidrs
        ]
        out.append(
            Finding(
                "ufw-routed-deny",
                WARNING,
                host,
                f'ufw on {host} denies routed traffic (DEFAULT_FORWARD_POLICY="{policy}"): '
                "netui's NETUI-FORWARD accept stays first in FORWARD; the ufw way is below",
                ("/etc/default/ufw: DEFAULT_FORWARD_POLICY=" + policy, *ways),
            )
        )
    if fw.nftables_conf_flushes and fw.nftables_enabled and snap.variant == "nft":
        out.append(
            Finding(
                "nftables-conf-flushes",
                WARNING,
                host,
                f"nftables.service is enabled on {host} and /etc/nftables.conf starts with "
                "`flush ruleset`: every restart or reload of it erases all tables, iptables-nft's "
                "(netui's rules) and kube-proxy's included",
                ("/etc/nftables.conf: flush ruleset", *fw.nftables_enabled),
            )
        )
    return out


def _kube_proxy(c: ClusterFacts, host: str, snap: HostSnapshot, inp: DoctorInput) -> list[Finding]:
    modes = []
    keys = set(snap.nft_tables)
    if "ip kube-proxy" in keys:
        modes.append("nftables")
    if fw_ipvs(snap):
        modes.append("ipvs")
    if snap.nat is not None and snap.nat.chain("KUBE-SERVICES") is not None and "ipvs" not in modes:
        modes.append("iptables")
    inv = inp.inventory.get(c.name)
    said = inv.proxy_mode.value if inv and inv.proxy_mode else None
    out = []
    meaning = {
        "nftables": "Service traffic is DNATed in table ip kube-proxy (prerouting, dstnat) before "
        "any forward filter sees it; netui's masquerade at srcnat still applies",
        "ipvs": "ClusterIPs sit on kube-ipvs0: the office's Service traffic takes the INPUT path "
        "(input chains must accept it), IPVS then sends it to a Pod",
        "iptables": "Service traffic is DNATed in iptables nat KUBE-SERVICES",
    }
    # iptables mode is what the rest of the doctor already reads: only the others are news
    if any(m in ("nftables", "ipvs") for m in (*modes, said or "")):
        evidence = [f"on {host}: {', '.join(modes) or 'no kube-proxy tables'}"]
        if said is not None:
            evidence.append(f"kube-proxy config map: mode {said or 'iptables'}")
        mode = modes[0] if modes else (said or "iptables")
        out.append(
            Finding(
                "kube-proxy-mode",
                INFO,
                host,
                f"cluster {c.name}: kube-proxy runs in {mode} mode: {meaning.get(mode, mode)}",
                tuple(evidence),
                cluster=c.name,
            )
        )
    replaced = inv is not None and inv.cilium.get("kube-proxy-replacement", "").lower() in (
        "true",
        "strict",
    )
    external = inv is not None and inv.cilium.get("bpf-lb-external-clusterip", "") == "true"
    if inv is not None and replaced and not external:
        out.append(
            Finding(
                "cilium-external-clusterip",
                WARNING,
                host,
                f"cluster {c.name}: Cilium replaces kube-proxy without bpf-lb-external-clusterip: "
                "ClusterIPs do not answer from outside the cluster (the office reaches Pods only)",
                tuple(f"cilium-config: {k}={v}" for k, v in sorted(inv.cilium.items())),
                cluster=c.name,
            )
        )
    return out


def fw_ipvs(snap: HostSnapshot) -> bool:
    return bool(snap.firewall.ipvs_services()) or any(
        i.name == "kube-ipvs0" for i in snap.routes.interfaces
    )


def _dns(c: ClusterFacts) -> list[Finding]:
    if c.dns_ip and "." in c.dns_ip and IPAddress(c.dns_ip) in LINK_LOCAL:
        return [
            Finding(
                "dns-link-local",
                ERROR,
                c.forwarder,
                f"cluster {c.name}'s DNS IP {c.dns_ip} is link-local (NodeLocal DNSCache): no "
                "router forwards 169.254.0.0/16, so the office cannot reach it",
                (f"dns_ip: {c.dns_ip}", "use the kube-dns Service's ClusterIP instead"),
                cluster=c.name,
            )
        ]
    return []


def _rp_filter(inp: DoctorInput, c: ClusterFacts, host: str, snap: HostSnapshot) -> list[Finding]:
    """Strict reverse-path filtering drops the office's packets when they arrive on one
    interface (the router's side) and the route back to the office leaves by another."""
    if not c.forwarder_ip:
        return []
    arrive = snap.routes.interface_of(c.forwarder_ip)
    out = []
    for office in inp.office:
        back = snap.routes.lookup(samples(office)[0])
        if arrive is None or back is None or back.dev == arrive.name:
            continue
        rp = snap.firewall.rp_filter
        value = max(rp.get("all", 0), rp.get(arrive.name, 0))
        if value == 1:
            out.append(
                Finding(
                    "rp-filter-strict",
                    ERROR,
                    host,
                    f"strict rp_filter on {host}: the office's packets arrive on {arrive.name} but "
                    f"the route back to {office} leaves by {back.dev}, so the kernel drops them",
                    (
                        f"net.ipv4.conf.all.rp_filter = {rp.get('all', 0)}, "
                        f"net.ipv4.conf.{arrive.name}.rp_filter = {rp.get(arrive.name, 0)}",
                        f"route back: {back.line}",
                    ),
                    cluster=c.name,
                )
            )
    return out


def check(inp: DoctorInput) -> list[Finding]:
    out: list[Finding] = []
    seen: set[str] = set()
    for c in inp.clusters.values():
        out += _dns(c)
        host = c.forwarder
        snap = inp.snapshot(host)
        if snap is None or host is None:
            continue
        if snap.nft is not None and c.cidrs:
            out += _blocked(inp, c, host, snap)
        out += _kube_proxy(c, host, snap, inp)
        out += _rp_filter(inp, c, host, snap)
        if host not in seen:
            seen.add(host)
            out += _managers(inp, host, snap)
    router = inp.env.office.router
    rsnap = inp.snapshot(router)
    if router and rsnap is not None and router not in seen:
        out += _managers(inp, router, rsnap)
    return out
