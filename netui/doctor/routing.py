"""Routes: the office router sends each cluster CIDR to that cluster's forwarder, and each
forwarder sends replies for the office back through the office router."""

from __future__ import annotations

from netaddr import IPAddress, IPNetwork

from netui.doctor.context import DoctorInput
from netui.doctor.masquerade import samples
from netui.model.findings import ERROR, WARNING, Change, Finding


def _who(inp: DoctorInput, ip: str | None) -> str:
    for c in inp.clusters.values():
        if ip and c.forwarder_ip == ip:
            return f" ({c.forwarder}, the forwarder of cluster {c.name})"
    return ""


def check_router(inp: DoctorInput) -> list[Finding]:
    router = inp.env.office.router
    snap = inp.snapshot(router)
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


def _router_ip_near(inp: DoctorInput, forwarder_ip: str | None) -> str | None:
    """The router's address on the forwarder's subnet (where replies must go)."""
    snap = inp.snapshot(inp.env.office.router)
    if snap is None:
        return None
    for iface in snap.routes.interfaces:
        for a in iface.addresses:
            if forwarder_ip and IPAddress(forwarder_ip) in IPNetwork(a):
                return str(IPNetwork(a).ip)
    return None


def check_return_routes(inp: DoctorInput) -> list[Finding]:
    out = []
    router_ips = set(inp.router_lan_ips)
    for c in inp.clusters.values():
        snap = inp.snapshot(c.forwarder)
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


def check(inp: DoctorInput) -> list[Finding]:
    return check_router(inp) + check_return_routes(inp)
