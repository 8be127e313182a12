"""Preview, ask, apply: how a screen changes hosts outside the plan screen (a rule deleted or
moved in the NAT view, a finding fixed from the doctor's pane).

The dialog shows the exact commands `netui apply` would run, rendered from each host's state read
just now (the same `Session.preview` as `netui plan`); Cancel has the focus; the apply runs in a
worker and is journaled like every plan (undo it from history)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual.screen import Screen

from netui.core.plans import Plan, plan_text
from netui.screens.netui_app import netui_app

if TYPE_CHECKING:
    from netui.core.session import PlanState


def offer_plan(
    screen: Screen[Any],
    plan: Plan,
    question: str,
    ok_label: str,
    done: Callable[[str, PlanState], None] | None = None,
    stopped: Callable[[str], None] | None = None,
) -> None:
    """Read the hosts, ask with the exact commands (Cancel is the default), apply on yes, then
    `done(outcome, status)`: the plan's outcome in one line (its status, with the reason when
    it failed) and its status, for a screen to act on (never parsed back from the line). Ended
    before an outcome (cancelled, refused, the hosts unreadable): `stopped(why)`, in one line."""
    from netui.screens.confirm import ConfirmScreen

    app = netui_app(screen)
    if app.readonly:
        screen.notify("read-only: netui changes nothing in this session", severity="warning")
        return

    session = app.session

    def apply() -> None:
        from netui.core.errors import UserError

        try:
            journal = session.apply(plan)
        except UserError as e:  # another netui writing, read-only: said on this screen
            app.call_from_thread(screen.notify, f"✗ {e}", severity="error", timeout=10)
            if stopped:
                app.call_from_thread(stopped, f"plan {plan.id}: not applied: {e}")
            return
        from netui.core.outcome import outcome_line

        line = outcome_line(plan.id, journal.status, journal.data)
        failed = line != f"plan {plan.id}: {journal.status}"
        app.call_from_thread(
            screen.notify, line, severity="error" if failed else "information", timeout=12
        )
        app.refresh_hosts()
        if done:
            app.call_from_thread(done, line, journal.status)

    def decided(ok: bool | None) -> None:
        if ok:
            screen.run_worker(apply, thread=True, exclusive=True)
        elif stopped:
            stopped(f"plan {plan.id}: cancelled, nothing changed")

    def ask(commands: dict[str, list[Any]]) -> None:
        body = plan_text(commands, plan)
        body += "".join(f"\nnote: {n}" for n in plan.notes)
        body += "\n\nJournaled; undo it from history (h)."
        app.push_screen(ConfirmScreen(question, body, ok_label), decided)

    def preview() -> None:
        from netui.core.errors import HostError

        try:
            commands = session.preview(plan)
        except HostError as e:
            app.call_from_thread(screen.notify, f"cannot preview: {e}", severity="error")
            if stopped:
                app.call_from_thread(stopped, f"plan {plan.id}: cannot preview: {e}")
            return
        app.call_from_thread(ask, commands)

    screen.run_worker(preview, thread=True, exclusive=True)


def offer_switch(
    screen: Screen[Any],
    domain: str,
    cluster: str,
    say: Callable[[str], None],
    done: Callable[[str, PlanState], None] | None = None,
) -> None:
    """The migration switch from any screen: planned by the core in a worker, then the same
    preview-ask-apply as every write; `say` tells the screen what happened (the plan's id, why
    there is nothing to switch, why it cannot be planned)."""
    from netui.core.dns import switch_plan
    from netui.core.errors import UserError

    app = netui_app(screen)
    if app.readonly:
        screen.notify("read-only: netui changes nothing in this session", severity="warning")
        return
    say(f"planning: {domain} -> cluster {cluster}…")

    def offer(plan: Plan) -> None:
        if plan.empty:
            say("nothing to switch: " + "; ".join(plan.notes))
            return
        say(f"plan {plan.id}: the exact commands are in the dialog")

        def finished(outcome: str, status: PlanState) -> None:
            say(outcome)  # the status line no longer points at a dialog that is gone
            if done:
                done(outcome, status)

        offer_plan(
            screen,
            plan,
            f"Resolve {domain} in cluster {cluster}?",
            "Switch",
            done=finished,
            stopped=say,  # nor after a cancel or a refusal
        )

    def work() -> None:
        try:
            plan = switch_plan(app.session, domain, cluster)
        except UserError as e:
            app.call_from_thread(say, f"✗ {e}")
            return
        app.call_from_thread(offer, plan)

    screen.run_worker(work, thread=True, exclusive=True)
