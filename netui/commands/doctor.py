"""`netui doctor [--cluster NAME]` and `netui walk HOST SRC DST` (why is this packet not masqueraded?)."""

from __future__ import annotations

import argparse

from netui.commands import environment, session, warn
from netui.commands.arguments import number
from netui.commands.registry import Command
from netui.errors import UserError
from netui.output import print_json

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from typing import Any

    from netui.model.envfile import Environment
    from netui.model.findings import Finding

MARK = {"error": "✗", "warning": "!", "info": "·"}


def doctor_command(args: argparse.Namespace) -> int:
    from netui.model.findings import ERROR

    with session(args) as s:
        d = s.diagnose(args.cluster)
    warn(d.warnings)
    if args.json:
        print_json([_finding_json(f) for f in d.findings])
    else:
        print_findings(d.findings)
    return 1 if any(f.severity == ERROR for f in d.findings) else 0


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "code": f.code,
        "severity": f.severity,
        "host": f.host,
        "cluster": f.cluster,
        "title": f.title,
        "evidence": list(f.evidence),
        "fixes": [
            {"kind": c.kind, "host": c.host, "summary": c.summary, "params": c.params}
            for c in f.fixes
        ],
    }


def print_findings(findings: list[Finding]) -> None:
    from netui.model.findings import ERROR

    if not findings:
        print("✓ no findings: the office is connected to every cluster as far as netui can see")
        return
    by_host: dict[str, list[Finding]] = {}
    for f in findings:
        by_host.setdefault(f.host or "environment", []).append(f)
    for host, items in by_host.items():
        print(f"{host}")
        for f in items:
            print(f"  {MARK[f.severity]} {f.severity:7} {f.code}: {f.title}")
            for e in f.evidence[:6]:
                print(f"      {e}")
            if f.fixes:
                print(f"      fix: {f.fix_line}")
    errors = sum(f.severity == ERROR for f in findings)
    print(f"\n{errors} error(s), {len(findings) - errors} other finding(s)")


def walk_command(env: Environment, args: argparse.Namespace) -> int:
    from concurrent.futures import ThreadPoolExecutor

    from netui.backends import Hosts
    from netui.backends.snapshot import snapshot_hosts
    from netui.doctor.masquerade import office_packet
    from netui.doctor.walk import masquerade_path, walk
    from netui.model.networks import parse_address

    for value in (args.src, args.dst):
        try:
            parse_address(value)
        except ValueError as e:
            raise UserError(str(e)) from None
    env.host(args.host)
    from netui.discovery.kube import discover
    from netui.discovery.model import needs_discovery, network_map

    with ThreadPoolExecutor(max_workers=1) as pool, Hosts(env) as hosts:
        # the networks (for the nesting note) come from discovery where the file is silent
        inv = pool.submit(discover, env) if needs_discovery(env) else None
        snap = snapshot_hosts(hosts, [args.host])[args.host]
        networks = network_map(env, inv.result() if inv else {})
    if not snap.ok or snap.nat is None:
        raise UserError(f"{args.host}: {snap.reason or 'no nat table'}")
    from dataclasses import replace

    packet = replace(office_packet(snap, args.src, args.dst), proto=args.proto, dport=args.dport)
    pre, post = masquerade_path(snap.nat, packet)
    fwd = walk(snap.filter, "FORWARD", packet) if snap.filter else None
    if args.json:
        print_json(
            {
                "prerouting": pre.lines() if pre else [],
                "postrouting": post.lines(),
                "forward": fwd.lines() if fwd else [],
                "verdict": post.verdict,
                "uncertain": post.uncertain,
                "nesting": networks.nesting_note(args.dst),
            }
        )
    else:
        for w in (pre, fwd, post):
            if w is not None:
                print("\n".join(w.lines()))
        print(f"\n{'masqueraded' if post.nat_applied else 'NOT masqueraded'}: {post.verdict}")
        note = networks.nesting_note(args.dst)
        if note:
            print(note)
    return 0


def _doctor_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--cluster", help="only this cluster")


def _walk_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("host")
    p.add_argument("src", help="source address, e.g. 10.1.3.10")
    p.add_argument("dst", help="destination address, e.g. 10.200.1.3")
    p.add_argument("--proto", default="tcp", choices=["tcp", "udp", "icmp"])
    p.add_argument("--dport", type=number(int, 1, 65535), default=80)


COMMANDS = (
    Command(
        "doctor",
        "find every mistake between the office and the clusters; exit 1 on errors",
        doctor_command,
        _doctor_arguments,
    ),
    Command(
        "walk",
        "walk a packet through a host's nat chains: why is it (not) masqueraded?",
        lambda args: walk_command(environment(args), args),
        _walk_arguments,
    ),
)
