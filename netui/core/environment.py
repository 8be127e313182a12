"""Which environment a face works on, and the refusals before anything is read from it: the
file the search order finds (paths.find_env_file), or — with no file anywhere, for a command
that only reads clusters — the kubeconfig's contexts, read-only."""

from __future__ import annotations

import os
import stat

from netui.errors import UserError
from netui.model.envfile import Environment


def open_environment(
    given: str | None, *, command: str, writes: bool = False, kubeconfig_alone: bool = False
) -> tuple[Environment, str]:
    """The environment and why its file was chosen ("--env", "$NETUI_ENV", ...). A command
    that writes is refused when the file says `readonly: true` or others could have written it."""
    from netui.model import envfile
    from netui.paths import find_env_file

    path, why = find_env_file(given)
    if why == "default" and not path.exists():
        from netui.discovery.kubeconfig import (
            NEEDS_HOSTS,
            environment_from_kubeconfig,
            kubeconfig_file,
        )

        if kubeconfig_alone:
            return environment_from_kubeconfig(kubeconfig_file()[0]), "the kubeconfig"
        raise UserError(f"`netui {command}` {NEEDS_HOSTS}")
    env = envfile.load(path)
    if writes:
        if env.readonly:
            raise UserError(
                f"read-only ({env.path} says readonly: true): this command changes things; nothing was done"
            )
        trusted_for_writing(path)
    return env, why


def trusted_for_writing(path: object) -> None:
    """As root, refuse an environment file another user could have written (OpenSSH's rule
    for its config): its dns.reload runs as root on the DNS host and its hosts get changed."""
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
