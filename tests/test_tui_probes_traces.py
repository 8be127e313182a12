"""The probe grid and the traces of issue 25: the grid sized from its content with the result
and the reason kept at 80 columns, and ✗ traced from where it was probed."""

from __future__ import annotations

import asyncio

import pytest

from .tui_data import fixed_app, until_ready, wait_until

SIZES = [(80, 24), (120, 40), (200, 50)]


def run(scenario) -> None:
    asyncio.run(scenario())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_probe_grid_keeps_each_result_and_reason_and_cuts_only_the_target(size):
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            await pilot.press("o")
            table = app.screen.query_one("#probes")
            assert await wait_until(pilot, lambda: table.row_count == len(app.screen.results))
            await pilot.pause()
            results = app.screen.results
            assert results and table.size.width <= size[0]
            for y, r in enumerate(results, 1):  # line 0 is the header
                line = table.render_line(y).text
                assert f"{r.mark} {r.ms} ms" in line and r.detail in line, (size, line)
                t = r.target
                where = f"{t.address}:{t.port}" if t.port else f"@{t.server}"
                assert where in line, (size, line)
                if size[0] >= 120:  # room for all of it: nothing is cut
                    assert r.target.label in line and "…" not in line, (size, line)
            detail = str(app.screen.query_one("#probe-detail").render())
            first = results[0].target
            assert f"{first.label} {first.address}" in detail  # the highlighted row, whole

    run(scenario)


@pytest.mark.parametrize("size", SIZES[:2], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_trace_says_the_same_round_after_round_when_a_hop_answers_only_some(size, monkeypatch):
    from netui.core.verify import TraceTarget
    from netui.screens.verify import TracePane, TraceScreen

    from . import tui_data

    calls = []

    def stream(self, argv):  # hop 2 (a-master) answers one round in three, nothing else does
        calls.append(1)
        ip = "192.168.1.109" if len(calls) % 3 == 1 else None
        return tui_data._Lines(
            [" 1  *", f" 2  {ip}  0.100 ms" if ip else " 2  *", " 3  *", " 4  *"]
        )

    monkeypatch.setattr(tui_data.FixedBackend, "stream", stream)

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            app.push_screen(TraceScreen(TraceTarget("a", "Pod", "10.200.9.9", None)))
            assert await wait_until(pilot, lambda: app.screen.query(TracePane))
            pane = app.screen.query_one(TracePane)
            verdicts = []
            for n in range(1, 6):
                assert await wait_until(
                    pilot, lambda n=n: pane.run and pane.run.stats.rounds >= n and not pane.working
                )
                verdicts.append(list(pane.explanation))
                await pilot.press("r")
            assert all(v == verdicts[0] for v in verdicts), verdicts
            assert not any("no hop answered" in line for v in verdicts for line in v), verdicts
            assert "last answer at hop 2, 192.168.1.109" in verdicts[0][0]

    run(scenario)


def test_a_round_of_the_source_shown_before_never_lands_under_the_new_source(monkeypatch):
    """`s` changes where the probes run from: the office's rows go at once, and an office round
    still running (a thread worker runs to its end) is dropped when it lands, never shown under
    "probes from a node of cluster a" (seen at a load of 13: the office's rows after 15 s)."""
    from netui.screens.verify import ProbeScreen

    monkeypatch.setattr(ProbeScreen, "_sources", lambda self: [None, "a"])

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("o")
            screen = app.screen
            table = screen.query_one("#probes")
            assert await wait_until(pilot, lambda: table.row_count and screen.results)
            office = list(screen.results)
            monkeypatch.setattr(ProbeScreen, "action_rerun", lambda self: None)  # no new round
            await pilot.press("s")
            assert screen.title == "netui — probes from a node of cluster a"
            assert table.row_count == 0 and screen.results == []
            screen._show(office, None, None)  # the office's round, landing late
            await pilot.pause()
            assert table.row_count == 0 and screen.results == []
            screen._show(office, "a", "a-master")  # a round of this source is shown
            await pilot.pause()
            assert table.row_count == len(office) and screen.probed_from == "a-master"

    run(scenario)
