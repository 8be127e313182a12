"""`netui` / `netui tui`: the terminal UI."""

from __future__ import annotations

import argparse

from netui.commands import environment


def run(args: argparse.Namespace) -> int:
    env = environment(args)  # a bad environment file fails here, before the screen takes over
    from netui.app import NetuiApp

    NetuiApp(
        env,
        theme=getattr(args, "theme", None),
        readonly=bool(getattr(args, "readonly", False) or env.readonly),
    ).run()
    return 0
