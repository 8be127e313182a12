"""`netui clusters` and `netui nodes [CLUSTER]`."""

from __future__ import annotations

import argparse
import sys

from netui.commands import environment
from netui.commands.registry import Command
from netui.errors import UserError
from netui.output import print_json, table

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from typing import Any

    from netui.core.inventory import ClusterInventory


def _inventory(args: argparse.Namespace) -> dict[str, ClusterInventory]:
    from netui.core.drafting import kubeconfig_only
    from netui.core.session import Session

    env = environment(args, kubeconfig_alone=True)
    only = getattr(args, "cluster", None)
    if only and only not in env.clusters:
        raise UserError(f"no cluster {only!r} in {env.path}; clusters: {', '.join(env.clusters)}")
    with Session(env) as s:
        inventory = s.discover(only)
    if kubeconfig_only(env) and not args.json:
        print(
            f"netui: {env.path}: read-only, no hosts; `netui init` drafts an environment file",
            file=sys.stderr,
        )
    return inventory


def _status(inventory: dict[str, Any]) -> int:
    return 1 if any(c.error for c in inventory.values()) else 0


def clusters_command(args: argparse.Namespace) -> int:
    inventory = _inventory(args)
    if args.json:
        print_json(list(inventory.values()))
        return _status(inventory)
    for c in inventory.values():
        print(
            f"cluster {c.name} (context {c.context or '-'}, domain {c.domain}, forwarder {c.forwarder or '-'})"
        )
        rows = [["pods", s.value, s.source] for s in c.pod_cidrs]
        rows += [["services", s.value, s.source] for s in c.service_cidrs]
        if c.dns_ip:
            rows.append(["dns", c.dns_ip.value, c.dns_ip.source])
        for what, found in (("cni", c.cni), ("kube-proxy", c.proxy_mode)):
            if found:
                rows.append([what, found.value, found.source])
        if rows:
            print(
                "\n".join(
                    "  " + line for line in table(rows, ["WHAT", "VALUE", "FROM"]).splitlines()
                )
            )
        for w in c.warnings:
            print(f"  ! {w}")
        for d in c.disagreements:
            print(f"  ! {d}")
        if c.error:
            print(f"  ✗ {c.error}")
    return _status(inventory)


def nodes_command(args: argparse.Namespace) -> int:
    inventory = _inventory(args)
    if args.json:
        print_json({n: c.nodes for n, c in inventory.items()})
        return _status(inventory)
    rows = []
    for c in inventory.values():
        for w in c.warnings:
            print(f"netui: warning: {w}", file=sys.stderr)
        if c.error:
            print(f"netui: {c.error}", file=sys.stderr)
        for n in c.nodes:
            rows.append(
                [
                    c.name,
                    n.name + (" ★" if n.forwarder else ""),
                    ",".join(n.roles),
                    n.internal_ip or "-",
                    ",".join(n.pod_cidrs) or "-",
                    " ".join(n.taints) or "-",
                    "Ready" if n.ready else "NotReady",
                ]
            )
    print(table(rows, ["CLUSTER", "NODE", "ROLES", "INTERNAL-IP", "POD-CIDRS", "TAINTS", "STATUS"]))
    if any(n.forwarder for c in inventory.values() for n in c.nodes):
        print("★ = the cluster's forwarder")
    return _status(inventory)


def _nodes_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("cluster", nargs="?")


COMMANDS = (
    Command(
        "clusters",
        "clusters with their CIDRs, DNS IP and where each came from",
        clusters_command,
    ),
    Command("nodes", "nodes of one or every cluster", nodes_command, _nodes_arguments),
)
