"""The TUI driven with Textual's pilot against the real lab."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from textual.widgets import DataTable

from netui.app import NetuiApp
from netui.screens.forwarder import ForwarderScreen
from netui.screens.nat import NatScreen
from netui.screens.plan import PlanScreen
from netui.screens.walk import WalkScreen
from netui.widgets.rule_list import RuleList

from ..tui_data import showing, wait_until, workers_done
from .conftest import load_env


async def _wait(pilot, predicate, seconds: float = 10.0) -> None:
    assert await wait_until(pilot, predicate, seconds, 0.05), "condition not met in time"


def test_overview_shows_live_hosts_and_opens_a_hosts_nat_view(lab):
    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env))
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait(pilot, lambda: len(getattr(app, "snapshots", {})) == len(app.env.hosts))
            hosts = app.screen.query_one("#hosts", DataTable)
            states = {k.value: str(hosts.get_cell(k, "STATE")) for k in hosts.rows}
            assert all(s.startswith("● ok") for s in states.values()), states
            await _wait(pilot, lambda: getattr(app, "inventory", None) is not None)
            clusters = app.screen.query_one("#clusters", DataTable)
            assert str(clusters.get_cell("a", "PODS")) == "10.200.0.0/16"
            assert str(clusters.get_cell("a", "FROM")) == "kubeadm-config"

            hosts.focus()
            hosts.move_cursor(row=[str(hosts.get_row(k)[0]) for k in hosts.rows].index("a-master"))
            await pilot.press("enter")
            await _wait(
                pilot,
                lambda: (
                    app.screen.query("#rules")
                    and any(
                        "-j KUBE-POSTROUTING" in r.text
                        for r in app.screen.query_one("#rules", RuleList).rows
                    )
                ),
            )
            rules = app.screen.query_one("#rules", RuleList)
            texts = [r.text for r in rules.rows]
            # follow the jump into KUBE-POSTROUTING, then come back
            rules.move_to(next(i for i, t in enumerate(texts) if "-j KUBE-POSTROUTING" in t))
            await pilot.press("enter")
            await _wait(
                pilot,
                lambda: (
                    app.screen.chain == "KUBE-POSTROUTING"
                    and bool(rules.rows)
                    and "0x4000" in rules.rows[0].text
                ),
            )
            await pilot.press("escape")
            await _wait(pilot, lambda: app.screen.chain == "POSTROUTING")
            # filter the KUBE-SERVICES chain by CIDR
            app.screen._go("KUBE-SERVICES")
            await pilot.press("slash")
            await pilot.press(*"10.96.0.20/32", "enter")
            await _wait(pilot, lambda: app.screen.needle == "10.96.0.20/32")
            texts = [r.text for r in rules.rows]
            assert texts and all("10.96.0.20/32" in t for t in texts)
            await pilot.press("escape", "escape", "escape")
            await _wait(pilot, lambda: app.screen.query("#hosts"))

    asyncio.run(scenario())


def test_an_unreachable_host_is_marked_and_the_ui_keeps_responding(lab, tmp_path):
    text = Path(lab.env).read_text().replace("netns://nu-dcgw", "netns://nu-gone")
    path = tmp_path / "env.yaml"
    path.write_text(text)

    async def scenario() -> None:
        app = NetuiApp(load_env(str(path)))
        async with app.run_test(size=(100, 30)) as pilot:
            await _wait(pilot, lambda: "dcgw" in getattr(app, "snapshots", {}))
            hosts = app.screen.query_one("#hosts", DataTable)
            assert hosts.get_cell("dcgw", "STATE") == "✗ unreachable"
            assert "nu-gone" in hosts.value("dcgw", "WHY")  # whole, cut to fit in the table
            await pilot.press("T")  # still answering keys
            assert app.theme != "netui-dark"

    asyncio.run(scenario())


def test_findings_pane_lists_the_doctors_findings_and_jumps_to_the_rule(broken_lab):
    async def scenario() -> None:
        app = NetuiApp(load_env(broken_lab.env))
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait(pilot, lambda: len(getattr(app, "snapshots", {})) >= 8)
            await pilot.press("d")
            await _wait(pilot, lambda: bool(getattr(app.screen, "findings", [])), 15)
            table = app.screen.query_one("#findings", DataTable)
            rows = [(str(table.get_row(k)[1]), str(table.get_row(k)[2])) for k in table.rows]
            assert ("masquerade-reversed", "a-master") in rows
            table.move_cursor(row=rows.index(("masquerade-reversed", "a-master")))
            await _wait(pilot, lambda: "swapped" in str(app.screen.query_one("#detail").render()))
            await pilot.press("enter")
            await _wait(pilot, lambda: showing(app, NatScreen, "#rules"))
            rules = app.screen.query_one("#rules", RuleList)
            assert app.screen.chain == "POSTROUTING"
            assert rules.current.text == "-s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE"
            await pilot.press("w")
            await _wait(pilot, lambda: showing(app, WalkScreen, "#packet"))
            # the box offers the office's address as an example, never as a value
            await pilot.press(*f"{app.screen.example_source} 10.200.1.3", "enter")
            await _wait(
                pilot, lambda: "masqueraded" in str(app.screen.query_one("#steps").render())
            )
            steps = str(app.screen.query_one("#steps").render())
            assert "NOT masqueraded" in steps and "KUBE-POSTROUTING" in steps

    asyncio.run(scenario())


def test_fixing_a_finding_from_the_pane_previews_deletes_the_rule_and_undo_restores_it(
    broken_lab,
):
    from netui.screens.confirm import ConfirmScreen

    from .conftest import in_ns, netui

    reversed_rule = "-A POSTROUTING -s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE"
    assert reversed_rule in in_ns("nu-a-master", "iptables-save", "-t", "nat").stdout

    async def scenario() -> None:
        app = NetuiApp(load_env(broken_lab.env))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("d")
            await _wait(pilot, lambda: bool(getattr(app.screen, "findings", [])), 20)
            findings = app.screen
            table = findings.query_one("#findings", DataTable)
            rows = [(str(table.get_row(k)[1]), str(table.get_row(k)[2])) for k in table.rows]
            table.move_cursor(row=rows.index(("masquerade-reversed", "a-master")))
            await _wait(pilot, lambda: "swapped" in str(findings.query_one("#detail").render()))
            await pilot.press("x")  # the hosts are read afresh, then the dialog opens
            await _wait(pilot, lambda: showing(app, ConfirmScreen, "#ok"), 10)
            # the exact command, before anything runs
            assert "-D POSTROUTING -s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE" in app.screen.body
            await pilot.press("tab", "enter")  # from Cancel to Fix
            await _wait(pilot, lambda: not findings.findings or app.screen is findings, 5)
            await _wait(
                pilot,
                lambda: (
                    reversed_rule not in in_ns("nu-a-master", "iptables-save", "-t", "nat").stdout
                ),
                20,
            )

    asyncio.run(scenario())
    undo = netui("undo", "--yes", env_file=broken_lab.env)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert reversed_rule in in_ns("nu-a-master", "iptables-save", "-t", "nat").stdout


def test_plan_dialog_defaults_to_cancel_then_applies_and_history_undoes(lab):
    from netui.lab.topology import CLUSTERS  # noqa: F401  (the lab is clean: a plan exists)
    from netui.screens.confirm import ConfirmScreen

    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env))
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait(pilot, lambda: len(getattr(app, "snapshots", {})) == len(app.env.hosts))
            await pilot.press("p")
            await _wait(pilot, lambda: getattr(app.screen, "plan", None) is not None, 20)
            text = str(app.screen.query_one("#plan").render())
            assert (
                "iptables-restore --noflush -w 5" in text
                and "route replace 10.200.0.0/16 via 192.168.1.109" in text
            )
            await pilot.press("a")
            await _wait(pilot, lambda: showing(app, ConfirmScreen, "#ok"))
            await pilot.press("enter")  # Cancel has the focus
            # a cancelled dialog applies nothing: back on the plan, no worker, no journal
            await _wait(pilot, lambda: showing(app, PlanScreen, "#plan") and workers_done(app))
            assert app.screen.journal is None
            await pilot.press("a")
            await _wait(pilot, lambda: showing(app, ConfirmScreen, "#ok"))
            await pilot.press("tab", "enter")  # move to Apply, press it
            await _wait(pilot, lambda: app.screen.journal is not None, 20)
            assert app.screen.journal.status == "applied"
            await pilot.press("escape", "h")
            await _wait(
                pilot,
                lambda: (
                    app.screen.query("#history")
                    and app.screen.query_one("#history", DataTable).row_count
                ),
            )
            table = app.screen.query_one("#history", DataTable)
            assert str(table.get_row_at(0)[3]) == "applied"
            await pilot.press("u")
            # the undo's own preview first: what it reverts, per host, from the journal
            await _wait(pilot, lambda: showing(app, ConfirmScreen, "#ok"), 20)
            assert "a-master: undo nat table" in app.screen.body  # type: ignore[attr-defined]
            await pilot.press("tab", "enter")
            await _wait(
                pilot,
                lambda: (
                    str(app.screen.query_one("#history", DataTable).get_row_at(0)[3]) == "undone"
                ),
                20,
            )

    asyncio.run(scenario())


def test_readonly_disables_every_write(lab):
    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env), readonly=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait(pilot, lambda: len(getattr(app, "snapshots", {})) == len(app.env.hosts))
            await pilot.press("p")
            await _wait(pilot, lambda: getattr(app.screen, "plan", None) is not None, 20)
            assert "read-only: applying is disabled" in str(app.screen.query_one("#plan").render())
            await pilot.press("a")
            await _wait(
                pilot, lambda: any("read-only" in str(n.message) for n in app._notifications)
            )
            assert app.screen.__class__.__name__ == "PlanScreen" and app.screen.journal is None

    asyncio.run(scenario())


def test_picking_another_forwarder_changes_the_plan(lab):
    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env))
        async with app.run_test(size=(120, 40)) as pilot:
            await _wait(pilot, lambda: getattr(app, "inventory", None) is not None)
            app.screen.query_one("#clusters", DataTable).focus()
            await pilot.press("f")
            await _wait(pilot, lambda: showing(app, ForwarderScreen, "#nodes"))
            await pilot.press("down", "enter")  # a-master is first; a-worker second
            await _wait(pilot, lambda: app.env.clusters["a"].forwarder == "a-worker")
            await pilot.press("p")
            await _wait(pilot, lambda: getattr(app.screen, "plan", None) is not None, 20)
            text = str(app.screen.query_one("#plan").render())
            assert "route replace 10.200.0.0/16 via 192.168.1.110" in text

    asyncio.run(scenario())


def test_probe_grid_and_side_by_side_trace_panes(lab):
    from netui.screens.verify import TracePane

    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env))
        async with app.run_test(size=(140, 40)) as pilot:
            await _wait(pilot, lambda: getattr(app, "inventory", None) is not None)
            await pilot.press("o")
            await _wait(pilot, lambda: bool(getattr(app.screen, "results", [])), 20)
            table = app.screen.query_one("#probes", DataTable)
            assert all(
                str(table.get_row(k)[4]).startswith("✗") for k in table.rows
            )  # nothing connected yet
            table.move_cursor(row=0)
            # right after a probe burst the lab's router answers traceroute's probes only now
            # and then for a couple of seconds (the probe no longer waits 12 s for its own
            # left-behind connects, which used to hide this)
            await pilot.pause(4)
            await pilot.press("enter")  # a failing cell opens a trace to it
            await _wait(pilot, lambda: app.screen.__class__.__name__ == "TraceScreen")
            await _wait(
                pilot,
                lambda: any(
                    line.startswith("=>") for p in app.screen.query(TracePane) for line in p.lines
                ),
                20,
            )
            pane = app.screen.query_one(TracePane)
            assert pane.run.method == f"tcp/{table.get_row_at(0)[3].split(':')[1]}"
            await pilot.press("r")  # one more round: counted into the same statistics
            await _wait(pilot, lambda: pane.run.stats.rounds == 2 and not pane.working, 20)
            assert any("office router" in line for line in pane.lines), pane.lines
            assert any("LOSS" in line for line in pane.lines), pane.lines

    asyncio.run(scenario())


def test_dns_screen_lists_domains_resolves_and_switches(lab):
    from netui.screens.confirm import ConfirmScreen

    assert netui_cli("apply", "--yes", lab.env) == 0

    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env))
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("n")
            table = app.screen.query_one("#domains", DataTable)
            await _wait(pilot, lambda: table.row_count == 2, 20)
            assert "forwarded" in str(table.get_row("a")[3])
            await pilot.press("slash", *"app.default.svc.cluster.local", "enter")
            await _wait(
                pilot, lambda: "10.96.0.30" in str(app.screen.query_one("#dns-detail").render()), 15
            )
            table.focus()
            table.move_cursor(row=1)  # cluster b
            await pilot.press("s")
            # planned by the core from a fresh read of the hosts, then the exact commands
            await _wait(pilot, lambda: showing(app, ConfirmScreen, "#ok"), 20)
            body = app.screen.body  # type: ignore[attr-defined]
            assert "server=/cluster.local/10.43.0.10" in body and "dnsmasq" in body
            await pilot.press("tab", "enter")
            await _wait(
                pilot,
                lambda: (
                    "forwarded" in str(table.get_row("b")[3]) and "●" in str(table.get_row("b")[3])
                ),
                30,
            )

    try:
        asyncio.run(scenario())
    finally:
        netui_cli("undo", "--yes", lab.env)
        netui_cli("undo", "--yes", lab.env)


def netui_cli(command: str, flag: str | None, env: str) -> int:
    from .conftest import netui

    args = [command] + ([flag] if flag else [])
    return netui(*args, env_file=env).returncode


def test_hot_rules_show_netuis_masquerade_being_hit(lab):
    from .conftest import in_ns

    assert netui_cli("apply", "--yes", lab.env) == 0

    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env))
        async with app.run_test(size=(160, 40)) as pilot:
            await _wait(pilot, lambda: len(getattr(app, "snapshots", {})) == len(app.env.hosts))
            before = app.snapshots["a-master"].taken_at
            await pilot.press("k")
            # a first round of counters read for this screen, counted before the connections
            await _wait(pilot, lambda: app.screen.rates.seen.get("a-master", 0) > before)
            connect = "for i in $(seq 10); do (exec 3<>/dev/tcp/10.200.1.3/8080) 2>/dev/null; done"
            table = app.screen.query_one("#hot", DataTable)

            def masquerade_is_hot() -> bool:
                rows = [table.get_row(k) for k in table.rows]
                return any(
                    str(r[0]) == "a-master"
                    and "NETUI-POSTROUTING" in str(r[1])
                    and "▲" in str(r[2])
                    for r in rows
                )

            # traffic that keeps flowing, as on a live forwarder: a rate shows from the first
            # poll that counts it (one burst, counted between two polls of a loaded machine,
            # was once seen only as the poll after it, at 0/s)
            deadline = time.monotonic() + 20
            while not masquerade_is_hot() and time.monotonic() < deadline:
                in_ns("nu-office-pc", "bash", "-c", connect)
                await wait_until(pilot, masquerade_is_hot, 1.0, 0.05)
            assert masquerade_is_hot(), [[str(c) for c in table.get_row(k)] for k in table.rows]

    try:
        asyncio.run(scenario())
    finally:
        netui_cli("undo", "--yes", lab.env)


def test_the_plan_screen_toggles_the_forwarders_taint_into_the_plan(lab):
    async def scenario() -> None:
        app = NetuiApp(load_env(lab.env))
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("p")
            await _wait(pilot, lambda: getattr(app.screen, "plan", None) is not None, 20)
            assert "taint node" not in str(app.screen.query_one("#plan").render())
            await pilot.press("t")
            await _wait(pilot, lambda: getattr(app.screen, "plan", None) is not None, 20)
            text = str(app.screen.query_one("#plan").render())
            assert "taint node a-master netui.io/forwarder=true:NoSchedule" in text
            assert "PATCH /api/v1/nodes/b-master" in text
            assert [t.node for t in app.screen.plan.taints] == ["a-master", "b-master"]

    asyncio.run(scenario())
