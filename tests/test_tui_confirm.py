"""Commit-confirmed you can operate: the dialog's buttons at every size, Enter in the seconds box,
and one account of a fired rollback in the toast, the header, history and `y`."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
from textual.app import App
from textual.widgets import Button, Input

from netui.app import NetuiApp
from netui.core.confirm_clock import ConfirmClock

from .tui_data import fixed_app, until_ready, wait_until

SIZES = [(80, 24), (120, 40), (120, 60), (200, 50)]
LONG_BODY = "\n".join(f"a-master: iptables-restore line {i}" for i in range(200))


def run(scenario) -> None:
    asyncio.run(scenario())


@contextlib.asynccontextmanager
async def _dialog(size: tuple[int, int]) -> AsyncIterator[tuple[Any, Any, list]]:
    """The fixed app, ready, with the rollback dialog pushed: (app, pilot, what it answered)."""
    app = fixed_app()
    async with app.run_test(size=size) as pilot:
        await until_ready(pilot)
        got: list = []
        app.push_screen(_timed(got), got.append)
        await pilot.pause()
        yield app, pilot, got


def _timed(got: list) -> object:
    from netui.screens.confirm import ConfirmTimedScreen

    return ConfirmTimedScreen("Apply plan p20261125-120000-abcd with rollback?", LONG_BODY, 60)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_both_buttons_and_the_seconds_box_are_on_screen_at_every_size(size):
    async def scenario() -> None:
        async with _dialog(size) as (app, _pilot, _got):
            dialog = app.screen.query_one("#dialog").region
            for selector in ("#cancel", "#ok", "#seconds"):
                region = app.screen.query_one(selector).region
                assert region.width >= 6 and region.height == 3, (selector, region)
                assert dialog.contains_region(region), (selector, region, dialog)
            label = app.screen.query_one("#ok", Button).region
            assert label.width >= len("Apply with rollback")

    run(scenario)


def test_enter_in_the_seconds_box_applies_with_the_seconds_typed():
    async def scenario() -> None:
        async with _dialog((80, 24)) as (app, pilot, got):
            box = app.screen.query_one("#seconds", Input)
            box.focus()
            box.value = ""
            await pilot.press("9", "0", "enter")
            await wait_until(pilot, lambda: got)
            assert got == [90]

    run(scenario)


def test_seconds_typed_without_moving_the_focus_go_to_the_box_and_enter_applies():
    """The dialog says "type them and press Enter": the digits find the box wherever the focus
    is (the first replaces the 60), and Enter then applies with them."""

    async def scenario() -> None:
        async with _dialog((120, 40)) as (app, pilot, got):
            assert app.screen.query_one("#cancel", Button).has_focus
            await pilot.press("4", "5")
            box = app.screen.query_one("#seconds", Input)
            assert box.has_focus and box.value == "45"
            await pilot.press("enter")
            await wait_until(pilot, lambda: got)
            assert got == [45]

    run(scenario)


def test_enter_on_the_default_focus_still_cancels():
    async def scenario() -> None:
        async with _dialog((120, 40)) as (_app, pilot, got):
            await pilot.press("enter")
            await wait_until(pilot, lambda: got)
            assert got == [None]

    run(scenario)


class DialogApp(App[None]):
    """The dialog alone, with netui's styles: no live screen behind it to vary with timing."""

    CSS_PATH = NetuiApp.CSS_PATH

    def on_mount(self) -> None:
        self.push_screen(_timed([]))


@pytest.mark.parametrize("size", [(80, 24), (120, 40), (200, 50)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_rollback_dialog_looks_as_accepted(snap_compare, size):
    async def before(pilot) -> None:
        await wait_until(pilot, lambda: pilot.app.screen.query("#ok"))
        await pilot.pause()

    assert snap_compare(DialogApp(), terminal_size=size, run_before=before)


# --- the fired rollback, one account ----------------------------------------------------------


def test_the_clock_says_due_until_the_hosts_answer_then_fired_with_their_time():
    clock = ConfirmClock()
    clock.arm("p1", 10, now=1000.0)
    assert clock.header(1005.0) == "⏱ 5 s to confirm (y)"
    assert [p.plan_id for p in clock.due(1011.0)] == ["p1"]
    assert "rolling back" in clock.header(1011.0)
    assert "its hosts are rolling it back" in clock.y_refusal(1011.0)
    text = clock.record_fired("p1", {"a-master": "2026-11-25 12:00:12"}, 1013.0)
    assert text == (
        "plan p1 was not confirmed in time: rolled back by its timer (a-master at 12:00:12)"
    )
    assert clock.header(1014.0) == "↶ plan p1 rolled back by its timer"
    assert clock.y_refusal(1014.0) == f"nothing awaits confirmation: {text}"
    assert clock.due(1014.0) == [] and clock.awaiting(1014.0) == []


def test_a_fired_rollback_reads_the_same_in_toast_header_and_y(monkeypatch):
    from netui.core.session import Session
    from netui.plan.journal import TIMER_FIRED

    not_yet = ("awaiting confirmation", {})
    answers = iter([not_yet, not_yet, (TIMER_FIRED, {"a-master": "2026-11-25 12:00:12"})])
    asked = []

    def fake_settle(self, plan_id):
        asked.append(plan_id)
        return next(answers, (TIMER_FIRED, {}))

    monkeypatch.setattr(Session, "settle", fake_settle)

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            toasts: list[str] = []
            real_notify = app.notify
            monkeypatch.setattr(
                app, "notify", lambda m, **k: (toasts.append(str(m)), real_notify(m, **k))
            )
            app.arm("p1", 0.3)
            await wait_until(pilot, lambda: any("rolled back" in t for t in toasts), 8)
            assert len(asked) >= 3  # asked again while the hosts had not fired yet
            fired = [t for t in toasts if "rolled back" in t]
            assert fired == [
                "plan p1 was not confirmed in time: rolled back by its timer (a-master at 12:00:12)"
            ]
            assert not any("awaiting" in t or "no host answered" in t for t in toasts)
            await pilot.pause(0.6)
            assert app.screen.title.startswith("↶ plan p1 rolled back by its timer")
            await pilot.press("y")
            await wait_until(pilot, lambda: any(t.startswith("nothing awaits") for t in toasts))
            assert toasts[-1] == f"nothing awaits confirmation: {fired[0]}"

    run(scenario)


def test_a_rollback_a_reboot_ran_is_not_told_as_the_timers():
    clock = ConfirmClock()
    clock.arm("p1", 10, now=1000.0)
    fired = {"a-master": "2026-12-02 12:00:05", "router": "2026-12-02 12:00:12"}
    text = clock.record_fired("p1", fired, 1013.0, frozenset({"a-master"}))
    assert text == (
        "plan p1 was not confirmed in time: rolled back "
        "(a-master by a reboot at 12:00:05, router at 12:00:12)"
    )
    assert clock.header(1014.0) == "↶ plan p1 rolled back"
