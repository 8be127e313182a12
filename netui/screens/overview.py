"""Clusters and hosts: the first screen. Enter opens a host's NAT view."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from netui.screens.poller import HostPoller, age_text, host_state
from netui.widgets.footer import KeyFooter

if TYPE_CHECKING:  # the parser behind it loads after the first paint
    from netui.model.snapshot import HostSnapshot

STATE_MARK = {
    "ok": "● ok",
    "slow": "◐ slow",
    "stale": "◌ stale",
    "unreachable": "✗ unreachable",
    "error": "✗ error",
}


def state_mark(snap: HostSnapshot, now: float) -> tuple[str, str]:
    """A host's state with its symbol (the symbol carries the meaning without colour), and why."""
    state, why = host_state(snap, now)
    return STATE_MARK.get(state, state), why


class OverviewScreen(Screen[None]):
    BINDINGS = [
        Binding("r", "refresh", "Refresh", id="refresh"),
        Binding("enter", "open_host", "Open host", id="open_host"),
        Binding("i", "host_detail", "Host & routes", id="host_detail"),
        Binding("d", "doctor", "Doctor", id="doctor"),
        Binding("p", "plan", "Plan", id="plan"),
        Binding("f", "pick_forwarder", "Forwarder", id="pick_forwarder"),
        Binding("t", "traces", "Traces", id="traces"),
        Binding("o", "probes", "Probes", id="probes"),
        Binding("n", "dns", "DNS", id="dns"),
        Binding("k", "hot", "Hot rules", id="hot_rules"),
        Binding("h", "history", "History", id="history"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("Clusters", classes="title")
            yield DataTable(id="clusters", cursor_type="row", zebra_stripes=True)
            yield Static("Hosts", classes="title")
            yield DataTable(id="hosts", cursor_type="row", zebra_stripes=True)
            yield Static("", id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        env = self.app.env  # type: ignore[attr-defined]
        self.snapshots: dict[str, HostSnapshot] = {}
        self.app.snapshots = self.snapshots  # type: ignore[attr-defined]
        clusters = self.query_one("#clusters", DataTable)
        for col in ("CLUSTER", "API", "PODS", "SERVICES", "DNS", "FORWARDER", "NODES"):
            clusters.add_column(col, key=col)
        for c in env.clusters.values():
            clusters.add_row(c.name, "…", "…", "…", "…", c.forwarder or "-", "…", key=c.name)
        hosts = self.query_one("#hosts", DataTable)
        # What the operator scans first comes first: on 80 columns the address and the
        # reason a host is down are further right (the host screen, `i`, shows both too).
        for col in ("HOST", "STATE", "IPTABLES", "FORWARDING", "NAT", "AGE", "ADDRESS", "WHY"):
            hosts.add_column(col, key=col)
        for name, h in env.hosts.items():
            hosts.add_row(name, "… connecting", "", "", "", "", h.uri, "", key=name)
        hosts.focus()
        deliver = lambda s: self.app.call_from_thread(self._show_snapshot, s)  # noqa: E731
        factory = self.app.poller_factory  # type: ignore[attr-defined]
        self.poller = (
            factory(env, deliver)
            if factory
            else HostPoller(env, deliver, hosts=lambda: self.app.session.hosts)  # type: ignore[attr-defined]
        )
        # After the first paint: the kubernetes client alone takes ~0.5 s to import, and a thread
        # importing it competes with the paint for the interpreter.
        self.call_after_refresh(self._start_workers)
        self.set_interval(1.0, self._tick_hosts)
        self.app.poller = self.poller  # type: ignore[attr-defined]

    def _start_workers(self) -> None:
        self.run_worker(self._start_polling, thread=True, exclusive=False)
        self.run_worker(self._discover, thread=True)

    def _start_polling(self) -> None:
        self.poller.start()

    def _discover(self) -> None:
        inventory = self.app.session.discover()  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show_inventory, inventory)

    def _show_inventory(self, inventory: dict[str, Any]) -> None:
        table = self.query_one("#clusters", DataTable)
        for name, inv in inventory.items():
            # The ranges stand with their source whether or not the API answered (the file's
            # values are ranges too); the API's state has its own column.
            table.update_cell(name, "API", "✗" if inv.error else "✓", update_width=True)
            if inv.error:
                self.notify(inv.error, severity="warning", timeout=8)
            pods = ", ".join(f"{s.value} ({s.source})" for s in inv.pod_cidrs) or "?"
            table.update_cell(name, "PODS", pods, update_width=True)
            table.update_cell(
                name,
                "SERVICES",
                ", ".join(s.value for s in inv.service_cidrs) or "?",
                update_width=True,
            )
            table.update_cell(
                name, "DNS", inv.dns_ip.value if inv.dns_ip else "?", update_width=True
            )
            table.update_cell(
                name,
                "NODES",
                " ".join(n.name + ("★" if n.forwarder else "") for n in inv.nodes)
                or ("? (API unreachable)" if inv.error else "-"),
                update_width=True,
            )
        self.app.inventory = inventory  # type: ignore[attr-defined]

    def _show_snapshot(self, snap: HostSnapshot) -> None:
        self.snapshots[snap.host] = snap
        table = self.query_one("#hosts", DataTable)
        if snap.ok:
            table.update_cell(snap.host, "IPTABLES", snap.variant or "-", update_width=True)
            table.update_cell(
                snap.host,
                "FORWARDING",
                f"{snap.forwarding_now} (boot {'on' if snap.forwarding_on_at_boot else 'off'})",
                update_width=True,
            )
            table.update_cell(
                snap.host, "NAT", str(snap.nat.rule_count()) if snap.nat else "-", update_width=True
            )
        self._tick_hosts()

    def _tick_hosts(self) -> None:
        """Every second: each host's age and state (a host can turn stale between polls)."""
        table = self.query_one("#hosts", DataTable)
        now = time.time()
        for name, snap in self.snapshots.items():
            mark, why = state_mark(snap, now)
            table.update_cell(name, "STATE", mark, update_width=True)
            table.update_cell(name, "WHY", why, update_width=True)
            table.update_cell(name, "AGE", age_text(now - snap.taken_at), update_width=True)

    def action_refresh(self) -> None:
        self.poller.refresh()
        self.notify("refreshing every host", timeout=1.5)

    def _key_at_cursor(self, table_id: str) -> str | None:
        """The row key (cluster or host name) under the cursor of one of the two tables."""
        table = self.query_one(table_id, DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_pick_forwarder(self) -> None:
        """Choose the forwarder of the cluster under the cursor in the clusters table (this
        session's plans use it; the environment file is not rewritten)."""
        from netui.screens.forwarder import pick_forwarder

        name = self._key_at_cursor("#clusters")
        if name:
            pick_forwarder(self.app, name, lambda node: self._show_forwarders())

    def action_open_cluster(self) -> None:
        name = self._key_at_cursor("#clusters")
        if name:
            from netui.screens.nodes import NodesScreen

            self.app.push_screen(NodesScreen(name))

    def action_hot(self) -> None:
        from netui.screens.hot import HotRulesScreen

        self.app.push_screen(HotRulesScreen())

    def action_dns(self) -> None:
        from netui.screens.dns import DnsScreen

        self.app.push_screen(DnsScreen())

    def action_traces(self) -> None:
        from netui.screens.verify import TraceScreen

        self.app.push_screen(TraceScreen())

    def action_probes(self) -> None:
        from netui.screens.verify import ProbeScreen

        self.app.push_screen(ProbeScreen())

    def action_plan(self) -> None:
        from netui.screens.plan import PlanScreen

        self.app.push_screen(PlanScreen())

    def action_history(self) -> None:
        from netui.screens.plan import HistoryScreen

        self.app.push_screen(HistoryScreen())

    def action_doctor(self) -> None:
        from netui.screens.findings import FindingsScreen

        self.app.push_screen(FindingsScreen())

    def action_open_host(self) -> None:
        host = self._key_at_cursor("#hosts")
        if host:
            from netui.screens.nat import NatScreen

            self.app.push_screen(NatScreen(host))

    def action_host_detail(self) -> None:
        host = self._key_at_cursor("#hosts")
        if host:
            from netui.screens.host import HostScreen

            self.app.push_screen(HostScreen(host))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "hosts":
            self.action_open_host()
        elif event.data_table.id == "clusters":
            self.action_open_cluster()

    def on_screen_resume(self) -> None:
        self._show_forwarders()  # one picked on the nodes screen shows here too

    def _show_forwarders(self) -> None:
        table = self.query_one("#clusters", DataTable)
        for c in self.app.env.clusters.values():  # type: ignore[attr-defined]
            if c.name in table.rows:
                table.update_cell(c.name, "FORWARDER", c.forwarder or "-", update_width=True)

    def on_unmount(self) -> None:
        self.poller.stop()
