"""The doctor: pure checks of inventory + snapshots -> findings (codes in model/findings.py)."""

from __future__ import annotations

from netui.doctor import clusters, dns, filtering, forwarding, masquerade, networks, routing
from netui.doctor.context import DoctorInput
from netui.model.findings import ERROR, WARNING, Finding, sort_findings

CHECKS = (
    networks.check,
    forwarding.check,
    masquerade.check,
    filtering.check,
    routing.check,
    dns.check,
    clusters.check,
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


def diagnose(inp: DoctorInput, cluster: str | None = None) -> list[Finding]:
    if cluster is not None:
        inp.clusters = {cluster: inp.clusters[cluster]}
    found = unreachable(inp)
    for check in CHECKS:
        found += check(inp)
    return sort_findings(found)
