"""Printing for the CLI: JSON of dataclasses, and aligned plain-text tables."""

from __future__ import annotations

import sys
from collections.abc import Sequence

# json, dataclasses and typing are imported where they are used: every command module imports
# this one, and `netui --help` imports every command module (netui/commands/registry.py)
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def to_jsonable(obj: Any) -> Any:
    import dataclasses

    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: to_jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.repr
        }
    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, str | int | float | bool) or obj is None:
        return obj
    return str(obj)


def print_json(obj: Any) -> None:
    import json

    json.dump(to_jsonable(obj), sys.stdout, indent=2)
    sys.stdout.write("\n")


def table(rows: Sequence[Sequence[Any]], header: Sequence[str] | None = None) -> str:
    cells = [[str(c) for c in r] for r in ([header] if header else []) + list(rows)]
    if not cells:
        return ""
    widths = [
        max(len(r[i]) if i < len(r) else 0 for r in cells)
        for i in range(max(len(r) for r in cells))
    ]
    lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() for r in cells]
    return "\n".join(lines)
