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
    """The environment the command works on (see paths.find_env_file for the search order).
    With no environment file anywhere, a command that reads clusters only (`kubeconfig_alone`)
    works on the kubeconfig's contexts, read-only; any other says in one line what it needs."""
    from netui.model import envfile
    from netui.paths import find_env_file

    path, why = find_env_file(getattr(args, "env", None))
    if why == "default" and not path.exists():
        from netui.discovery.kubeconfig import (
            NEEDS_HOSTS,
            environment_from_kubeconfig,
            kubeconfig_file,
        )
        from netui.errors import UserError

        if kubeconfig_alone:
            return environment_from_kubeconfig(kubeconfig_file()[0])
        raise UserError(f"`netui {getattr(args, 'command', None) or 'tui'}` {NEEDS_HOSTS}")
    env = envfile.load(path)
    if getattr(args, "writes", False):
        from netui.errors import UserError

        if env.readonly:
            raise UserError(
                f"read-only ({env.path} says readonly: true): this command changes things; nothing was done"
            )
        trusted_for_writing(path)
        # the operator sees which file's hosts are about to change (./netui.yaml is picked up
        # from the current directory, $NETUI_ENV from the shell)
        print(f"netui: environment {env.path} (from {why})", file=sys.stderr)
    return env


def trusted_for_writing(path: object) -> None:
    """As root, refuse an environment file another user could have written (OpenSSH's rule
    for its config): its dns.reload runs as root on the DNS host and its hosts get changed."""
    import os
    import stat

    from netui.errors import UserError

    if os.geteuid() != 0:
        return
    st = os.stat(str(path))
    if st.st_uid != 0:
        raise UserError(
            f"{path}: owned by uid {st.st_uid}, not root; as root netui only writes with an environment file root owns (chown root {path})"
        )
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise UserError(
            f"{path}: writable by group or others (mode {stat.S_IMODE(st.st_mode):o}); chmod go-w {path}"
        )


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
