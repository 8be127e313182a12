"""How the known networks relate: identical or office-overlapping ranges (cannot work), one
cluster's range nested inside another's (works by longest prefix, and loses a known part), and
CIDRs with host bits.

Two CIDRs are either disjoint or one contains the other. A nested pair is routed
most-specific-wins: the router sends the narrow range to its cluster's forwarder and the rest of
the wide range to the other. What is lost is the wide cluster's addresses inside the narrow range
(the article's own plan: cluster B's Pods 10.100.0.0/16 sit inside cluster A's Services
10.96.0.0/12, so A's Services with a ClusterIP in 10.100.0.0/16 are unreachable from the office).
"""

from __future__ import annotations

from netaddr import IPAddress, IPNetwork

from netui.doctor.context import DoctorInput
from netui.model.findings import ERROR, WARNING, Finding
from netui.model.networks import KnownNetwork, has_host_bits, nesting


def _lost_services(inp: DoctorInput, wide: KnownNetwork, narrow: KnownNetwork) -> str | None:
    """The wide cluster's Services whose ClusterIP falls inside the narrow range, as one line, or
    None when the API could not be asked (nothing could be checked)."""
    inv = inp.inventory.get(wide.cluster or "")
    if inv is None or inv.error is not None:
        return None
    net = IPNetwork(narrow.cidr)
    lost = sorted(
        (s for s in inv.services if s.cluster_ip and IPAddress(s.cluster_ip) in net),
        key=lambda s: IPAddress(s.cluster_ip or "0.0.0.0"),
    )
    return ", ".join(f"{s.namespace}/{s.name} {s.cluster_ip}" for s in lost)


def nested_finding(inp: DoctorInput, wide: KnownNetwork, narrow: KnownNetwork) -> Finding:
    what = {"services": "Services whose ClusterIP", "pods": "Pods whose IP"}.get(
        wide.kind, "addresses that"
    )
    title = (
        f"{wide.label} {wide.cidr} contains {narrow.label} {narrow.cidr}: cluster {wide.cluster}'s "
        f"{what} falls inside {narrow.cidr} are unreachable from the office (routed to {narrow.cluster})"
    )
    evidence = [
        f"longest prefix wins: {narrow.cidr} goes to cluster {narrow.cluster}'s forwarder, "
        f"the rest of {wide.cidr} to cluster {wide.cluster}'s"
    ]
    severity = WARNING
    if wide.kind == "services":
        lost = _lost_services(inp, wide, narrow)
        if lost is None:
            evidence.append(
                f"cluster {wide.cluster}'s API could not be asked: none of its Services could be checked"
            )
        elif lost:
            severity = ERROR
            evidence.append(f"unreachable now: {lost}")
        else:
            n = len(inp.inventory[wide.cluster or ""].services)
            evidence.append(
                f"none of cluster {wide.cluster}'s {n} Services has a ClusterIP there today"
            )
    else:
        evidence.append(
            f"cluster {wide.cluster}'s {wide.kind} in {narrow.cidr} are not listed by netui; check its IPAM"
        )
    return Finding("cidr-nested", severity, None, title, tuple(evidence), cluster=wide.cluster)


def check(inp: DoctorInput) -> list[Finding]:
    out = []
    for a, b in inp.networks.pairwise_overlaps():
        if a.cluster is not None and a.cluster == b.cluster and a.kind == b.kind:
            continue
        wide_narrow = nesting(a, b)
        if (
            wide_narrow is not None
            and a.cluster is not None
            and b.cluster is not None
            and a.cluster != b.cluster
        ):
            out.append(nested_finding(inp, *wide_narrow))
            continue
        why = (
            "the same range in two places: routes and masquerading cannot tell them apart"
            if a.cidr == b.cidr
            else "office addresses and cluster addresses would be confused (replies to the office would stay in the cluster)"
            if "office" in (a.kind, b.kind)
            else "one cluster's ranges overlap each other"
        )
        out.append(
            Finding(
                "cidr-overlap",
                ERROR,
                None,
                f"{a.label} {a.cidr} overlaps {b.label} {b.cidr}: {why}",
                (f"{a.cidr} ∩ {b.cidr}",),
                cluster=b.cluster or a.cluster,
            )
        )
    for name, inv in inp.inventory.items():
        for what, values in inv.candidates.items():
            if what == "dns_ip":
                continue
            for s in values:
                if "/" in s.value and has_host_bits(s.value):
                    out.append(
                        Finding(
                            "cidr-host-bits",
                            WARNING,
                            None,
                            f"cluster {name}: {s.source} gives {s.value}, which has host bits set",
                            (f"{what}: {s.value} from {s.source}",),
                            cluster=name,
                        )
                    )
    return out
