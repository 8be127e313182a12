"""Plan, apply (optionally commit-confirmed, with a countdown), and history with undo."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from netui.core.plans import plan_text
from netui.screens.confirm import ConfirmScreen
from netui.screens.netui_app import netui_app
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain, cells

CONFIRM_SECONDS = 60

if TYPE_CHECKING:
    from netui.core.plans import Journal


def next_steps(journal: Journal, confirm_seconds: int) -> list[str]:
    """What to do now, after an apply: in the words of the keys that do it."""
    out = ["next:"]
    if confirm_seconds and journal.status.awaiting_confirmation:
        out.append(
            f"  y       confirm (anywhere in netui) within {confirm_seconds} s, or every host rolls back"
        )
    out += [
        "  t / o   trace a path / probe every cluster from the office",
        "  h       history: undo this plan (u) — surgical, also after a crash",
    ]
    if not journal.status.succeeded:
        out.append("  d       the doctor: why a host failed")
    return out


class PlanScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("home", "plan_top", "Top", show=False, id="plan_top"),
        Binding("end", "plan_bottom", "Bottom", show=False, id="plan_bottom"),
        Binding("a", "apply(0)", "Apply", id="apply"),
        Binding("c", "apply_confirmed", "Apply with rollback", id="apply_confirmed"),
        Binding("t", "toggle_taint", "Taint forwarders", id="toggle_taint"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.taint_forwarders = False
        self.plan = None
        self.commands: dict[str, list[Any]] = {}
        self.journal: Journal | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll():
            yield Plain("planning…", id="plan")
            yield Plain("", id="progress")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "netui — plan"
        self.run_worker(self._make, thread=True, exclusive=True)

    def _make(self) -> None:
        from netui.core.errors import HostError, PlanRefused, UserError

        try:
            planned = netui_app(self).session.plan(taint_forwarders=self.taint_forwarders)
        except PlanRefused as e:
            self.app.call_from_thread(
                self._show_text, "refusing to plan:\n" + "\n".join(f"  ✗ {r}" for r in e.reasons)
            )
            return
        except (HostError, UserError) as e:
            self.app.call_from_thread(self._show_text, f"✗ cannot plan: {e}")
            return
        for w in planned.diagnosis.warnings:
            self.app.call_from_thread(self.notify, w, severity="warning", timeout=8)
        self.app.call_from_thread(self._show_plan, planned.plan, planned.commands)

    def action_plan_top(self) -> None:
        self.query_one(VerticalScroll).scroll_home(animate=False)

    def action_plan_bottom(self) -> None:
        self.query_one(VerticalScroll).scroll_end(animate=False)

    def action_toggle_taint(self) -> None:
        """Plan (or stop planning) netui's NoSchedule taint on each forwarder, and plan again."""
        if self.journal is not None:
            return
        self.taint_forwarders = not self.taint_forwarders
        self.plan = None
        self._show_text(
            "planning"
            + (" with" if self.taint_forwarders else " without")
            + " the forwarders' taint…"
        )
        self.run_worker(self._make, thread=True, exclusive=True)

    def _show_text(self, text: str) -> None:
        self.query_one("#plan", Static).update(text)

    def _show_plan(self, plan: Any, commands: dict[str, list[Any]]) -> None:
        self.plan, self.commands = plan, commands
        if plan.empty:
            self._show_text(
                "✓ nothing to change: the office is connected to every cluster as far as netui can see"
            )
            return
        text = f"plan {plan.id} — exactly these commands will run:\n\n" + plan_text(commands, plan)
        if netui_app(self).readonly:
            text += "\n\n(read-only: applying is disabled)"
        else:
            text += "\n\na: apply   c: apply with a rollback armed on every host unless confirmed (y) within 60 s"
        self._show_text(text)

    def _can_apply(self) -> bool:
        if netui_app(self).readonly:
            self.notify("read-only: netui changes nothing in this session", severity="warning")
            return False
        return self.plan is not None and not self.plan.empty and self.journal is None

    def _cancelled(self) -> None:
        """An apply dialog answered Cancel: said, so a blind Enter is not taken for nothing."""
        self.notify(f"plan {self.plan.id if self.plan else ''}: cancelled, nothing changed")

    def action_apply(self, confirm_seconds: int = 0) -> None:
        if not self._can_apply():
            return
        assert self.plan is not None

        def decided(ok: bool | None) -> None:
            if ok:
                self.run_worker(lambda: self._apply(0), thread=True, exclusive=True)
            else:
                self._cancelled()

        self.app.push_screen(
            ConfirmScreen(f"Apply plan {self.plan.id}?", plan_text(self.commands, self.plan)),
            decided,
        )

    def action_apply_confirmed(self) -> None:
        """Apply with a rollback armed on every host; the dialog says what it does and takes
        the seconds."""
        if not self._can_apply():
            return
        assert self.plan is not None
        from netui.screens.confirm import ConfirmTimedScreen

        def decided(seconds: int | None) -> None:
            if seconds:
                self.run_worker(lambda: self._apply(seconds), thread=True, exclusive=True)
            else:
                self._cancelled()

        self.app.push_screen(
            ConfirmTimedScreen(
                f"Apply plan {self.plan.id} with a rollback armed?",
                plan_text(self.commands, self.plan),
                CONFIRM_SECONDS,
            ),
            decided,  # type: ignore[arg-type]  # the timed dialog dismisses with seconds, not bool
        )

    def _apply(self, confirm_seconds: int) -> None:
        from netui.core.errors import UserError

        lines: list[str] = []

        def progress(host: str, message: str) -> None:
            lines.append(f"{host}: {message}")
            self.app.call_from_thread(self.query_one("#progress", Static).update, "\n".join(lines))

        assert self.plan is not None  # the apply keys check it before this worker starts
        try:
            journal = netui_app(self).session.apply(self.plan, confirm_seconds or None, progress)
        except UserError as e:  # another netui is writing; read-only
            lines.append(f"✗ {e}")
            self.app.call_from_thread(self.query_one("#progress", Static).update, "\n".join(lines))
            return
        self.journal = journal
        if confirm_seconds and journal.status.awaiting_confirmation:
            self.app.call_from_thread(netui_app(self).arm, journal.plan.id, confirm_seconds)
        lines.append(f"plan {journal.plan.id}: {journal.status}")
        lines.append("")
        lines += next_steps(journal, confirm_seconds)
        self.app.call_from_thread(self._show_text, f"plan {journal.plan.id}: what each host did")
        self.app.call_from_thread(self.query_one("#progress", Static).update, "\n".join(lines))
        netui_app(self).refresh_hosts()


class HistoryScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("u", "undo", "Undo plan", id="undo"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="history", cursor_type="row", zebra_stripes=True)
        # the whole plan, every host's steps: scrolled, never cut after a dozen lines
        with VerticalScroll(id="history-detail-box"):
            yield Plain("", id="history-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "netui — history"
        table = self.query_one("#history", DataTable)
        for col in ("PLAN", "WHEN", "WHO", "STATUS", "HOSTS", "AT BOOT"):
            table.add_column(col, key=col)
        self._load()
        table.focus()
        self.run_worker(self._settle, thread=True, group="settle")

    def _settle(self) -> None:
        """Plans awaiting confirmation: their hosts say what became of their timers (a reboot,
        the deadline), then the table shows it."""
        from netui.core.errors import HostError, UserError

        try:
            changed = netui_app(self).session.settle_awaiting()
        except (HostError, UserError) as e:
            self.app.call_from_thread(self.notify, f"✗ {e}", severity="warning", timeout=8)
            return
        if changed:
            self.app.call_from_thread(self._load)

    def _load(self) -> None:
        table = self.query_one("#history", DataTable)
        table.clear()
        for r in netui_app(self).session.history():
            table.add_row(*cells(r.plan, r.when, r.who, r.status, r.hosts, r.at_boot), key=r.plan)
        for problem in netui_app(self).session.history_problems():
            self.notify(problem, severity="warning", timeout=10)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The highlighted plan: what it changed, host by host (as `netui history PLAN`)."""
        from netui.core.errors import UserError

        if event.row_key is None or event.row_key.value is None:
            return
        try:
            lines = netui_app(self).session.plan_detail(str(event.row_key.value))
        except UserError as e:
            lines = [f"✗ {e}"]
        self.query_one("#history-detail", Static).update("\n".join(lines))

    def action_undo(self) -> None:
        if netui_app(self).readonly:
            self.notify("read-only: netui changes nothing in this session", severity="warning")
            return
        table = self.query_one("#history", DataTable)
        if table.row_count == 0:
            return
        plan_id = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        self.query_one("#history-detail", Static).update(f"reading plan {plan_id} and its hosts…")
        self.run_worker(lambda: self._prepare_undo(plan_id), thread=True, exclusive=True)

    def _prepare_undo(self, plan_id: str) -> None:
        """What the undo will revert, from the journal — shown before anything runs (the same
        checks as `netui undo`: a fired timer, a newer plan on the same hosts)."""
        from netui.core.errors import HostError, UserError
        from netui.core.plans import undo_preview

        try:
            journal, notes = netui_app(self).session.undo_target(plan_id)
        except (UserError, HostError) as e:
            self.app.call_from_thread(self.query_one("#history-detail", Static).update, f"✗ {e}")
            return
        if journal is None:
            self.app.call_from_thread(
                self.query_one("#history-detail", Static).update,
                "\n".join(notes) or "nothing to undo",
            )
            return
        body = "\n".join(undo_preview(journal)) + (
            "\n\nRemoves what the plan added and puts back what it removed; what changed since is left alone."
        )

        def decided(ok: bool | None) -> None:
            if ok:
                self.run_worker(lambda: self._undo(plan_id), thread=True, exclusive=True)

        self.app.call_from_thread(
            self.app.push_screen, ConfirmScreen(f"Undo plan {plan_id}?", body, "Undo"), decided
        )

    def _undo(self, plan_id: str) -> None:
        from netui.core.errors import HostError, UserError

        session = netui_app(self).session
        lines: list[str] = []
        try:
            journal, notes = session.undo_target(plan_id)
            lines += notes
            if journal is not None:
                session.undo(journal, lambda h, m: lines.append(f"{h}: {m}"))
                lines.append(f"plan {plan_id}: {journal.status}")
        except (UserError, HostError) as e:
            lines.append(f"✗ {e}")
        self.app.call_from_thread(
            self.query_one("#history-detail", Static).update, "\n".join(lines)
        )
        self.app.call_from_thread(self._load)
