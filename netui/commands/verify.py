"""`netui trace FROM TARGET`, `netui probe`, `netui registry`: does the office really get through?"""

from __future__ import annotations

import argparse

from netui.commands import in_session, warn
from netui.commands.arguments import number
from netui.commands.registry import Command
from netui.output import print_json, table

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from netui.core.session import Session
    from netui.core.verify import Hop


def trace_command(s: Session, args: argparse.Namespace) -> int:
    from netui.core.verify import path_mtu, start_trace, stats_table

    context, run, tools = start_trace(
        s, args.source, args.target, args.tcp, args.max_hops, args.wait
    )

    def show(hop: Hop) -> None:
        if args.json or args.count:
            return
        shown = f"{hop.ip:15}  {hop.rtt_ms:7.2f} ms" if hop.ip else f"{'*':15}  {'':10}"
        flag = f" {hop.flag}" if hop.flag else ""
        print(f"{hop.ttl:3}  {shown}{flag}  {context.name(hop.ip)}", flush=True)

    rounds: list[list[Hop]] = []
    try:
        run.repeat(show, rounds.append, rounds=args.count or 1)
    except KeyboardInterrupt:
        run.cancel()
        if not rounds:
            raise
    hops = run.last_hops
    pmtu, mtu_note = (
        path_mtu(s, context, args.source, args.target)
        if args.mtu and "tracepath" in tools
        else (None, None)
    )
    # every round's answers, as the TUI's pane: a hop lost in the last round still answered
    lines = context.explain(
        run.stats.path() or hops, args.target, tcp=run.tcp_port is not None, source=args.source
    )
    if run.note:
        lines.insert(0, run.note)
    if args.json:
        print_json(
            {
                "from": args.source,
                "target": args.target,
                "method": run.method,
                "rounds": run.stats.rounds,
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
                "stats": [
                    {
                        "ttl": h.ttl,
                        "ips": h.ips,
                        "sent": h.sent,
                        "loss_pct": round(h.loss, 1),
                        "last_ms": h.last,
                        "avg_ms": h.avg,
                        "best_ms": h.best,
                        "worst_ms": h.worst,
                    }
                    for h in run.stats.rows()
                ],
                "explanation": lines,
                "pmtu": pmtu,
            }
        )
    else:
        if args.count:
            import shutil

            print(f"{args.source} → {args.target} ({run.method}), {run.stats.rounds} rounds:")
            width = shutil.get_terminal_size((120, 24)).columns
            print("\n".join(stats_table(run.stats, width, context.name)))
        for line in lines:
            print(f"=> {line}")
        if mtu_note:
            print(f"=> {mtu_note}")
    return 0 if any(h.ip == args.target for h in hops) else 1


def probe_command(s: Session, args: argparse.Namespace) -> int:
    from netui.core.verify import probe_plan, probe_target, run_probes

    extra = [probe_target(t) for t in args.target or []]
    plan = probe_plan(s, args.cluster, args.from_cluster, extra)
    warn(plan.warnings)
    source = plan.source
    results = run_probes(s, plan, args.timeout)
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
        from netui.core.verify import tally

        failed = sum(r.ok is False for r in results)
        print(
            f"\n{tally(results)}" + ("; `netui trace` and `netui doctor` say why" if failed else "")
        )
    return 0 if results and all(r.ok is not False for r in results) else 1


def registry_command(s: Session, args: argparse.Namespace) -> int:
    from netui.core.verify import probe_registries

    source, rows = probe_registries(s, args.cluster)
    if args.json:
        print_json(
            [
                {"cluster": r.cluster, "app": r.app, "instance": r.instance, "result": r.result}
                for r in rows
            ]
        )
    else:
        print(f"instances the registry hands out, probed from {source}:")
        print(
            table(
                [[r.cluster, r.app, r.instance, r.result] for r in rows],
                ["CLUSTER", "APP", "INSTANCE", "RESULT"],
            )
        )
    return 0 if all(r.ok for r in rows) else 1


def _trace_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("source", metavar="FROM", help="a host of the environment (e.g. office-pc)")
    p.add_argument("target", metavar="TARGET", help="an IPv4 address (a Pod, a Service, a node)")
    p.add_argument("--max-hops", type=number(int, 1, 64), default=15)
    p.add_argument(
        "--wait",
        type=number(float, 0.1, 10, " seconds"),
        default=1.0,
        help="seconds to wait for each hop's answer",
    )
    p.add_argument("--mtu", action="store_true", help="also measure the path MTU with tracepath")
    p.add_argument(
        "--tcp",
        metavar="PORT",
        type=number(int, 1, 65535),
        help="send TCP SYNs to this port (what a Service answers) instead of UDP probes",
    )
    p.add_argument(
        "--count",
        metavar="N",
        type=number(int, 1, 1000),
        help="N rounds, one a second, then per-hop loss, last/avg/best/worst (like mtr --report)",
    )


def _probe_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster")
    p.add_argument("--timeout", type=number(float, 0.2, 30, " seconds"), default=2.0)
    p.add_argument(
        "--from-cluster",
        metavar="NAME",
        help="probe from a node of this cluster the clusters that list it in reach_from:",
    )
    p.add_argument(
        "--target",
        action="append",
        metavar="IP[:PORT]",
        help="also probe this address (TCP, port 80 by default); repeatable",
    )


def _registry_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster")


COMMANDS = (
    Command(
        "trace",
        "traceroute from a host, every hop named, and why the path ends where it ends",
        in_session(trace_command),
        _trace_arguments,
    ),
    Command(
        "probe",
        "the reachability matrix: office -> Pods, Services, DNS names of each cluster",
        in_session(probe_command),
        _probe_arguments,
    ),
    Command(
        "registry",
        "probe the instances a service registry (Eureka) hands out, from the office",
        in_session(registry_command),
        _registry_arguments,
    ),
)
