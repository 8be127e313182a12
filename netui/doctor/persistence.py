"""What a reboot would do: per host and item (netui's chains, the routes the office's paths rely
on, forwarding on the router), is it back after the next boot, and who brings it back?

A route counts as persisted when the host's network configuration holds it (model/netconfig.py)
or netui's boot unit restores it (model/bootstate.py); netui's chains only through netui's unit.
Forwarders' forwarding is the forwarding check's (`forwarding-not-persisted`).
"""

from __future__ import annotations

from netui.doctor.context import DoctorInput
from netui.doctor.masquerade import samples
from netui.model.at_boot import BootItem, chain_items, route_item
from netui.model.bootstate import TIMER_NAME as TIMER
from netui.model.bootstate import UNIT_NAME, BootFacts
from netui.model.findings import INFO, WARNING, Change, Finding


def _relied_routes(inp: DoctorInput) -> list[BootItem]:
    """The routes the office's paths take now: the router's to each cluster's forwarder, each
    forwarder's back to the office through the router."""
    out = []
    router = inp.env.office.router
    snap = inp.snapshot(router)
    for c in inp.clusters.values():
        if snap is not None and c.forwarder_ip:
            for cidr in c.cidrs:
                r = snap.routes.covering(cidr)
                if r and r.dst != "default" and r.gateway == c.forwarder_ip:
                    out.append(route_item(snap, r.dst, r.gateway, c.name))
        fwd = inp.snapshot(c.forwarder)
        if fwd is None:
            continue
        for office in inp.office:
            r = fwd.routes.lookup(samples(office)[0])
            if r and r.gateway and r.gateway in inp.router_lan_ips:
                out.append(route_item(fwd, r.dst, r.gateway, c.name))
    return out


def boot_items(inp: DoctorInput) -> list[BootItem]:
    """Every item of every host netui relies on, with what its next boot does to it."""
    out: list[BootItem] = []
    for name in inp.env.hosts:
        snap = inp.snapshot(name)
        if snap is not None:
            out += chain_items(snap)
    out += _relied_routes(inp)
    router = inp.snapshot(inp.env.office.router)
    if router is not None and router.ip_forward == 1 and not router.forwarding_on_at_boot:
        out.append(
            BootItem(
                router.host,
                "IP forwarding (the office router)",
                "lost",
                ("echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-netui-ip-forward.conf",),
            )
        )
    elif router is not None and router.ip_forward == 1:
        boot = router.forwarding_at_boot
        where = boot.where if boot else "?"
        out.append(BootItem(router.host, "IP forwarding (the office router)", f"in {where}"))
    return list({(i.host, i.item): i for i in out}.values())


def check(inp: DoctorInput) -> list[Finding]:
    out = []
    for item in boot_items(inp):
        snap = inp.snapshot(item.host)
        if not item.lost or snap is None or snap.boot is None:
            continue  # a snapshot that did not read the host's boot files cannot tell
        facts = snap.boot
        if facts.systemd is None:
            title = (
                f"{item.item} on {item.host} is lost at the next boot, and netui cannot "
                f"persist it there (no systemd): add it to the host's boot by hand"
            )
            evidence = ("no /etc/systemd/system on the host", *item.hand)
        else:
            title = f"{item.item} on {item.host} exists only at runtime: lost at the next boot"
            evidence = (
                "not in the host's network configuration"
                if item.item.startswith("route")
                else "no sysctl file read at boot sets it"
                if item.item.startswith("IP forwarding")
                else f"not restored by {UNIT_NAME} ({_unit_state(facts)})",
                f"`netui apply` persists it through {UNIT_NAME}; by hand: {'; '.join(item.hand[:3])}",
            )
        out.append(
            Finding(
                "not-persisted",
                WARNING,
                item.host,
                title,
                evidence,
                _fixes(item, facts),
                item.cluster,
            )
        )
    return out + wiped(inp)


def _fixes(item: BootItem, facts: BootFacts) -> tuple[Change, ...]:
    """netui persists it through its unit (the plan's file holds the lines); forwarding through
    its sysctl file; nothing where systemd cannot run the unit."""
    if item.item.startswith("IP forwarding"):
        return (
            Change(
                "forwarding-persist",
                item.host,
                f"write net.ipv4.ip_forward = 1 to /etc/sysctl.d/90-netui-ip-forward.conf on {item.host}",
            ),
        )
    if facts.systemd is None or not item.persist:
        return ()
    return (
        Change(
            "boot-persist",
            item.host,
            f"persist {item.item} on {item.host} for boot ({UNIT_NAME})",
            {"lines": "\n".join(item.persist)},
        ),
    )


def wiped(inp: DoctorInput) -> list[Finding]:
    """netui's state put back by the host's check after another tool flushed it (a firewall
    reload), or missing now although the host's plan files hold it (the check has not run yet)."""
    out = []
    for name in inp.env.hosts:
        snap = inp.snapshot(name)
        if snap is None or snap.boot is None:
            continue
        facts = snap.boot
        back = [line for line in facts.restore_log.splitlines() if "re-asserted" in line][-3:]
        if back:
            out.append(
                Finding(
                    "state-reasserted",
                    INFO,
                    name,
                    f"netui's state on {name} was flushed by another tool and put back by its check",
                    (
                        *back,
                        "a firewall reload (firewall-cmd --reload, nftables' flush ruleset) does this",
                    ),
                )
            )
        tables = {"nat": snap.nat, "filter": snap.filter}
        missing = sorted(
            {
                f"{r.chain} ({r.table})"
                for p in facts.plans
                for r in p.rules
                if (t := tables.get(r.table)) is None or t.chain(r.chain) is None
            }
        )
        if missing and facts.unit_works:
            out.append(
                Finding(
                    "not-persisted",
                    WARNING,
                    name,
                    f"netui's persisted state is missing on {name} now: {', '.join(missing)}",
                    (
                        "its plan files under /etc/netui/plans hold it; another tool flushed the tables",
                        f"{TIMER} puts it back within 30 s; now: sh /etc/netui/restore.sh check",
                    ),
                )
            )
    return out


def _unit_state(facts: BootFacts) -> str:
    if not facts.unit:
        return f"{UNIT_NAME} is not installed"
    if not facts.enabled:
        return f"{UNIT_NAME} is not enabled"
    if not facts.restore_script:
        return "its restore script is missing"
    return "no plan file under /etc/netui/plans holds it"
