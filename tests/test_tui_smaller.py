"""The small lies and dead ends of issue 25's walk-through, each held by a test."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input, Static

from netui.plan.dns import Forward, render_conf
from netui.screens.commands import unknown_target
from netui.screens.nat import _sentence
from netui.screens.walk import packet_problem

from .tui_data import fixed_app, open_host, until_ready, wait_until


def run(scenario) -> None:
    asyncio.run(scenario())


def test_the_switch_preview_names_the_cluster_once():
    conf = render_conf([Forward("cluster.local", "b", "10.43.0.10")], "192.168.1.109", "p1")
    assert "server=/cluster.local/10.43.0.10\n# ^ cluster b\n" in conf
    assert "cluster cluster" not in conf


def test_the_delete_dialog_keeps_the_rules_case():
    label = "delete rule 3 of nat/KUBE-POSTROUTING on a-master: -j MASQUERADE"
    assert _sentence(label) == "Delete rule 3 of nat/KUBE-POSTROUTING on a-master: -j MASQUERADE"


def test_nat_or_host_with_no_such_host_says_so():
    hosts = ["a-master", "b-master"]
    assert unknown_target("nat nosuch", hosts) == (
        "no host 'nosuch' in the environment; hosts: a-master, b-master"
    )
    assert unknown_target("host zz", hosts) is not None
    assert unknown_target("nat a-", hosts) is None  # still being typed
    assert unknown_target("nat a-master", hosts) is None
    assert unknown_target("doctor", hosts) is None


def test_a_walk_takes_one_source_one_destination_and_says_what_is_wrong():
    assert packet_problem("10.1.3.10 10.200.1.3") is None
    assert packet_problem("10.1.3.10 10.200.1.3 udp 53") is None
    three = packet_problem("10.1.3.10 10.200.1.3 10.200.1.4")
    assert three and "one source and one destination only" in three
    assert "not an IPv4 address" in (packet_problem("10.1.3.10 10.200.1") or "")
    assert "not a port" in (packet_problem("10.1.3.10 10.200.1.3 tcp 99999") or "")
    assert "too many words" in (packet_problem("1.1.1.1 2.2.2.2 tcp 80 x") or "")


def test_the_walk_box_is_empty_with_an_example_and_refuses_three_addresses():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "a-master", "enter")
            await pilot.press("w")
            await wait_until(pilot, lambda: app.screen.query("#packet"))
            box = app.screen.query_one("#packet", Input)
            assert box.value == "" and "e.g. 10.1.3.10 " in box.placeholder
            for ch in "10.1.3.10 10.200.1.3 10.200.1.4":
                await pilot.press("space" if ch == " " else ch)
            await pilot.press("enter")
            await pilot.pause()
            assert box.value == "10.1.3.10 10.200.1.3 10.200.1.4"  # typed as typed
            steps = str(app.screen.query_one("#steps", Static).render())
            assert "one source and one destination only" in steps

    run(scenario)


def test_help_lists_enter_tab_and_escape():
    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("question_mark")
            await wait_until(pilot, lambda: app.screen.query("#help-text"))
            text = str(app.screen.query_one("#help-text", Static).render())
            for key in ("enter", "tab", "escape"):
                assert f"  {key}" in text or f" {key} " in text, key

    run(scenario)


def test_enter_on_a_failed_probe_traces_from_where_it_was_probed(monkeypatch):
    from netui.core import verify as core_verify
    from netui.verify.probe import Result, Target

    failed = Result(Target("b", "pod", "Pod 10.42.1.2", "10.42.1.2", 8080), False, None, "timeout")
    monkeypatch.setattr(
        core_verify, "probe_plan", lambda *a, **k: core_verify.ProbePlan("b-master", [])
    )
    monkeypatch.setattr(core_verify, "run_probes", lambda session, plan: [failed])

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await pilot.press("o")
            from textual.widgets import DataTable

            table = app.screen.query_one("#probes", DataTable)
            await wait_until(pilot, lambda: table.row_count)
            table.focus()
            await pilot.press("enter")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "TraceScreen")
            assert app.screen.source == "b-master"  # not the office host
            await wait_until(pilot, lambda: app.screen.query("TracePane"))
            assert app.screen.query_one("TracePane").source == "b-master"

    run(scenario)


def test_history_detail_shows_every_hosts_steps_not_the_first_dozen_lines(monkeypatch):
    from netui.core.session import HistoryRow, Session

    row = HistoryRow("p1", "2026-11-25 12:00:00", "op@jump", "applied", "a-master:applied", 0.0)
    lines = ["plan p1: applied"] + [f"  ✓ step {i}" for i in range(20)] + ["b-master: applied"]
    monkeypatch.setattr(Session, "history", lambda self: [row])
    monkeypatch.setattr(Session, "plan_detail", lambda self, plan_id: lines)

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(80, 24)) as pilot:
            await until_ready(pilot)
            await pilot.press("h")
            await wait_until(pilot, lambda: app.screen.query("#history-detail"))
            detail = app.screen.query_one("#history-detail", Static)
            await wait_until(pilot, lambda: "b-master" in str(detail.render()))
            assert "b-master: applied" in str(detail.render())
            box = app.screen.query_one("#history-detail-box")
            assert box.max_scroll_y > 0  # it scrolls to the rest at 80x24

    run(scenario)


def test_the_doctor_runs_again_when_you_come_back_after_a_change(monkeypatch):
    from netui.core.session import Session

    runs = []
    real_gather = Session.gather

    def counting(self, cluster=None):
        runs.append(1)
        return real_gather(self, cluster)

    monkeypatch.setattr(Session, "gather", counting)

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            runs.clear()  # the overview's own count ran once: from here on, the doctor screen's
            await pilot.press("d")
            await wait_until(pilot, lambda: runs)
            from netui.screens.plan import HistoryScreen

            app.push_screen(HistoryScreen())  # away and back, nothing changed: findings hold
            await pilot.pause(0.2)
            app.pop_screen()
            await pilot.pause(0.3)
            assert len(runs) == 1 and type(app.screen).__name__ == "FindingsScreen"
            app.push_screen(HistoryScreen())
            await pilot.pause(0.2)
            app.session.changes.append((0.0, "plan p1 applied: a-master"))  # as apply records
            app.pop_screen()
            await wait_until(pilot, lambda: len(runs) == 2)
            assert len(runs) == 2 and type(app.screen).__name__ == "FindingsScreen"

    run(scenario)


def test_a_host_that_went_down_keeps_its_last_values_marked_as_last_known():
    from netui.model.snapshot import unreachable

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(160, 40)) as pilot:
            await until_ready(pilot)
            hosts = app.screen.query_one("#hosts")
            before = str(hosts.get_cell("a-master", "NAT"))
            assert before.isdigit()
            app._snapshot_found(
                unreachable("a-master", "connection refused")
            )  # as a poll brings it
            await pilot.pause()
            assert str(hosts.get_cell("a-master", "NAT")) == f"was {before}"
            assert str(hosts.get_cell("a-master", "IPTABLES")).startswith("was ")
            assert str(hosts.get_cell("a-master", "STATE")).startswith("✗ unreachable")

    run(scenario)


def test_d_in_the_nat_view_opens_the_doctor_with_this_hosts_findings_first():
    from netui.screens.findings import FindingsScreen
    from netui.screens.nat import NatScreen

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "b-master", "enter")
            assert isinstance(app.screen, NatScreen)
            await pilot.press("d")  # once dead
            assert await wait_until(pilot, lambda: isinstance(app.screen, FindingsScreen))
            doctor = app.screen
            assert await wait_until(pilot, lambda: doctor.findings), "no findings shown"
            hosts = [f.host for f in doctor.findings]
            assert "b-master" in hosts and hosts[0] == "b-master", hosts
            first_other = next(i for i, h in enumerate(hosts) if h != "b-master")
            assert all(h != "b-master" for h in hosts[first_other:])  # this host's, then the rest
            assert "b-master first" in doctor.title
            await pilot.press("escape")
            assert await wait_until(pilot, lambda: isinstance(app.screen, NatScreen))

    run(scenario)


def test_a_staged_delete_or_move_marks_its_rule_in_the_nat_view_until_it_is_dropped():
    from netui.widgets.rule_list import RuleList

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(160, 40)) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "b-master", "enter")  # two foreign rules in POSTROUTING
            rules = app.screen.query_one(RuleList)
            assert await wait_until(pilot, lambda: rules.row_count >= 2)
            rules.focus()
            first, second = rules.rows[0], rules.rows[1]
            assert rules.marks == {}
            await pilot.press("D")  # the first rule: staged for deletion
            await pilot.press("down", "M")  # the second: staged to move to the top
            assert await wait_until(pilot, lambda: len(rules.marks) == 2), rules.marks
            assert rules.marks == {first.text: "del", second.text: "move"}
            lines = [rules.render_line(y).text for y in (1, 2)]
            assert "staged:del" in lines[0] and "staged:move" in lines[1], lines
            app.session.stage.drop(0)  # dropped on the staged screen (S), then back here
            await pilot.press("S")
            await wait_until(pilot, lambda: type(app.screen).__name__ == "StagedScreen")
            await pilot.press("escape")
            assert await wait_until(pilot, lambda: rules.marks == {second.text: "move"})

    run(scenario)


def test_history_asks_armed_plans_hosts_and_shows_what_a_reboot_did(monkeypatch):
    """The history screen reads the journal at once, then (in a worker) asks the hosts of the
    plans awaiting confirmation and shows what they said, with each plan's AT BOOT column."""
    from textual.widgets import DataTable

    from netui.core.session import HistoryRow, Session

    before = HistoryRow(
        "p1", "2026-12-02 12:00:00", "op@jump", "awaiting confirmation", "a-master:applied", 0.0,
        at_boot="until confirmed, a reboot rolls it back on a-master",
    )  # fmt: skip
    after = HistoryRow(
        "p1", "2026-12-02 12:00:00", "op@jump", "rolled back before it was confirmed at 12:01:02",
        "a-master:rolled back by a reboot", 0.0,
    )  # fmt: skip
    asked = []

    def settle(self):
        asked.append(True)
        return ["p1"]

    monkeypatch.setattr(Session, "history", lambda self: [after] if asked else [before])
    monkeypatch.setattr(Session, "settle_awaiting", settle)

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(160, 30)) as pilot:
            await until_ready(pilot)
            await pilot.press("h")
            await wait_until(pilot, lambda: app.screen.query("#history"))
            table = app.screen.query_one("#history", DataTable)
            assert [str(c.label) for c in table.columns.values()][-1] == "AT BOOT"

            def shown() -> list[str]:
                return [str(c) for c in table.get_row_at(0)] if table.row_count else []

            await wait_until(pilot, lambda: "a-master:rolled back by a reboot" in shown())
            assert shown()[3].startswith("rolled back before it was confirmed")
            assert asked == [True]

    run(scenario)


SIZES = pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])


@SIZES
def test_colon_nat_nosuch_offers_the_line_that_says_there_is_no_such_host(size):
    from textual.command import CommandList

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            await pilot.press("colon", *"nat", "space", *"nosuch")

            def offered() -> str:
                found = app.screen.query(CommandList)
                if not found or not found.first().option_count:
                    return ""
                hit = getattr(found.first().get_option_at_index(0), "hit", None)
                return str(hit.text) if hit is not None else ""

            assert await wait_until(pilot, lambda: "no host" in offered()), offered()
            assert offered().startswith("no host 'nosuch' in the environment; hosts: router")

    run(scenario)


@SIZES
def test_the_delete_dialog_title_on_screen_keeps_the_rules_case(size):
    from netui.screens.confirm import ConfirmScreen
    from netui.widgets.rule_list import RuleList

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            await open_host(pilot, "b-master", "enter")
            rules = app.screen.query_one(RuleList)
            assert await wait_until(pilot, lambda: rules.row_count)
            rules.focus()
            text = rules.rows[0].text
            await pilot.press("x")
            assert await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            title = app.screen.title_text
            assert title.startswith("Delete POSTROUTING #1 on b-master: "), title
            assert text in title and "-j KUBE-POSTROUTING" in title, (title, text)  # not lowered

    run(scenario)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_a_finding_whose_fix_is_staged_is_marked_on_its_row(size):
    """`+` in the doctor stages the highlighted finding's fix: its row says so until it is
    applied or dropped (the walk: only a toast said it, the row looked the same)."""
    from netui.widgets.fit_table import FitTable

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=size) as pilot:
            await until_ready(pilot)
            await pilot.press("d")
            assert await wait_until(pilot, lambda: getattr(app.screen, "findings", None))
            screen = app.screen
            table = screen.query_one("#findings", FitTable)
            fixable = next(i for i, f in enumerate(screen.findings) if f.fixes)
            table.move_cursor(row=fixable)
            await pilot.pause()
            code = screen.findings[fixable].code
            assert table.value(str(fixable), "CODE") == code
            await pilot.press("plus")
            assert await wait_until(
                pilot, lambda: table.value(str(fixable), "CODE") == f"{code} +staged"
            ), table.value(str(fixable), "CODE")
            others = [table.value(str(i), "CODE") for i in range(len(screen.findings))]
            assert sum(c.endswith("+staged") for c in others) == 1
            screen.findings = []
            screen.action_rerun()  # a fresh read keeps the mark while it is staged
            assert await wait_until(pilot, lambda: screen.findings)
            marked = [
                table.value(str(i), "CODE")
                for i in range(len(screen.findings))
                if table.value(str(i), "CODE").endswith("+staged")
            ]
            assert marked == [f"{code} +staged"], marked

    run(scenario)
