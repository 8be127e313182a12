"""Screens that say what is true now (issue 25, "stale or silent" and "smaller"): a host gone
down keeps its last values marked as such, the cockpit's timeline is newest first, a switch that
did not apply says why, and a preview scrolls with the arrows at once."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Static

from netui.model.snapshot import unreachable

from .tui_data import fixed_app, open_host, until_ready, wait_until

SIZES = [(80, 24), (120, 40)]


def run(scenario) -> None:
    asyncio.run(scenario())


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_host_screen_of_a_host_gone_down_keeps_its_values_marked_last_known(size):
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "a-master", "i")
            routes = app.screen.query_one("#routes", DataTable)
            assert await wait_until(pilot, lambda: routes.row_count)
            count = routes.row_count
            app._snapshot_found(
                unreachable("a-master", "connection refused")
            )  # as a poll brings it
            detail = app.screen.query_one("#host-detail", Static)
            assert await wait_until(pilot, lambda: "✗ unreachable" in str(detail.render()))
            text = str(detail.render())
            assert "connection refused" in text and "last known, read " in text
            assert "  was FORWARD policy   ACCEPT" in text  # the old values, each marked
            assert routes.row_count == count  # the routes stay
            title = str(app.screen.query_one("#routes-title", Static).render())
            assert "last known, read " in title

    run(scenario)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_nat_view_of_a_host_gone_down_says_its_rules_are_the_last_read(size):
    from netui.widgets.rule_list import RuleList

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "b-master", "enter")
            rules = app.screen.query_one(RuleList)
            assert await wait_until(pilot, lambda: rules.row_count)
            count = rules.row_count
            app._snapshot_found(unreachable("b-master", "connection refused"))
            screen = app.screen
            assert await wait_until(pilot, lambda: "unreachable" in screen.sub_title)
            assert screen.sub_title.startswith("POSTROUTING: last known, read "), screen.sub_title
            assert "✗ unreachable: connection refused" in screen.sub_title
            assert rules.row_count == count

    run(scenario)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_cockpit_timeline_is_newest_first_whatever_order_the_entries_came_in(size):
    import time

    async def scenario() -> None:
        app = fixed_app(dns=True)
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            app.open_view("migrate")
            assert await wait_until(pilot, lambda: getattr(app.screen, "migration", None))
            screen = app.screen
            t0 = time.time() - 120
            screen.migration.note("forwarder b lost", at=t0 + 20)
            screen.migration.note("probes of a red", at=t0 + 10)
            app.session.changes.append((t0 + 15, "plan p1 applied: a-master"))  # came in late
            screen._refresh_view()
            await pilot.pause()
            lines = str(screen.query_one("#timeline", Static).render()).splitlines()
            stamps = [line.split()[0] for line in lines]
            assert stamps == sorted(stamps, reverse=True), lines  # newest first, in order
            mine = [
                line for line in lines if "b lost" in line or "p1" in line or "of a red" in line
            ]
            assert [m.split(" ", 1)[1] for m in mine] == [
                "forwarder b lost",
                "netui: plan p1 applied: a-master",
                "probes of a red",
            ], lines

    run(scenario)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
@pytest.mark.parametrize("how", ["refused", "cancelled"])
def test_a_switch_that_ends_without_applying_says_so_not_that_commands_are_in_a_dialog(
    size, how, monkeypatch
):
    from textual.widgets import Button

    from netui.core.errors import UserError
    from netui.core.session import Session
    from netui.screens.confirm import ConfirmScreen
    from netui.screens.dns import DnsScreen

    def refuse(self, plan, *args, **kwargs):
        raise UserError("b's DNS 10.43.0.10 does not answer from a-master: nothing changed")

    monkeypatch.setattr(Session, "apply", refuse)

    async def scenario() -> None:
        app = fixed_app(dns=True)
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            app.open_view("dns")
            assert await wait_until(pilot, lambda: isinstance(app.screen, DnsScreen))
            screen = app.screen
            table = screen.query_one("#domains", DataTable)
            assert await wait_until(pilot, lambda: table.row_count)
            table.focus()
            await pilot.press("s")
            assert await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            detail = screen.query_one("#dns-detail", Static)
            assert "the exact commands are in the dialog" in str(detail.render())
            app.screen.query_one("#ok" if how == "refused" else "#cancel", Button).press()
            assert await wait_until(pilot, lambda: app.screen is screen)
            assert await wait_until(pilot, lambda: "in the dialog" not in str(detail.render())), (
                str(detail.render())
            )
            said = str(detail.render())
            if how == "refused":
                assert "not applied: b's DNS 10.43.0.10 does not answer" in said, said
            else:
                assert "cancelled, nothing changed" in said, said

    run(scenario)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_the_fix_all_preview_scrolls_with_the_arrows_at_once(size):
    from textual.containers import VerticalScroll

    from netui.screens.confirm import ConfirmScreen
    from netui.screens.findings import FindingsScreen

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            await pilot.press("d")
            assert await wait_until(pilot, lambda: isinstance(app.screen, FindingsScreen))
            doctor = app.screen
            assert await wait_until(pilot, lambda: doctor.findings)
            await pilot.press("F")
            assert await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            body = app.screen.query_one("#dialog-body", VerticalScroll)
            assert await wait_until(pilot, lambda: body.max_scroll_y > 0), "nothing to scroll"
            await pilot.press("down", "down")  # no Tab first
            assert await wait_until(pilot, lambda: body.scroll_y == 2), body.scroll_y
            await pilot.press("pagedown")
            assert await wait_until(pilot, lambda: body.scroll_y > 2)
            await pilot.press("up")
            assert app.screen.focused is not None and app.screen.focused.id == "cancel"

    run(scenario)
