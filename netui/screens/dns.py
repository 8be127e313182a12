"""DNS: domain -> cluster -> DNS IP -> state, a live test box, and the migration switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from netui.widgets.footer import KeyFooter

if TYPE_CHECKING:
    from netui.core.dns import DomainState
    from netui.plan.model import Plan


class DnsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("r", "refresh", "Refresh", id="refresh_dns"),
        Binding("s", "switch", "Switch domain to this cluster", id="dns_switch"),
        Binding("slash", "test", "Resolve a name", id="dns_test"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="domains", cursor_type="row", zebra_stripes=True)
        yield Input(
            placeholder="resolve a name as the office does, e.g. eureka.default.svc.cluster.local",
            id="name",
        )
        yield Static("", id="dns-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "netui — DNS"
        table = self.query_one("#domains", DataTable)
        for col in ("DOMAIN", "CLUSTER", "DNS IP", "STATE", "DNS IP FROM DNS HOST"):
            table.add_column(col, key=col)
        table.focus()
        env = self.app.env  # type: ignore[attr-defined]
        if env.dns is None:
            self.query_one("#dns-detail", Static).update(
                "no dns: section in the environment file: netui manages no DNS here"
            )
            return
        self.action_refresh()

    def action_refresh(self) -> None:
        if self.app.env.dns is None:  # type: ignore[attr-defined]
            self.query_one("#dns-detail", Static).update(
                "no dns: section in the environment file: netui manages no DNS here"
            )
            return
        self.query_one("#dns-detail", Static).update("reading the DNS host…")
        self.run_worker(self._status, thread=True, exclusive=True)

    def _status(self) -> None:
        from netui.core.dns import domain_states

        states, _written = domain_states(self.app.session)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, states)

    def _show(self, rows: list[DomainState]) -> None:
        table = self.query_one("#domains", DataTable)
        table.clear()
        for r in rows:
            mark = {"forwarded": "● forwarded", "not forwarded": "✗ not forwarded"}.get(
                r.state, "○ " + r.state
            )
            table.add_row(r.domain, r.cluster, r.dns_ip or "?", mark, r.reachable, key=r.cluster)
        env = self.app.env  # type: ignore[attr-defined]
        self.query_one("#dns-detail", Static).update(
            f"dnsmasq on {env.dns.host} ({env.dns.listen or 'all addresses'}); s: forward the highlighted cluster's domain to it; /: resolve a name"
        )

    def action_test(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()

        def work() -> None:
            from netui.core.dns import resolve_name
            from netui.errors import UserError

            try:
                source, via, answer = resolve_name(self.app.session, name)  # type: ignore[attr-defined]
                text = f"{name} from {source} via {via}: {answer}"
            except UserError as e:
                text = f"✗ {e}"
            self.app.call_from_thread(self.query_one("#dns-detail", Static).update, text)

        self.run_worker(work, thread=True)

    def action_switch(self) -> None:
        """Forward the highlighted cluster's domain to it: planned by the core, then the same
        preview-ask-apply as every write (the exact commands first, Cancel the default)."""
        if self.app.readonly:  # type: ignore[attr-defined]
            self.notify("read-only: netui changes nothing in this session", severity="warning")
            return
        table = self.query_one("#domains", DataTable)
        if table.row_count == 0:
            self.query_one("#dns-detail", Static).update("no cluster domains to switch yet")
            return
        row = table.get_row_at(table.cursor_row)
        domain, cluster = str(row[0]), str(row[1])
        self.query_one("#dns-detail", Static).update(f"planning: {domain} -> cluster {cluster}…")
        self.run_worker(lambda: self._plan_switch(domain, cluster), thread=True, exclusive=True)

    def _plan_switch(self, domain: str, cluster: str) -> None:
        from netui.core.dns import switch_plan
        from netui.errors import UserError

        try:
            plan = switch_plan(self.app.session, domain, cluster)  # type: ignore[attr-defined]
        except UserError as e:
            self.app.call_from_thread(self.query_one("#dns-detail", Static).update, f"✗ {e}")
            return
        self.app.call_from_thread(self._offer_switch, plan, domain, cluster)

    def _offer_switch(self, plan: Plan, domain: str, cluster: str) -> None:
        from netui.screens.apply_flow import offer_plan

        if plan.empty:
            self.query_one("#dns-detail", Static).update(
                "nothing to switch: " + "; ".join(plan.notes)
            )
            return
        self.query_one("#dns-detail", Static).update(
            f"plan {plan.id}: the exact commands are in the dialog"
        )

        def done(status: str) -> None:
            self.action_refresh()
            self.query_one("#dns-detail", Static).update(
                f"plan {plan.id}: {status}; undo it from history (h)"
            )

        offer_plan(self, plan, f"Resolve {domain} in cluster {cluster}?", "Switch", done=done)
