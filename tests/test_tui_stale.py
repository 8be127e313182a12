"""A host that went down keeps what was last read of it on every screen, marked as last known
(issue 25: "a host that went down keeps its last-known values unmarked")."""

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
