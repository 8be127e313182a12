"""The draft as both faces use it: gathered, rendered, proven to load, written only as a new
file. `netui init` prints or writes it; the TUI, started with no environment file, offers it."""

from __future__ import annotations

import os
import socket
from typing import TYPE_CHECKING

from netui.errors import UserError

if TYPE_CHECKING:  # the drafting itself loads when a draft is made: the TUI asks only
    from netui.core.draft import Draft  # `kubeconfig_only` before its first paint


def checked_text(draft: Draft) -> str:
    """The draft's YAML; that it loads is the draft's promise, so a draft that does not is
    netui's bug and said as one."""
    from netui.core.draft_yaml import render
    from netui.model import envfile

    text = render(draft, socket.gethostname())
    try:
        envfile.loads(text, "<draft>")
    except envfile.EnvironmentProblem as e:
        raise AssertionError(f"the draft does not load: {e}") from None
    return text


def draft_now(
    kubeconfig: str | None = None, ssh_config: str | None = None, office: tuple[str, ...] = ()
) -> tuple[Draft, str]:
    from netui.core.draft import draft_from, gather

    draft = draft_from(gather(kubeconfig, ssh_config), office)
    return draft, checked_text(draft)


def write_new(path: str, text: str) -> None:
    """Create `path` with the text, mode 0600; an existing file is never touched."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise UserError(
            f"{path} exists; netui init never overwrites: give another --write FILE"
        ) from None
    except OSError as e:
        raise UserError(f"cannot create {path} ({e.strerror})") from None
    with os.fdopen(fd, "w") as f:
        f.write(text)


def summary(draft: Draft) -> str:
    """One line: what the draft holds and what it lacks."""
    forwarders = [f"{c.name}: {c.forwarder}" for c in draft.clusters if c.forwarder]
    holds = f"{len(draft.clusters)} clusters, {len(draft.hosts)} hosts"
    if forwarders:
        holds += f", forwarders {', '.join(forwarders)}"
    missing = [m.split(":", 1)[0] for m in draft.missing if "(optional)" not in m]
    return holds + (f"; missing: {', '.join(missing)}" if missing else "")


def kubeconfig_only(env: object) -> bool:
    """The faces' question: is this the kubeconfig alone (no environment file behind it)?"""
    from netui.discovery.kubeconfig import is_kubeconfig_only
    from netui.model.envfile import Environment

    return isinstance(env, Environment) and is_kubeconfig_only(env)
