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
from netui.widgets.fit_table import Column, FitTable
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
        Binding("m", "migrate", "Migrate", id="migrate"),
    ]

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Static("Clusters", classes="title")
            # What the operator scans first comes first; on a narrow terminal the forwarder
            # (★ in NODES) and where the Pod range was read leave first, and the row's whole
            # text stands in the line under the tables.
            yield FitTable(
                [
                    Column("CLUSTER", "CLUSTER"),
                    Column("API", "API"),
                    Column("PODS", "PODS"),
                    Column("FROM", "PODS FROM", min_screen=110),
                    Column("SERVICES", "SERVICES"),
                    Column("DNS", "DNS"),
                    Column("FORWARDER", "FORWARDER", min_screen=100),
                    Column("NODES", "NODES", fill=True),
                ],
                id="clusters",
            )
            yield Static("Hosts", classes="title")
            yield FitTable(
                [
                    Column("HOST", "HOST"),
                    Column("STATE", "STATE"),
                    Column("IPTABLES", "IPTABLES"),
                    Column("FORWARDING", "FORWARDING"),
                    Column("NAT", "NAT"),
                    Column("AGE", "AGE"),
                    Column("WHY", "WHY", fill=True),
                    Column("ADDRESS", "ADDRESS", min_screen=150),
                ],
                id="hosts",
            )
            yield Static("", id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        env = self.app.env  # type: ignore[attr-defined]
        self.snapshots: dict[str, HostSnapshot] = {}
        self._last_known: dict[str, dict[str, str]] = {}  # host -> its columns when last read
        self.app.snapshots = self.snapshots  # type: ignore[attr-defined]
        clusters = self.query_one("#clusters", FitTable)
        for c in env.clusters.values():
            clusters.put_row(
                c.name,
                {
                    "CLUSTER": c.name,
                    **dict.fromkeys(("API", "PODS", "SERVICES", "DNS", "NODES"), "…"),
                    "FORWARDER": c.forwarder or "-",
                },
            )
        hosts = self.query_one("#hosts", FitTable)
        for name, h in env.hosts.items():
            hosts.put_row(name, {"HOST": name, "STATE": "… connecting", "ADDRESS": h.uri})
        clusters.focus()  # the clusters first: what netui is for

        def deliver(snap: HostSnapshot) -> None:
            try:
                self.app.call_from_thread(self._show_snapshot, snap)
            except RuntimeError:
                pass  # the app has ended: nothing to show it on

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
        table = self.query_one("#clusters", FitTable)
        for name, inv in inventory.items():
            # The ranges stand with their source whether or not the API answered (the file's
            # values are ranges too); the API's state has its own column.
            if inv.error:
                self.notify(inv.error, severity="warning", timeout=8)
            table.put_row(
                name,
                {
                    "API": "✗" if inv.error else "✓",
                    "PODS": ", ".join(s.value for s in inv.pod_cidrs) or "?",
                    "FROM": ", ".join(dict.fromkeys(s.source for s in inv.pod_cidrs)) or "-",
                    "SERVICES": ", ".join(s.value for s in inv.service_cidrs) or "?",
                    "DNS": inv.dns_ip.value if inv.dns_ip else "?",
                    "NODES": " ".join(n.name + ("★" if n.forwarder else "") for n in inv.nodes)
                    or ("? (API unreachable)" if inv.error else "-"),
                },
            )
        self.app.inventory = inventory  # type: ignore[attr-defined]
        self._detail()

    def _show_snapshot(self, snap: HostSnapshot) -> None:
        self.snapshots[snap.host] = snap
        if not self.query("#hosts"):
            return  # a poll that lands while the app closes
        table = self.query_one("#hosts", FitTable)
        known = self._last_known
        if snap.ok:
            known[snap.host] = {
                # a firewall manager running there (firewalld, ufw, fw4 …) is marked: it
                # decides forwarding too, and a reload may erase iptables rules
                "IPTABLES": (snap.variant or "-")
                + "".join(f" +{m}" for m in snap.firewall_managers),
                "FORWARDING": f"{snap.forwarding_now} (boot {'on' if snap.forwarding_on_at_boot else 'off'})",
                "NAT": str(snap.nat.rule_count()) if snap.nat else "-",
            }
            table.put_row(snap.host, known[snap.host])
        elif snap.host in known:
            # a host that went down: its last-known values stay, marked as such, never as now
            table.put_row(snap.host, {k: f"was {v}" for k, v in known[snap.host].items()})
        self._tick_hosts()
        # the screen on top shows it now, not at its next once-a-second look
        on_top = self.app.screen
        if on_top is not self and hasattr(on_top, "snapshot_arrived"):
            from textual.css.query import NoMatches

            try:
                on_top.snapshot_arrived(snap.host)
            except NoMatches:
                pass  # that screen is closing: its widgets are gone

    def _tick_hosts(self) -> None:
        """Every second: each host's age and state (a host can turn stale between polls)."""
        table = self.query_one("#hosts", FitTable)
        now = time.time()
        for name, snap in self.snapshots.items():
            mark, why = state_mark(snap, now)
            table.put_row(name, {"STATE": mark, "WHY": why, "AGE": age_text(now - snap.taken_at)})
        self._detail()

    def _detail(self) -> None:
        """The highlighted row in full, under the tables: what a narrow table leaves out."""
        focused = self.focused if isinstance(self.focused, FitTable) else None
        table = focused or self.query_one("#clusters", FitTable)
        key = table.key_at_cursor()
        if key is None:
            return
        if table.id == "clusters":
            text = (
                f"{key}: Pods {table.value(key, 'PODS')} (from {table.value(key, 'FROM')}), "
                f"Services {table.value(key, 'SERVICES')}, DNS {table.value(key, 'DNS')}, "
                f"forwarder {table.value(key, 'FORWARDER')}, nodes {table.value(key, 'NODES')}"
            )
        else:
            why = table.value(key, "WHY")
            text = f"{key}: {table.value(key, 'ADDRESS')}" + (f" — {why}" if why else "")
        self.query_one("#status", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_descendant_focus(self) -> None:
        self._detail()

    def action_refresh(self) -> None:
        self.poller.refresh()
        self.notify("refreshing every host", timeout=1.5)

    def _key_at_cursor(self, table_id: str) -> str | None:
        """The row key (cluster or host name) under the cursor of one of the two tables."""
        return self.query_one(table_id, FitTable).key_at_cursor()

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

    def action_migrate(self) -> None:
        from netui.screens.migrate import MigrateScreen

        self.app.push_screen(MigrateScreen())

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
        table = self.query_one("#clusters", FitTable)
        for c in self.app.env.clusters.values():  # type: ignore[attr-defined]
            table.put(c.name, "FORWARDER", c.forwarder or "-")

    def on_unmount(self) -> None:
        self.poller.stop()
