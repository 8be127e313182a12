"""`netui trace FROM TARGET`, `netui probe`, `netui registry`: does the office really get through?"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import Any

from netui.commands import environment
from netui.errors import UserError
from netui.model.envfile import Environment
from netui.model.networks import parse_address
from netui.output import print_json, table


def run(args: argparse.Namespace) -> int:
    env = environment(args)
    if args.command == "trace":
        return trace_command(env, args)
    if args.command == "probe":
        return probe_command(env, args)
    return registry_command(env, args)


class Context:
    """Snapshots, inventory and findings gathered in the background while a trace runs."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.ready = threading.Event()
        self.book: Any = None
        self.findings: list[Any] = []
        self.error: str | None = None
        threading.Thread(target=self._gather, daemon=True).start()

    def _gather(self) -> None:
        try:
            from netui.commands.doctor import gather
            from netui.doctor import diagnose
            from netui.verify.names import address_book

            inp = gather(self.env)
            self.findings = diagnose(inp)
            self.book = address_book(inp, inp.inventory)
        except Exception as e:  # names are a help, never a reason to fail the trace
            self.error = str(e)
        finally:
            self.ready.set()

    def name(self, ip: str | None) -> str:
        self.ready.wait(15)
        return self.book.name(ip) if self.book else ""


def trace_command(env: Environment, args: argparse.Namespace) -> int:
    from netui.backends import Hosts
    from netui.verify.names import explain
    from netui.verify.trace import Trace, detect_tools, path_mtu

    try:
        parse_address(args.target)
    except ValueError as e:
        raise UserError(f"trace target: {e}") from None
    env.host(args.source)
    context = Context(env)
    with Hosts(env) as hosts:
        backend = hosts[args.source]
        tools = detect_tools(backend)
        if "traceroute" not in tools:
            raise UserError(
                f"{args.source} has no traceroute (install the traceroute package there); found: {', '.join(sorted(tools)) or 'nothing'}"
            )
        trace = Trace(backend, args.target, args.max_hops, args.wait)
        hops = []
        try:
            for hop in trace.hops():
                hops.append(hop)
                if not args.json:
                    shown = f"{hop.ip:15}  {hop.rtt_ms:7.2f} ms" if hop.ip else f"{'*':15}  {'':10}"
                    flag = f" {hop.flag}" if hop.flag else ""
                    print(f"{hop.ttl:3}  {shown}{flag}  {context.name(hop.ip)}", flush=True)
        except KeyboardInterrupt:
            trace.cancel()
            raise
        pmtu = path_mtu(backend, args.target) if args.mtu and "tracepath" in tools else None
    context.ready.wait(15)
    lines = explain(hops, args.target, context.book, context.findings) if context.book else []
    mtu_note = None
    if pmtu:
        src = context.book.inp.snapshot(args.source) if context.book and context.book.inp else None
        route = src.routes.lookup(args.target) if src else None
        iface = (
            next((i for i in src.routes.interfaces if route and i.name == route.dev), None)
            if src
            else None
        )
        mtu_note = f"path MTU {pmtu}" + (
            f" (below {iface.name}'s MTU {iface.mtu}: large packets fragment or drop)"
            if iface and iface.mtu and pmtu < iface.mtu
            else ""
        )
    if args.json:
        print_json(
            {
                "from": args.source,
                "target": args.target,
                "hops": [
                    {
                        "ttl": h.ttl,
                        "ip": h.ip,
                        "rtt_ms": h.rtt_ms,
                        "flag": h.flag,
                        "name": context.name(h.ip),
                    }
                    for h in hops
                ],
                "explanation": lines,
                "pmtu": pmtu,
            }
        )
    else:
        for line in lines:
            print(f"=> {line}")
        if mtu_note:
            print(f"=> {mtu_note}")
    return 0 if any(h.ip == args.target for h in hops) else 1


def _office_backend_name(env: Environment) -> str:
    if not env.office.probe_from:
        raise UserError(
            f"{env.path}: office.probe_from is not set — name a host on the office LAN to probe from"
        )
    return env.office.probe_from


def _probe_target(text: str) -> tuple[str, int]:
    """`--target IP[:PORT]` (port 80 when left out)."""
    ip, _, port = text.partition(":")
    try:
        parse_address(ip)
        p = int(port) if port else 80
        if not 1 <= p <= 65535:
            raise ValueError
    except ValueError:
        raise UserError(
            f"--target {text!r}: give an IPv4 address and optionally a port, such as 10.200.1.3:8080"
        ) from None
    return ip, p


def probe_command(env: Environment, args: argparse.Namespace) -> int:
    from netui.backends import Hosts
    from netui.discovery.kube import discover
    from netui.verify.probe import Target, run_probes, targets

    for name in (args.cluster, args.from_cluster):
        if name and name not in env.clusters:
            raise UserError(
                f"no cluster {name!r} in {env.path}; clusters: {', '.join(env.clusters)}"
            )
    extra = [_probe_target(t) for t in args.target or []]
    wanted: set[str] | None = {args.cluster} if args.cluster else None
    if args.from_cluster:
        # cluster to cluster: from a node of the source, to every cluster it may reach
        spec = env.clusters[args.from_cluster]
        reachable = {c.name for c in env.clusters.values() if args.from_cluster in c.reach_from}
        if not reachable:
            raise UserError(
                f"no cluster lists {args.from_cluster!r} in reach_from: (clusters.NAME.reach_from: [{args.from_cluster}] opts a pair in)"
            )
        wanted = reachable & wanted if wanted else reachable
        source = next((n for n in spec.nodes if n != spec.forwarder), spec.forwarder)
        if source is None:
            raise UserError(
                f"cluster {args.from_cluster} has no node netui can run on: set clusters.{args.from_cluster}.nodes or its forwarder"
            )
    else:
        source = _office_backend_name(env)
    inventory = {
        n: inv for n, inv in discover(env, args.cluster).items() if wanted is None or n in wanted
    }
    for inv in inventory.values():
        if inv.error:
            kinds = "Pods and Services unknown; probing its DNS Service from the environment file"
            print(f"warning: {inv.error} — {kinds}", file=sys.stderr)
    items = targets(env, inventory, args.cluster, cluster_dns=bool(args.from_cluster))
    items += [Target("-", "target", f"{ip}:{port}", ip, port) for ip, port in extra]
    if not items:
        raise UserError(
            "nothing to probe: no cluster's API answered and the environment file gives no DNS IP; "
            "give targets with --target IP[:PORT] or set clusters.NAME.dns_ip"
        )
    with Hosts(env) as hosts:
        results = run_probes(hosts[source], items, args.timeout)
    if args.json:
        print_json(
            [
                {
                    "cluster": r.target.cluster,
                    "kind": r.target.kind,
                    "label": r.target.label,
                    "address": r.target.address,
                    "port": r.target.port,
                    "ok": r.ok,
                    "ms": r.ms,
                    "detail": r.detail,
                }
                for r in results
            ]
        )
    else:
        rows = []
        for r in results:
            where = (
                f"{r.target.address}:{r.target.port}"
                if r.target.port
                else f"{r.target.address} @{r.target.server}"
            )
            rows.append(
                [
                    r.target.cluster,
                    r.target.kind,
                    r.target.label,
                    where,
                    f"{r.mark} " + (f"{r.ms} ms" if r.ms is not None else ""),
                    r.detail,
                ]
            )
        print(f"from {source}:")
        print(table(rows, ["CLUSTER", "KIND", "TARGET", "ADDRESS", "RESULT", "DETAIL"]))
        failed = sum(r.ok is False for r in results)
        print(
            f"\n{len(results) - failed} of {len(results)} reachable"
            + ("; `netui trace` and `netui doctor` say why the others are not" if failed else "")
        )
    return 0 if results and all(r.ok is not False for r in results) else 1


def registry_command(env: Environment, args: argparse.Namespace) -> int:
    from netui.backends import Hosts
    from netui.verify.probe import Target, registry_instances, run_probes

    source = _office_backend_name(env)
    clusters = [c for c in env.clusters.values() if c.registry and args.cluster in (None, c.name)]
    if not clusters:
        raise UserError(
            f"no cluster in {env.path} has a registry: URL (clusters.NAME.registry: http://…/eureka/apps)"
        )
    rows, ok = [], True
    with Hosts(env) as hosts:
        backend = hosts[source]
        for c in clusters:
            assert c.registry is not None
            try:
                instances = registry_instances(backend, c.registry)
            except Exception as e:
                rows.append([c.name, c.registry, "-", f"✗ {e}"])
                ok = False
                continue
            items = [Target(c.name, "registry", app, ip, port) for app, ip, port in instances]
            for r in run_probes(backend, items):
                ok = ok and r.ok is True
                rows.append(
                    [
                        c.name,
                        r.target.label,
                        f"{r.target.address}:{r.target.port}",
                        f"{r.mark} " + r.detail,
                    ]
                )
    if args.json:
        print_json([{"cluster": r[0], "app": r[1], "instance": r[2], "result": r[3]} for r in rows])
    else:
        print(f"instances the registry hands out, probed from {source}:")
        print(table(rows, ["CLUSTER", "APP", "INSTANCE", "RESULT"]))
    return 0 if ok else 1
