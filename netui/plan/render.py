"""Exact commands for a host plan, rendered from the host's live state (pure).

Conventions (../../docs/architecture.md): netui's rules live in its own chains, jumped to from
the built-in chain at a position the operator chose; every rule carries `netui:<plan-id>`; every
table a host plan changes goes into ONE `iptables-restore --noflush -w 5` call (atomic per
table, kube-proxy's way: plan/restore.py). The inverse is surgical: it deletes what this plan
added (found by its comment in the live table) and puts back what it removed, at its old
position; it never restores a whole table.

Each step of the plan renders itself (plan/step.py, plan/kinds/); nothing here names a kind.
"""

from __future__ import annotations

from netui.plan.command import Command, Guard
from netui.plan.model import HostPlan, Plan
from netui.plan.restore import RESTORE
from netui.plan.step import HostState, Rollback, Script, apply_order, rollback_order, undo_order

__all__ = ["RESTORE", "Command", "Guard", "apply_commands", "rollback_script", "undo_commands"]


def apply_commands(hp: HostPlan, plan_id: str, live: HostState) -> list[Command]:
    """What applying `hp` runs on its host, given the host's live state."""
    out = Script(plan_id, "apply", live)
    for step in apply_order(hp.steps):
        out.begin(step)
        step.apply(live, out)
    return out.commands()


def undo_commands(
    hp: HostPlan,
    plan_id: str,
    live: HostState,
    found: HostState,
    retry_of: frozenset[str] = frozenset(),
) -> list[Command]:
    """The inverse of `hp` from the live state and the state its steps found (reverse order of
    apply). Steps whose effect is gone already render nothing. `retry_of`: the summaries of
    commands that failed in a first attempt (a reload still owed)."""
    out = Script(plan_id, "undo", live, retry_of)
    for step in undo_order(hp.steps):
        out.begin(step)
        step.undo(live, found, out)
    return out.commands()


def rollback_script(hp: HostPlan, plan_id: str, found: HostState) -> str:
    """A POSIX sh script that undoes `hp` on its own, for commit-confirmed. It runs detached on
    the target, so it is error-tolerant: each step on its own, failures skipped. Every value is
    quoted with shlex."""
    out = Rollback(plan_id)
    out.line("#!/bin/sh")
    out.line(f"# netui rollback of plan {plan_id} on {hp.host}")
    out.line("set +e")
    for step in rollback_order(hp.steps):
        step.rollback(found, out)
    return "\n".join(out.lines) + "\n"


def plan_text(commands: dict[str, list[Command]], plan: Plan | None = None) -> str:
    """What a plan will run, for people: each host's commands, then the Kubernetes API calls
    (taints). The CLI prints it and the TUI's plan screen and dialogs show it."""
    out = []
    for host, cmds in commands.items():
        out.append(f"{host}:")
        for c in cmds:
            out.append(f"  # {c.summary}")
            out.append("  " + c.preview().replace("\n", "\n  "))
    for t in plan.taints if plan else ():
        out.append(f"cluster {t.cluster} (Kubernetes API):")
        out.append(f"  # taint node {t.node} {t.text}: new workloads stay off the forwarder")
        out.append(f"  PATCH /api/v1/nodes/{t.node}  spec.taints += {t.text}")
    return "\n".join(out)
