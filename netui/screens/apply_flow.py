"""Preview, ask, apply: the one way a screen changes hosts outside the plan screen (a rule
deleted or moved in the NAT view, a finding fixed from the doctor's pane).

The dialog shows the exact commands rendered from each host's latest snapshot, Cancel has the
focus, the apply runs in a worker and is journaled like every plan (undo it from history)."""

from __future__ import annotations

from collections.abc import Callable

from textual.screen import Screen

from netui.model.snapshot import HostSnapshot
from netui.plan.model import PERSIST_FILE, Plan


def preview_text(plan: Plan, snapshots: dict[str, HostSnapshot]) -> str:
    """What will run, per host, from the given snapshots (the same renderer apply uses)."""
    from netui.plan import render

    out = []
    for host, hp in plan.hosts.items():
        snap = snapshots.get(host)
        if snap is None or snap.nat is None:
            out.append(f"{host}: (not read yet: the exact commands are rendered when it is)")
            continue
        commands = render.apply_commands(
            hp, plan.id, snap.nat, snap.filter, snap.files.get(PERSIST_FILE)
        )
        out.append(f"{host}:")
        out += ["  " + c.preview().replace("\n", "\n  ") for c in commands]
    out += [f"note: {n}" for n in plan.notes]
    return "\n".join(out)


def offer_plan(
    screen: Screen,  # type: ignore[type-arg]
    plan: Plan,
    snapshots: dict[str, HostSnapshot],
    question: str,
    ok_label: str,
    done: Callable[[str], None] | None = None,
) -> None:
    """Ask (Cancel is the default) with the exact commands; apply on yes; `done(status)` after."""
    from netui.screens.confirm import ConfirmScreen

    app = screen.app
    if app.readonly:  # type: ignore[attr-defined]
        screen.notify("read-only: netui changes nothing in this session", severity="warning")
        return
    body = preview_text(plan, snapshots) + "\n\nJournaled; undo it from history (h)."

    def apply() -> None:
        from netui.backends import Hosts
        from netui.plan import executor

        with Hosts(app.env) as hosts:  # type: ignore[attr-defined]
            journal = executor.apply(plan, hosts)
        app.call_from_thread(screen.notify, f"plan {plan.id}: {journal.status}", timeout=5)
        poller = getattr(app, "poller", None)
        if poller:
            poller.refresh()
        if done:
            app.call_from_thread(done, journal.status)

    def decided(ok: bool | None) -> None:
        if ok:
            screen.run_worker(apply, thread=True, exclusive=True)

    app.push_screen(ConfirmScreen(question, body, ok_label), decided)
