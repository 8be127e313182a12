"""The migration cockpit's model (rates from netui's MASQUERADE counters, the timeline, the
record) on plain data, and its screen on the fixed world."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import SimpleNamespace

from textual.widgets import Static

from netui.core.migration import Migration
from netui.model.envfile import loads
from netui.model.iptables import parse
from netui.model.routes import Interface, Route, RoutingTable
from netui.model.snapshot import HostSnapshot

from .tui_data import fixed_app, showing, until_ready, wait_until

ENV = """
office: {cidrs: [10.1.3.0/24], router: router}
hosts: {router: local, a-master: local, b-master: local}
clusters:
  a: {forwarder: a-master, pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12]}
  b: {forwarder: b-master, pod_cidrs: [10.42.0.0/16], service_cidrs: [10.43.0.0/16]}
"""


def forwarder(host: str, ip: str, pods: str, packets: int, at: float) -> HostSnapshot:
    nat = parse(
        "*nat\n:POSTROUTING ACCEPT [0:0]\n:NETUI-POSTROUTING - [0:0]\n"
        "-A POSTROUTING -j NETUI-POSTROUTING\n"
        f'[{packets}:{packets * 60}] -A NETUI-POSTROUTING -s 10.1.3.0/24 -d {pods} -m comment --comment "netui:p1" -j MASQUERADE\n'
        "COMMIT\n"
    ).table("nat")
    routes = RoutingTable((), (Interface("eth0", addresses=(f"{ip}/24",)),))
    return HostSnapshot(host, nat=nat, ip_forward=1, taken_at=at, routes=routes)


def router(at: float, b_via: str = "192.168.1.111") -> HostSnapshot:
    routes = RoutingTable(
        (
            Route("10.200.0.0/16", "192.168.1.109"),
            Route("10.96.0.0/12", "192.168.1.109"),
            Route("10.42.0.0/16", b_via),
            Route("10.43.0.0/16", b_via),
        )
    )
    return HostSnapshot("router", taken_at=at, routes=routes)


def world(a_packets: int, b_packets: int, at: float, **kw) -> dict[str, HostSnapshot]:
    return {
        "a-master": forwarder("a-master", "192.168.1.109", "10.200.0.0/16", a_packets, at),
        "b-master": forwarder("b-master", "192.168.1.111", "10.42.0.0/16", b_packets, at),
        "router": router(at, **kw),
    }


def test_new_connections_per_second_come_from_netuis_masquerade_counters_and_move_with_dns():
    changes: list[tuple[float, str]] = []
    m = Migration(loads(ENV, "e.yaml"), changes)
    m.observe_all(world(100, 0, at=1000.0))
    assert m.clusters["a"].connections.rate is None  # one sample: no rate yet
    m.observe_dns({"cluster.local": "a"})
    m.observe_all(world(120, 0, at=1002.0))
    a, b = m.clusters["a"], m.clusters["b"]
    assert a.connections.rate == 10.0 and b.connections.rate == 0.0
    assert a.netui_rules == 1 and a.routes_ok and b.routes_ok
    assert "10.200.0.0/16 via 192.168.1.109" in a.routes
    m.observe_all(world(120, 0, at=1002.0))  # the same snapshots again: counted once
    assert list(a.history) == [10.0]
    changes.append(
        (1003.0, "plan p20261129-120000-abcd applied: a-master (DNS cluster.local → 10.43.0.10)")
    )
    m.observe_dns({"cluster.local": "b"})
    m.observe_all(world(121, 30, at=1004.0))
    assert a.connections.rate == 0.5 and b.connections.rate == 15.0
    text = [t for _, t in m.timeline]
    assert (
        "netui: plan p20261129-120000-abcd applied: a-master (DNS cluster.local → 10.43.0.10)"
        in text
    )
    assert "DNS: cluster.local now resolves in cluster b (was a)" in text


def test_the_timeline_records_a_lost_forwarder_a_route_away_and_probes_turning_red():
    m = Migration(loads(ENV, "e.yaml"))
    m.observe_all(world(1, 1, at=10.0))
    gone = world(1, 1, at=12.0, b_via="192.168.1.254")
    gone["b-master"] = HostSnapshot(
        "b-master", state="unreachable", reason="connection refused", taken_at=12.0
    )
    m.observe_all(gone)
    ok = SimpleNamespace(ok=True, target=SimpleNamespace(label="default/app"))
    bad = SimpleNamespace(ok=False, target=SimpleNamespace(label="default/app"))
    m.observe_probes("a", [ok])
    m.observe_probes("a", [bad])
    text = " | ".join(t for _, t in m.timeline)
    assert "forwarder b-master of cluster b lost: connection refused" in text
    assert "router: routes to cluster b changed away from its forwarder" in text
    assert "cluster a: probes turned red (default/app)" in text
    assert m.clusters["b"].connections.rate is None  # no counters from a host that is down


def test_the_record_has_the_timeline_and_the_final_matrix():
    m = Migration(loads(ENV, "e.yaml"), [(5.0, "plan p1 applied: a-master (MASQUERADE)")])
    m.observe_all(world(10, 0, at=10.0))
    m.observe_all(world(16, 0, at=12.0))
    m.observe_dns({"cluster.local": "a"})
    report = m.report()
    assert report.startswith("# netui migration record")
    assert "netui: plan p1 applied: a-master (MASQUERADE)" in report
    assert "- DNS: `cluster.local` resolves in cluster **a**" in report
    assert "| a | a-master ✓ | on | 1 | 3.0/s |" in report
    assert "| b | b-master ✓ | on | 1 | 0.0/s |" in report


def test_the_cockpit_stacks_on_80_columns_exports_its_record_and_is_read_only_when_asked(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    from netui.screens.confirm import ConfirmScreen
    from netui.screens.migrate import ClusterLane

    async def scenario(size, readonly) -> None:
        app = fixed_app(dns=True, readonly=readonly)
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            await pilot.press("m")
            screen = app.screen
            assert screen.__class__.__name__ == "MigrateScreen"
            await wait_until(
                pilot, lambda: all(screen.migration.clusters[c].probes for c in ("a", "b")), 4, 0.02
            )
            # the lanes show what the probes found (each redraws on its own message)
            await wait_until(
                pilot, lambda: "probes 6/6" in str(screen.query(ClusterLane)[0].render())
            )
            lanes = list(screen.query(ClusterLane))
            stacked = lanes[0].region.y != lanes[1].region.y
            assert stacked == (size[0] < 100)
            text = str(lanes[0].render())
            assert "forwarder a-master ✓" in text and "probes 6/6 ✓" in text
            dns = str(screen.query_one("#migrate-dns", Static).render())
            assert "cluster.local → a" in dns
            await pilot.press("e")
            assert screen.last_export is not None
            assert "| a | a-master ✓ |" in Path(screen.last_export).read_text()
            await pilot.press("s")
            if readonly:  # refused at once, with a notice
                await wait_until(pilot, lambda: any("read-only" in m for m in app.said))
                assert app.screen is screen  # no dialog: refused, and said
            else:  # the switch is planned in a worker, then the dialog
                await wait_until(pilot, lambda: showing(app, ConfirmScreen, "#ok"))
                assert app.screen.__class__.__name__ == "ConfirmScreen"
                await pilot.press("escape")

    asyncio.run(scenario((80, 24), False))
    asyncio.run(scenario((120, 40), True))


def test_ranges_found_by_discovery_count_when_the_file_gives_none():
    env = loads(
        ENV.replace(", pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12]", ""), "e.yaml"
    )
    m = Migration(env)
    m.observe_all(world(1, 0, at=1.0))
    assert m.clusters["a"].netui_rules == 0  # nothing to match the rules against yet
    m.learn_ranges("a", ("10.200.0.0/16", "10.96.0.0/12"))
    m.observe_all(world(5, 0, at=3.0))
    m.observe_all(world(9, 0, at=5.0))
    assert m.clusters["a"].netui_rules == 1 and m.clusters["a"].connections.rate == 2.0


def test_a_switch_without_answers_for_a_moment_is_one_line_and_a_long_silence_is_said():
    m = Migration(loads(ENV, "e.yaml"))
    m.observe_dns({"cluster.local": "a"}, at=100.0)
    m.observe_dns({"cluster.local": None}, at=101.0)  # dnsmasq restarting with b's server
    assert m.domains == {"cluster.local": None}  # shown as it is: no answer now
    m.observe_dns({"cluster.local": "b"}, at=103.0)
    m.observe_dns({"cluster.local": None}, at=200.0)
    m.observe_dns({"cluster.local": "b"}, at=201.0)
    m.observe_dns({"cluster.local": None}, at=300.0)
    m.observe_dns({"cluster.local": None}, at=311.0)  # DNS_GAP passed: said as of its start
    assert [(at, t) for at, t in m.timeline if t.startswith("DNS:")] == [
        (103.0, "DNS: cluster.local now resolves in cluster b (was a; no answer for 2 s between)"),
        (201.0, "DNS: cluster.local gave no answer for 1 s (still cluster b)"),
        (300.0, "DNS: cluster.local now resolves in cluster none (was b)"),
    ]
