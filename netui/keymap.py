"""User key bindings: `$XDG_CONFIG_HOME/netui/keymap.yaml` maps binding ids to keys.

    # keymap.yaml
    doctor: ctrl+d
    refresh: f5
    quit: q,ctrl+q

Every binding in netui has an id (see `?` in the TUI); a bad file is reported and ignored.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from netui.paths import config_home
from netui.themes import FAST_LOADER


def keymap_path() -> Path:
    return config_home() / "keymap.yaml"


def load_keymap(path: Path | None = None) -> tuple[dict[str, str], list[str]]:
    """(binding id -> keys, problems). A missing file is no problem."""
    path = path or keymap_path()
    if not path.exists():
        return {}, []
    try:
        data = yaml.load(path.read_text(), Loader=FAST_LOADER)
    except (OSError, yaml.YAMLError) as e:
        return {}, [f"{path}: not readable YAML ({str(e).splitlines()[0]}); keys stay as they are"]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, [f"{path}: expected `binding-id: key` lines; keys stay as they are"]
    keymap, problems = {}, []
    for ident, keys in data.items():
        if not isinstance(keys, str) or not keys.strip():
            problems.append(f"{path}: {ident}: {keys!r} is not a key such as ctrl+d or f5")
            continue
        keymap[str(ident)] = keys.strip()
    return keymap, problems
