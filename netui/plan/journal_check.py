"""What makes a journal file one netui can act on. A file that is not is refused by name (which
file, what is wrong) and never undone blindly: it may describe changes still standing on its
hosts, so an undo of anything else under it is refused too (plan/undoing.py)."""

from __future__ import annotations

from typing import Any

from netui.plan.states import HostOutcome, PlanState

# The journal file's format: 2 = steps by kind, with netui's own sequence; 1 (no format field)
# = the files of earlier netui, still read.
FORMATS = (1, 2)
FORMAT = 2


def _host_problem(name: str, record: Any) -> str | None:
    if not isinstance(record, dict):
        return f"host {name!r} is {_short(record)}, not a record"
    status = record.get("status")
    if not isinstance(status, str) or status not in HostOutcome._value2member_map_:
        return f"host {name!r} has the status {_short(status)}, not one netui writes"
    if not isinstance(record.get("steps", []), list) or not isinstance(record.get("pre", {}), dict):
        return f"host {name!r} has no list of steps or no pre-change record"
    return None


def problem(data: Any) -> str | None:
    """What is wrong with a journal file's content (None: nothing)."""
    if not isinstance(data, dict):
        return "not a netui journal (not a JSON object)"
    fmt = data.get("format", 1)
    if fmt not in FORMATS or isinstance(fmt, bool):
        return f"unknown journal format {_short(fmt)} (this netui reads {' and '.join(map(str, FORMATS))})"
    plan = data.get("plan")
    if not isinstance(plan, dict) or not isinstance(plan.get("id"), str):
        return "not a netui journal (no plan id)"
    if not isinstance(plan.get("created"), int | float) or isinstance(plan.get("created"), bool):
        return f"the plan's time is {_short(plan.get('created'))}, not a number"
    seq = data.get("seq")
    if seq is not None and (not isinstance(seq, int) or isinstance(seq, bool)):
        return f"its sequence number is {_short(seq)}, not a number"
    status = data.get("status")
    if not isinstance(status, str) or status not in PlanState._value2member_map_:
        return f"the plan's status is {_short(status)}, not one netui writes"
    hosts = data.get("hosts")
    if not isinstance(hosts, dict):
        return "its hosts are not a mapping"
    for name, record in hosts.items():
        found = _host_problem(name, record)
        if found:
            return found
    return None


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
