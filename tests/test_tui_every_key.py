"""Every screen, every key: on the fixed world where one host is unreachable, the API of one
cluster is down and every action's backend fails (the fixed hosts are namespaces that do not
exist), the app must never end — errors are said on screen. Bindings are read from the screens
themselves, so a new key is covered the day it is added."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from textual.binding import Binding
from textual.screen import Screen

from netui.app import NetuiApp
from netui.screens.views import VIEWS

from .tui_data import (
    FixedPoller,
    environment,
    gather,
    inventory,
    until_ready,
    wait_until,
    workers_done,
)

# Keys that leave the screen under test on purpose: quitting is tested on its own.
NOT_HERE = {"quit"}


def api_down_for_b(env):
    inv = inventory(env)
    inv["b"] = dataclasses.replace(inv["b"], nodes=[], error="cluster b: connection refused")
    return inv


def keys_of(screen: Screen) -> list[str]:
    out = []
    for b in [*screen.BINDINGS, *screen.app.BINDINGS]:
        if not isinstance(b, Binding) or b.id in NOT_HERE:
            continue
        out.append(b.key.split(",")[0].strip())
    return list(dict.fromkeys(out))


# (how to get there from the overview, what the screen is called in messages)
ROUTES = [
    ((), "overview"),
    (("enter",), "nodes of the first cluster (the app starts on the clusters)"),
    (("tab", "enter"), "nat view of the first host (an empty nat table)"),
    (("tab", "down", "down", "enter"), "nat view of a forwarder"),
    (("tab", "down", "down", "down", "down", "down", "enter"), "nat view of an unreachable host"),
    # every registered view with a key of its own on the overview (enter: the routes above)
    *(((v.key,), f"{v.name} view") for v in VIEWS if v.key and v.key != "enter"),
    (("f",), "forwarder picker"),
    (("question_mark",), "help"),
    (("S",), "staged edits, none staged"),
    (("tab", "down", "down", "enter", "D", "M", "S"), "staged edits, two staged"),
]


@pytest.mark.parametrize("route, name", ROUTES, ids=[r[1] for r in ROUTES])
def test_every_key_of_every_screen_keeps_the_app_running(route, name):
    async def scenario() -> None:
        app = NetuiApp(
            environment(), poller_factory=FixedPoller, discover=api_down_for_b, gather=gather
        )
        async with app.run_test(size=(100, 30)) as pilot:

            def settled() -> bool:  # the cockpit's probe loop lasts as long as the cockpit,
                # a trace pane's rounds as long as continuous mode (c) is on
                trace = getattr(app.screen, "continuous", False)
                return workers_done(app, lasting=("migrate-probe",) + (("trace",) if trace else ()))

            await until_ready(pilot)
            # each key's own work (a worker, a dialog after it) is let run before the next
            for key in route:
                await pilot.press(key)
                await wait_until(pilot, settled)
            target = app.screen
            depth = len(app.screen_stack)
            for key in keys_of(target):
                await pilot.press(key)
                await wait_until(pilot, settled)
                for _ in range(5):  # back to the screen under test (dialogs, pushed screens)
                    if len(app.screen_stack) <= depth:
                        break
                    await pilot.press("escape")
                    await wait_until(pilot, settled)
                assert app.is_running, f"{name}: {key} ended the app"
                if len(app.screen_stack) < depth:  # the key went back (escape): go there again
                    for k in route:
                        await pilot.press(k)
                        await wait_until(pilot, settled)
                    depth = len(app.screen_stack)
            # workers started by the keys finish (and fail) here
            await wait_until(pilot, settled)
            assert app.is_running, f"{name}: the app ended"
            assert app.crashes == [], app.crashes

    asyncio.run(scenario())


def test_q_quits_at_once_even_while_a_host_is_still_connecting():
    import time

    class SlowPoller(FixedPoller):
        def start(self) -> None:
            import threading

            # a connect that takes far longer than anyone waits to quit
            threading.Thread(target=time.sleep, args=(30,), daemon=True).start()

    async def scenario() -> float:
        app = NetuiApp(environment(), poller_factory=SlowPoller, discover=inventory, gather=gather)
        async with app.run_test(size=(100, 30)) as pilot:
            await wait_until(pilot, lambda: app.poller is not None and workers_done(app))
            start = time.monotonic()
            await pilot.press("q")
            await wait_until(pilot, lambda: not app.is_running, 1.0)
            took = time.monotonic() - start
            assert not app.is_running
            return took

    assert asyncio.run(scenario()) < 1.0


def test_help_lists_this_screens_keys_with_their_ids_and_closes_again():
    from textual.widgets import Static

    async def scenario() -> None:
        app = NetuiApp(environment(), poller_factory=FixedPoller, discover=inventory, gather=gather)
        async with app.run_test(size=(100, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("question_mark")
            await pilot.pause()
            text = str(app.screen.query_one("#help-text", Static).render())
            assert "Doctor" in text and "doctor" in text  # the key's action and its id
            assert "everywhere" in text and "Quit" in text and "keymap.yaml" in text
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.__class__.__name__ == "OverviewScreen"

    asyncio.run(scenario())
