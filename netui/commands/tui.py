"""`netui` / `netui tui`: the terminal UI; `netui migrate` opens it on the migration cockpit."""

from __future__ import annotations

import argparse

from netui.commands import environment


def run(args: argparse.Namespace) -> int:
    env = environment(args)  # a bad environment file fails here, before the screen takes over
    from netui.app import NetuiApp

    app = NetuiApp(
        env,
        theme=getattr(args, "theme", None),
        readonly=bool(getattr(args, "readonly", False) or env.readonly),
        start="migrate" if args.command == "migrate" else None,
    )
    # 0 only when the operator quit; a crash that ended the app is non-zero
    return app.run_fast_exit()
