"""`netui lab up/down/status/shell/tui`."""

from __future__ import annotations

import argparse
import os
import sys
import time

from netui.errors import UserError
from netui.output import print_json


def run(args: argparse.Namespace) -> int:
    from netui.lab import build

    action = args.lab_command
    if action == "up":
        if args.services < 0 or args.services > 50000:
            raise UserError(f"--services {args.services}: give a number from 0 to 50000")
        start = time.monotonic()
        files = build.up(
            broken=args.broken,
            services=args.services,
            plan=args.plan,
            extra_hosts=args.extra_hosts,
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
    if action == "down":
        removed = build.down()
        if args.json:
            print_json({"removed": removed})
        else:
            print("\n".join(removed) if removed else "nothing to remove")
        return 0
    if action == "status":
        st = build.status()
        if args.json:
            print_json(st)
        else:
            state = (
                "healthy"
                if st["healthy"]
                else (
                    "partly up — run `netui lab up` again or `netui lab down`"
                    if st["up"]
                    else "down"
                )
            )
            print(f"lab: {state}, plan {st['plan']}{' (broken)' if st['broken'] else ''}")
            if st["up"]:
                print(f"namespaces: {' '.join(st['namespaces'])}")  # type: ignore[arg-type]
                for what, alive in st["processes"].items():  # type: ignore[attr-defined]
                    print(f"  {'✓' if alive else '✗'} {what}")
                for p in st["planted"]:  # type: ignore[attr-defined]
                    print(f"  planted {p['code']} on {p['host']}: {p['what']}")
                if st["env"]:
                    print(
                        f"environment: {st['env']} (netns) / {st['env_ssh']} (from the jump host)"
                    )
        return 0 if st["healthy"] or not st["up"] else 1
    if action in ("shell", "tui"):
        return _enter_jump(args)
    raise AssertionError(action)


def _enter_jump(args: argparse.Namespace) -> int:
    """Replace this process with a shell (or the TUI) inside a lab host, as an operator on it."""
    from netui.lab import build
    from netui.lab.topology import HOST_BY_NAME

    host = getattr(args, "host", "jump")
    if host not in HOST_BY_NAME:
        raise UserError(f"lab: no lab host {host!r}; hosts: {', '.join(HOST_BY_NAME)}")
    st = build.status()
    if not st["healthy"]:
        raise UserError("lab: not up; run `netui lab up` first")
    env = dict(os.environ, NETUI_ENV=str(st["env_ssh"]), PS1=f"[lab {host}] \\w# ")
    ns = HOST_BY_NAME[host].netns
    if args.lab_command == "tui":
        argv = ["ip", "netns", "exec", ns, sys.executable, "-m", "netui.cli", "tui"]
        if args.theme:
            argv += ["--theme", args.theme]
        if args.readonly:
            argv.append("--readonly")
    else:
        argv = ["ip", "netns", "exec", ns, os.environ.get("SHELL", "/bin/bash")]
    os.execvpe("ip", argv, env)
    return 0  # not reached
