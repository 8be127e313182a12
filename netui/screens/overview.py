"""Clusters and hosts: the first screen. Enter opens a host's NAT view."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from netui.core.poller import age_text, state_mark
from netui.core.verdicts import by_cluster, by_host, count_text, worst_title
from netui.model.findings import Finding
from netui.screens.netui_app import follow_inventory, follow_snapshots, netui_app
from netui.screens.views import overview_bindings, view
from netui.widgets.fit_table import Column, FitTable
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain

if TYPE_CHECKING:  # the parser behind it loads after the first paint
    pass


class OverviewScreen(Screen[None]):
    # every registered view's key (screens/views.py), with this screen's own two in their place
    BINDINGS = overview_bindings(
        {
            "open_host": [Binding("r", "refresh", "Refresh", id="refresh")],
            "traces": [Binding("f", "pick_forwarder", "Forwarder", id="pick_forwarder")],
        }
    )

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Plain("Clusters", classes="title")
            # What the operator scans first comes first; on a narrow terminal the forwarder
            # (★ in NODES) and where the Pod range was read leave first, and the row's whole
            # text stands in the line under the tables.
            yield FitTable(
                [
                    Column("CLUSTER", "CLUSTER"),
                    Column("API", "API"),
                    # on a narrower screen the highlighted cluster's count is in the line under
                    # the tables (the nodes are worth the room more)
                    Column("DOCTOR", "DOCTOR", min_screen=140, width=13),
                    Column("PODS", "PODS"),
                    Column("FROM", "PODS FROM", min_screen=110),
                    Column("SERVICES", "SERVICES"),
                    Column("DNS", "DNS"),
                    Column("FORWARDER", "FORWARDER", min_screen=100),
                    Column("NODES", "NODES", fill=True),
                ],
                id="clusters",
            )
            yield Plain("Hosts", classes="title")
            yield FitTable(
                [
                    Column("HOST", "HOST"),
                    Column("STATE", "STATE"),
                    Column("DOCTOR", "DOCTOR", width=13),  # "3 err, 1 warn"
                    # below 100 columns the doctor's count is worth the room more; the
                    # highlighted host's variant and firewall managers are in the line below
                    Column("IPTABLES", "IPTABLES", min_screen=100),
                    Column("FORWARDING", "FORWARDING"),
                    Column("NAT", "NAT"),
                    Column("AGE", "AGE", min_screen=100),  # STATE marks a stale host
                    Column("WHY", "WHY", fill=True),
                    Column("ADDRESS", "ADDRESS", min_screen=150),
                ],
                id="hosts",
            )
            yield Plain("", id="status")
        yield KeyFooter()

    def on_mount(self) -> None:
        env = netui_app(self).env
        self.shown: set[str] = set()  # hosts whose snapshot this screen shows (tests wait on it)
        self.inventory_shown = False
        self._last_known: dict[str, dict[str, str]] = {}  # host -> its columns when last read
        # the doctor's findings, counted beside each row (None: not run yet); it runs once every
        # host has answered (or failed) and the inventory is in, again after a change or `r`
        self.findings: list[Finding] | None = None
        self.doctor_shown = False
        self._doctor_started = False
        self._changes_seen = 0
        self._own_changes_seen = 0
        clusters = self.query_one("#clusters", FitTable)
        for c in env.clusters.values():
            clusters.put_row(
                c.name,
                {
                    "CLUSTER": c.name,
                    **dict.fromkeys(("API", "DOCTOR", "PODS", "SERVICES", "DNS", "NODES"), "…"),
                    "FORWARDER": c.forwarder or "-",
                },
            )
        hosts = self.query_one("#hosts", FitTable)
        for name, h in env.hosts.items():
            hosts.put_row(
                name, {"HOST": name, "STATE": "… connecting", "DOCTOR": "…", "ADDRESS": h.uri}
            )
        clusters.focus()  # the clusters first: what netui is for
        follow_snapshots(self, self._show_snapshot)
        follow_inventory(self, self._show_inventory)
        self.set_interval(1.0, self._tick_hosts)

    def _show_inventory(self, _: None) -> None:
        table = self.query_one("#clusters", FitTable)
        for name, inv in (netui_app(self).inventory or {}).items():
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
        self.inventory_shown = True
        self._detail()
        self._first_doctor()

    def _show_snapshot(self, host: str) -> None:
        snap = netui_app(self).snapshots[host]
        table = self.query_one("#hosts", FitTable)
        known = self._last_known
        if snap.ok:
            known[snap.host] = {
                # a firewall manager running there (firewalld, ufw, fw4 …) is marked: it
                # decides forwarding too, and a reload may erase iptables rules
                "IPTABLES": (snap.variant or "-")
                + "".join(f" +{m}" for m in snap.firewall_managers),
                "FORWARDING": f"{snap.forwarding_now} (boot {'on' if snap.forwarding_on_at_boot else 'off'})",
                "NAT": "?"
                if "tables" in snap.unreadable
                else str(snap.nat.rule_count())
                if snap.nat
                else "-",
            }
            table.put_row(snap.host, known[snap.host])
        elif snap.host in known:
            # a host that went down: its last-known values stay, marked as such, never as now
            table.put_row(snap.host, {k: f"was {v}" for k, v in known[snap.host].items()})
        self.shown.add(host)
        self._tick_hosts()
        self._first_doctor()
        seen = len(netui_app(self).own_state_changes)
        if self._doctor_started and seen != self._own_changes_seen:
            self._run_doctor()  # netui's chains went (a reload) or came back: counted again

    # --- the doctor's counts -------------------------------------------------------------

    def _first_doctor(self) -> None:
        env = netui_app(self).env
        if self._doctor_started or not env.hosts:
            return
        if self.inventory_shown and self.shown >= set(env.hosts):
            self._run_doctor()

    def _run_doctor(self) -> None:
        self._doctor_started = True
        self._changes_seen = len(netui_app(self).session.changes)
        self._own_changes_seen = len(netui_app(self).own_state_changes)
        self.run_worker(self._diagnose, thread=True, exclusive=True, group="overview-doctor")

    def _diagnose(self) -> None:
        from netui.core.errors import HostError, UserError

        try:
            findings = netui_app(self).session.gather().findings
        except (UserError, HostError) as e:
            self.app.call_from_thread(self._doctor_failed, str(e))
            return
        self.app.call_from_thread(self._show_doctor, findings)

    def _doctor_failed(self, why: str) -> None:
        self.notify(f"the doctor could not run: {why}", severity="warning", timeout=8)
        self.doctor_shown = True

    def _show_doctor(self, findings: list[Finding]) -> None:
        self.findings = findings
        env = netui_app(self).env
        hosts = self.query_one("#hosts", FitTable)
        for name, found in by_host(findings, env.hosts).items():
            hosts.put(name, "DOCTOR", count_text(found))
        clusters = self.query_one("#clusters", FitTable)
        for name, found in by_cluster(findings, env.clusters).items():
            clusters.put(name, "DOCTOR", count_text(found))
        self.doctor_shown = True
        self._detail()

    def _tick_hosts(self) -> None:
        """Every second: each host's age and state (a host can turn stale between polls)."""
        table = self.query_one("#hosts", FitTable)
        now = time.time()
        for name, snap in netui_app(self).snapshots.items():
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
            text = f"{key}: {table.value(key, 'ADDRESS')}, iptables {table.value(key, 'IPTABLES') or '?'}"
            text += f" — {why}" if why else ""
        if self.findings is not None:
            split = by_host if table.id == "hosts" else by_cluster
            worst = worst_title(split(self.findings, [key])[key])
            text += f"; doctor: {worst}" if worst else "; the doctor finds nothing wrong"
        self.query_one("#status", Static).update(text)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._detail()

    def on_descendant_focus(self) -> None:
        self._detail()

    def action_refresh(self) -> None:
        netui_app(self).refresh_hosts()
        self.notify("refreshing every host", timeout=1.5)
        if netui_app(self).env.hosts:
            self._run_doctor()

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

    def action_open_view(self, name: str) -> None:
        """A view's key: it opens for the host or cluster under the cursor when it needs one."""
        needs = view(name).needs
        arg = self._key_at_cursor(f"#{needs}s") if needs else None
        # with the kubeconfig alone (no hosts under any cursor) the app says why it cannot open
        if not netui_app(self).can_open(name):
            return
        if needs is None or arg:
            netui_app(self).open_view(name, arg)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "hosts":
            self.action_open_view("nat")
        elif event.data_table.id == "clusters":
            self.action_open_view("nodes")

    def on_screen_resume(self) -> None:
        self._show_forwarders()  # one picked on the nodes screen shows here too
        # back from a plan, an undo or a fix: the counts are of hosts that changed since
        if self._doctor_started and len(netui_app(self).session.changes) != self._changes_seen:
            self._run_doctor()

    def _show_forwarders(self) -> None:
        table = self.query_one("#clusters", FitTable)
        for c in netui_app(self).env.clusters.values():
            table.put(c.name, "FORWARDER", c.forwarder or "-")
