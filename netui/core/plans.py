"""Plans as the faces see them: the plan and its journal, its text, how a finding or a rule
change becomes one, and what an undo would do. The screens reach planning through here."""

from __future__ import annotations

from netui.doctor.context import DoctorInput
from netui.plan.foreign import change_label, refusal, rule_change_plan
from netui.plan.journal import Journal
from netui.plan.model import Plan
from netui.plan.planner import make_plan, plan_for_finding
from netui.plan.render import plan_text
from netui.plan.undoing import preview as undo_preview

__all__ = [
    "DoctorInput",
    "Journal",
    "Plan",
    "change_label",
    "make_plan",
    "plan_for_finding",
    "plan_text",
    "refusal",
    "rule_change_plan",
    "undo_preview",
]
