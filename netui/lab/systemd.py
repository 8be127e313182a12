"""The lab's stand-in for systemd at boot: which units a host has enabled and what they run.

Lab hosts have no init of their own. A reboot (reboot.py) runs, in name order, every unit linked
from the host's `/etc/systemd/system/*.wants/`, the way systemd would start them for a boot into
multi-user.target: its `ExecStartPre=` lines, then its `ExecStart=` lines. Only what a oneshot
service needs is modelled (no dependencies beyond the name order, no specifiers).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

UNIT_DIR = "/etc/systemd/system"


@dataclass(frozen=True)
class ExecLine:
    argv: tuple[str, ...]
    may_fail: bool  # the `-` prefix: a failure does not fail the unit


@dataclass(frozen=True)
class Unit:
    name: str
    exec_lines: tuple[ExecLine, ...]


def _exec_line(value: str) -> ExecLine | None:
    value = value.strip()
    may_fail = False
    # systemd's prefixes: - (ignore failure), @ (argv0), : (no env expansion), + ! (privileges)
    while value[:1] in ("-", "@", ":", "+", "!"):
        may_fail = may_fail or value[0] == "-"
        value = value[1:]
    try:
        argv = shlex.split(value)
    except ValueError:
        return None
    return ExecLine(tuple(argv), may_fail) if argv else None


def parse_unit(name: str, text: str) -> Unit:
    """The exec lines of a unit file's [Service] section, ExecStartPre= before ExecStart=."""
    pre: list[ExecLine] = []
    start: list[ExecLine] = []
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        if section != "Service" or "=" not in line or line[0] in "#;":
            continue
        key, _, value = line.partition("=")
        key = key.strip()
        if key in ("ExecStartPre", "ExecStart"):
            if not value.strip():  # an empty assignment resets the list, as in systemd
                (pre if key == "ExecStartPre" else start).clear()
                continue
            parsed = _exec_line(value)
            if parsed:
                (pre if key == "ExecStartPre" else start).append(parsed)
    return Unit(name, tuple(pre + start))


def timer_interval(text: str) -> float | None:
    """A timer unit's repeat interval in seconds (OnUnitActiveSec=, e.g. 30s, 2min, 1h)."""
    for raw in text.splitlines():
        key, _, value = raw.strip().partition("=")
        if key.strip() not in ("OnUnitActiveSec", "OnUnitInactiveSec"):
            continue
        value = value.strip()
        for suffix, scale in (("min", 60), ("ms", 0.001), ("s", 1), ("h", 3600), ("", 1)):
            number = value.removesuffix(suffix) if suffix else value
            if value.endswith(suffix) and number.replace(".", "", 1).isdigit():
                return float(number) * scale
    return None


def timer_service(name: str, text: str) -> str:
    """The service a timer starts: its Unit=, else the timer's own name as a .service."""
    for raw in text.splitlines():
        key, _, value = raw.strip().partition("=")
        if key.strip() == "Unit" and value.strip():
            return value.strip()
    return name.removesuffix(".timer") + ".service"


def enabled_timers(wants: dict[str, list[str]]) -> list[str]:
    return sorted({n for entries in wants.values() for n in entries if n.endswith(".timer")})


def enabled_units(wants: dict[str, list[str]]) -> list[str]:
    """Unit names enabled through any `*.wants/` directory (dir -> entries), once, in name order."""
    names = {n for entries in wants.values() for n in entries if n.endswith(".service")}
    return sorted(names)
