"""Which plan an undo may revert, and what it will do — the same refusals for both faces.

An undo must never put back state that a later plan (or a confirm timer) built on: a plan whose
rollback already fired has nothing left to undo, and a plan with a newer plan still standing on
one of its hosts is refused with the order to undo in.
"""

from __future__ import annotations

from collections.abc import Callable

from netui.backends import Hosts
from netui.plan import executor
from netui.plan.journal import (
    DONE,
    FAILED,
    PENDING,
    Journal,
    JournalError,
    journal_problems,
    later_standing,
    list_journals,
)
from netui.plan.states import HostOutcome, PlanState


class UndoRefused(Exception):
    """Nothing is undone; the message says why and what to do instead."""


def load(plan_id: str) -> Journal:
    try:
        return Journal.load(plan_id)
    except FileNotFoundError:
        raise UndoRefused(f"no plan {plan_id!r} in the journal; see `netui history`") from None
    except JournalError as e:
        raise UndoRefused(str(e)) from None


def candidates(wanted: Callable[[PlanState], bool], plan_id: str | None) -> list[Journal]:
    """The plan named, or every plan whose state is `wanted`, newest first."""
    if plan_id:
        return [load(plan_id)]
    return [
        load(d["plan"]["id"]) for d in reversed(list_journals()) if wanted(PlanState(d["status"]))
    ]


def choose(hosts: Hosts, plan_id: str | None) -> tuple[Journal | None, list[str]]:
    """The plan to undo (the one named, else the newest with something left to undo), after
    asking the hosts whether confirm timers fired; and notes on the plans passed over."""
    refuse_unreadable()
    notes = []
    for journal in candidates(lambda s: s.undoable, plan_id):
        if journal.status.exported:  # named: netui did not run it, Ansible did (or will)
            folder = journal.data.get("exported_to", "its folder")
            notes.append(
                f"plan {journal.plan.id} was exported to Ansible ({folder}): netui did not run "
                "it; undo it with `ansible-playbook undo.yml` there"
            )
            return None, notes
        _refuse_foreign(journal, hosts)
        if journal.status.awaiting_confirmation:
            executor.settle_timers(journal, hosts)
        if journal.status.rolled_back:
            notes.append(
                f"plan {journal.plan.id} {rolled_back_by(journal)}: nothing of it is left to undo"
            )
            if plan_id:
                return None, notes
            continue
        if not ran_anything(journal):
            if plan_id:
                notes.append(
                    f"plan {journal.plan.id} changed nothing ({journal.status}): nothing to undo"
                )
                return None, notes
            continue  # a plan refused or failed before its first step is no undo candidate
        return journal, notes
    return None, notes


def _refuse_foreign(journal: Journal, hosts: Hosts) -> None:
    """A plan applied through another environment file: its hosts are not this one's."""
    from netui.model.envfile import EnvironmentProblem

    for name in journal.plan.hosts:
        try:
            hosts[name]
        except EnvironmentProblem:
            env = journal.plan.env
            how = f"--env {env}" if env else "--env and that file"
            raise UndoRefused(
                f"plan {journal.plan.id} was applied through {env or 'another environment file'}"
                f", and host {name} is not in this environment: undo it with "
                f"`netui undo {journal.plan.id}` {how}"
            ) from None


def rolled_back_by(journal: Journal) -> str:
    """How a plan that was never confirmed was rolled back: by its confirm timer, or host by
    host (a reboot ran some hosts' rollback)."""
    hosts = journal.data["hosts"]
    when = sorted(h["fired_at"] for h in hosts.values() if "fired_at" in h)
    if journal.status is PlanState.TIMER_FIRED:
        return "was rolled back by its confirm timer" + (f" ({when[-1]})" if when else "")
    how = [
        f"{n} by a reboot"
        if journal.host_outcome(n) is HostOutcome.REBOOTED
        else f"{n} by its timer"
        for n in journal.plan.hosts
        if journal.host_outcome(n).rolled_back
    ]
    return f"was rolled back before it was confirmed ({', '.join(how)})"


def refuse_unreadable() -> None:
    """A journal file netui cannot read may be a newer plan standing on the same hosts: no
    undo runs blindly under it."""
    bad = journal_problems()
    if bad:
        raise UndoRefused(
            "the journal holds what netui cannot read, so it cannot tell what an undo would "
            f"run under: {'; '.join(bad)} — move it out of the journal (or put it right), then "
            "undo again"
        )


def ran_anything(journal: Journal) -> bool:
    """Did any step of this plan run (or start) on a host or an API?"""
    return any(
        s["phase"] == "apply" and s["status"] in (DONE, PENDING, FAILED)
        for record in journal.data["hosts"].values()
        for s in record.get("steps", [])
    )


def check(journal: Journal) -> None:
    """Refuse an undo that would run under a newer plan's changes."""
    refuse_unreadable()
    if journal.status.undone:
        raise UndoRefused(f"plan {journal.plan.id} is already undone: nothing to do")
    later = later_standing(journal)
    if later:
        order = ", ".join(f"{pid} (also changed {', '.join(h)})" for pid, h in later)
        raise UndoRefused(
            f"plan {journal.plan.id}: newer plans changed the same hosts since: {order}; undo "
            f"those first (newest first: `netui undo {later[-1][0]}`), or their changes would be "
            "undone under them"
        )


def preview(journal: Journal) -> list[str]:
    """What the undo will revert, per host, from the journal."""
    lines = []
    for name in journal.plan.hosts:
        record = journal.host(name)
        outcome = journal.host_outcome(name)
        if outcome.rolled_back:
            by = "its confirm timer" if outcome is HostOutcome.TIMER_FIRED else "a reboot"
            lines.append(f"{name}: nothing ({by} already rolled it back)")
            continue
        ran = [
            s["summary"]
            for s in record["steps"]
            if s["phase"] == "apply" and s["status"] in (DONE, PENDING, FAILED)
        ]
        lines.append(f"{name}: undo " + ("; ".join(ran) if ran else "nothing (nothing ran here)"))
        if ran:
            lines += [
                f"    {w}" for step in journal.plan.hosts[name].steps for w in step.undo_words()
            ]
    for t in journal.plan.taints:
        lines.append(f"cluster {t.cluster}: remove taint {t.text} from {t.node}")
    return lines
