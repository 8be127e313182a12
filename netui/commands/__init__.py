"""One module per group of CLI commands; each exposes `run(args) -> exit status`."""

from __future__ import annotations

import argparse

from netui.model.envfile import Environment


def environment(args: argparse.Namespace) -> Environment:
    """The environment the command works on (see paths.find_env_file for the search order)."""
    from netui.model import envfile
    from netui.paths import find_env_file

    path, _why = find_env_file(getattr(args, "env", None))
    return envfile.load(path)
