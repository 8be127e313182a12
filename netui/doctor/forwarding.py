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
    return out + router_and_nodes(inp)


def _off(
    host: str, snap_value: int | None, boot_on: bool, role: str, severity: str, cluster: str | None
) -> Finding:
    fixes = [Change("forwarding-on", host, f"sysctl -w net.ipv4.ip_forward=1 on {host}")]
    if not boot_on:
        fixes.append(
            Change(
                "forwarding-persist",
                host,
                f"write net.ipv4.ip_forward = 1 to {PERSIST_FILE} on {host}",
                {"file": PERSIST_FILE},
            )
        )
    return Finding(
        "forwarding-off",
        ERROR if severity == ERROR else WARNING,
        host,
        f"IP forwarding is off on {host}, {role}: it drops what it should pass on",
        (f"now: net.ipv4.ip_forward = {snap_value}",),
        tuple(fixes),
        cluster,
    )


def router_and_nodes(inp: DoctorInput) -> list[Finding]:
    """The office router routes the office to the forwarders: with forwarding off nothing
    leaves the LAN (and `apply` used to say 0 errors). A cluster's other nodes forward their
    Pods' replies back through the forwarder."""
    out = []
    router = inp.env.office.router
    forwarders = {c.forwarder for c in inp.clusters.values()}
    rsnap = inp.snapshot(router)
    if router and rsnap is not None and router not in forwarders and rsnap.ip_forward == 0:
        out.append(
            _off(
                router,
                rsnap.ip_forward,
                rsnap.forwarding_on_at_boot,
                "the office router",
                ERROR,
                None,
            )
        )
    for c in inp.clusters.values():
        for node in c.nodes:
            snap = inp.snapshot(node)
            if node == c.forwarder or snap is None or snap.ip_forward != 0:
                continue
            out.append(
                _off(
                    node,
                    snap.ip_forward,
                    snap.forwarding_on_at_boot,
                    f"a node of cluster {c.name} (its Pods' traffic passes through it)",
                    WARNING,
                    c.name,
                )
            )
    return out
