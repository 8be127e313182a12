"""Would the forwarder's filter FORWARD chain drop the office's traffic? (Docker sets the
policy to DROP; hardening scripts do too: forwarding is on, yet nothing passes.)"""

from __future__ import annotations

from netui.doctor.context import DoctorInput
from netui.doctor.masquerade import office_packet, samples
from netui.doctor.walk import walk
from netui.model.findings import ERROR, Change, Finding
from netui.model.snapshot import TABLES


def check(inp: DoctorInput) -> list[Finding]:
    out = []
    for c in inp.clusters.values():
        snap = inp.snapshot(c.forwarder, TABLES)
        if snap is None or snap.filter is None or c.forwarder is None:
            continue
        for office in inp.office:
            for cidr in c.cidrs:
                w = walk(
                    snap.filter,
                    "FORWARD",
                    office_packet(snap, samples(office)[0], samples(cidr)[0]),
                )
                if w.verdict in ("DROP", "REJECT"):
                    who = (
                        f"rule FORWARD #{w.decided_by.position}"
                        if w.decided_by and w.decided_by.chain == "FORWARD"
                        else (
                            f"rule {w.decided_by.chain} #{w.decided_by.position}"
                            if w.decided_by
                            else "the FORWARD policy"
                        )
                    )
                    fix = Change(
                        "forward-accept",
                        c.forwarder,
                        f"accept forwarding {office} <-> {cidr} on {c.forwarder} (first in FORWARD)",
                        {"source": office, "destination": cidr},
                    )
                    out.append(
                        Finding(
                            "forward-blocked",
                            ERROR,
                            c.forwarder,
                            f"{c.forwarder} forwards nothing from the office to {cidr}: {who} says {w.verdict}",
                            tuple(w.lines()),
                            (fix,),
                            c.name,
                        )
                    )
    return out
