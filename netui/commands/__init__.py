"""One module per group of CLI commands; each exposes `run(args) -> exit status`."""

from __future__ import annotations

import argparse
import sys

from netui.model.envfile import Environment


def environment(args: argparse.Namespace) -> Environment:
    """The environment the command works on (see paths.find_env_file for the search order)."""
    from netui.model import envfile
    from netui.paths import find_env_file

    path, _why = find_env_file(getattr(args, "env", None))
    return envfile.load(path)


def operator_agrees(question: str, yes: bool, doing: str) -> bool:
    """Go ahead only with --yes, or a "y" typed on a terminal. Without a terminal and without
    --yes it refuses: a script has to ask for a change explicitly."""
    if yes:
        return True
    if not sys.stdin.isatty():
        from netui.errors import UserError

        raise UserError(f"not {doing} without a terminal to ask on: read the above and pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")
