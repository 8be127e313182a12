"""The doctor's findings: worst first; the highlighted one's evidence and fix below; Enter opens
the rule in its host's NAT view, highlighted."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from netui.core.plans import DoctorInput, Plan
from netui.model.findings import Finding
from netui.screens.netui_app import netui_app
from netui.widgets.fit_table import Column, FitTable
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain

MARK = {"error": "✗ error", "warning": "! warning", "info": "· info"}


class FindingsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("r", "rerun", "Run again", id="rerun_doctor"),
        Binding("x", "fix", "Fix this", id="fix_finding"),
        Binding("F", "fix_all", "Fix all", id="fix_all"),
        Binding("plus", "stage_fix", "Stage fix", id="stage_fix"),
    ]

    def __init__(self, host: str | None = None) -> None:
        super().__init__()
        self.host = host  # opened from a host's view: its findings first, the cursor on them
        self.findings: list[Finding] = []
        self.inp: DoctorInput | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield FitTable(
            [
                Column("SEVERITY", "SEVERITY"),
                Column("CODE", "CODE", min_screen=100),
                Column("HOST", "HOST"),
                Column("FINDING", "FINDING", fill=True),
            ],
            id="findings",
        )
        yield Plain("running the doctor…", id="detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "netui — doctor" + (f" — {self.host} first" if self.host else "")
        self.query_one("#findings", FitTable).focus()
        self.action_rerun()

    def _say(self, text: str) -> None:
        """The line under the findings; nothing when the screen is being taken down (a row
        highlighted or a doctor round landing while the app quits found it gone)."""
        for detail in self.query("#detail").results(Static):
            detail.update(text)

    def action_rerun(self) -> None:
        self._say("running the doctor…")
        self._changes_seen = len(netui_app(self).session.changes)
        self.run_worker(self._diagnose, thread=True, exclusive=True)

    def on_screen_resume(self) -> None:
        """Back from a fix, a plan, an undo (here or on any screen): the findings on screen
        are of hosts that changed since, so the doctor runs again rather than show them."""
        if len(netui_app(self).session.changes) != getattr(self, "_changes_seen", 0):
            self.action_rerun()
            return
        table = self.query_one("#findings", FitTable)  # a fix dropped from the stage: unmarked
        for i, f in enumerate(self.findings or []):
            table.put(str(i), "CODE", self._code(f))

    def _diagnose(self) -> None:
        d = netui_app(self).session.gather()
        self.inp = d.inp
        for w in d.warnings:
            self.app.call_from_thread(self.notify, w, severity="warning", timeout=8)
        self.app.call_from_thread(self._show, d.findings)

    def _show(self, findings: list[Finding]) -> None:
        if self.host is not None:  # stable: worst first within this host's, then the rest
            findings = [f for f in findings if f.host == self.host] + [
                f for f in findings if f.host != self.host
            ]
        self.findings = findings
        table = self.query_one("#findings", FitTable)
        table.clear_rows()
        for i, f in enumerate(findings):
            table.put_row(
                str(i),
                {
                    "SEVERITY": MARK[f.severity],
                    "CODE": self._code(f),
                    "HOST": f.host or "-",
                    "FINDING": f.title,
                },
            )
        errors = sum(f.severity == "error" for f in findings)
        self.sub_title = (
            f"{errors} error(s), {len(findings) - errors} other" if findings else "no findings"
        )
        if not findings:
            self._say(
                "✓ no findings: the office is connected to every cluster as far as netui can see"
            )

    @staticmethod
    def _stage_label(f: Finding) -> str:
        return f"fix {f.code} on {f.host or 'every host'}: {f.fix_line}"

    def _code(self, f: Finding) -> str:
        """The finding's code, marked while its fix is staged (S reviews and applies it)."""
        staged = netui_app(self).session.stage
        return f"{f.code} +staged" if staged.has(self._stage_label(f)) else f.code

    def _current(self) -> Finding | None:
        table = self.query_one("#findings", DataTable)
        if not self.findings or table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.findings[int(str(key))]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        f = self._current()
        if f is None:
            return
        lines = [f.title, *("  " + e for e in f.evidence)]
        if f.fixes:
            lines.append("fix: " + f.fix_line + "   (x: preview and apply it)")
        if f.rule:
            lines.append("enter: show this rule in the host's nat table")
        self._say("\n".join(lines))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        f = self._current()
        if f is None or f.host is None or f.rule is None:
            return
        from netui.screens.nat import NatScreen

        chain, text = f.rule
        self.app.push_screen(NatScreen(f.host, chain=chain, highlight=text))

    def action_fix_all(self) -> None:
        """Connect every cluster and apply every fix the doctor proposes, as one plan: one
        preview (the exact commands), one journal entry, one undo."""
        if self.inp is None:
            return
        from netui.core.errors import PlanRefused
        from netui.core.plans import make_plan
        from netui.screens.apply_flow import offer_plan

        try:
            plan = make_plan(self.inp, self.findings, fix_all=True)
        except PlanRefused as e:
            self.notify("; ".join(e.reasons), severity="warning", timeout=8)
            return
        if plan.empty:
            self.notify("nothing to fix: the doctor proposes no change", timeout=4)
            return
        offer_plan(
            self,
            plan,
            f"Fix everything on {', '.join(plan.hosts)}?",
            "Fix all",
            lambda outcome, status: self.action_rerun(),
        )

    def _finding_plan(self) -> tuple[Finding, Plan] | None:
        """The highlighted finding and the plan that fixes it (None, and why on screen, when
        netui refuses)."""
        f = self._current()
        if f is None or self.inp is None:
            return None
        from netui.core.errors import PlanRefused
        from netui.core.plans import plan_for_finding

        try:
            return f, plan_for_finding(self.inp, f)
        except PlanRefused as e:
            self.notify("; ".join(e.reasons), severity="warning", timeout=8)
            return None

    def action_stage_fix(self) -> None:
        """Put this finding's fix with the others picked so far (S reviews and applies them)."""
        from netui.screens.staged import stage

        picked = self._finding_plan()
        if picked is not None:
            f, plan = picked
            stage(self, self._stage_label(f), plan)
            table = self.query_one("#findings", FitTable)
            row = table.key_at_cursor()
            if row is not None:
                table.put(row, "CODE", self._code(f))

    def action_fix(self) -> None:
        """Fix the highlighted finding: the exact commands first, Cancel as the default."""
        from netui.screens.apply_flow import offer_plan

        picked = self._finding_plan()
        if picked is None:
            return
        f, plan = picked
        offer_plan(
            self,
            plan,
            f"Fix {f.code} on {', '.join(plan.hosts)}?",
            "Fix",
            lambda outcome, status: self.action_rerun(),
        )
