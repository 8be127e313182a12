"""The doctor: pure checks of inventory + snapshots -> findings (codes in model/findings.py)."""

from __future__ import annotations

from netui.doctor import (
    clusters,
    dns,
    dns_input,
    filtering,
    firewall,
    forwarding,
    masquerade,
    networks,
    owned,
    persistence,
    routing,
)
from netui.doctor.context import DoctorInput
from netui.model.findings import ERROR, WARNING, Finding, sort_findings
from netui.model.snapshot import FILES, FORWARDING, ROUTES, SYSCTL, TABLES

# What the doctor cannot check on a host whose aspect could not be read (the checks that
# need it skip that host: an unknown is never taken as empty, so no finding is made up)
NOT_CHECKED = {
    FORWARDING: "IP forwarding now (forwarding-off)",
    SYSCTL: "IP forwarding at boot (forwarding-not-persisted)",
    TABLES: "its NAT and filter rules (masquerade-missing, masquerade-reversed, rule-shadowed, "
    "forward-blocked, cluster-masquerade-missing, dns-blocked)",
    ROUTES: "its routes and addresses (route-missing, route-wrong-gateway, no-return-route, "
    "cluster-route-missing, and every check that needs them)",
    FILES: "its dnsmasq files (dns-loop, dns-domain-conflict)",
}

CHECKS = (
    networks.check,
    forwarding.check,
    masquerade.check,
    owned.check,
    filtering.check,
    firewall.check,
    routing.check,
    dns.check,
    dns_input.check,
    clusters.check,
    persistence.check,
)


def important_hosts(inp: DoctorInput) -> set[str]:
    names = {c.forwarder for c in inp.clusters.values() if c.forwarder}
    if inp.env.office.router:
        names.add(inp.env.office.router)
    if inp.env.dns:
        names.add(inp.env.dns.host)
    return names


def unreachable(inp: DoctorInput) -> list[Finding]:
    important = important_hosts(inp)
    return [
        Finding(
            "host-unreachable",
            ERROR if name in important else WARNING,
            name,
            f"{name} cannot be read: {s.reason}",
            (f"{inp.env.hosts[name].uri if name in inp.env.hosts else name}: {s.state}",),
        )
        for name, s in inp.snapshots.items()
        if not s.ok
    ]


def unreadable(inp: DoctorInput) -> list[Finding]:
    """One finding per aspect a reached host could not be read: what it is, why, and which
    checks were not done there."""
    important = important_hosts(inp)
    return [
        Finding(
            "host-partly-unreadable",
            ERROR if name in important else WARNING,
            name,
            f"{name}: its {aspect} could not be read, so the doctor did not check "
            f"{NOT_CHECKED.get(aspect, aspect)} there",
            (f"{aspect}: {why}",),
        )
        for name, s in inp.snapshots.items()
        if s.ok
        for aspect, why in s.unreadable.items()
    ]


def diagnose(inp: DoctorInput, cluster: str | None = None) -> list[Finding]:
    if cluster is not None:
        inp.clusters = {cluster: inp.clusters[cluster]}
    found = unreachable(inp) + unreadable(inp)
    for check in CHECKS:
        found += check(inp)
    return sort_findings(found)
