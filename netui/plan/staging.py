"""Staged edits: fixes and rule deletes/moves picked one by one, on any screen, collected into
one plan — one preview, one before/after diff per host, one journal entry, one undo.

Each staged item is the small plan its own `x`/`m` would have applied; `combined` merges them
and refuses what cannot be one plan (two different edits of one file, one rule both moved and
deleted, two different DNS drop-ins for a host).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from netui.plan import model
from netui.plan.model import HostPlan, Plan, PlanRefused


@dataclass(frozen=True)
class StagedItem:
    label: str  # what the operator picked, as a line: "delete POSTROUTING #3 on a-master"
    plan: Plan


def _extend(target: list, items: list) -> None:  # type: ignore[type-arg]
    for item in items:
        if item not in target:
            target.append(item)


def merge(plans: list[Plan], env: str = "") -> Plan:
    """One plan doing what every one of `plans` does."""
    out = Plan(model.new_plan_id(), env=env)
    problems: list[str] = []
    for plan in plans:
        _extend(out.taints, plan.taints)
        _extend(out.notes, plan.notes)
        for name, hp in plan.hosts.items():
            into: HostPlan = out.host(name)
            into.forwarding_on |= hp.forwarding_on
            into.persist_forwarding |= hp.persist_forwarding
            into.jump_position = min(into.jump_position, hp.jump_position)
            for attr in ("masquerade", "forward_accept", "routes", "delete_rules", "move_rules"):
                _extend(getattr(into, attr), getattr(hp, attr))
            if hp.dns is not None:
                if into.dns is not None and into.dns != hp.dns:
                    problems.append(f"{name}: two different DNS drop-ins staged; keep one")
                into.dns = hp.dns
            for edit in hp.file_edits:
                same = [e for e in into.file_edits if e.path == edit.path]
                if same and same[0] != edit:
                    problems.append(
                        f"{name}: {edit.path} is edited by two staged fixes; apply one, then stage the other"
                    )
                elif not same:
                    into.file_edits.append(edit)
    for name, hp in out.hosts.items():
        deleted = {(r.chain, r.rule) for r in hp.delete_rules}
        for moved in hp.move_rules:
            if (moved.chain, moved.rule) in deleted:
                problems.append(
                    f"{name}: {moved.chain} rule {moved.rule!r} is both deleted and moved"
                )
        via: dict[str, str] = {}
        for route in hp.routes:
            if via.setdefault(route.cidr, route.via) != route.via:
                problems.append(f"{name}: two different routes to {route.cidr} staged")
    if problems:
        raise PlanRefused(problems)
    return out.prune()


@dataclass
class Stage:
    """What the operator has picked so far in this session, not yet applied."""

    items: list[StagedItem] = field(default_factory=list)

    def add(self, label: str, plan: Plan) -> bool:
        """Stage `plan`; False when the same thing is staged already."""
        if any(i.label == label for i in self.items):
            return False
        self.items.append(StagedItem(label, plan))
        return True

    def drop(self, index: int) -> StagedItem:
        return self.items.pop(index)

    def clear(self) -> None:
        self.items.clear()

    def __len__(self) -> int:
        return len(self.items)

    def combined(self, env: str = "") -> Plan:
        return merge([i.plan for i in self.items], env)
