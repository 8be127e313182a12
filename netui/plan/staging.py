"""Staged edits: fixes and rule deletes/moves picked one by one, on any screen, collected into
one plan — one preview, one before/after diff per host, one journal entry, one undo.

Each staged item is the small plan its own `x`/`m` would have applied; `combined` merges them
step by step and refuses what cannot be one plan, as each kind says (two different edits of one
file, one rule both moved and deleted, two routes to one range, two DNS drop-ins for a host).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from netui.plan import model
from netui.plan.model import HostPlan, Plan, PlanRefused
from netui.plan.step import Step


@dataclass(frozen=True)
class StagedItem:
    label: str  # what the operator picked, as a line: "delete POSTROUTING #3 on a-master"
    plan: Plan


_T = TypeVar("_T")


def _extend(target: list[_T], items: list[_T]) -> None:
    for item in items:
        if item not in target:
            target.append(item)


def _join(name: str, into: HostPlan, step: Step, problems: list[str]) -> None:
    """Put `step` into `into`: once; merged with a step changing the same thing when the kind
    can merge them; a problem named by the kind when it cannot."""
    if step in into.steps:
        return
    key = step.key()
    same = next((i for i, s in enumerate(into.steps) if key is not None and s.key() == key), None)
    if same is None:
        into.steps.append(step)
        return
    merged = into.steps[same].merge(step)
    if merged is None:
        problems.append(f"{name}: {into.steps[same].conflict(step)}")
    else:
        into.steps[same] = merged


def merge(plans: list[Plan], env: str = "") -> Plan:
    """One plan doing what every one of `plans` does."""
    out = Plan(model.new_plan_id(), env=env)
    problems: list[str] = []
    for plan in plans:
        _extend(out.taints, plan.taints)
        _extend(out.notes, plan.notes)
        for name, hp in plan.hosts.items():
            for step in hp.steps:
                _join(name, out.host(name), step, problems)
    if problems:
        raise PlanRefused(problems)
    return out.prune()


@dataclass
class Stage:
    """What the operator has picked so far in this session, not yet applied."""

    items: list[StagedItem] = field(default_factory=list)

    def add(self, label: str, plan: Plan) -> bool:
        """Stage `plan`; False when the same thing is staged already."""
        if self.has(label):
            return False
        self.items.append(StagedItem(label, plan))
        return True

    def has(self, label: str) -> bool:
        return any(i.label == label for i in self.items)

    def drop(self, index: int) -> StagedItem:
        return self.items.pop(index)

    def clear(self) -> None:
        self.items.clear()

    def __len__(self) -> int:
        return len(self.items)

    def rule_marks(self, host: str, table: str, chain: str) -> dict[str, str]:
        """The rules of `chain` on `host` a staged change deletes or moves, by rule text: what
        a nat view marks ("del", "move") so a staged rule is seen as such before the apply."""
        marks: dict[str, str] = {}
        for item in self.items:
            hp = item.plan.hosts.get(host)
            for step in hp.steps if hp else []:
                mark = step.staged_mark(table, chain)
                if mark is not None:
                    marks[mark[0]] = mark[1]
        return marks

    def combined(self, env: str = "") -> Plan:
        return merge([i.plan for i in self.items], env)
