"""TUI speed, as ratios measured in one run (headless, Textual's run_test; no root, no network).

    .venv/bin/python bench/tui.py

Targets (issue: TUI): the NAT view paints its first screen over 100,000 rules in ≤ 2× the time
with 100 rules, a filter keystroke repaints in ≤ 2× the 100-rule time, and netui's start to first
paint is ≤ 1.5× a minimal Textual app's (header, a line, footer). DataTable's time for the same
chain is printed beside, for scale.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench._common import kube_proxy_save_text  # noqa: E402

ENV = "office: {cidrs: [10.1.3.0/24]}\nhosts: {h: local}\nclusters: {a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12]}}\n"


def nat_snapshot(services: int):
    from netui.model.iptables import parse
    from netui.model.snapshot import HostSnapshot

    return HostSnapshot(
        "h", nat=parse(kube_proxy_save_text(services, "[5:300]")).table("nat"), variant="nft"
    )


async def nat_view_times(snap) -> tuple[float, float]:
    """(first paint of the KUBE-SERVICES chain, one filter keystroke's repaint)."""
    from textual.app import App
    from textual.signal import Signal

    from netui.model.envfile import loads
    from netui.plan.staging import Stage
    from netui.screens.nat import NatScreen
    from netui.widgets.rule_list import RuleList

    class Harness(App[None]):
        def __init__(self) -> None:
            super().__init__()
            self.env = loads(ENV, "bench.yaml")
            self.readonly = True
            self.snapshots = {"h": snap}
            self.inventory = None
            self.session = SimpleNamespace(stage=Stage())  # nothing staged: no rule marked
            # what the NAT view asks of NetuiApp beyond these: no poller here
            self.snapshot_arrived = Signal(self, "snapshot-arrived")

        def watch_counters(self, *args: object) -> None:
            pass

        def unwatch_counters(self, owner: object) -> None:
            pass

    app = Harness()
    async with app.run_test(size=(120, 40)) as pilot:
        start = time.perf_counter()
        await app.push_screen(NatScreen("h", chain="KUBE-SERVICES"))
        await pilot.pause()
        first = time.perf_counter() - start
        assert app.screen.query_one(RuleList).row_count > 0
        screen = app.screen
        start = time.perf_counter()
        screen.needle = "10.96.0.10"
        screen._redraw()
        await pilot.pause()
        filtered = time.perf_counter() - start
    return first, filtered


async def datatable_time(snap) -> float:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    rules = snap.nat.chains["KUBE-SERVICES"].rules

    class Table(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    app = Table()
    async with app.run_test(size=(120, 40)) as pilot:
        table = app.query_one(DataTable)
        table.add_columns("#", "PKTS", "RULE")
        start = time.perf_counter()
        table.add_rows([(r.position, r.packets, r.text) for r in rules])
        await pilot.pause()
        return time.perf_counter() - start


# "First paint" is Textual's Ready event: the screen posts it right after its first compositor
# refresh, i.e. when the first frame is on the terminal. Both apps print that moment and the
# moment `pilot.pause()` finds them settled; netui's settle includes the post-paint work (the
# polling and discovery threads importing paramiko and kubernetes), printed for transparency.
FIRST_PAINT = {
    "minimal": """
        import time; t = time.perf_counter()
        import asyncio
        from textual.app import App
        from textual.widgets import Footer, Header, Static
        painted = []
        class Minimal(App):
            def compose(self):
                yield Header(); yield Static("hello"); yield Footer()
            def on_ready(self):
                painted.append(time.perf_counter() - t)
        async def main():
            async with Minimal().run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                print(painted[0], time.perf_counter() - t)
        asyncio.run(main())
    """,
    "netui": """
        import time; t = time.perf_counter()
        import asyncio
        from netui.app import NetuiApp
        from netui.model.envfile import loads
        ENV = ENV_TEXT
        painted = []
        class Timed(NetuiApp):
            def on_ready(self):
                painted.append(time.perf_counter() - t)
        async def main():
            async with Timed(loads(ENV, "bench.yaml")).run_test(size=(80, 24)) as pilot:
                await pilot.pause()
                print(painted[0], time.perf_counter() - t)
        asyncio.run(main())
    """.replace("ENV_TEXT", repr(ENV)),
}


def _paint_once(which: str) -> tuple[float, float]:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(FIRST_PAINT[which])],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout
    p, s = out.strip().splitlines()[-1].split()
    return float(p), float(s)


def compiled() -> None:
    """netui's bytecode, as an installed netui has it (pip and uv compile at install; a checkout
    run with PYTHONDONTWRITEBYTECODE would compile every module at each start, and Textual's
    would not: that measures the checkout, not netui)."""
    import compileall

    compileall.compile_dir(str(ROOT / "netui"), quiet=1)


def first_paint(which: str, runs: int = 7) -> tuple[float, float]:
    """Median (first paint, settled) over `runs` fresh interpreters."""
    compiled()
    runs_ = [_paint_once(which) for _ in range(runs)]
    return statistics.median(p for p, _ in runs_), statistics.median(s for _, s in runs_)


def first_paint_ratio(runs: int = 9) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Both apps, one after the other in each round (a load that comes and goes hits both
    alike): the medians of each, and the median of the rounds' ratios."""
    compiled()
    minimal, ours = [], []
    for _ in range(runs):
        minimal.append(_paint_once("minimal"))
        ours.append(_paint_once("netui"))

    def med(xs: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(p for p, _ in xs), statistics.median(s for _, s in xs)

    ratio = statistics.median(o[0] / m[0] for m, o in zip(minimal, ours, strict=True))
    return med(minimal), med(ours), ratio


def main() -> int:
    small, big = nat_snapshot(20), nat_snapshot(20_000)
    print(
        f"nat tables: {small.nat.rule_count()} and {big.nat.rule_count()} rules (KUBE-SERVICES: {len(small.nat.chains['KUBE-SERVICES'])} / {len(big.nat.chains['KUBE-SERVICES'])})"
    )
    s_first, s_filter = (
        statistics.median([asyncio.run(nat_view_times(small))[0] for _ in range(3)]),
        None,
    )
    s_filter = statistics.median([asyncio.run(nat_view_times(small))[1] for _ in range(3)])
    b = [asyncio.run(nat_view_times(big)) for _ in range(3)]
    b_first, b_filter = statistics.median(x[0] for x in b), statistics.median(x[1] for x in b)
    dt = asyncio.run(datatable_time(big))
    ok1, ok2 = b_first / s_first <= 2, b_filter / s_filter <= 2
    print(
        f"NAT view first paint: 100 rules {s_first * 1000:.0f} ms, 100k rules {b_first * 1000:.0f} ms → {b_first / s_first:.2f}× (≤ 2×) {'ok' if ok1 else 'MISSED'}"
    )
    print(
        f"filter keystroke: 100 rules {s_filter * 1000:.0f} ms, 100k rules {b_filter * 1000:.0f} ms → {b_filter / s_filter:.2f}× (≤ 2×) {'ok' if ok2 else 'MISSED'}"
    )
    print(
        f"for scale: Textual's DataTable with the same {len(big.nat.chains['KUBE-SERVICES'])}-row chain: {dt * 1000:.0f} ms"
    )
    (minimal, minimal_settled), (ours, ours_settled), ratio = first_paint_ratio()
    ok3 = ratio <= 1.5
    print(
        f"start to first paint: minimal Textual app {minimal * 1000:.0f} ms, netui {ours * 1000:.0f} ms → {ratio:.2f}× (≤ 1.5×; median of 9 interleaved rounds) {'ok' if ok3 else 'MISSED'}"
    )
    print(
        f"  settled (pilot.pause): minimal {minimal_settled * 1000:.0f} ms, netui {ours_settled * 1000:.0f} ms"
        " (netui's includes the polling and discovery threads' imports, after the paint)"
    )
    return 0 if ok1 and ok2 and ok3 else 1


if __name__ == "__main__":
    sys.exit(main())
