"""CIDRs that overlap (office vs clusters, cluster vs cluster) or carry host bits."""

from __future__ import annotations

from netui.doctor.context import DoctorInput
from netui.model.findings import ERROR, WARNING, Finding
from netui.model.networks import has_host_bits


def check(inp: DoctorInput) -> list[Finding]:
    out = []
    for a, b in inp.networks.pairwise_overlaps():
        if a.cluster is not None and a.cluster == b.cluster and a.kind == b.kind:
            continue
        out.append(
            Finding(
                "cidr-overlap",
                ERROR,
                None,
                f"{a.label} {a.cidr} overlaps {b.label} {b.cidr}: routes and masquerading cannot tell them apart",
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
