"""A plan's outcome in one line: its status and, when something failed, the reason — the last
words of the first failed step (a step's error holds the whole `sh -c` dump; the reason is at
its end), never only "failed" with the reason buried in history."""

from __future__ import annotations

from typing import Any

from netui.plan.journal import FAILED
from netui.plan.states import PlanState

MAX_REASON = 240


def _last_words(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    reason = lines[-1] if lines else ""
    return reason if len(reason) <= MAX_REASON else reason[: MAX_REASON - 1] + "…"


def failure_reason(data: dict[str, Any]) -> str | None:
    """The first failed step's reason across the plan's hosts (`data`: the journal's), or a
    host's own error; None when nothing failed."""
    for name, record in data.get("hosts", {}).items():
        for step in record.get("steps", []):
            if step.get("status") == FAILED and step.get("error"):
                return f"{name}: {step['summary']}: {_last_words(str(step['error']))}"
    for name, record in data.get("hosts", {}).items():
        if record.get("error"):
            return f"{name}: {_last_words(str(record['error']))}"
    return None


def outcome_line(plan_id: str, status: str, data: dict[str, Any]) -> str:
    reason = failure_reason(data) if not PlanState(status).succeeded else None
    return f"plan {plan_id}: {status}" + (f" — {reason}" if reason else "")
