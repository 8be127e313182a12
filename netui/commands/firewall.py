"""`netui show firewall HOST`: the host's whole firewall, read-only — the managers that run
there and, per hook, every base chain of every table in the order the kernel runs them."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from netui.model.hooks import HOOKS, BaseChain
from netui.model.snapshot import HostSnapshot
from netui.output import print_json, table

if TYPE_CHECKING:
    from netui.core.session import Session


def plain(text: object) -> str:
    """Text from a host, safe to print: control characters shown escaped, never sent raw."""
    s = str(text)
    if s.isprintable():
        return s
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in s)


def firewall_json(host: str, snap: HostSnapshot) -> dict[str, object]:
    fw = snap.firewall
    conf = fw.firewalld_conf
    return {
        "host": host,
        "iptables_variant": snap.variant,
        "managers": snap.firewall_managers,
        "nft_tables": list(snap.nft_tables),
        "hooks": {h: [c.as_dict() for c in snap.hooks.get(h, [])] for h in HOOKS},
        "firewalld": None
        if conf is None
        else {
            "config": conf,
            "zones": [z.__dict__ for z in fw.firewalld_zones()],
            "policies": [p.__dict__ for p in fw.firewalld_policies()],
        },
        "ufw": {"enabled": fw.ufw_enabled, "forward_policy": fw.ufw_forward_policy},
        "nftables_service": {
            "enabled_by": list(fw.nftables_enabled),
            "conf_flushes_ruleset": fw.nftables_conf_flushes,
        },
        "ip_forward": snap.ip_forward,
        "rp_filter": fw.rp_filter,
        "ipvs_services": fw.ipvs_services(),
    }


def _row(c: BaseChain) -> list[object]:
    counters = "-" if c.packets is None else f"{c.packets}/{c.bytes}"
    return [c.priority, plain(c.label), c.type, c.policy, c.rules, counters, plain(c.owner)]


def show_firewall(host: str, snap: HostSnapshot, as_json: bool) -> int:
    if as_json:
        print_json(firewall_json(host, snap))
        return 0
    managers = ", ".join(snap.firewall_managers) or "none (iptables only)"
    print(f"# {host}: iptables {snap.variant or 'missing'}; firewall managers: {plain(managers)}")
    print(
        f"# forwarding {snap.forwarding_now}; nft tables: {plain(', '.join(snap.nft_tables) or '-')}"
    )
    for hook in HOOKS:
        chains = snap.hooks.get(hook, [])
        print(f"\n{hook}")
        if not chains:
            print("  (no base chain)")
            continue
        header = ["PRIO", "BASE CHAIN", "TYPE", "POLICY", "RULES", "PKTS/BYTES", "OWNER"]
        print(
            "\n".join("  " + line for line in table([_row(c) for c in chains], header).splitlines())
        )
    conf = snap.firewall.firewalld_conf
    if conf is not None and "firewalld" in snap.firewall_managers:
        keys = ("FirewallBackend", "DefaultZone", "FlushAllOnReload")
        print("\nfirewalld: " + ", ".join(f"{k}={plain(conf.get(k, '?'))}" for k in keys))
        for z in snap.firewall.firewalld_zones():
            print(f"  zone {plain(z.name)}: sources {plain(', '.join(z.sources) or '-')}")
        for p in snap.firewall.firewalld_policies():
            print(
                f"  policy {plain(p.name)}: {plain(', '.join(p.ingress))} -> "
                f"{plain(', '.join(p.egress))} target {plain(p.target)}"
            )
    return 0


def run(session: Session, args: argparse.Namespace) -> int:
    from netui.core.hosts import read_host

    snap = read_host(session, args.host)
    for w in snap.warnings:
        print(f"warning: {args.host}: {plain(w)}", file=sys.stderr)
    return show_firewall(args.host, snap, args.json)
