"""Routes: the office router sends each cluster CIDR to that cluster's forwarder, and each
forwarder sends replies for the office back through the office router."""

from __future__ import annotations

from netaddr import IPAddress, IPNetwork

from netui.doctor.context import DoctorInput
from netui.doctor.masquerade import samples
from netui.model.findings import ERROR, WARNING, Change, Finding
from netui.model.snapshot import ROUTES


def _who(inp: DoctorInput, ip: str | None) -> str:
    for c in inp.clusters.values():
        if ip and c.forwarder_ip == ip:
            return f" ({c.forwarder}, the forwarder of cluster {c.name})"
    return ""


def check_router(inp: DoctorInput) -> list[Finding]:
    router = inp.env.office.router
    snap = inp.snapshot(router, ROUTES)
    if snap is None or router is None:
        return []
    out = []
    for c in inp.clusters.values():
        if not c.forwarder_ip:
            continue
        for cidr in c.cidrs:
            label = inp.networks.owner(cidr)
            name = f"{label.label} {cidr}" if label else cidr
            fix = Change(
                "route-replace",
                router,
                f"ip route replace {cidr} via {c.forwarder_ip} on {router}",
                {"cidr": cidr, "via": c.forwarder_ip},
            )
            r = snap.routes.covering(cidr)
            if r is None or r.dst == "default":
                carried = (
                    f"only the default route would carry it: {r.line}"
                    if r
                    else "no route covers it"
                )
                out.append(
                    Finding(
                        "route-missing",
                        ERROR,
                        router,
                        f"the office router has no route to {name}",
                        (
                            carried,
                            f"the forwarder of cluster {c.name} is {c.forwarder} at {c.forwarder_ip}",
                        ),
                        (fix,),
                        c.name,
                    )
                )
            elif r.gateway != c.forwarder_ip:
                via = (
                    f"via {r.gateway}{_who(inp, r.gateway)}"
                    if r.gateway
                    else f"straight out of {r.dev} with no gateway"
                )
                out.append(
                    Finding(
                        "route-wrong-gateway",
                        ERROR,
                        router,
                        f"the office router sends {name} {via}, not to its forwarder {c.forwarder} ({c.forwarder_ip})",
                        (r.line,),
                        (fix,),
                        c.name,
                    )
                )
    return out


def _router_ip_near(inp: DoctorInput, *host_ips: str | None) -> str | None:
    """The router's address on a subnet one of these host addresses is on (where that host's
    traffic for the office must go)."""
    snap = inp.snapshot(inp.env.office.router, ROUTES)
    if snap is None:
        return None
    ips = [IPAddress(ip) for ip in host_ips if ip]
    for iface in snap.routes.interfaces:
        for a in iface.addresses:
            net = IPNetwork(a)
            if not net.ip.is_loopback() and any(ip in net for ip in ips):
                return str(net.ip)
    return None


def check_return_routes(inp: DoctorInput) -> list[Finding]:
    out = []
    router_ips = set(inp.router_lan_ips)
    for c in inp.clusters.values():
        snap = inp.snapshot(c.forwarder, ROUTES)
        if snap is None or c.forwarder is None:
            continue
        back_via = _router_ip_near(inp, c.forwarder_ip)
        for office in inp.office:
            probe = samples(office)[0]
            r = snap.routes.lookup(probe)
            fixes = (
                (
                    Change(
                        "return-route-add",
                        c.forwarder,
                        f"ip route replace {office} via {back_via} on {c.forwarder}",
                        {"cidr": office, "via": back_via},
                    ),
                )
                if back_via
                else ()
            )
            if r is None:
                out.append(
                    Finding(
                        "no-return-route",
                        ERROR,
                        c.forwarder,
                        f"{c.forwarder} has no route back to the office {office}",
                        ("no route matches " + probe,),
                        fixes,
                        c.name,
                    )
                )
            elif r.gateway and router_ips and r.gateway not in router_ips:
                out.append(
                    Finding(
                        "no-return-route",
                        ERROR,
                        c.forwarder,
                        f"{c.forwarder} sends replies for the office {office} via {r.gateway}, not through the office router",
                        (r.line, f"the office router's address here is {back_via or '?'}"),
                        fixes,
                        c.name,
                    )
                )
            elif r.gateway and not router_ips and r.dst == "default":
                out.append(
                    Finding(
                        "no-return-route",
                        WARNING,
                        c.forwarder,
                        f"{c.forwarder} reaches the office {office} only through its default route; check that {r.gateway} leads to the office",
                        (r.line,),
                        fixes,
                        c.name,
                    )
                )
    return out


def check_dns_host(inp: DoctorInput) -> list[Finding]:
    """The DNS host must reach every cluster's DNS IP, or forwarding that cluster's domain (the
    migration switch) fails. Its own cluster's Service IPs are local (kube-proxy); the others'
    must go through the office router, not the nodes' default gateway."""
    dns = inp.env.dns
    snap = inp.snapshot(dns.host, ROUTES) if dns else None
    if dns is None or snap is None:
        return []
    own = {c.name for c in inp.clusters.values() if c.forwarder == dns.host}
    for name, inv in inp.inventory.items():
        if any(n.name == dns.host for n in inv.nodes):
            own.add(name)
    router_ips = set(inp.router_lan_ips)
    via = _router_ip_near(inp, *(str(ip) for ip in snap.routes.local_ips() if not ip.is_loopback()))
    out = []
    for c in inp.clusters.values():
        if c.name in own or not c.dns_ip:
            continue
        r = snap.routes.lookup(c.dns_ip)
        if r is not None and (r.gateway is None or r.gateway in router_ips):
            continue
        cidr = next(
            (s for s in c.service_cidrs if IPAddress(c.dns_ip) in IPNetwork(s)), f"{c.dns_ip}/32"
        )
        how = f"it would leave via {r.line}" if r else "no route matches it"
        fixes = (
            (
                Change(
                    "route-replace",
                    dns.host,
                    f"ip route replace {cidr} via {via} on {dns.host}",
                    {"cidr": cidr, "via": via},
                ),
            )
            if via
            else ()
        )
        out.append(
            Finding(
                "route-missing",
                WARNING,
                dns.host,
                f"the DNS host {dns.host} cannot reach cluster {c.name}'s DNS {c.dns_ip}: forwarding {c.domain} to it would fail",
                (how,),
                fixes,
                c.name,
            )
        )
    return out


def check(inp: DoctorInput) -> list[Finding]:
    return check_router(inp) + check_return_routes(inp) + check_dns_host(inp)
