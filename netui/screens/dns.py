"""DNS: domain -> cluster -> DNS IP -> state, a live test box, and the migration switch."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input, Static

from netui.screens.confirm import ConfirmScreen


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
        yield Footer()

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
        self.query_one("#dns-detail", Static).update("reading the DNS host…")
        self.run_worker(self._status, thread=True, exclusive=True)

    def _status(self) -> None:
        import contextlib
        import io
        import json
        from argparse import Namespace

        from netui.commands import dns

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            dns.status(self.app.env, Namespace(json=True))  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, json.loads(buf.getvalue()))

    def _show(self, rows: list[dict[str, Any]]) -> None:
        table = self.query_one("#domains", DataTable)
        table.clear()
        for r in rows:
            mark = {"forwarded": "● forwarded", "not forwarded": "✗ not forwarded"}.get(
                r["state"], "○ " + r["state"]
            )
            table.add_row(
                r["domain"],
                r["cluster"],
                r["dns_ip"] or "?",
                mark,
                r["reachable_from_dns_host"],
                key=r["cluster"],
            )
        env = self.app.env  # type: ignore[attr-defined]
        self.query_one("#dns-detail", Static).update(
            f"dnsmasq on {env.dns.host} ({env.dns.listen or 'all addresses'}); s: forward the highlighted cluster's domain to it; /: resolve a name"
        )

    def action_test(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        name = event.value.strip()

        def work() -> None:
            import contextlib
            import io
            from argparse import Namespace

            from netui.commands import dns
            from netui.errors import UserError

            buf = io.StringIO()
            try:
                with contextlib.redirect_stdout(buf):
                    dns.resolve(self.app.env, Namespace(name=name, source=None, json=False))  # type: ignore[attr-defined]
                text = buf.getvalue().strip()
            except UserError as e:
                text = f"✗ {e}"
            self.app.call_from_thread(self.query_one("#dns-detail", Static).update, text)

        self.run_worker(work, thread=True)

    def action_switch(self) -> None:
        if self.app.readonly:  # type: ignore[attr-defined]
            self.notify("read-only: netui changes nothing in this session", severity="warning")
            return
        table = self.query_one("#domains", DataTable)
        if table.row_count == 0:
            return
        row = table.get_row_at(table.cursor_row)
        domain, cluster = str(row[0]), str(row[1])

        def decided(ok: bool | None) -> None:
            if ok:
                self.run_worker(lambda: self._switch(domain, cluster), thread=True, exclusive=True)

        body = f"netui rewrites its dnsmasq drop-in so that {domain} is forwarded to cluster {cluster} ({row[2]}), checks it with dnsmasq --test, reloads and verifies; any failure puts the previous file back. Undo from history (h)."
        self.app.push_screen(
            ConfirmScreen(f"Resolve {domain} in cluster {cluster}?", body, "Switch"), decided
        )

    def _switch(self, domain: str, cluster: str) -> None:
        import contextlib
        import io
        from argparse import Namespace

        from netui.commands import dns

        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            dns.switch(self.app.env, Namespace(domain=domain, cluster=cluster, yes=True))  # type: ignore[attr-defined]
        self.app.call_from_thread(
            self.query_one("#dns-detail", Static).update, buf.getvalue().strip().splitlines()[-1]
        )
        self.app.call_from_thread(self.action_refresh)
