"""Staged edits: picked one by one, merged into one plan (or refused with every reason), and a
before/after diff per host computed from the very commands the preview shows."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import DataTable, Static

from netui.model.iptables import parse
from netui.model.routes import Route, RoutingTable
from netui.model.snapshot import HostSnapshot
from netui.plan.diff import host_diff, play_restore
from netui.plan.kinds.file_edit import FileEdit
from netui.plan.kinds.foreign_delete import ForeignDelete
from netui.plan.kinds.foreign_move import ForeignMove
from netui.plan.kinds.forwarding_on import ForwardingOn
from netui.plan.kinds.forwarding_persisted import ForwardingPersisted
from netui.plan.kinds.jump import Jump
from netui.plan.kinds.masquerade import Masquerade
from netui.plan.kinds.route import RouteChange
from netui.plan.model import Plan, PlanRefused
from netui.plan.render import RESTORE, Command
from netui.plan.staging import Stage, merge

from .tui_data import fixed_app, open_host, until_ready, wait_until


def _plan(host: str, *steps) -> Plan:
    plan = Plan("p1", env="e.yaml")
    plan.host(host).steps = list(steps)
    return plan


def test_merge_joins_what_each_staged_plan_does_once():
    a = _plan("fw", Jump("nat", 3), Masquerade("10.1.3.0/24", "10.200.0.0/16"), ForwardingOn())
    b = _plan(
        "fw",
        Jump("nat", 2),
        Masquerade("10.1.3.0/24", "10.200.0.0/16"),
        Masquerade("10.1.3.0/24", "10.96.0.0/12"),
    )
    c = _plan("router", RouteChange("10.200.0.0/16", "192.168.1.109"))
    plan = merge([a, b, c], "e.yaml")
    assert plan.id != "p1" and plan.env == "e.yaml"
    assert plan.hosts["fw"].of(ForwardingOn) and len(plan.hosts["fw"].of(Masquerade)) == 2
    assert plan.hosts["fw"].of(Jump) == [Jump("nat", 2)]  # one jump, at the first position picked
    assert plan.hosts["router"].steps == [RouteChange("10.200.0.0/16", "192.168.1.109")]


def test_merge_refuses_what_cannot_be_one_plan_with_every_reason():
    rule = ForeignDelete("nat", "POSTROUTING", "-s 10.1.3.0/24 -j RETURN", 1)
    moved = ForeignMove("nat", "POSTROUTING", "-s 10.1.3.0/24 -j RETURN", 1, 3)
    edit1 = FileEdit("/etc/dnsmasq.d/office.conf", "a\nb\n", "a\n")
    edit2 = FileEdit("/etc/dnsmasq.d/office.conf", "a\nb\n", "b\n")
    with pytest.raises(PlanRefused) as e:
        merge(
            [
                _plan("fw", rule),
                _plan("fw", moved),
                _plan("dns", edit1),
                _plan("dns", edit2),
                _plan("router", RouteChange("10.200.0.0/16", "192.168.1.109")),
                _plan("router", RouteChange("10.200.0.0/16", "192.168.1.110")),
            ]
        )
    reasons = " | ".join(e.value.reasons)
    assert "both deleted and moved" in reasons
    assert "edited by two staged fixes" in reasons
    assert "two different routes to 10.200.0.0/16" in reasons


def test_one_foreign_rule_is_deleted_or_moved_once_per_plan():
    text = "-s 10.1.3.0/24 -j RETURN"
    delete = ForeignDelete("nat", "POSTROUTING", text, 1)
    move, move_elsewhere = (ForeignMove("nat", "POSTROUTING", text, 1, to) for to in (3, 4))
    # the same delete picked twice is one delete
    assert merge([_plan("fw", delete), _plan("fw", delete)]).hosts["fw"].steps == [delete]
    for first, second, said in (
        (move, delete, "is both deleted and moved"),
        (delete, move, "is both deleted and moved"),
        (move, move_elsewhere, "is moved to two places"),
    ):
        with pytest.raises(PlanRefused) as e:
            merge([_plan("fw", first), _plan("fw", second)])
        assert e.value.reasons == [f"fw: POSTROUTING rule {text!r} {said}"]


def test_the_stage_keeps_each_pick_once_and_drops_on_request():
    stage = Stage()
    assert stage.add("one", _plan("fw", ForwardingOn()))
    assert not stage.add("one", _plan("fw", ForwardingOn()))
    assert stage.add("two", _plan("fw", ForwardingPersisted()))
    assert stage.drop(0).label == "one" and len(stage) == 1
    stage.clear()
    assert len(stage) == 0


def test_restore_lines_play_over_chains_as_iptables_restore_noflush_would():
    chains = {"POSTROUTING": ["-j KUBE-POSTROUTING", "-s 10.1.3.0/24 -j RETURN"]}
    touched = play_restore(
        chains,
        "*nat\n:NETUI-POSTROUTING - [0:0]\n-I POSTROUTING 1 -j NETUI-POSTROUTING\n"
        "-A NETUI-POSTROUTING -s 10.1.3.0/24 -j MASQUERADE\n-D POSTROUTING -s 10.1.3.0/24 -j RETURN\nCOMMIT\n",
    )
    assert touched == {"POSTROUTING", "NETUI-POSTROUTING"}
    assert chains["POSTROUTING"] == ["-j NETUI-POSTROUTING", "-j KUBE-POSTROUTING"]
    assert chains["NETUI-POSTROUTING"] == ["-s 10.1.3.0/24 -j MASQUERADE"]


def test_a_host_diff_shows_rules_routes_forwarding_and_files_before_and_after():
    snap = HostSnapshot(
        "fw",
        nat=parse(
            "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.1.3.0/24 -j RETURN\nCOMMIT\n"
        ).table("nat"),
        routes=RoutingTable((Route("10.200.0.0/16", "192.168.1.243", "eth0"),)),
        ip_forward=0,
    )
    commands = [
        Command("nat", RESTORE, "*nat\n-D POSTROUTING -s 10.1.3.0/24 -j RETURN\nCOMMIT\n"),
        Command("routes", ("ip", "-batch", "-"), "route replace 10.200.0.0/16 via 192.168.1.109\n"),
        Command("fwd", ("sysctl", "-qw", "net.ipv4.ip_forward=1")),
        Command("file", write=("/etc/dnsmasq.d/office.conf", "server=/cluster.local/10.96.0.10\n")),
        Command("reload", ("sh", "-c", "systemctl restart dnsmasq")),
    ]
    files = {"/etc/dnsmasq.d/office.conf": "server=/cluster.local/10.1.3.53\n"}
    text = "\n".join(host_diff(snap, commands, files.get))
    assert (
        "--- nat POSTROUTING (now)" in text and "\n--A POSTROUTING -s 10.1.3.0/24 -j RETURN" in text
    )
    assert "-10.200.0.0/16 via 192.168.1.243 dev eth0" in text
    assert "+10.200.0.0/16 via 192.168.1.109" in text
    assert "-net.ipv4.ip_forward = 0" in text and "+net.ipv4.ip_forward = 1" in text
    assert (
        "-server=/cluster.local/10.1.3.53" in text and "+server=/cluster.local/10.96.0.10" in text
    )
    assert text.endswith("and runs: reload")


def test_fixes_and_rule_changes_staged_on_two_screens_show_one_diff_and_apply_as_one():
    from netui.screens.confirm import ConfirmScreen

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("d")
            await wait_until(pilot, lambda: getattr(app.screen, "findings", None), 4, 0.02)
            await pilot.press("plus", "plus")  # the same fix twice: staged once
            await pilot.press("down", "plus")
            assert len(app.session.stage) == 2
            await pilot.press("escape")
            await open_host(pilot, "a-master", "enter")
            await pilot.press("D")  # stage deleting kube-proxy's POSTROUTING jump (shown, not run)
            assert len(app.session.stage) == 3
            await pilot.press("S")
            assert app.screen.__class__.__name__ == "StagedScreen"
            diff = app.screen.query_one("#staged-diff", Static)
            await wait_until(pilot, lambda: app.screen.pages, 4, 0.02)
            shown = str(diff.render())
            assert "a-master — host 1 of 1" in shown
            assert "+-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16" in shown
            assert '--A POSTROUTING -m comment --comment "kubernetes postrouting rules"' in shown
            table = app.screen.query_one("#staged", DataTable)
            assert table.row_count == 3
            await pilot.press("a")  # one plan: the usual dialog, Cancel first
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), 2, 0.02)
            assert isinstance(app.screen, ConfirmScreen)
            assert "3 staged change(s) on a-master as one plan" in app.screen.title_text
            assert app.screen.body.count("a-master") >= 1
            await pilot.press("escape")  # cancelled: still staged
            await pilot.pause()
            assert len(app.session.stage) == 3
            table.move_cursor(row=2)
            await pilot.press("d")
            assert len(app.session.stage) == 2 and table.row_count == 2
            await pilot.press("c")
            assert len(app.session.stage) == 0
            assert "nothing staged" in str(diff.render())

    asyncio.run(scenario())
