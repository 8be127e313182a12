"""What a reboot would do: per host and item (netui's chains, the routes the office's paths rely
on, forwarding on the router), is it back after the next boot, and who brings it back?

A route counts as persisted when the host's network configuration holds it (model/netconfig.py)
or netui's boot unit restores it (model/bootstate.py); netui's chains only through netui's unit.
Forwarders' forwarding is the forwarding check's (`forwarding-not-persisted`).
"""

from __future__ import annotations

from dataclasses import dataclass

from netui.doctor.context import DoctorInput
from netui.doctor.masquerade import samples
from netui.model.bootstate import UNIT_NAME, BootFacts
from netui.model.findings import WARNING, Finding
from netui.model.netconfig import configured_routes
from netui.model.snapshot import HostSnapshot

OWNED_CHAINS = (("nat", "POSTROUTING", "NETUI-POSTROUTING"), ("filter", "FORWARD", "NETUI-FORWARD"))


@dataclass(frozen=True)
class BootItem:
    """One thing a host has now and what its next boot does with it."""

    host: str
    item: str  # "netui's chain NETUI-POSTROUTING (2 rules)", "route 10.96.0.0/12 via …"
    at_boot: str  # "restored by netui-restore.service", "in /etc/netplan/… (netplan)", "lost"
    hand: tuple[str, ...] = ()  # what would bring it back by hand (hosts netui cannot persist on)
    cluster: str | None = None

    @property
    def lost(self) -> bool:
        return self.at_boot == "lost"


def _chains(snap: HostSnapshot, facts: BootFacts) -> list[BootItem]:
    out = []
    for table_name, builtin, chain_name in OWNED_CHAINS:
        table = snap.nat if table_name == "nat" else snap.filter
        chain = table.chain(chain_name) if table else None
        if chain is None:
            continue
        rules = [r.text for r in chain.rules]
        restored = facts.chain_restored(table_name, chain_name) and all(
            facts.rule_restored(table_name, chain_name, r) for r in rules
        )
        hand = (
            f"iptables -t {table_name} -N {chain_name}",
            *(f"iptables -t {table_name} -A {chain_name} {r}" for r in rules),
            f"iptables -t {table_name} -I {builtin} 1 -j {chain_name}",
        )
        out.append(
            BootItem(
                snap.host,
                f"netui's chain {chain_name} ({len(rules)} rule{'s' if len(rules) != 1 else ''})",
                f"restored by {UNIT_NAME}" if restored else "lost",
                hand,
            )
        )
    return out


def _route(
    snap: HostSnapshot, facts: BootFacts, dst: str, via: str, cluster: str | None
) -> BootItem:
    held = next(
        (
            r
            for r in configured_routes(facts.network_files)
            if r.dst == dst and (r.via == via or r.via is None)
        ),
        None,
    )
    if held:
        at_boot = f"in {held.where}"
    elif facts.route_restored(dst, via):
        at_boot = f"restored by {UNIT_NAME}"
    else:
        at_boot = "lost"
    return BootItem(
        snap.host,
        f"route {dst} via {via}",
        at_boot,
        (f"ip route replace {dst} via {via}",),
        cluster,
    )


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
                    out.append(_route(snap, facts_of(snap), r.dst, r.gateway, c.name))
        fwd = inp.snapshot(c.forwarder)
        if fwd is None:
            continue
        for office in inp.office:
            r = fwd.routes.lookup(samples(office)[0])
            if r and r.gateway and r.gateway in inp.router_lan_ips:
                out.append(_route(fwd, facts_of(fwd), r.dst, r.gateway, c.name))
    return out


def facts_of(snap: HostSnapshot) -> BootFacts:
    return snap.boot or BootFacts()


def boot_items(inp: DoctorInput) -> list[BootItem]:
    """Every item of every host netui relies on, with what its next boot does to it."""
    out: list[BootItem] = []
    for name in inp.env.hosts:
        snap = inp.snapshot(name)
        if snap is not None:
            out += _chains(snap, facts_of(snap))
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
        out.append(Finding("not-persisted", WARNING, item.host, title, evidence, (), item.cluster))
    return out


def _unit_state(facts: BootFacts) -> str:
    if not facts.unit:
        return f"{UNIT_NAME} is not installed"
    if not facts.enabled:
        return f"{UNIT_NAME} is not enabled"
    if not facts.restore_script:
        return "its restore script is missing"
    return "no plan file under /etc/netui/plans holds it"
