"""One host: forwarding now and at boot (and which file decides), iptables variant, FORWARD
policy, addresses, and the routes, each annotated with the known network it serves; known
networks without a route of their own are flagged. Live like the NAT view: it redraws when the
host's poller brings a newer snapshot."""

from __future__ import annotations

import time

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from netui.core.inventory import network_map
from netui.core.poller import age_text
from netui.model.at_boot import facts_of, host_items, unit_state
from netui.model.networks import NetworkMap
from netui.model.route_coverage import route_annotations, uncovered_networks
from netui.model.snapshot import HostSnapshot
from netui.model.sysctl import boot_order
from netui.screens.netui_app import keep_showing, netui_app
from netui.widgets.firewall_text import firewall_text
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain, cells


def forwarding_lines(snap: HostSnapshot) -> list[str]:
    """Forwarding now vs at boot, with the file and line that decides the boot value."""
    now = snap.forwarding_now
    boot = snap.forwarding_at_boot
    lines = [
        f"forwarding now   {'✓' if now == 'on' else '✗'} {now}",
        "forwarding boot  "
        + (
            f"{'✓ on' if boot.value == '1' else '✗ off'}  ({boot.where})"
            if boot
            else "✗ off  (no sysctl file sets net.ipv4.ip_forward)"
        ),
    ]
    for s in snap.forwarding_ignored:
        lines.append(f"  ! {s.where} sets {s.key}={s.value}, but nothing reads that file at boot")
    read = [f.path for f in boot_order(snap.sysctl_files)]
    if read:
        lines.append("sysctl files     " + ", ".join(read) + "  (in boot order)")
    return lines


def forward_policy_text(snap: HostSnapshot) -> str:
    if snap.forward_policy is None:
        # iptables-save prints only tables that exist: no filter table filters nothing
        return "ACCEPT (no filter table loaded)" if snap.variant else "? (no iptables)"
    if snap.forward_policy == "DROP":
        return "DROP  (forwarded traffic needs an ACCEPT rule)"
    return snap.forward_policy


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def stale_lines(good: HostSnapshot, address: str) -> list[str]:
    """A host that went down: what it said when it last answered, every line marked."""
    return [f"last known, read {_clock(good.taken_at)}:"] + [
        f"  was {line}" for line in detail_lines(good, address)[1:]
    ]


def detail_lines(snap: HostSnapshot, address: str) -> list[str]:
    if not snap.ok:
        return [f"{snap.host} ({address})", f"✗ {snap.state}: {snap.reason or ''}"]
    lines = [
        f"{snap.host} ({address}) · hostname {snap.hostname or '?'} · "
        f"{snap.iptables_version or 'no iptables'}",
        *forwarding_lines(snap),
        "FORWARD policy   " + forward_policy_text(snap),
    ]
    for i in snap.routes.interfaces:
        if i.addresses:
            lines.append(
                f"{i.name:<16} {' '.join(i.addresses)}  mtu {i.mtu or '?'}  {i.state or ''}"
            )
    lines += boot_lines(snap)
    lines += [f"! {w}" for w in snap.warnings]
    lines += [f"! {a} unreadable: {why}" for a, why in snap.unreadable.items()]
    return lines


def boot_lines(snap: HostSnapshot) -> list[str]:
    """What the next boot does with each item: restored by netui's unit, held by the host's
    network files or sysctl files, or lost (only when the snapshot read the boot files)."""
    if snap.boot is None:
        return []
    lines = ["at boot          " + unit_state(facts_of(snap))]
    for item in host_items(snap):
        fate = "✗ lost at boot" if item.lost else f"✓ at boot: {item.at_boot}"
        lines.append(f"  {item.item:<44} {fate}")
    return lines


class HostScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("n", "nat", "NAT table", id="host_nat"),
        Binding("r", "refresh", "Refresh", id="refresh_host"),
    ]

    def __init__(self, host: str) -> None:
        super().__init__()
        self.host = host
        self._shown_at = -1.0
        self._good: HostSnapshot | None = None  # the last snapshot that answered

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical():
            yield Plain("", id="host-detail")
            yield Plain("Routes (main table)", classes="title", id="routes-title")
            yield DataTable(id="routes", cursor_type="row", zebra_stripes=True)
            yield Plain("", id="uncovered")
            yield Plain("", id="firewall")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = f"netui — {self.host}"
        self.query_one("#firewall", Static).display = False
        table = self.query_one("#routes", DataTable)
        table.add_column("ROUTE", key="route")
        table.add_column("NETWORK", key="network")
        table.focus()
        keep_showing(self, self._maybe_update, self.host)

    def _networks(self) -> NetworkMap:
        env = netui_app(self).env
        return network_map(env, netui_app(self).inventory or {})

    def _maybe_update(self) -> None:
        snap = netui_app(self).snapshots.get(self.host)
        if snap is None:
            self.sub_title = "waiting for the first snapshot"
            return
        self.sub_title = f"{snap.state} · data {age_text(snap.age)}"
        if snap.taken_at == self._shown_at:
            return
        self._shown_at = snap.taken_at
        env = netui_app(self).env
        lines = detail_lines(snap, env.hosts[self.host].uri)
        good = self._good
        if not snap.ok and good is not None:  # what was known stays, marked as such
            lines += stale_lines(good, env.hosts[self.host].uri)
        self.query_one("#host-detail", Static).update("\n".join(lines))
        self.query_one("#routes-title", Static).update(
            "Routes (main table)"
            + (f" — last known, read {_clock(good.taken_at)}" if not snap.ok and good else "")
        )
        if not snap.ok:
            if good is None:
                self.query_one("#routes", DataTable).clear()
            return
        self._good = snap
        table = self.query_one("#routes", DataTable)
        row = table.cursor_row
        table.clear()
        nets = self._networks()
        for a in route_annotations(snap.routes, nets):
            table.add_row(*cells(a.line, a.network))
        table.move_cursor(row=min(row, max(0, table.row_count - 1)))
        missing = uncovered_networks(snap.routes, nets, env.clusters_of_host(self.host))
        text = Text()
        for m in missing:
            # No route at all drops the traffic; the default route may be right (an office PC)
            # or the classic mistake (a forwarder sending the office's replies elsewhere).
            if m.carried_by == "no route at all":
                text.append(f"✗ {m.network} {m.cidr}: {m.carried_by}\n", style="bold red")
            else:
                text.append(f"! {m.network} {m.cidr}: {m.carried_by}\n", style="yellow")
        if not missing:
            text.append("✓ every known network has a route of its own", style="green")
        self.query_one("#uncovered", Static).update(text)
        fw = firewall_text(snap)
        box = self.query_one("#firewall", Static)
        box.display = fw is not None
        if fw is not None:
            box.update(fw)

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_nat(self) -> None:
        netui_app(self).switch_view("nat", self.host)

    def action_refresh(self) -> None:
        netui_app(self).refresh_hosts(self.host)
