"""Is IP forwarding on at each forwarder, and will it still be after a reboot?"""

from __future__ import annotations

from netui.doctor.context import DoctorInput
from netui.model.findings import ERROR, WARNING, Change, Finding
from netui.model.snapshot import FORWARDING, SYSCTL

PERSIST_FILE = "/etc/sysctl.d/90-netui-ip-forward.conf"


def check(inp: DoctorInput) -> list[Finding]:
    out = []
    for c in inp.clusters.values():
        snap = inp.snapshot(c.forwarder, FORWARDING, SYSCTL)
        if snap is None or c.forwarder is None:
            continue
        host = c.forwarder
        boot = snap.forwarding_at_boot
        persist = Change(
            "forwarding-persist",
            host,
            f"write net.ipv4.ip_forward = 1 to {PERSIST_FILE} on {host}",
            {"file": PERSIST_FILE},
        )
        boot_line = (
            f"at boot: {boot.key} = {boot.value} ({boot.where})"
            if boot
            else "at boot: no sysctl file that is read sets net.ipv4.ip_forward"
        )
        if snap.ip_forward != 1:
            fixes = [Change("forwarding-on", host, f"sysctl -w net.ipv4.ip_forward=1 on {host}")]
            if not boot or boot.value != "1":
                fixes.append(persist)
            out.append(
                Finding(
                    "forwarding-off",
                    ERROR,
                    host,
                    f"IP forwarding is off on {host}, the forwarder of cluster {c.name}: it drops the office's packets",
                    (f"now: net.ipv4.ip_forward = {snap.ip_forward}", boot_line),
                    tuple(fixes),
                    c.name,
                )
            )
        elif not boot or boot.value != "1":
            evidence = ["now: net.ipv4.ip_forward = 1 (set at runtime)", boot_line]
            evidence += [
                f"{s.where} sets it, but nothing reads that file at boot (only *.conf in the sysctl.d directories, and /etc/sysctl.conf)"
                for s in snap.forwarding_ignored
            ]
            out.append(
                Finding(
                    "forwarding-not-persisted",
                    WARNING,
                    host,
                    f"IP forwarding on {host} is on now but off after a reboot",
                    tuple(evidence),
                    (persist,),
                    c.name,
                )
            )
    return out
