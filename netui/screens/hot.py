"""Hot rules: the nat rules being hit hardest right now, across hosts, with a sparkline each.

The nat table sees only the first packet of each connection (the rest follow conntrack), so a
rule's rate here is new connections per second — exactly "is my MASQUERADE rule being used?".
"""

from __future__ import annotations

from collections import deque

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Header, Static

from netui.model.snapshot import HostSnapshot
from netui.screens.nat import _UNLISTED, keyed
from netui.screens.netui_app import keep_showing, netui_app
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain, cells

BLOCKS = "▁▂▃▄▅▆▇█"
HISTORY = 20  # samples per rule
TOP = 15


def sparkline(values: list[float]) -> str:
    if not values:
        return ""
    top = max(values) or 1.0
    return "".join(
        BLOCKS[min(len(BLOCKS) - 1, int(v / top * (len(BLOCKS) - 1)))] if v > 0 else " "
        for v in values
    )


class RuleRates:
    """Per rule (host + chain + text + occurrence): its recent rates, from successive snapshots."""

    def __init__(self) -> None:
        self.last: dict[str, tuple[float, int]] = {}
        self.rates: dict[str, deque[float]] = {}
        self.where: dict[str, tuple[str, str, int, str]] = {}  # key -> host, chain, position, text
        self.seen: dict[str, float] = {}  # host -> taken_at of the last snapshot counted

    def add(self, snap: HostSnapshot) -> None:
        if snap.nat is None or self.seen.get(snap.host) == snap.taken_at:
            return
        self.seen[snap.host] = snap.taken_at
        for chain in snap.nat.chains.values():
            if chain.name.startswith(_UNLISTED):
                continue  # per-service chains: thousands, and their traffic shows in KUBE-SERVICES
            for key, rule in keyed(chain.rules, chain.name):
                k = f"{snap.host}\0{key}"
                prev = self.last.get(k)
                self.last[k] = (snap.taken_at, rule.packets)
                self.where[k] = (snap.host, chain.name, rule.position, rule.text)
                if prev is not None and snap.taken_at > prev[0]:
                    self.rates.setdefault(k, deque(maxlen=HISTORY)).append(
                        max(0.0, (rule.packets - prev[1]) / (snap.taken_at - prev[0]))
                    )

    def top(self, n: int = TOP) -> list[tuple[str, float, list[float]]]:
        ranked = sorted(
            ((k, r[-1], list(r)) for k, r in self.rates.items() if r and max(r) > 0),
            key=lambda x: (-x[1], -max(x[2])),
        )
        return ranked[:n]


class HotRulesScreen(Screen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Back", id="back")]

    def __init__(self) -> None:
        super().__init__()
        self.rates = RuleRates()

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="hot", cursor_type="row", zebra_stripes=True)
        yield Plain("waiting for two snapshots of each host…", id="hot-detail")
        yield KeyFooter()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter: the rule in its host's nat view, highlighted."""
        from netui.screens.nat import NatScreen

        where = self.rates.where.get(str(event.row_key.value))
        if where is not None:
            host, chain, _position, text = where
            self.app.push_screen(NatScreen(host, chain, highlight=text))

    def on_mount(self) -> None:
        netui_app(self).watch_counters(self, "*", None)  # every rule of every host: full reads
        self.title = "netui — hot rules (new connections per second)"
        table = self.query_one("#hot", DataTable)
        for col in ("HOST", "RULE AT", "NOW", "RECENT", "RULE"):
            table.add_column(col, key=col)
        keep_showing(self, self._update)

    def _update(self) -> None:
        for snap in list(netui_app(self).snapshots.values()):
            if snap.ok:
                self.rates.add(snap)
        table = self.query_one("#hot", DataTable)
        table.clear()
        top = self.rates.top()
        for k, now, history in top:
            host, chain, position, text = self.rates.where[k]
            table.add_row(
                *cells(
                    host,
                    f"{chain} #{position}",
                    f"▲ {now:,.1f}/s" if now > 0 else "·",
                    sparkline(history),
                    text,
                ),
                key=k,
            )
        self.query_one("#hot-detail", Static).update(
            f"{len(top)} rule(s) hit in the last {HISTORY} polls; the nat table counts a connection's first packet only"
            if top
            else "no nat rule has been hit since this view opened (counters are read at each poll)"
        )

    def on_unmount(self) -> None:
        netui_app(self).unwatch_counters(self)
