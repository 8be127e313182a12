"""The staged edits: every fix and rule change picked so far, the before/after diff of each host
they touch (one page per host), applied as one plan (the usual preview and Cancel first) or
dropped."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from netui.screens.netui_app import netui_app
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain, cells

if TYPE_CHECKING:
    from netui.core.session import PlanState


def stage(screen: Screen[Any], label: str, plan: Any) -> None:
    """Put `plan` with the changes picked so far, and say so on `screen`."""
    staged = netui_app(screen).session.stage
    added = staged.add(label, plan)
    screen.notify(
        (f"staged: {label}" if added else "staged already")
        + f" — {len(staged)} staged, S to review and apply",
        timeout=5,
    )


def diff_text(lines: list[str]) -> Text:
    """A unified diff with its additions and removals marked (and coloured)."""
    out = Text()
    for line in lines:
        style = ""
        if line.startswith(("+++", "---")):
            style = "bold"
        elif line.startswith("+"):
            style = "green"
        elif line.startswith("-"):
            style = "red"
        elif line.startswith("@@"):
            style = "cyan"
        out.append(line + "\n", style=style)
    return out


class StagedScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("a", "apply_staged", "Apply all", id="staged_apply"),
        Binding("d", "drop", "Drop this", id="staged_drop"),
        Binding("c", "clear", "Drop all", id="staged_clear"),
        Binding("n", "page(1)", "Next host", id="staged_next_host"),
        Binding("p", "page(-1)", "Previous host", id="staged_previous_host"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pages: dict[str, list[str]] = {}
        self.page_index = 0
        self.error: str | None = None
        self.plan: Any = None  # the combined plan the diff shows: the one applied

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="staged", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="staged-diff-box"):
            yield Plain("", id="staged-diff")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "netui — staged edits"
        table = self.query_one("#staged", DataTable)
        table.add_column("#", key="n")
        table.add_column("STAGED CHANGE", key="what")
        table.focus()
        self._refresh()

    @property
    def stage(self) -> Any:
        return netui_app(self).session.stage

    def _refresh(self) -> None:
        table = self.query_one("#staged", DataTable)
        table.clear()
        for i, item in enumerate(self.stage.items):
            table.add_row(*cells(i + 1, item.label), key=str(i))
        self.sub_title = f"{len(self.stage)} staged"
        self.pages, self.page_index, self.error, self.plan = {}, 0, None, None
        if not len(self.stage):
            self._show(
                Text(
                    "nothing staged: + on a finding, D or M on a rule in a nat view puts a change "
                    "here; they are applied together, as one plan with one undo"
                )
            )
            return
        self._show(Text("reading the hosts for the before/after…"))
        self.run_worker(self._diff, thread=True, exclusive=True, group="staged-diff")

    def _diff(self) -> None:
        from netui.core.errors import HostError, PlanRefused

        try:
            plan = self.stage.combined(netui_app(self).env.path)
            pages = netui_app(self).session.diff(plan)
        except PlanRefused as e:
            self.app.call_from_thread(self._failed, "cannot be one plan: " + "; ".join(e.reasons))
            return
        except HostError as e:
            self.app.call_from_thread(self._failed, f"cannot read {e}")
            return
        self.app.call_from_thread(self._pages, plan, pages)

    def _failed(self, why: str) -> None:
        self.error = why
        self._show(Text(f"✗ {why}"))

    def _pages(self, plan: Any, pages: dict[str, list[str]]) -> None:
        self.plan = plan
        self.pages = pages
        self.page_index = 0
        self._show_page()

    def _show_page(self) -> None:
        if not self.pages:
            return
        hosts = list(self.pages)
        host = hosts[self.page_index % len(hosts)]
        lines = self.pages[host] or ["(no change on this host: its state has it already)"]
        head = Text(
            f"{host} — host {self.page_index % len(hosts) + 1} of {len(hosts)}"
            + (" (n next, p previous)" if len(hosts) > 1 else "")
            + "; a: apply all as one plan\n\n",
            style="bold",
        )
        self._show(head + diff_text(lines))

    def _show(self, text: Text) -> None:
        self.query_one("#staged-diff", Static).update(text)

    def action_page(self, step: int) -> None:
        if self.pages:
            self.page_index = (self.page_index + step) % len(self.pages)
            self._show_page()

    def action_drop(self) -> None:
        table = self.query_one("#staged", DataTable)
        if not len(self.stage) or table.row_count == 0:
            return
        item = self.stage.drop(table.cursor_row)
        self.notify(f"dropped: {item.label}", timeout=4)
        self._refresh()

    def action_clear(self) -> None:
        if len(self.stage):
            self.stage.clear()
            self.notify("dropped every staged change; nothing was applied", timeout=4)
            self._refresh()

    def action_apply_staged(self) -> None:
        from netui.core.errors import PlanRefused
        from netui.screens.apply_flow import offer_plan

        if not len(self.stage):
            self.notify("nothing staged", timeout=3)
            return
        try:
            # the plan whose diff is on screen (its ids are in the diff), once it is read
            plan = self.plan or self.stage.combined(netui_app(self).env.path)
        except PlanRefused as e:
            self.notify("; ".join(e.reasons), severity="warning", timeout=8)
            return
        count = len(self.stage)

        def done(outcome: str, status: PlanState) -> None:
            if not status.failed:  # journaled: undo from history
                self.stage.clear()
            self._refresh()

        offer_plan(
            self,
            plan,
            f"Apply the {count} staged change(s) on {', '.join(plan.hosts)} as one plan?",
            "Apply all",
            done,
        )
