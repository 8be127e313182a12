"""`netui lab up/down/status/reboot/shell/tui`."""

from __future__ import annotations

import argparse
import os
import sys
import time

from netui.commands.arguments import number
from netui.commands.registry import Command
from netui.output import print_json


def up(args: argparse.Namespace) -> int:
    from netui.core import lab

    start = time.monotonic()
    files = lab.up(
        broken=args.broken,
        services=args.services,
        plan=args.plan,
        extra_hosts=args.extra_hosts,
        firewall=getattr(args, "firewall", "") or "",
        kube_proxy=getattr(args, "kube_proxy", "iptables") or "iptables",
    )
    took = time.monotonic() - start
    if args.json:
        print_json(
            {
                "env": files.env,
                "env_ssh": files.env_ssh,
                "kubeconfig": files.kubeconfig,
                "seconds": round(took, 2),
            }
        )
    else:
        print(files.env)
        print(
            f"lab up in {took:.1f} s{' (broken: see `netui lab status`)' if args.broken else ''}; "
            f"from the jump host: `netui lab shell`, environment {files.env_ssh}",
            file=sys.stderr,
        )
    return 0


def down(args: argparse.Namespace) -> int:
    from netui.core import lab

    removed = lab.down()
    if args.json:
        print_json({"removed": removed})
    else:
        print("\n".join(removed) if removed else "nothing to remove")
    return 0


def status(args: argparse.Namespace) -> int:
    from netui.core import lab

    st = lab.status()
    code = 0 if st.healthy or not st.up else 1
    if args.json:
        print_json(st)
        return code
    if st.healthy:
        state = "healthy"
    else:
        state = "partly up — run `netui lab up` again or `netui lab down`" if st.up else "down"
    print(f"lab: {state}, plan {st.plan}{' (broken)' if st.broken else ''}")
    if st.firewall or st.kube_proxy != "iptables":
        no_ipvs = " (recorded state: no IPVS in this kernel)" if st.kube_proxy == "ipvs" else ""
        print(f"firewall {st.firewall or 'iptables only'}, kube-proxy {st.kube_proxy}{no_ipvs}")
    if st.up:
        print(f"namespaces: {' '.join(st.namespaces)}")
        _indented([f"{'✓' if alive else '✗'} {what}" for what, alive in st.processes.items()])
        _indented([f"planted {p.code} on {p.host}: {p.what}" for p in st.planted])
        if st.env:
            print(f"environment: {st.env} (netns) / {st.env_ssh} (from the jump host)")
    return code


def _indented(lines: list[str]) -> None:
    for line in lines:
        print(f"  {line}")


def reboot(args: argparse.Namespace) -> int:
    from netui.core import lab

    reports = lab.reboot(args.hosts)
    if args.json:
        print_json({"rebooted": [r.to_dict() for r in reports]})
    else:
        for r in reports:
            print(f"{r.host}: rebooted")
            _indented([*r.lines, *(f"✗ {line}" for line in r.failed)])
    return 1 if any(r.failed for r in reports) else 0


def _reboot_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("hosts", nargs="+", metavar="HOST")


def _enter_jump(args: argparse.Namespace) -> int:
    """Replace this process with a shell (or the TUI) inside a lab host, as an operator on it."""
    from netui.core.lab import enter_host

    argv, env = enter_host(
        getattr(args, "host", "jump"), args.lab_command == "tui", args.theme, args.readonly
    )
    os.execvpe("ip", argv, env)
    return 0  # not reached


def _up_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--broken", action="store_true", help="plant the mistakes of docs/lab.md")
    p.add_argument(
        "--plan",
        default="classic",
        choices=["classic", "article", "article-routed"],
        help="address plan: classic (disjoint ranges), article (the method's own, nested, cluster "
        "to cluster) or article-routed (the same, CNIs that do not masquerade Pod egress)",
    )
    p.add_argument(
        "--services",
        type=number(int, 0, 50000),
        default=0,
        metavar="N",
        help="add N kube-proxy-style services per cluster",
    )
    p.add_argument(
        "--extra-hosts",
        type=number(int, 0, 60),
        default=0,
        metavar="N",
        help="add N forwarder-like hosts with sshd (fwd-01 …): a fleet to measure fan-out on",
    )
    p.add_argument(
        "--firewall",
        choices=["firewalld", "firewalld-legacy", "ufw", "nftables"],
        default="",
        help="a firewall manager on the forwarders: the real firewalld (on cluster A's, "
        "iptables-nft; firewalld-legacy: on cluster B's, iptables-legacy), ufw, or a native "
        "nft table whose forward chain drops",
    )
    p.add_argument(
        "--kube-proxy",
        dest="kube_proxy",
        choices=["iptables", "nftables", "ipvs"],
        default="iptables",
        help="cluster A's kube-proxy mode (ipvs: recorded state only, this kernel has no IPVS)",
    )


def _shell_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("host", nargs="?", default="jump")


COMMANDS = (
    Command(
        "lab",
        "the network-namespace lab (needs root)",
        dest="lab_command",
        actions=(
            Command(
                "up",
                "build the lab (idempotent); prints its environment file",
                up,
                _up_arguments,
                writes=True,
            ),
            Command(
                "down",
                "remove every namespace, process and file of the lab",
                down,
                writes=True,
            ),
            Command("status", "what of the lab is up", status),
            Command(
                "reboot",
                "reboot lab hosts: runtime state gone, then their boot (network files, sysctl, units)",
                reboot,
                _reboot_arguments,
                writes=True,
            ),
            Command(
                "shell",
                "a shell on a lab host (default: the jump host)",
                _enter_jump,
                _shell_arguments,
            ),
            Command(
                "tui",
                "the TUI inside the jump host, reaching hosts over SSH",
                _enter_jump,
                themed=True,
            ),
        ),
    ),
)
