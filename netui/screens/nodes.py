"""One cluster: where each CIDR and the DNS IP came from (and where sources disagree), and its
nodes with roles, internal IP, pod CIDRs, taints, readiness, the forwarder (★) and, for nodes
that are also hosts of the environment, their live state. Enter opens a node's host screen."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from netui.core.inventory import ClusterInventory, Sourced
from netui.core.poller import state_mark
from netui.screens.netui_app import netui_app
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain, cells


def cluster_lines(inv: ClusterInventory) -> list[str]:
    def sourced(values: list[Sourced]) -> str:
        return ", ".join(f"{s.value} ({s.source})" for s in values) or "? (not found)"

    lines = [
        f"pods      {sourced(inv.pod_cidrs)}",
        f"services  {sourced(inv.service_cidrs)}",
        f"dns       {sourced([inv.dns_ip] if inv.dns_ip else [])}",
    ]
    lines += [f"! {w}" for w in inv.warnings]
    lines += [f"! {d}" for d in inv.disagreements]
    if inv.error:
        lines.append(f"✗ {inv.error}")
    return lines


class NodesScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("f", "pick_forwarder", "Forwarder", id="nodes_pick_forwarder"),
    ]

    def __init__(self, cluster: str) -> None:
        super().__init__()
        self.cluster = cluster

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Plain("", id="cluster-detail")
            yield Plain("Nodes", classes="title")
            yield DataTable(id="nodes", cursor_type="row", zebra_stripes=True)
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one("#nodes", DataTable)
        for col in ("NODE", "ROLES", "INTERNAL IP", "POD CIDRS", "TAINTS", "READY", "HOST"):
            table.add_column(col, key=col)
        table.focus()
        self._show()

    def _show(self) -> None:
        env = netui_app(self).env
        spec = env.clusters[self.cluster]
        self.title = f"netui — cluster {self.cluster}"
        self.sub_title = (
            f"context {spec.context or '-'} · forwarder {spec.forwarder or 'none picked'}"
        )
        inv = (netui_app(self).inventory or {}).get(self.cluster)
        detail = self.query_one("#cluster-detail", Static)
        table = self.query_one("#nodes", DataTable)
        table.clear()
        if inv is None:
            detail.update("discovering …")
            return
        detail.update("\n".join(cluster_lines(inv)))
        snaps = netui_app(self).snapshots
        for n in inv.nodes:
            snap = snaps.get(n.name)
            host = (
                state_mark(snap, time.time())[0]
                if snap
                else ("…" if n.name in env.hosts else "- (not in hosts:)")
            )
            table.add_row(
                *cells(
                    ("★ " if n.name == spec.forwarder else "  ") + n.name,
                    ",".join(n.roles) or "-",
                    n.internal_ip or "?",
                    ",".join(n.pod_cidrs) or "-",
                    " ".join(n.taints) or "-",
                    "✓" if n.ready else "✗ NotReady",
                    host,
                ),
                key=n.name,
            )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        name = str(event.row_key.value)
        if name in netui_app(self).env.hosts:
            netui_app(self).open_view("host", name)
        else:
            self.notify(f"{name} is not a host of the environment file (add it under hosts:)")

    def action_pick_forwarder(self) -> None:
        from netui.screens.forwarder import pick_forwarder

        pick_forwarder(self.app, self.cluster, lambda node: self._show())

    def action_back(self) -> None:
        self.app.pop_screen()
