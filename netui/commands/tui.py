"""`netui` / `netui tui`: the terminal UI; `netui migrate` opens it on the migration cockpit."""

from __future__ import annotations

import argparse

from netui.commands import environment
from netui.commands.registry import Command


def _open(args: argparse.Namespace, start: str | None) -> int:
    # a bad environment file fails here, before the screen takes over; with none at all the TUI
    # opens on the kubeconfig's clusters, read-only, and offers `netui init`'s draft
    env = environment(args, kubeconfig_alone=True)
    from netui.app import NetuiApp

    app = NetuiApp(
        env,
        theme=getattr(args, "theme", None),
        readonly=bool(getattr(args, "readonly", False) or env.readonly),
        start=start,
    )
    # 0 only when the operator quit; a crash that ended the app is non-zero
    return app.run_fast_exit()


def tui(args: argparse.Namespace) -> int:
    return _open(args, None)


def migrate(args: argparse.Namespace) -> int:
    return _open(args, "migrate")


COMMANDS = (
    Command("tui", "the terminal UI (also what plain `netui` runs)", tui, themed=True),
    Command(
        "migrate",
        "the TUI on the migration cockpit: per cluster traffic, routes, probes, DNS, a timeline",
        migrate,
        themed=True,
    ),
)
