"""`netui doctor [--cluster NAME]` and `netui walk HOST SRC DST` (why is this packet not masqueraded?)."""

from __future__ import annotations

import argparse

from netui.commands import in_session, session, warn
from netui.commands.arguments import number
from netui.commands.registry import Command
from netui.output import print_json

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from typing import Any

    from netui.core.session import Session
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


def walk_command(s: Session, args: argparse.Namespace) -> int:
    """The core's walk (core/walk.py), the one the TUI's walk box shows."""
    from netui.core.walk import PacketQuery, walk_host

    walked = walk_host(s, args.host, PacketQuery(args.src, args.dst, args.proto, args.dport))
    if args.json:
        print_json(walked.as_json())
    else:
        print("\n".join(walked.lines()))
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
        in_session(walk_command),
        _walk_arguments,
    ),
)
