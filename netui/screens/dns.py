"""DNS: domain -> cluster -> DNS IP -> state, a live test box, and the migration switch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from netui.screens.netui_app import netui_app
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain, cells

if TYPE_CHECKING:
    from netui.core.dns import DomainState
    from netui.core.session import PlanState


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
        yield Plain("", id="dns-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "netui — DNS"
        table = self.query_one("#domains", DataTable)
        for col in ("DOMAIN", "CLUSTER", "DNS IP", "STATE", "DNS IP FROM DNS HOST"):
            table.add_column(col, key=col)
        table.focus()
        env = netui_app(self).env
        if env.dns is None:
            self.query_one("#dns-detail", Static).update(
                "no dns: section in the environment file: netui manages no DNS here"
            )
            return
        self.action_refresh()

    def action_refresh(self) -> None:
        if netui_app(self).env.dns is None:
            self.query_one("#dns-detail", Static).update(
                "no dns: section in the environment file: netui manages no DNS here"
            )
            return
        self.query_one("#dns-detail", Static).update("reading the DNS host…")
        self.run_worker(self._status, thread=True, exclusive=True)

    def _status(self) -> None:
        from netui.core.dns import domain_states

        states, _written = domain_states(netui_app(self).session)
        self.app.call_from_thread(self._show, states)

    def _show(self, rows: list[DomainState]) -> None:
        table = self.query_one("#domains", DataTable)
        table.clear()
        for r in rows:
            mark = {"forwarded": "● forwarded", "not forwarded": "✗ not forwarded"}.get(
                r.state, "○ " + r.state
            )
            table.add_row(
                *cells(r.domain, r.cluster, r.dns_ip or "?", mark, r.reachable), key=r.cluster
            )
        env = netui_app(self).env
        assert env.dns is not None  # refresh shows no table without a dns: section
        self.query_one("#dns-detail", Static).update(
            f"dnsmasq on {env.dns.host} ({env.dns.listen or 'all addresses'}); s: forward the highlighted cluster's domain to it; /: resolve a name"
        )

    def action_test(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()

        def work() -> None:
            from netui.core.dns import resolve_name
            from netui.core.errors import UserError

            try:
                source, via, answer = resolve_name(netui_app(self).session, name)
                text = f"{name} from {source} via {via}: {answer}"
            except UserError as e:
                text = f"✗ {e}"
            self.app.call_from_thread(self.query_one("#dns-detail", Static).update, text)

        self.run_worker(work, thread=True)

    def action_switch(self) -> None:
        """Forward the highlighted cluster's domain to it: planned by the core, then the same
        preview-ask-apply as every write (the exact commands first, Cancel the default)."""
        from netui.screens.apply_flow import offer_switch

        detail = self.query_one("#dns-detail", Static)
        table = self.query_one("#domains", DataTable)
        if netui_app(self).readonly:
            self.notify("read-only: netui changes nothing in this session", severity="warning")
            return
        if table.row_count == 0:
            detail.update("no cluster domains to switch yet")
            return
        row = table.get_row_at(table.cursor_row)

        def done(outcome: str, status: PlanState) -> None:
            self.action_refresh()
            # a failed switch was rolled back on its host: there is nothing of it to undo
            hint = "; undo it from history (h)" if status.succeeded else ""
            detail.update(f"the switch: {outcome}{hint}")

        offer_switch(self, str(row[0]), str(row[1]), detail.update, done)
