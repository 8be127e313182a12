"""A plan and its steps back from the journal: each step's kind looked up in the registry of
kinds (plan/step.py's `KINDS`, filled by importing plan/kinds/), and a plan of the older format
read through plan/legacy.py.

Its own module so that the plan's model and the step protocol import no kind: the kinds import
them, and this module imports the kinds (no import cycle among them, tests/test_layers.py)."""

from __future__ import annotations

from typing import Any

from netui.plan import kinds  # noqa: F401  (importing it registers every kind)
from netui.plan.legacy import steps_of
from netui.plan.model import FORMAT, HostPlan, Plan, Taint
from netui.plan.step import KINDS, Step, StepError


def step_from_dict(d: Any) -> Step:
    """A step back from the journal; StepError names what is wrong."""
    if not isinstance(d, dict) or not isinstance(d.get("kind"), str):
        raise StepError(f"a step is not a mapping with a kind: {str(d)[:80]!r}")
    cls = KINDS.get(d["kind"])
    if cls is None:
        raise StepError(f"unknown kind of change {d['kind']!r} (known: {', '.join(sorted(KINDS))})")
    fields = {k: v for k, v in d.items() if k != "kind"}
    try:
        return cls.from_fields(fields)
    except (TypeError, ValueError, KeyError) as e:
        raise StepError(f"a {d['kind']} step cannot be read ({e})") from None


def plan_from_dict(d: dict[str, Any]) -> Plan:
    """A plan back from the journal (Plan.to_dict's inverse). Raises StepError (a ValueError)
    naming what is wrong."""
    fmt = d.get("format", 1)
    if fmt not in (1, FORMAT):
        raise StepError(f"unknown plan format {fmt!r} (this netui reads 1 and {FORMAT})")
    hosts = {}
    for name, h in d.get("hosts", {}).items():
        if not isinstance(h, dict):
            raise StepError(f"host {name!r} is not a mapping")
        if fmt == 1:
            steps = steps_of(h)
        else:
            if not isinstance(h.get("steps"), list):
                raise StepError(f"host {name!r} has no list of steps")
            steps = [step_from_dict(s) for s in h["steps"]]
        hosts[name] = HostPlan(host=h.get("host", name), steps=steps)
    return Plan(
        id=d["id"],
        hosts=hosts,
        taints=[Taint(**t) for t in d.get("taints", [])],
        notes=list(d.get("notes", [])),
        env=d.get("env", ""),
        created=d["created"],
        user=d["user"],
        came_from=d["came_from"],
    )
