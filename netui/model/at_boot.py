"""What a host's next boot does with what it has now, item by item (pure: from a snapshot).

netui's chains come back only through netui's unit (model/bootstate.py); a route comes back when
the host's network configuration holds it (model/netconfig.py) or netui's unit restores it;
forwarding when a sysctl file read at boot sets it.
"""

from __future__ import annotations

from dataclasses import dataclass

from netui.model.bootstate import UNIT_NAME, BootFacts
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
    persist: tuple[str, ...] = ()  # plan-file lines (model/bootstate.py) that would bring it back

    @property
    def lost(self) -> bool:
        return self.at_boot == "lost"


def chain_items(snap: HostSnapshot) -> list[BootItem]:
    """netui's chains on a host and whether its next boot restores them."""
    facts = facts_of(snap)
    out = []
    for table_name, builtin, chain_name in OWNED_CHAINS:
        table = snap.nat if table_name == "nat" else snap.filter
        chain = table.chain(chain_name) if table else None
        if chain is None:
            continue
        rules = [r.text for r in chain.rules]
        parent = table.chain(builtin) if table else None
        at = next(
            (i for i, r in enumerate(parent.rules if parent else [], 1) if r.target == chain_name),
            1,
        )
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
                persist=(
                    *(f"rule {table_name} {chain_name} {r}" for r in rules),
                    f"jump {table_name} {builtin} {at} {chain_name}",
                ),
            )
        )
    return out


def route_item(snap: HostSnapshot, dst: str, via: str, cluster: str | None = None) -> BootItem:
    """A route of the host and who brings it back at boot (its network files, netui's unit)."""
    facts = facts_of(snap)
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


def facts_of(snap: HostSnapshot) -> BootFacts:
    return snap.boot or BootFacts()


def unit_state(facts: BootFacts) -> str:
    """netui's unit on the host, in a few words."""
    if facts.systemd is None:
        return "no systemd: netui cannot persist here"
    if not facts.unit:
        return f"{UNIT_NAME} not installed"
    if not facts.enabled:
        return f"{UNIT_NAME} installed, not enabled"
    return f"{UNIT_NAME} enabled ({len(facts.plans)} plan file(s))"


def host_items(snap: HostSnapshot) -> list[BootItem]:
    """Every item of one host and its fate at the next boot: netui's chains, each route with a
    gateway, forwarding (the host screen's "at boot" lines)."""
    out = chain_items(snap)
    for r in snap.routes.routes:
        if r.gateway and r.protocol != "kernel" and (r.table in (None, "main")):
            out.append(route_item(snap, r.dst, r.gateway))
    if snap.ip_forward == 1:
        boot = snap.forwarding_at_boot
        on = boot is not None and boot.value == "1"
        out.append(
            BootItem(snap.host, "IP forwarding", f"in {boot.where}" if on and boot else "lost")
        )
    return out
