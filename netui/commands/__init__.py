"""One module per group of CLI commands, each declaring its commands (registry.py); here the
helpers they share: the environment, the core session, asking the operator."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

TYPE_CHECKING = False  # not typing's: importing typing slows `netui --help` (registry.py)
if TYPE_CHECKING:
    from netui.core.session import Session
    from netui.model.envfile import Environment


def environment(args: argparse.Namespace, kubeconfig_alone: bool = False) -> Environment:
    """The environment the command works on (see core/environment.py for the search order and
    the refusals). With no environment file anywhere, a command that reads clusters only
    (`kubeconfig_alone`) works on the kubeconfig's contexts, read-only."""
    from netui.core.environment import open_environment

    writes = bool(getattr(args, "writes", False))
    env, why = open_environment(
        getattr(args, "env", None),
        command=getattr(args, "command", None) or "tui",
        writes=writes,
        kubeconfig_alone=kubeconfig_alone,
    )
    if writes:
        # the operator sees which file's hosts are about to change (./netui.yaml is picked up
        # from the current directory, $NETUI_ENV from the shell)
        print(f"netui: environment {env.path} (from {why})", file=sys.stderr)
    return env


def operator_agrees(question: str, yes: bool, doing: str) -> bool:
    """Go ahead only with --yes, or a "y" typed on a terminal. Without a terminal and without
    --yes it refuses: a script has to ask for a change explicitly."""
    if yes:
        return True
    if not sys.stdin.isatty():
        from netui.errors import UserError

        raise UserError(f"not {doing} without a terminal to ask on: read the above and pass --yes")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def session(args: argparse.Namespace) -> Session:
    """A core session on the command's environment (see netui/core)."""
    from netui.core.session import Session

    s = Session(environment(args))
    s.readonly = s.readonly or bool(getattr(args, "readonly", False))
    return s


def in_session(
    work: Callable[[Session, argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    """A command's run: its work on a core session, closed when the work is done."""

    def run(args: argparse.Namespace) -> int:
        with session(args) as s:
            return work(s, args)

    return run


def warn(lines: list[str]) -> None:
    for line in lines:
        print(f"warning: {line}", file=sys.stderr)
