"""Trace panes (side by side; a re-run keeps the previous run beside the new one) and the probe
grid (a failing cell opens a trace to it and the doctor's findings for its cluster)."""

from __future__ import annotations

import threading
import time
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Header, Input, Static

from netui.core.verify import TraceTarget
from netui.screens.netui_app import netui_app
from netui.widgets.fit_table import Column, FitTable
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain, safe_text


class TracePane(Plain):
    """One target's trace: per-hop statistics over every round (mtr-like), each hop named, and
    why the path ends where it ends."""

    def __init__(self, target: TraceTarget, source: str) -> None:
        super().__init__(classes="trace-pane")
        self.target = target
        self.source = source
        self.run: Any = None  # the TraceRun, once started
        self.context: Any = None
        self.explanation: list[str] = []
        self.error: str | None = None
        self.working = False  # a worker runs its rounds
        self.more = False  # asked for another round while one ran
        self.round_lock = threading.Lock()
        self.started = time.strftime("%H:%M:%S")
        self.lines: list[str] = []
        self.border_title = safe_text(self._heading())  # a label from the API: no markup

    def _heading(self) -> str:
        t = self.target
        where = f"{t.cluster}: " if t.cluster else ""
        return f"{where}{t.label} {t.address} {t.method}"

    def on_mount(self) -> None:
        self.show()

    def on_resize(self) -> None:
        self.show()

    def show(self) -> None:
        from netui.core.verify import stats_table

        run = self.run
        head = f"{self.started} from {self.source}"
        if run is not None:
            head += f" · round {run.stats.rounds}" + (
                f" · {run.method}" if run.method != self.target.method else ""
            )
        lines = [head]
        if run is not None and run.stats.hops:
            name = self.context.name_now if self.context else (lambda ip: "")
            lines += stats_table(run.stats, max(30, self.size.width), name)
        elif self.error is None:
            lines.append("tracing…")
        if run is not None and run.note:
            lines.append(f"! {run.note}")
        if self.error:
            lines.append(f"✗ {self.error}")
        lines += [f"=> {line}" for line in self.explanation]
        self.lines = lines
        self.update("\n".join(lines))


class TraceScreen(Screen[None]):
    """Trace panes side by side: per cluster a Pod and a Service (TCP to the port each serves),
    or the address asked for. `c` repeats every second with per-hop loss and latency."""

    BINDINGS = [
        Binding("escape", "back", "Back", id="back"),
        Binding("c", "continuous", "Continuous", id="trace_continuous"),
        Binding("r", "rerun", "One more round", id="rerun_trace"),
        Binding("n", "new_trace", "New trace", id="new_trace"),
    ]

    def __init__(self, target: TraceTarget | None = None, source: str | None = None) -> None:
        super().__init__()
        self.initial = target
        self.source = source  # the host traces run from; None: the office host
        self.continuous = False
        self.runs: list[Any] = []  # every TraceRun started here, cancelled when the screen goes
        self.context: Any = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(
            placeholder="trace from the office host to: an address, optionally :PORT for TCP (e.g. 10.96.0.30:80), enter to run",
            id="target",
        )
        yield Horizontal(id="panes")
        yield Plain("", id="trace-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.title = "netui — traces"
        self._show_field(False)
        self._status()
        if self.initial is not None:
            self._open([self.initial])
        else:
            self.run_worker(self._plan, thread=True, group="trace-plan")

    def _status(self, extra: str = "") -> None:
        mode = (
            "continuous: a round every second (c stops)"
            if self.continuous
            else "one round (c: repeat every second, r: one more)"
        )
        self.query_one("#trace-status", Static).update(f"{mode} · n: trace another address{extra}")

    def _plan(self) -> None:
        """Which targets to open with: found in the background, the screen is up at once."""
        from netui.core.errors import HostError, UserError
        from netui.core.verify import trace_plan

        session = netui_app(self).session
        try:
            targets = trace_plan(session, netui_app(self).inventory)
        except (UserError, HostError) as e:
            self.app.call_from_thread(self._status, f" · ✗ {e}")
            return
        if not targets:
            self.app.call_from_thread(
                self._status, " · no cluster's API named a Pod or Service: n to give an address"
            )
            self.app.call_from_thread(self._show_field, True)
            return
        self.app.call_from_thread(self._open, targets)

    def _open(self, targets: list[TraceTarget]) -> None:
        """A column per cluster (its Pod above its Service), each pane tracing."""
        from netui.core.errors import UserError
        from netui.core.verify import TraceContext, office_host

        session = netui_app(self).session
        try:
            source = self.source or office_host(session)
        except UserError as e:
            self._status(f" · ✗ {e}")
            return
        if self.context is None:
            self.context = TraceContext(session)
        panes = self.query_one("#panes", Horizontal)
        columns: dict[str | None, Vertical] = {}
        for target in targets:
            key = target.cluster
            if key not in columns or key is None:
                columns[key] = Vertical(classes="trace-column")
                panes.mount(columns[key])
            pane = TracePane(target, source)
            pane.context = self.context
            columns[key].mount(pane)
            self._go(pane)

    def _go(self, pane: TracePane) -> None:
        """One more round on `pane`: a worker starts, or the one running does another round
        after this one (a key pressed as a round ends is never lost)."""
        with pane.round_lock:
            if pane.working:
                pane.more = True
                return
            pane.working = True
        self.run_worker(lambda: self._rounds(pane), thread=True, group="trace")

    def _rounds(self, pane: TracePane) -> None:
        from netui.core.errors import HostError
        from netui.core.verify import TraceRun

        session = netui_app(self).session
        call = self.app.call_from_thread
        try:
            if pane.run is None:
                pane.run = TraceRun(
                    session.hosts[pane.source], pane.target.address, pane.target.port
                )
                self.runs.append(pane.run)
            run = pane.run
            while not run.cancelled:
                hops = run.round(lambda hop: call(pane.show))
                if run.cancelled:
                    return
                pane.explanation = self.context.explain(  # every round's answers, not this one's
                    run.stats.path() or hops,
                    pane.target.address,
                    tcp=run.tcp_port is not None,
                    source=pane.source,
                )
                call(pane.show)
                with pane.round_lock:
                    if not (self.continuous or pane.more):
                        pane.working = False
                        return
                    again, pane.more = pane.more, False
                if not again and not run.pause(1.0):
                    return
        except HostError as e:
            pane.error = str(e)
            call(pane.show)
        finally:
            with pane.round_lock:
                pane.working = False

    def action_continuous(self) -> None:
        self.continuous = not self.continuous
        self._status()
        if self.continuous:
            self._every_idle_pane(more=False)

    def action_rerun(self) -> None:
        self._every_idle_pane()

    def _every_idle_pane(self, more: bool = True) -> None:
        """A round on every pane (`more`: also on the busy ones, once their round ends)."""
        for pane in self.query(TracePane):
            if more or not pane.working:
                self._go(pane)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        from netui.core.errors import UserError
        from netui.core.verify import trace_target

        text = event.value.strip()
        if not text:
            self._show_field(False)
            return
        address, _, port = text.partition(":")
        try:
            ip = trace_target(address)
            tcp = int(port) if port else None
            if tcp is not None and not 1 <= tcp <= 65535:
                raise ValueError
        except UserError as e:
            self.notify(str(e), severity="error")
            return
        except ValueError:
            self.notify(f"{text!r}: the port after ':' must be 1-65535", severity="error")
            return
        self._show_field(False)
        self._open([TraceTarget(None, "address", ip, tcp)])

    def _show_field(self, shown: bool) -> None:
        # Hidden means disabled too: a hidden but focusable field would swallow r, c and n.
        field = self.query_one(Input)
        field.display = shown
        field.disabled = not shown
        if shown:
            field.value = ""
            field.focus()

    def action_new_trace(self) -> None:
        self._show_field(True)

    def action_back(self) -> None:
        if self.query_one(Input).display:
            self._show_field(False)  # Esc in the address box closes the box, not the screen
            return
        self.app.pop_screen()

    def on_unmount(self) -> None:
        for run in self.runs:
            run.cancel()  # no traceroute outlives its pane


# The reason and the result stay on an 80-column screen: the kind goes first, and the
# target (said whole in the line below the grid for the highlighted row) is cut.
PROBE_COLUMNS = [
    Column("CLUSTER", "CLUSTER"),
    Column("KIND", "KIND", min_screen=100),
    Column("TARGET", "TARGET", fill=True),
    Column("ADDRESS", "ADDRESS"),
    Column("RESULT", "RESULT"),
    Column("DETAIL", "DETAIL"),
]


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
        self.probed_from: str | None = None  # the host the results shown ran on

    def _sources(self) -> list[str | None]:
        """The office, then every cluster another cluster lets in (reach_from)."""
        env = netui_app(self).env
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
        # the rows shown were probed from elsewhere: gone at once, not left under the new title
        self.results, self.probed_from = [], None
        self.query_one("#probes", FitTable).clear_rows()
        self.action_rerun()

    def _title(self) -> None:
        self.title = (
            "netui — probes from the office"
            if self.source is None
            else f"netui — probes from a node of cluster {self.source}"
        )

    def compose(self) -> ComposeResult:
        yield Header()
        yield FitTable(PROBE_COLUMNS, id="probes")
        yield Plain("probing…", id="probe-detail")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._title()
        self.query_one("#probes", FitTable).focus()
        self.action_rerun()

    def action_rerun(self) -> None:
        self.query_one("#probe-detail", Static).update("probing…")
        source = self.source
        self.run_worker(lambda: self._probe(source), thread=True, exclusive=True)

    def _probe(self, source: str | None) -> None:
        from netui.core.errors import HostError, UserError
        from netui.core.verify import probe_plan, run_probes

        session = netui_app(self).session
        try:
            plan = probe_plan(
                session,
                from_cluster=source,
                inventory=netui_app(self).inventory,
            )
            results = run_probes(session, plan)
        except (UserError, HostError) as e:
            self.app.call_from_thread(self.query_one("#probe-detail", Static).update, f"✗ {e}")
            return
        for w in plan.warnings:
            self.app.call_from_thread(self.notify, w, severity="warning", timeout=8)
        self.app.call_from_thread(self._show, results, source, plan.source)

    def _show(self, results: list[Any], source: str | None, probed_from: str | None) -> None:
        if source != self.source:
            return  # a round from the source shown before (a thread worker runs to its end)
        self.results = results
        self.probed_from = probed_from  # a ✗ is traced from where these were probed
        table = self.query_one("#probes", FitTable)
        table.clear_rows()
        for i, r in enumerate(results):
            t = r.target
            table.put_row(
                str(i),
                {
                    "CLUSTER": t.cluster,
                    "KIND": t.kind,
                    "TARGET": t.label,
                    "ADDRESS": f"{t.address}:{t.port}" if t.port else f"@{t.server}",
                    "RESULT": f"{r.mark} " + (f"{r.ms} ms" if r.ms is not None else ""),
                    "DETAIL": r.detail,
                },
            )
        self._detail()

    def _detail(self) -> None:
        """The tally, and the highlighted row whole (a narrow screen cuts its target)."""
        from netui.core.verify import tally

        results = self.results
        failed = any(r.ok is False for r in results)
        lines = [
            tally(results)
            + ("; enter on a ✗ row traces it and shows the doctor's findings" if failed else "")
        ]
        key = self.query_one("#probes", FitTable).key_at_cursor()
        if key is not None and int(key) < len(results):
            r = results[int(key)]
            t = r.target
            where = f"{t.address}:{t.port}" if t.port else f"@{t.server}"
            lines.append(f"{t.cluster} {t.kind} {t.label} {where}: {r.mark} {r.detail}")
        self.query_one("#probe-detail", Static).update("\n".join(lines))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if self.results:
            self._detail()

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
        source = self.probed_from
        target = TraceTarget(t.cluster, t.label, t.address, t.port)
        self.app.push_screen(TraceScreen(target, source=source))
        self.notify(
            f"tracing {t.address} from {source or 'the office'}; escape twice, then d, for the "
            f"doctor's findings on cluster {t.cluster}",
            timeout=6,
        )
