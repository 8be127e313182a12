"""`netui clusters` and `netui nodes [CLUSTER]`."""

from __future__ import annotations

import argparse
import sys

from netui.commands import environment
from netui.errors import UserError
from netui.output import print_json, table


def run(args: argparse.Namespace) -> int:
    from netui.discovery.kube import discover

    env = environment(args, kubeconfig_alone=True)
    only = getattr(args, "cluster", None)
    if only and only not in env.clusters:
        raise UserError(f"no cluster {only!r} in {env.path}; clusters: {', '.join(env.clusters)}")
    inventory = discover(env, only)
    if "(kubeconfig only)" in env.path and not args.json:
        print(
            f"netui: {env.path}: read-only, no hosts; `netui init` drafts an environment file",
            file=sys.stderr,
        )
    if args.json:
        print_json(
            list(inventory.values())
            if args.command == "clusters"
            else {n: c.nodes for n, c in inventory.items()}
        )
    elif args.command == "clusters":
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
            for d in c.disagreements:
                print(f"  ! {d}")
            if c.error:
                print(f"  ✗ {c.error}")
    else:
        rows = []
        for c in inventory.values():
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
        print(
            table(
                rows, ["CLUSTER", "NODE", "ROLES", "INTERNAL-IP", "POD-CIDRS", "TAINTS", "STATUS"]
            )
        )
        if any(n.forwarder for c in inventory.values() for n in c.nodes):
            print("★ = the cluster's forwarder")
    return 1 if any(c.error for c in inventory.values()) else 0
