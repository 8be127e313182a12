"""The `netui` command. Every TUI action is also a command here; neither holds network logic.

Imports are lazy: `netui --help` must not pay for Textual, paramiko or kubernetes.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable, Sequence

from netui import __version__


class _Parser(argparse.ArgumentParser):
    """Bad input is one line naming the option and what would be right, exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"netui: {message} (see `{self.prog} --help`)\n")


def _number(kind: type, low: float, high: float, unit: str = "") -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is outside {low:g} to {high:g}{unit}")
        return value

    return parse


# Options every level of the command line takes. argparse lets a sub-command's defaults overwrite
# what an outer level parsed (`netui rule --env X delete ...` silently lost X), so each level
# stores into its own name with no default, and `_merge_common` joins them after parsing:
# a flag anywhere counts, and two different --env files are refused.
COMMON_FLAGS = ("json", "debug", "readonly")
COMMON_VALUES = ("env", "theme")

# The commands that change hosts, files or the lab: --readonly (and `readonly: true` in the
# environment file) refuses them, and they name the environment file they act on.
WRITERS = {
    ("apply",),
    ("undo",),
    ("confirm",),
    ("rule",),
    ("dns", "switch"),
    ("trust",),
    ("lab", "up"),
    ("lab", "down"),
}


def _common(level: int) -> _Parser:
    p = _Parser(add_help=False)
    p.add_argument(
        "--env",
        metavar="FILE",
        dest=f"env_{level}",
        default=argparse.SUPPRESS,
        help="environment file (default: $NETUI_ENV, ./netui.yaml, $XDG_CONFIG_HOME/netui/env.yaml, or the running lab's)",
    )
    p.add_argument(
        "--json",
        action="store_true",
        dest=f"json_{level}",
        default=argparse.SUPPRESS,
        help="machine-readable output",
    )
    p.add_argument(
        "--debug",
        action="store_true",
        dest=f"debug_{level}",
        default=argparse.SUPPRESS,
        help="show tracebacks",
    )
    p.add_argument(
        "--readonly",
        action="store_true",
        dest=f"readonly_{level}",
        default=argparse.SUPPRESS,
        help="refuse every command that changes something (the TUI offers no write action)",
    )
    return p


def _theme(p: argparse.ArgumentParser, level: int) -> None:
    p.add_argument(
        "--theme",
        dest=f"theme_{level}",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="TUI theme name (dark, light, high-contrast, or a user theme)",
    )


def _merge_common(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    found: dict[str, list[object]] = {k: [] for k in (*COMMON_FLAGS, *COMMON_VALUES)}
    for key in list(vars(args)):
        name, _, level = key.rpartition("_")
        if name in found and level.isdigit():
            found[name].append(getattr(args, key))
            delattr(args, key)
    for name in COMMON_FLAGS:
        setattr(args, name, any(found[name]))
    for name in COMMON_VALUES:
        values = list(dict.fromkeys(found[name]))
        if len(values) > 1:
            parser.error(
                f"--{name} is given {len(values)} times with different values ({', '.join(map(str, values))}): give it once"
            )
        setattr(args, name, values[0] if values else None)


def command_path(args: argparse.Namespace) -> tuple[str, ...]:
    cmd = args.command or "tui"
    sub = (
        getattr(args, "what", None)
        or getattr(args, "rule_action", None)
        or getattr(args, "dns_command", None)
        or getattr(args, "lab_command", None)
    )
    return (cmd, sub) if sub else (cmd,)


def writes(args: argparse.Namespace) -> bool:
    path = command_path(args)
    return path in WRITERS or path[:1] in WRITERS


def _position(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a position (1, 2, ...)") from None
    if not 1 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"{value} is not a position (they count from 1)")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="netui",
        description="Connect an office LAN to Kubernetes clusters: forwarders, MASQUERADE, routes, DNS — visible and undoable.",
        parents=[_common(0)],
    )
    parser.add_argument("--version", action="version", version=f"netui {__version__}")
    _theme(parser, 0)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    common = _common(1)
    inner = _common(2)

    tui = sub.add_parser(
        "tui", parents=[common], help="the terminal UI (also what plain `netui` runs)"
    )
    _theme(tui, 1)
    migrate = sub.add_parser(
        "migrate",
        parents=[common],
        help="the TUI on the migration cockpit: per cluster traffic, routes, probes, DNS, a timeline",
    )
    _theme(migrate, 1)

    sub.add_parser(
        "hosts", parents=[common], help="each host's state, iptables variant and forwarding"
    )

    show = sub.add_parser("show", parents=[common], help="one host's live state")
    show_sub = show.add_subparsers(dest="what", metavar="WHAT", required=True)
    nat = show_sub.add_parser("nat", parents=[inner], help="the nat table with counters")
    nat.add_argument("host")
    nat.add_argument("--chain", help="only this chain")
    nat.add_argument("--raw", action="store_true", help="print iptables-save text as read")
    routes = show_sub.add_parser(
        "routes", parents=[inner], help="routes annotated with the networks they serve"
    )
    routes.add_argument("host")

    trust = sub.add_parser(
        "trust",
        parents=[common],
        help="show an SSH host's key fingerprint and add it to known_hosts",
    )
    trust.add_argument("host")
    trust.add_argument("--yes", action="store_true", help="accept without asking")

    for name, helptext in (
        ("plan", "the changes that would connect the office to every cluster"),
        ("apply", "apply the plan after showing it"),
    ):
        p = sub.add_parser(name, parents=[common], help=helptext)
        p.add_argument("--cluster", help="only this cluster")
        p.add_argument(
            "--position",
            type=_position,
            default=1,
            help="where POSTROUTING/FORWARD jump to netui's chains (1 = first, ahead of kube-proxy and CNI rules)",
        )
        p.add_argument(
            "--fix-all",
            action="store_true",
            help="also every fix the doctor proposes: wrong foreign rules, looping dnsmasq lines (one plan, one undo)",
        )
        p.add_argument(
            "--taint-forwarder",
            action="store_true",
            help="also taint each forwarder node netui.io/forwarder=true:NoSchedule through the cluster's API",
        )
        if name == "plan":
            p.add_argument(
                "--router-syntax",
                help="also print the office router's routes as linux, cisco, juniper, mikrotik or openwrt commands",
            )
        else:
            p.add_argument("--yes", action="store_true", help="do not ask")
            p.add_argument(
                "--confirm-timeout",
                type=_number(float, 1, 86400, " seconds"),
                metavar="S",
                help="arm a rollback on each target that fires unless `netui confirm` runs within S seconds",
            )
    confirm = sub.add_parser(
        "confirm",
        parents=[common],
        help="keep a plan applied with --confirm-timeout (disarm its rollbacks)",
    )
    confirm.add_argument("plan_id", nargs="?")
    confirm.add_argument("--yes", action="store_true", help="do not ask")
    undo = sub.add_parser(
        "undo", parents=[common], help="revert a plan (default: the last), also after a crash"
    )
    undo.add_argument("plan_id", nargs="?")
    undo.add_argument("--yes", action="store_true", help="do not ask")
    hist = sub.add_parser(
        "history", parents=[common], help="every plan with who, when, from where and its outcome"
    )
    hist.add_argument("plan_id", nargs="?", help="one plan: what it changed, host by host")
    rule = sub.add_parser(
        "rule", parents=[common], help="delete or move one foreign nat rule (journaled, undoable)"
    )
    rule_sub = rule.add_subparsers(dest="rule_action", metavar="ACTION", required=True)
    for name in ("delete", "move"):
        p = rule_sub.add_parser(name, parents=[inner], help=f"{name} a rule of a host's nat table")
        p.add_argument("host")
        p.add_argument("chain")
        p.add_argument(
            "rule",
            help="the rule's text as `netui show nat HOST --raw` prints it after -A CHAIN "
            "(e.g. '-s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE'), or its number",
        )
        if name == "move":
            p.add_argument("to", type=_position, help="the new position")
        p.add_argument(
            "--at",
            type=_position,
            metavar="N",
            help="cross-check: the rule must stand at this position, or nothing changes",
        )
        p.add_argument(
            "--force-foreign",
            action="store_true",
            help="also change a rule kube-proxy, a CNI or Docker owns (it will re-create it)",
        )
        p.add_argument("--yes", action="store_true")

    trace = sub.add_parser(
        "trace",
        parents=[common],
        help="traceroute from a host, every hop named, and why the path ends where it ends",
    )
    trace.add_argument("source", metavar="FROM", help="a host of the environment (e.g. office-pc)")
    trace.add_argument(
        "target", metavar="TARGET", help="an IPv4 address (a Pod, a Service, a node)"
    )
    trace.add_argument("--max-hops", type=_number(int, 1, 64), default=15)
    trace.add_argument(
        "--wait",
        type=_number(float, 0.1, 10, " seconds"),
        default=1.0,
        help="seconds to wait for each hop's answer",
    )
    trace.add_argument(
        "--mtu", action="store_true", help="also measure the path MTU with tracepath"
    )
    trace.add_argument(
        "--tcp",
        metavar="PORT",
        type=_number(int, 1, 65535),
        help="send TCP SYNs to this port (what a Service answers) instead of UDP probes",
    )
    trace.add_argument(
        "--count",
        metavar="N",
        type=_number(int, 1, 1000),
        help="N rounds, one a second, then per-hop loss, last/avg/best/worst (like mtr --report)",
    )
    probe = sub.add_parser(
        "probe",
        parents=[common],
        help="the reachability matrix: office -> Pods, Services, DNS names of each cluster",
    )
    probe.add_argument("--cluster")
    probe.add_argument("--timeout", type=_number(float, 0.2, 30, " seconds"), default=2.0)
    probe.add_argument(
        "--from-cluster",
        metavar="NAME",
        help="probe from a node of this cluster the clusters that list it in reach_from:",
    )
    probe.add_argument(
        "--target",
        action="append",
        metavar="IP[:PORT]",
        help="also probe this address (TCP, port 80 by default); repeatable",
    )
    registry = sub.add_parser(
        "registry",
        parents=[common],
        help="probe the instances a service registry (Eureka) hands out, from the office",
    )
    registry.add_argument("--cluster")

    dns = sub.add_parser(
        "dns",
        parents=[common],
        help="cluster domains on the office DNS: status, the migration switch, client set-up",
    )
    dns_sub = dns.add_subparsers(dest="dns_command", metavar="ACTION", required=True)
    dns_sub.add_parser("status", parents=[inner], help="domain -> cluster -> DNS IP -> state")
    sw = dns_sub.add_parser(
        "switch",
        parents=[inner],
        help="resolve a domain two clusters share in this cluster (previewed, undoable)",
    )
    sw.add_argument("domain")
    sw.add_argument("cluster")
    sw.add_argument("--yes", action="store_true")
    res = dns_sub.add_parser(
        "resolve", parents=[inner], help="resolve a name as the office does, through the DNS host"
    )
    res.add_argument("name")
    res.add_argument(
        "--from",
        dest="source",
        metavar="HOST",
        help="where to ask from (default: office.probe_from)",
    )
    cl = dns_sub.add_parser(
        "client", parents=[inner], help="what a developer runs on their machine"
    )
    cl.add_argument(
        "--os", required=True, choices=["macos", "linux-resolved", "linux-resolvconf", "windows"]
    )

    doctor = sub.add_parser(
        "doctor",
        parents=[common],
        help="find every mistake between the office and the clusters; exit 1 on errors",
    )
    doctor.add_argument("--cluster", help="only this cluster")
    walk = sub.add_parser(
        "walk",
        parents=[common],
        help="walk a packet through a host's nat chains: why is it (not) masqueraded?",
    )
    walk.add_argument("host")
    walk.add_argument("src", help="source address, e.g. 10.1.3.10")
    walk.add_argument("dst", help="destination address, e.g. 10.200.1.3")
    walk.add_argument("--proto", default="tcp", choices=["tcp", "udp", "icmp"])
    walk.add_argument("--dport", type=_number(int, 1, 65535), default=80)

    sub.add_parser(
        "clusters",
        parents=[common],
        help="clusters with their CIDRs, DNS IP and where each came from",
    )
    nodes = sub.add_parser("nodes", parents=[common], help="nodes of one or every cluster")
    nodes.add_argument("cluster", nargs="?")

    init = sub.add_parser(
        "init",
        parents=[common],
        help="draft the environment file from the kubeconfig, ssh config and this host's routes",
    )
    init.add_argument(
        "--kubeconfig", metavar="FILE", help="default: the first of $KUBECONFIG, ~/.kube/config"
    )
    init.add_argument("--ssh-config", metavar="FILE", help="default: ~/.ssh/config")
    init.add_argument(
        "--office",
        action="append",
        metavar="CIDR",
        help="the office LAN (repeatable); default: from this host's routes, else asked on a terminal",
    )
    init.add_argument(
        "--write", metavar="FILE", help="write the draft there (refused if FILE exists)"
    )

    export = sub.add_parser(
        "export", parents=[common], help="hand the plan to another engine (Ansible)"
    )
    export_sub = export.add_subparsers(dest="export_command", metavar="FORMAT", required=True)
    ansible = export_sub.add_parser(
        "ansible",
        parents=[inner],
        help="an Ansible project that applies exactly what `netui plan` shows, and its undo",
    )
    ansible.add_argument("folder", metavar="DIR", help="where to write the project")
    ansible.add_argument("--cluster")
    ansible.add_argument("--position", type=_number(int, 1, 10000), default=1)
    ansible.add_argument("--run", action="store_true", help="then run ansible-playbook apply.yml")
    ansible.add_argument(
        "--check", action="store_true", help="with --run: ansible-playbook --check --diff"
    )

    lab = sub.add_parser("lab", parents=[common], help="the network-namespace lab (needs root)")
    lab_sub = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    up = lab_sub.add_parser(
        "up", parents=[inner], help="build the lab (idempotent); prints its environment file"
    )
    up.add_argument("--broken", action="store_true", help="plant the mistakes of docs/lab.md")
    up.add_argument(
        "--plan",
        default="classic",
        choices=["classic", "article"],
        help="address plan: classic (disjoint ranges) or article (the method's own, nested, cluster to cluster)",
    )
    up.add_argument(
        "--services",
        type=_number(int, 0, 50000),
        default=0,
        metavar="N",
        help="add N kube-proxy-style services per cluster",
    )
    up.add_argument(
        "--extra-hosts",
        type=_number(int, 0, 60),
        default=0,
        metavar="N",
        help="add N forwarder-like hosts with sshd (fwd-01 …): a fleet to measure fan-out on",
    )
    lab_sub.add_parser(
        "down", parents=[inner], help="remove every namespace, process and file of the lab"
    )
    lab_sub.add_parser("status", parents=[inner], help="what of the lab is up")
    sh = lab_sub.add_parser(
        "shell", parents=[inner], help="a shell on a lab host (default: the jump host)"
    )
    sh.add_argument("host", nargs="?", default="jump")
    ltui = lab_sub.add_parser(
        "tui", parents=[inner], help="the TUI inside the jump host, reaching hosts over SSH"
    )
    _theme(ltui, 2)
    return parser


def _dispatch(args: argparse.Namespace) -> int:
    cmd = args.command or "tui"
    if cmd in ("tui", "migrate"):
        from netui.commands import tui

        return tui.run(args)
    if cmd in ("hosts", "show", "trust"):
        from netui.commands import hosts

        return hosts.run(args)
    if cmd in ("plan", "apply", "confirm", "undo", "history", "rule"):
        from netui.commands import plan

        return plan.run(args)
    if cmd in ("trace", "probe", "registry"):
        from netui.commands import verify

        return verify.run(args)
    if cmd == "dns":
        from netui.commands import dns

        return dns.run(args)
    if cmd in ("doctor", "walk"):
        from netui.commands import doctor

        return doctor.run(args)
    if cmd == "export":
        from netui.commands import export

        return export.run(args)
    if cmd in ("clusters", "nodes"):
        from netui.commands import inventory

        return inventory.run(args)
    if cmd == "init":
        from netui.commands import init

        return init.run(args)
    if cmd == "lab":
        from netui.commands import lab

        return lab.run(args)
    raise AssertionError(cmd)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _merge_common(parser, args)
    args.writes = writes(args)
    debug = args.debug or bool(os.environ.get("NETUI_DEBUG"))
    try:
        if args.readonly and args.writes:
            from netui.errors import UserError

            raise UserError(
                f"read-only (--readonly): `netui {' '.join(command_path(args))}` changes things; nothing was done"
            )
        return _dispatch(args)
    except KeyboardInterrupt:
        print("netui: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as e:
        from netui.model.envfile import EnvironmentProblem

        if debug:
            raise
        if isinstance(e, EnvironmentProblem):
            for p in e.problems:
                print(f"netui: {p}", file=sys.stderr)
            return 2
        from netui.backends.base import HostError

        if isinstance(e, HostError):
            print(f"netui: {e}", file=sys.stderr)
            return 2
        from netui.plan.model import PlanRefused

        if isinstance(e, PlanRefused):  # any command that plans refuses as `netui plan` does
            for reason in e.reasons:
                print(f"netui: refusing to plan: {reason}", file=sys.stderr)
            return 2
        from netui.errors import UserError

        if isinstance(e, UserError):
            print(f"netui: {e}", file=sys.stderr)
            return e.exit_code
        print(
            f"netui: internal error: {type(e).__name__}: {e} (run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 70


if __name__ == "__main__":
    sys.exit(main())
