"""Every screen of the fixed world with hostile text in every field a host or API fills: a rule
comment with OSC 52 and markup, a chain named with ESC, interface names, hostnames, file
paths, reasons, warnings, node names, taints, sources. Nothing raw reaches what the app
renders, nothing is read as markup, nothing crashes (issue 24)."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from netui.model.iptables import parse
from netui.model.routes import Interface, RoutingTable
from netui.model.safe_text import is_clean
from netui.model.sysctl import SysctlFile

from . import tui_data
from .conftest import FIXTURES
from .test_tui_every_key import ROUTES

H = "\x1b]52;c;aGVsbG8=\x07[link=http://x]L[/link]\u202e\x9b\x1b[2J\x1b]8;;http://x\x1b\\"
CHAIN = "EVIL\x1b[2J"


def hostile_nat() -> str:
    """kube-proxy's nat table with a hostile chain and two hostile comments first in
    POSTROUTING (where the nat view opens)."""
    lines = (FIXTURES / "iptables" / "kube-proxy.nft.txt").read_text().splitlines()
    quoted = H.replace('"', "")
    first = next(i for i, line in enumerate(lines) if line.startswith(("[", "-A ")))
    lines[first:first] = [
        f'[1:60] -A POSTROUTING -s 10.1.3.0/24 -m comment --comment "{quoted}" -j {CHAIN}',
        f'[1:60] -A {CHAIN} -m comment --comment "[b]{quoted}" -j RETURN',
    ]
    declared = next(i for i, line in enumerate(lines) if line.startswith(":POSTROUTING "))
    lines.insert(declared + 1, f":{CHAIN} - [0:0]")
    return "\n".join(lines) + "\n"


def hostile_snapshots(original):
    def snapshots(taken_at=None):
        snaps = original(taken_at)
        for s in snaps.values():
            s.hostname = H + (s.hostname or "")
            s.iptables_version = (s.iptables_version or "iptables v1.8.9") + H
            s.warnings.append("warning " + H)
            s.reason = s.reason and s.reason + H
            s.routes = RoutingTable(
                s.routes.routes,
                tuple(dataclasses.replace(i, name=H + i.name) for i in s.routes.interfaces)
                or (Interface(H, 1500, "UP", ("10.9.9.1/24",)),),
            )
            s.sysctl_files.append(SysctlFile("/etc/sysctl.d/" + H + ".conf", H))
            s.files["/etc/dnsmasq.d/" + H] = f"server=/{H}/10.96.0.10\n"
        snaps["a-master"].nat = parse(hostile_nat()).table("nat")
        snaps["router"].unreadable["routes"] = "ip -j printed " + H
        return snaps

    return snapshots


def hostile_inventory(original):
    def inventory(env):
        inv = original(env)
        for c in inv.values():
            c.disagreements.append("pods: " + H)
            c.warnings.append("node x: " + H)
            c.pod_cidrs = [dataclasses.replace(s, source=H) for s in c.pod_cidrs]
            c.nodes = [
                dataclasses.replace(
                    n,
                    name=n.name if n.forwarder or n.name.endswith("master") else H + n.name,
                    roles=(H,),
                    taints=(H,),
                    version=H,
                )
                for n in c.nodes
            ]
            c.services = [dataclasses.replace(s, name=H + s.name) for s in c.services]
        return inv

    return inventory


@pytest.fixture
def hostile_world(monkeypatch):
    monkeypatch.setattr(tui_data, "snapshots", hostile_snapshots(tui_data.snapshots))
    monkeypatch.setattr(tui_data, "inventory", hostile_inventory(tui_data.inventory))


@pytest.mark.parametrize("route, name", ROUTES, ids=[r[1] for r in ROUTES])
def test_hostile_text_on_every_screen_is_shown_escaped(hostile_world, route, name):
    async def scenario() -> None:
        app = tui_data.fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await tui_data.until_ready(pilot)
            for key in route:
                await pilot.press(key)
                await pilot.pause(0.05)
            shots = [app.export_screenshot()]
            for key in ("down", "down", "enter", "down", "tab", "down"):  # onto the bad rows
                await pilot.press(key)
                await pilot.pause(0.05)
                shots.append(app.export_screenshot())
            assert app.crashes == [], app.crashes
            assert app.is_running
            for shot in shots:
                assert is_clean(shot), f"{name}: raw control or bidi text reached the screen"
                assert "\u202e" not in shot and "\x9b" not in shot

    asyncio.run(scenario())


def test_hostile_rule_comment_in_the_nat_view_is_literal_text(hostile_world):
    """The rule under the cursor goes to the raw line below the list: it used to be passed
    to Static.update as markup ([link=…]: MarkupError, a crash report, a frozen app)."""
    from textual.widgets import Static

    from netui.widgets.rule_list import RuleList

    async def scenario() -> None:
        app = tui_data.fixed_app()
        async with app.run_test(size=(160, 40)) as pilot:
            await tui_data.until_ready(pilot)
            await tui_data.open_host(pilot, "a-master", "enter")
            rules = app.screen.query_one(RuleList)
            await tui_data.wait_until(pilot, lambda: rules.row_count > 1)
            rules.move_to(0)
            await pilot.pause(0.1)
            raw = str(app.screen.query_one("#raw", Static).render())
            assert "[link=http://x]L[/link]" in raw and "\\x1b]52;c;" in raw
            assert app.crashes == []
            await pilot.press("q")
        assert not app.is_running

    asyncio.run(scenario())
