"""Themes are YAML files (Textual has no theme-file format): the shipped ones in themes/,
the user's in $XDG_CONFIG_HOME/netui/themes/. A bad file is reported and skipped."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from netui.paths import config_home

# libyaml's loader where PyYAML has it: read before the first paint, where every ms shows.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

THEME_KEYS = {
    "name",
    "dark",
    "primary",
    "secondary",
    "accent",
    "foreground",
    "background",
    "surface",
    "panel",
    "success",
    "warning",
    "error",
    "boost",
    "variables",
}


def shipped_dirs() -> list[Path]:
    here = Path(__file__).resolve().parent
    return [p for p in (here / "_themes", here.parent / "themes") if p.is_dir()]


@dataclass(frozen=True)
class ThemeFile:
    path: Path
    fields: dict[str, Any]

    @property
    def short_name(self) -> str:
        return self.path.stem


def load_theme_files() -> tuple[list[ThemeFile], list[str]]:
    """Every theme file found, and one message per bad file."""
    found: dict[str, ThemeFile] = {}
    problems = []
    for d in [*shipped_dirs(), config_home() / "themes"]:
        if not d.is_dir():
            continue
        for path in sorted(d.glob("*.yaml")):
            try:
                data = yaml.load(path.read_text(), Loader=FAST_LOADER)
            except (OSError, yaml.YAMLError) as e:
                problems.append(
                    f"{path}: not readable YAML ({str(e).splitlines()[0]}); using the default theme"
                )
                continue
            if not isinstance(data, dict) or "primary" not in data:
                problems.append(
                    f"{path}: a theme needs at least `primary:` (and name, background, ...); skipped"
                )
                continue
            unknown = set(data) - THEME_KEYS
            if unknown:
                problems.append(
                    f"{path}: unknown keys {', '.join(sorted(unknown))}; known: {', '.join(sorted(THEME_KEYS))}"
                )
                continue
            data.setdefault("name", "netui-" + path.stem)
            found[path.stem] = ThemeFile(path, data)
    return list(found.values()), problems
