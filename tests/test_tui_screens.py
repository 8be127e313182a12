"""The TUI on a fixed world (tests/tui_data.py): no root, no network, the same screen every run.
The lab-backed pilot tests are in tests/lab/test_tui.py."""

from __future__ import annotations

import asyncio
import dataclasses
import re

import pytest
from textual.widgets import DataTable, Static

from netui.screens.findings import FindingsScreen
from netui.screens.nat import NatScreen
from netui.widgets.rule_list import RuleList

from .tui_data import fixed_app, open_host, palette_offers, showing, until_ready, wait_until


def _rows(table: DataTable) -> list[list[str]]:
    return [[str(c) for c in table.get_row(k)] for k in table.rows]


def channels(hex_colour: str) -> list[int]:
    return [int(hex_colour[i : i + 2], 16) for i in (0, 2, 4)]


def run(scenario) -> None:
    asyncio.run(scenario())


def test_overview_marks_states_with_symbols_and_the_forwarder():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            hosts = app.screen.query_one("#hosts", DataTable)
            assert hosts.get_cell("router", "STATE") == "● ok"
            assert hosts.get_cell("office-pc", "STATE") == "✗ unreachable"
            assert hosts.get_cell("office-pc", "WHY").startswith("connection refused")
            assert hosts.get_cell("b-master", "FORWARDING") == "off (boot off)"
            clusters = app.screen.query_one("#clusters", DataTable)
            assert clusters.get_cell("a", "PODS") == "10.200.0.0/16"
            assert clusters.get_cell("a", "FROM") == "kubeadm-config"
            assert clusters.get_cell("a", "NODES") == "a-master★ a-worker"

    run(scenario)


def test_a_cluster_whose_api_is_down_still_shows_the_ranges_the_file_gives():
    from netui.app import NetuiApp

    from .tui_data import FixedPoller, environment, gather, inventory

    def api_down_for_b(env):
        inv = inventory(env)
        inv["b"] = dataclasses.replace(
            inv["b"], nodes=[], error="cluster b (context lab-b): connection refused"
        )
        return inv

    async def scenario() -> None:
        app = NetuiApp(
            environment(), poller_factory=FixedPoller, discover=api_down_for_b, gather=gather
        )
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            clusters = app.screen.query_one("#clusters", DataTable)
            assert clusters.get_cell("b", "API") == "✗"
            assert clusters.get_cell("b", "PODS") == "10.42.0.0/16"
            assert clusters.get_cell("b", "FROM") == "environment file"
            assert clusters.get_cell("b", "NODES") == "? (API unreachable)"
            assert clusters.get_cell("a", "API") == "✓"

    run(scenario)


def test_host_screen_shows_forwarding_at_boot_and_flags_networks_without_a_route():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "a-master", "i")
            detail = str(app.screen.query_one("#host-detail", Static).render())
            # forwarding is on now, but the file has no .conf suffix: nothing sets it at boot
            assert "forwarding now   ✓ on" in detail
            assert "forwarding boot  ✗ off" in detail
            # no filter table at all (iptables-save prints none): nothing filters forwarding
            assert "FORWARD policy   ACCEPT (no filter table loaded)" in detail
            assert (
                "/etc/sysctl.d/ip-forward:1 sets net.ipv4.ip_forward=1, but nothing reads" in detail
            )
            routes = {r[0]: r[1] for r in _rows(app.screen.query_one("#routes", DataTable))}
            assert routes["10.200.1.0/24 via 192.168.1.110 dev eth0"] == "cluster a pods"
            assert routes["default via 192.168.1.254 dev eth0"] == "default"
            uncovered = str(app.screen.query_one("#uncovered", Static).render())
            # no route back to the office: it would leave by the datacenter's default route;
            # cluster a's pods are reached through per-node slices, which is routed
            assert (
                "! office 10.1.3.0/24: only the default route (default via 192.168.1.254"
                in uncovered
            )
            assert "cluster a pods" not in uncovered
            assert "! cluster b pods 10.42.0.0/16: only the default route" in uncovered
            # its own cluster's Services need no route: kube-proxy answers them on the node
            assert "cluster a services" not in uncovered
            assert "cluster b services 10.43.0.0/16" in uncovered
            await pilot.press("n")  # on to the same host's nat table
            await pilot.pause()
            assert app.screen.query_one(RuleList).row_count > 0
            assert "a-master nat" in app.screen.title
            await pilot.press("i")
            await pilot.pause()
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen.query("#hosts")

    run(scenario)


def test_router_with_every_route_says_so():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("i")  # the cursor starts on the first host: router
            await pilot.pause()
            routes = {r[0]: r[1] for r in _rows(app.screen.query_one("#routes", DataTable))}
            assert routes["10.200.0.0/16 via 192.168.1.109 dev eth1"] == "cluster a pods"
            uncovered = str(app.screen.query_one("#uncovered", Static).render())
            assert "✗ cluster b pods 10.42.0.0/16: no route at all" in uncovered
            assert "cluster a" not in uncovered

    run(scenario)


def test_enter_on_a_cluster_lists_its_nodes_and_where_its_cidrs_came_from():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            app.screen.query_one("#clusters", DataTable).focus()
            await pilot.press("enter")
            await pilot.pause()
            detail = str(app.screen.query_one("#cluster-detail", Static).render())
            assert "pods      10.200.0.0/16 (kubeadm-config)" in detail
            assert "! pods: node podCIDRs say 10.200.0.0/23" in detail
            nodes = app.screen.query_one("#nodes", DataTable)
            assert nodes.get_cell("a-master", "NODE") == "★ a-master"  # the forwarder
            assert nodes.get_cell("a-worker", "NODE") == "  a-worker"
            taint = "node-role.kubernetes.io/control-plane:NoSchedule"
            assert nodes.get_cell("a-master", "TAINTS") == taint
            assert nodes.get_cell("a-worker", "HOST") == "- (not in hosts:)"
            assert nodes.get_cell("a-master", "HOST") == "● ok"

    run(scenario)


def test_picking_another_forwarder_on_the_nodes_screen_holds_for_the_session():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            app.screen.query_one("#clusters", DataTable).focus()
            await pilot.press("down", "enter")  # cluster b
            await pilot.pause()
            await pilot.press("f")
            await pilot.pause()
            # b-worker is not a host of the environment, so only b-master can be picked
            await pilot.press("enter")
            await pilot.pause()
            assert app.env.clusters["b"].forwarder == "b-master"
            await pilot.press("escape")
            await pilot.pause()
            clusters = app.screen.query_one("#clusters", DataTable)
            assert clusters.get_cell("b", "FORWARDER") == "b-master"

    run(scenario)


@pytest.mark.parametrize(
    ("typed", "screen_class", "what"),
    [
        ("nat b-master", "NatScreen", "b-master"),
        ("host router", "HostScreen", "router"),
        ("doctor", "FindingsScreen", None),
        ("hot", "HotRulesScreen", None),
    ],
)
def test_colon_command_mode_jumps_to_views_and_hosts(typed, screen_class, what):
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("i")  # start somewhere else than the first screen
            await pilot.pause()
            await pilot.press("colon")
            await pilot.pause()
            await pilot.press(*typed)
            assert await wait_until(pilot, lambda: palette_offers(app, typed))
            await pilot.press("enter")
            await wait_until(pilot, lambda: type(app.screen).__name__ == screen_class)
            assert type(app.screen).__name__ == screen_class
            if what:
                assert app.screen.host == what
            # `:` unwound to the first screen before opening: one Escape goes back there
            assert len(app.screen_stack) == 2

    run(scenario)


def test_colon_switches_themes_too():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("colon", *"theme netui-light")
            assert await wait_until(pilot, lambda: palette_offers(app, "theme netui-light"))
            await pilot.press("enter")
            await pilot.pause()
            assert app.theme == "netui-light"

    run(scenario)


def test_no_color_keeps_every_meaning_in_symbols(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            assert app.no_color
            svg = app.export_screenshot()
            # monochrome: only greys reach the terminal (the export's own default foreground,
            # #c5c8c6, is a grey off by 3 at most; the themes' red, green and yellow are far off)
            colours = set(re.findall(r"fill: #([0-9a-f]{6})", svg))
            spread = {c: max(channels(c)) - min(channels(c)) for c in colours}
            assert colours and all(s <= 3 for s in spread.values()), spread
            hosts = app.screen.query_one("#hosts", DataTable)
            states = [hosts.get_cell(k, "STATE") for k in hosts.rows]
            assert "● ok" in states and any(s.startswith("✗ unreachable") for s in states)

    run(scenario)


def test_readonly_refuses_a_rule_delete_and_says_so():
    async def scenario() -> None:
        app = fixed_app(readonly=True)
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "a-master", "enter")
            await pilot.press("x")
            await pilot.pause()
            assert type(app.screen).__name__ == "NatScreen"  # no confirm dialog opened
            await wait_until(pilot, lambda: any("read-only" in m for m in app.said))
            assert any("read-only" in m for m in app.said)
            await wait_until(pilot, lambda: app.screen.title.startswith("READ-ONLY"))
            assert app.screen.title.startswith("READ-ONLY")  # said in every header
            footer = " ".join(str(k.description) for k in app.screen.query("FooterKey"))
            assert "Delete rule" not in footer and "Help" in footer

    run(scenario)


def test_bad_theme_files_are_named_and_the_default_theme_stays(tmp_path, monkeypatch):
    themes = tmp_path / "config" / "netui" / "themes"
    themes.mkdir(parents=True)
    (themes / "broken.yaml").write_text("primary: [unclosed\n")
    (themes / "typo.yaml").write_text("primary: '#ff0000'\nbackgrund: '#000000'\n")
    (themes / "mine.yaml").write_text("name: mine\nprimary: '#00afaf'\ndark: true\n")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))

    async def scenario() -> None:
        app = fixed_app(theme="no-such-theme")
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            messages = app.said
            assert any(f"{themes / 'broken.yaml'}: not readable YAML" in m for m in messages)
            assert any(f"{themes / 'typo.yaml'}: unknown keys backgrund" in m for m in messages), (
                messages
            )
            assert any("no theme 'no-such-theme'; themes:" in m for m in messages)
            assert app.theme == "netui-dark"  # the default, not a half-loaded theme
            assert "mine" in app.available_themes  # the good user theme still loads

    run(scenario)


def test_a_refresh_keeps_the_cursor_on_the_same_rule_and_marks_rules_being_hit():
    from netui.model.iptables import parse

    from .conftest import FIXTURES

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "a-master", "enter")
            nat = app.screen
            nat._go("KUBE-SERVICES")
            rules = nat.query_one(RuleList)
            await pilot.press("down", "down")  # the eureka Service's rule, third
            eureka = rules.current.text
            assert "default/eureka:http" in eureka and rules.cursor == 2
            # kube-proxy adds two Services ahead of it; eureka's rule gets 30 more connections
            text = (FIXTURES / "iptables" / "kube-proxy.nft.txt").read_text()
            new = "".join(
                f"[0:0] -A KUBE-SERVICES -d 10.96.7.{i}/32 -p tcp -m tcp --dport 80 "
                f"-j KUBE-SVC-NEW{i}\n"
                for i in (1, 2)
            )
            text = text.replace(
                ":KUBE-SERVICES - [0:0]\n",
                ":KUBE-SERVICES - [0:0]\n" + "".join(f":KUBE-SVC-NEW{i} - [0:0]\n" for i in (1, 2)),
            )
            first = "[7:420] -A KUBE-SERVICES"
            text = text.replace(first, new + first, 1).replace(
                "[12:720] -A KUBE-SERVICES", "[42:2520] -A KUBE-SERVICES"
            )
            old = app.snapshots["a-master"]
            app.snapshots["a-master"] = dataclasses.replace(
                old, nat=parse(text).table("nat"), taken_at=old.taken_at + 2
            )
            nat._maybe_update()
            await pilot.pause()
            assert rules.current.text == eureka and rules.cursor == 4  # same rule, moved down
            assert rules.current.rate == 15.0  # 30 new connections in 2 s
            assert rules.rows[0].rate == 0.0

    run(scenario)


def test_hosts_turn_slow_and_stale_between_polls_with_the_reason():
    import time

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            now = time.time()
            snaps = app.snapshots
            snaps["router"] = dataclasses.replace(snaps["router"], duration=3.2, taken_at=now)
            snaps["b-master"] = dataclasses.replace(snaps["b-master"], taken_at=now - 95)
            app.screen._tick_hosts()
            hosts = app.screen.query_one("#hosts", DataTable)
            assert hosts.get_cell("router", "STATE") == "◐ slow"
            assert hosts.get_cell("router", "WHY") == "the last snapshot took 3.2 s"
            assert hosts.get_cell("b-master", "STATE") == "◌ stale"
            assert hosts.get_cell("b-master", "WHY") == "no fresh data for 95s"
            assert hosts.get_cell("a-master", "STATE") == "● ok"

    run(scenario)


def test_the_nat_filter_matches_addresses_inside_rule_cidrs_as_you_type_and_escape_clears():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "a-master", "enter")
            app.screen._go("KUBE-SERVICES")
            await pilot.pause()
            rules = app.screen.query_one(RuleList)
            everything = len(rules.rows)
            await pilot.press("slash", *"10.96.0.20")  # a bare address, no enter: as typed
            await wait_until(pilot, lambda: app.screen.needle == "10.96.0.20")
            shown = [r.text for r in rules.rows]
            assert shown and len(shown) < everything
            assert all("-d 10.96.0.20/32" in t for t in shown), shown
            await pilot.press("escape")
            await pilot.pause()
            assert len(rules.rows) == everything and app.screen.needle == ""
            assert app.screen.__class__.__name__ == "NatScreen"  # cleared, still here

    run(scenario)


def test_an_armed_plan_counts_down_in_every_header_and_y_confirms_from_anywhere(monkeypatch):
    from netui.core.session import Session

    confirmed = []

    def fake_confirm(self, plan_id=None):
        confirmed.append(plan_id)
        return None, {"a-master": "confirmed"}

    monkeypatch.setattr(Session, "confirm", fake_confirm)

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            app.arm("p20261125-120000-abcd", 30)
            await pilot.pause()
            assert app.screen.title.startswith("⏱ 30 s to confirm (y)")
            await pilot.press("d")  # another screen: the countdown follows
            await wait_until(pilot, lambda: "s to confirm (y)" in app.screen.title)
            assert "s to confirm (y)" in app.screen.title
            await pilot.press("y")
            await wait_until(pilot, lambda: confirmed, 2.5, 0.05)
            assert confirmed == ["p20261125-120000-abcd"]
            # the next tick gives the screen its own title back
            await wait_until(pilot, lambda: "to confirm" not in app.screen.title)
            assert "to confirm" not in app.screen.title

    run(scenario)


def test_the_apply_with_rollback_dialog_says_what_the_timer_does_and_takes_the_seconds():
    from netui.screens.confirm import ConfirmTimedScreen

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            got = []
            app.push_screen(ConfirmTimedScreen("Apply?", "commands", 60), got.append)
            await pilot.pause()
            text = str(app.screen.query_one("#timer-text", Static).render())
            assert "rollback is armed on every host" in text and "60 s" in text
            assert "SSH session dies" in text
            await pilot.press("plus", "plus")
            await pilot.pause()
            assert "120 s" in str(app.screen.query_one("#timer-text", Static).render())
            app.screen.query_one("#ok").press()
            await pilot.pause()
            assert got == [120]

    run(scenario)


@pytest.mark.parametrize("typed", ["10.96.0.20/", "10.96.0.20/33", "10.96.", "x/y"])
def test_every_prefix_of_a_typed_filter_is_a_valid_filter(typed):
    from netui.screens.nat import rule_matches

    from .tui_data import snapshots

    rules = snapshots()["a-master"].nat.chains["KUBE-SERVICES"].rules
    hits = [r.text for r in rules if rule_matches(r, typed)]  # never raises while typing
    # until it is a whole address or CIDR it filters as text
    assert hits == [r.text for r in rules if typed.lower() in r.text.lower()]


def test_enter_on_a_hot_rule_opens_it_in_its_nat_view_and_the_chain_list_follows():
    from netui.screens.hot import HotRulesScreen

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            screen = HotRulesScreen()
            await app.push_screen(screen)
            key = "a-master\0KUBE-SERVICES\0x\0" + "0"
            text = next(iter(app.snapshots["a-master"].nat.chains["KUBE-SERVICES"].rules)).text
            screen.rates.where[key] = ("a-master", "KUBE-SERVICES", 1, text)
            screen.rates.rates[key] = __import__("collections").deque([2.0])
            screen._update()
            await pilot.pause()
            screen.query_one("#hot", DataTable).focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: showing(app, NatScreen, "#chains"))
            assert app.screen.__class__.__name__ == "NatScreen"
            assert app.screen.chain == "KUBE-SERVICES"
            chains = app.screen.query_one("#chains")
            assert str(chains.get_option_at_index(chains.highlighted).prompt) == "KUBE-SERVICES"

    run(scenario)


def test_enter_on_a_name_row_of_the_probe_grid_says_what_was_asked_where():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(140, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("o")
            table = app.screen.query_one("#probes", DataTable)
            await wait_until(pilot, lambda: table.row_count, 5, 0.05)
            rows = _rows(table)
            dns_row = next(i for i, r in enumerate(rows) if r[1] == "dns")
            table.move_cursor(row=dns_row)
            await pilot.press("enter")
            await pilot.pause()
            detail = str(app.screen.query_one("#probe-detail", Static).render())
            assert "asked 10.96.0.10" in detail and "it answered 10.96.0.30" in detail
            assert app.screen.__class__.__name__ == "ProbeScreen"  # explained, not traced

    run(scenario)


def test_a_workers_error_is_said_on_the_screen_that_started_it():
    from netui.backends import HostError

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("d")
            assert await wait_until(pilot, lambda: showing(app, FindingsScreen, "#findings"))
            findings = app.screen

            def fails() -> None:
                raise HostError("a-master", "connection reset")

            findings.run_worker(fails, thread=True)
            await wait_until(
                pilot, lambda: "connection reset" in (findings.sub_title or ""), 2.5, 0.05
            )
            assert "a-master: connection reset" in findings.sub_title
            assert app.is_running and app.crashes == []

    run(scenario)


def test_traces_open_one_column_per_cluster_with_tcp_to_what_each_target_serves():
    from netui.screens.verify import TracePane

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("t")

            def explained() -> bool:
                panes = list(app.screen.query(TracePane))
                return len(panes) == 3 and all(p.explanation for p in panes)

            await wait_until(pilot, explained, 5)
            panes = list(app.screen.query(TracePane))
            heads = [p.border_title for p in panes]
            assert heads == [
                "a: Pod of default/app 10.200.1.3 tcp/8080",
                "a: default/app 10.96.0.30 tcp/80",
                "b: cluster DNS (from the environment file) 10.43.0.10 tcp/53",
            ]
            columns = app.screen.query(".trace-column")
            assert len(columns) == 2 and columns[0].region.y == columns[1].region.y  # side by side
            assert panes[0].explanation[0].startswith("reached 10.200.1.3")
            # one round until asked for more: c repeats every second, c again stops
            assert {p.run.stats.rounds for p in panes} == {1}
            await pilot.press("c")
            await wait_until(pilot, lambda: min(p.run.stats.rounds for p in panes) >= 3, 4, 0.05)
            assert min(p.run.stats.rounds for p in panes) >= 3
            assert "continuous" in str(app.screen.query_one("#trace-status", Static).render())
            text = "\n".join(panes[0].lines)
            assert "LOSS" in text and "HISTORY" in text and "▁▁▁" in text
            await pilot.press("c")
            await wait_until(pilot, lambda: not any(p.working for p in panes))  # the last round
            stopped = [p.run.stats.rounds for p in panes]
            # that nothing more happens takes time to see: longer than the 1 s between rounds
            await pilot.pause(1.2)
            assert [p.run.stats.rounds for p in panes] == stopped

    run(scenario)


def test_a_typed_trace_target_takes_a_port_and_escape_closes_only_the_box():
    from netui.screens.verify import TracePane

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("t", "n")
            await pilot.press("escape")
            assert app.screen.__class__.__name__ == "TraceScreen"
            assert not app.screen.query_one("#target").display
            await pilot.press("n", *"10.96.0.30:99999", "enter")
            await pilot.pause()
            assert app.screen.query_one("#target").display  # refused, the box stays
            await pilot.press(*["backspace"] * 6, *":80", "enter")

            def typed_pane() -> list[TracePane]:
                return [p for p in app.screen.query(TracePane) if p.target.cluster is None]

            await wait_until(pilot, lambda: typed_pane() and typed_pane()[0].explanation, 5)
            typed = typed_pane()
            assert typed[0].border_title == "address 10.96.0.30 tcp/80"
            assert typed[0].run.method == "tcp/80"

    run(scenario)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_the_first_screen_starts_on_the_clusters_and_fits_its_terminal(size):
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            clusters = app.screen.query_one("#clusters", DataTable)
            hosts = app.screen.query_one("#hosts", DataTable)
            # the tables fit their columns to the terminal once their rows are in
            await wait_until(
                pilot, lambda: all(t.virtual_size.width <= size[0] for t in (clusters, hosts))
            )
            assert app.focused is clusters
            for table in (clusters, hosts):
                # nothing hangs off the right edge: low-value columns left, the long text is cut
                assert table.virtual_size.width <= size[0], (table.id, table.virtual_size)
            assert "★" in clusters.get_cell("a", "NODES")  # the forwarder, column or not
            why = str(hosts.get_cell("office-pc", "WHY"))
            assert why.startswith("connection re")
            status = app.screen.query_one("#status", Static)
            assert "forwarder a-master" in str(status.render())
            await pilot.press("tab")
            hosts.move_cursor(row=list(app.env.hosts).index("office-pc"))
            await pilot.pause()
            # the highlighted host in full under the tables, whatever the table could show
            assert "netns fixed-office-pc is gone" in str(status.render())

    run(scenario)


def test_work_landing_while_the_app_closes_is_dropped_not_reported_as_a_crash():
    """The race CI met: a snapshot delivered, or a worker started, after the app ended and
    asyncio shut its executor down. Nothing broke; nothing is shown or reported."""
    from netui import app as app_module

    app = fixed_app()
    late: list[object] = []

    async def scenario() -> None:
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
        snap = next(iter(app.snapshots.values()))
        before = dict(app.snapshots)
        app._snapshot_found(snap)  # the app has ended: ignored, no screen reacts
        assert app.snapshots == before
        loop = asyncio.get_running_loop()
        await loop.shutdown_default_executor()
        try:
            await loop.run_in_executor(None, lambda: None)
        except RuntimeError as e:  # what a thread worker meets then
            late.append(e)
            app._handle_exception(e)

    run(scenario)
    assert late, "asyncio no longer refuses work after its executor shut down: re-check the guard"
    assert app.crashes == [] and app_module.SURVIVED == []
