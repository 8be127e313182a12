"""Trace panes (side by side; a re-run keeps the previous run beside the new one) and the probe
grid (a failing cell opens a trace to it and the doctor's findings for its cluster)."""

from __future__ import annotations

import time
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from netui.widgets.footer import KeyFooter


class TracePane(VerticalScroll):
    """One trace: hops appear as they arrive."""

    def __init__(self, title: str) -> None:
        super().__init__(classes="trace-pane")
        self.title_text = title
        self.lines: list[str] = [title]

    def compose(self) -> ComposeResult:
        yield Static("\n".join(self.lines), classes="trace-text")

    def add(self, line: str) -> None:
        self.lines.append(line)
        self.query_one(Static).update("\n".join(self.lines))


class TraceScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("n", "new_trace", "New trace", id="new_trace"),
        Binding("r", "rerun", "Re-run", id="rerun_trace"),
    ]

    def __init__(self, target: str | None = None) -> None:
        super().__init__()
        self.initial = target
        self.targets: list[str] = []
        self.running: list[Any] = []  # every trace started here, cancelled when the screen goes

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder="trace from the office host to: an address (e.g. 10.200.1.3), enter to run",
            id="target",
        )
        yield Horizontal(id="panes")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "netui — traces"
        first = [self.initial] if self.initial else self._one_per_cluster()
        if first:
            self._show_field(False)
            for target in first:
                self._start(target)
        else:
            self.query_one(Input).focus()

    def _one_per_cluster(self) -> list[str]:
        """A Pod of each cluster the inventory knows: the screen opens with its paths, side by
        side, instead of an empty prompt."""
        from netui.model.networks import ip_in

        out = []
        for inv in (getattr(self.app, "inventory", None) or {}).values():
            pods = [
                ip
                for s in inv.services
                for ip, _port, _proto in s.endpoints
                if any(ip_in(ip, c) for c in inv.pod_cidr_values)
            ]
            if pods:
                out.append(pods[0])
        return out[:4]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        target = event.value.strip()
        self._show_field(False)
        if target:
            self._start(target)

    def _show_field(self, shown: bool) -> None:
        # Hidden means disabled too: a hidden but focusable field would swallow r and n.
        field = self.query_one(Input)
        field.display = shown
        field.disabled = not shown
        if shown:
            field.value = ""
            field.focus()

    def action_new_trace(self) -> None:
        self._show_field(True)

    def action_rerun(self) -> None:
        if self.targets:
            self._start(self.targets[-1], again=True)

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_unmount(self) -> None:
        for trace in self.running:
            trace.cancel()  # no traceroute outlives its pane

    def _start(self, target: str, again: bool = False) -> None:
        from netui.core.verify import office_host
        from netui.errors import UserError

        try:
            source = office_host(self.app.session)  # type: ignore[attr-defined]
        except UserError as e:
            self.notify(str(e), severity="error")
            return
        self.targets.append(target)
        panes = self.query_one("#panes", Horizontal)
        # keep at most two panes per target side by side: the previous run and this one
        old = [p for p in panes.query(TracePane) if p.title_text.endswith(f"→ {target}")]
        for p in old[:-1]:
            p.remove()
        pane = TracePane(
            f"{'again ' if again else ''}{time.strftime('%H:%M:%S')} {source} → {target}"
        )
        panes.mount(pane)
        self.run_worker(lambda: self._trace(pane, source, target), thread=True)

    def _trace(self, pane: TracePane, source: str, target: str) -> None:
        from netui.backends import HostError
        from netui.core.verify import TraceContext, trace_target
        from netui.errors import UserError
        from netui.verify.trace import Trace

        def show(line: str) -> None:
            self.app.call_from_thread(pane.add, line)

        session = self.app.session  # type: ignore[attr-defined]
        try:
            trace_target(target)
            context = TraceContext(session)
            hops = []
            trace = Trace(session.hosts[source], target)
            self.running.append(trace)
            for hop in trace.hops():
                hops.append(hop)
                shown = f"{hop.ip:15} {hop.rtt_ms:6.2f} ms" if hop.ip else f"{'*':15} {'':9}"
                show(f"{hop.ttl:2} {shown} {hop.flag or ''} {context.name(hop.ip)}")
        except (UserError, HostError) as e:
            show(f"✗ {e}")
            return
        for line in context.explain(hops, target):
            show(f"=> {line}")


class ProbeScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("r", "rerun", "Probe again", id="rerun_probe"),
        Binding("s", "next_source", "Probe from…", id="probe_source"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.results: list[Any] = []
        self.source: str | None = None  # None: the office; else a cluster whose node probes

    def _sources(self) -> list[str | None]:
        """The office, then every cluster another cluster lets in (reach_from)."""
        env = self.app.env  # type: ignore[attr-defined]
        froms = {s for c in env.clusters.values() for s in c.reach_from if s in env.clusters}
        return [None, *sorted(froms)]

    def action_next_source(self) -> None:
        """Probe from the office, or — cluster to cluster — from a node of a cluster."""
        sources = self._sources()
        if len(sources) == 1:
            self.notify("no cluster lists another in reach_from: only the office probes", timeout=5)
            return
        self.source = sources[(sources.index(self.source) + 1) % len(sources)]
        self._title()
        self.action_rerun()

    def _title(self) -> None:
        self.title = (
            "netui — probes from the office"
            if self.source is None
            else f"netui — probes from a node of cluster {self.source}"
        )

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(id="probes", cursor_type="row", zebra_stripes=True)
        yield Static("probing…", id="probe-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._title()
        table = self.query_one("#probes", DataTable)
        for col in ("CLUSTER", "KIND", "TARGET", "ADDRESS", "RESULT", "DETAIL"):
            table.add_column(col, key=col)
        table.focus()
        self.action_rerun()

    def action_rerun(self) -> None:
        self.query_one("#probe-detail", Static).update("probing…")
        self.run_worker(self._probe, thread=True, exclusive=True)

    def _probe(self) -> None:
        from netui.backends import HostError
        from netui.core.verify import probe_plan, run_probes
        from netui.errors import UserError

        session = self.app.session  # type: ignore[attr-defined]
        try:
            plan = probe_plan(
                session,
                from_cluster=self.source,
                inventory=getattr(self.app, "inventory", None),
            )
            results = run_probes(session, plan)
        except (UserError, HostError) as e:
            self.app.call_from_thread(self.query_one("#probe-detail", Static).update, f"✗ {e}")
            return
        for w in plan.warnings:
            self.app.call_from_thread(self.notify, w, severity="warning", timeout=8)
        self.app.call_from_thread(self._show, results)

    def _show(self, results: list[Any]) -> None:
        self.results = results
        table = self.query_one("#probes", DataTable)
        table.clear()
        for i, r in enumerate(results):
            t = r.target
            where = f"{t.address}:{t.port}" if t.port else f"@{t.server}"
            mark = f"{r.mark} " + (f"{r.ms} ms" if r.ms is not None else "")
            table.add_row(t.cluster, t.kind, t.label, where, mark, r.detail, key=str(i))
        from netui.verify.probe import tally

        failed = any(r.ok is False for r in results)
        self.query_one("#probe-detail", Static).update(
            tally(results)
            + ("; enter on a ✗ row traces it and shows the doctor's findings" if failed else "")
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        r = self.results[int(str(event.row_key.value))]
        t = r.target
        if t.kind == "dns":
            # a name: what was asked where, and what came back — a trace would only test the
            # path to the cluster DNS, which another row already shows
            self.query_one("#probe-detail", Static).update(
                f"{t.address}: asked {t.server} (the DNS the office uses), it answered "
                f"{r.detail.removeprefix('-> ') or 'nothing'}; "
                f"cluster {t.cluster} has it at {t.expect}. n: which cluster each domain goes to"
            )
            return
        if r.ok is not False:
            return
        self.app.push_screen(TraceScreen(t.address))
        self.notify(
            f"tracing {t.address}; escape twice, then d, for the doctor's findings on cluster {t.cluster}",
            timeout=6,
        )
