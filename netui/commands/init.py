"""`netui init`: draft the environment file from the kubeconfig, the ssh config and this host's
routes. Prints the draft; `--write FILE` writes it, never over an existing file."""

from __future__ import annotations

import argparse
import sys

from netui.commands.registry import Command
from netui.errors import UserError

name = "init"
help = "draft the environment file from the kubeconfig, ssh config and this host's routes"
writes = False  # it writes a new local file at most, never a host


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--kubeconfig", metavar="FILE", help="default: the first of $KUBECONFIG, ~/.kube/config"
    )
    p.add_argument("--ssh-config", metavar="FILE", help="default: ~/.ssh/config")
    p.add_argument(
        "--office",
        action="append",
        metavar="CIDR",
        type=office_cidr,
        help="the office LAN (repeatable); default: from this host's routes, else asked on a terminal",
    )
    p.add_argument("--write", metavar="FILE", help="write the draft there (refused if FILE exists)")


def office_cidr(text: str) -> str:
    from netui.model.networks import has_host_bits, parse_cidr

    try:
        net = parse_cidr(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an IPv4 CIDR such as 10.1.3.0/24"
        ) from None
    if "/" not in text or has_host_bits(text.strip()):
        raise argparse.ArgumentTypeError(
            f"{text!r}: give the network, e.g. {net.network}/{net.prefixlen}"
        )
    return text.strip()


def _ask_office() -> tuple[str, ...]:
    """On a terminal, the office range the routes did not show; empty keeps the placeholder."""
    if not sys.stdin.isatty():
        return ()
    while True:
        sys.stderr.write(
            "office LAN not found in this host's routes; its CIDR (empty: placeholder): "
        )
        sys.stderr.flush()
        answer = sys.stdin.readline().strip()
        if not answer:
            return ()
        try:
            return (office_cidr(answer),)
        except argparse.ArgumentTypeError as e:
            print(f"netui: {e}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    from netui.core.draft import draft_from, gather
    from netui.core.drafting import checked_text, write_new

    try:
        given = tuple(office_cidr(c) for c in args.office or ())
    except argparse.ArgumentTypeError as e:
        raise UserError(f"--office {e}") from None
    facts = gather(args.kubeconfig, args.ssh_config)
    draft = draft_from(facts, given)
    if draft.office is None and (asked := _ask_office()):
        draft = draft_from(facts, asked)
    text = checked_text(draft)
    if args.write:
        write_new(args.write, text)
        print(f"netui: wrote {args.write}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    clusters = len(draft.clusters)
    print(
        f"netui: drafted {clusters} cluster{'s' * (clusters != 1)}, {len(draft.hosts)} hosts"
        + (
            f"; {len(draft.missing)} things to fill in or check (top of the draft)"
            if draft.missing
            else ""
        ),
        file=sys.stderr,
    )
    env_arg = args.write or "FILE"
    print(f"netui: next: netui trust HOST; netui doctor --env {env_arg}", file=sys.stderr)
    return 0


COMMANDS = (Command(name, help, run, add_arguments, writes=writes),)
