"""Handing a plan to the engine operations teams already run: `netui export ansible`."""

from __future__ import annotations

from pathlib import Path

from netui.core.session import Session
from netui.plan.model import Plan


def export_ansible(
    session: Session, folder: str, cluster: str | None = None, position: int = 1
) -> tuple[Plan, list[Path]]:
    """Plan now (exactly as `netui plan`), read each host the plan touches, and write the
    Ansible project that applies it and the one that undoes it."""
    from netui.fleet.ansible import check_exportable, write_project

    change = session.plan(cluster, position)
    plan = change.plan
    check_exportable(session.env, plan)
    # the commands and the states `netui plan` rendered: the hosts are read once
    written = write_project(Path(folder), session.env, plan, change.commands, change.snapshots)
    if not session.readonly:
        _record(session, plan, folder)
    return plan, written


def run_playbook(folder: str, playbook: str, check: bool = False) -> int:
    """ansible-playbook on an exported project (its own ansible.cfg); its exit status."""
    from netui.fleet.ansible import run_playbook as run

    return run(Path(folder), playbook, check=check)


def _record(session: Session, plan: Plan, folder: str) -> None:
    """The exported plan in netui's journal: `netui history` lists it, and `netui undo` of it
    points to its undo.yml instead of guessing (netui did not run it)."""
    from netui.plan.journal import EXPORTED, Journal, audit

    with session.writing("export"):
        journal = Journal(plan)
        journal.data["exported_to"] = str(Path(folder).resolve())
        journal.set_status(EXPORTED)
        audit("export ansible", plan, list(plan.hosts), EXPORTED)
