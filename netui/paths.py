"""Where netui keeps things (XDG base directories) and which environment file it uses."""

from __future__ import annotations

import os
from pathlib import Path


def config_home() -> Path:
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "netui"


def state_home() -> Path:
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "netui"


def lab_home() -> Path:
    """The lab's files (keys, environment, kubeconfig, pids). Root-owned, under /run when root
    so a reboot clears them together with the namespaces they describe."""
    if os.environ.get("NETUI_LAB_DIR"):
        return Path(os.environ["NETUI_LAB_DIR"])
    return Path("/run/netui-lab") if os.geteuid() == 0 else state_home() / "lab"


def lab_env_file() -> Path:
    return lab_home() / "env.yaml"


def find_env_file(explicit: str | None) -> tuple[Path, str]:
    """The environment file to use and why: --env, $NETUI_ENV, ./netui.yaml,
    $XDG_CONFIG_HOME/netui/env.yaml, then the running lab's file (the embedded default)."""
    if explicit:
        return Path(explicit), "--env"
    if os.environ.get("NETUI_ENV"):
        return Path(os.environ["NETUI_ENV"]), "$NETUI_ENV"
    for p, why in (
        (Path("netui.yaml"), "./netui.yaml"),
        (config_home() / "env.yaml", "$XDG_CONFIG_HOME/netui/env.yaml"),
    ):
        if p.exists():
            return p, why
    if lab_env_file().exists():
        return lab_env_file(), "the running lab"
    return Path("netui.yaml"), "default"
