"""The network-namespace lab, for `netui lab`: build it, remove it, say what of it is up, reboot
its hosts, and the command line that enters one of its hosts as an operator would."""

from __future__ import annotations

import os
import sys

from netui.errors import UserError
from netui.lab.build import LabStatus, down, status, up
from netui.lab.reboot import reboot

__all__ = ["LabStatus", "down", "enter_host", "reboot", "status", "up"]


def enter_host(
    host: str, tui: bool = False, theme: str | None = None, readonly: bool = False
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment that run a shell (or the TUI) inside lab host `host`, with
    the lab's environment file for SSH (as on the jump host); refused when the lab is not up."""
    from netui.lab.topology import HOST_BY_NAME

    if host not in HOST_BY_NAME:
        raise UserError(f"lab: no lab host {host!r}; hosts: {', '.join(HOST_BY_NAME)}")
    st = status()
    if not st.healthy:
        raise UserError("lab: not up; run `netui lab up` first")
    env = dict(os.environ, NETUI_ENV=str(st.env_ssh), PS1=f"[lab {host}] \\w# ")
    ns = HOST_BY_NAME[host].netns
    if tui:
        argv = ["ip", "netns", "exec", ns, sys.executable, "-m", "netui.cli", "tui"]
        if theme:
            argv += ["--theme", theme]
        if readonly:
            argv.append("--readonly")
    else:
        argv = ["ip", "netns", "exec", ns, os.environ.get("SHELL", "/bin/bash")]
    return argv, env
