"""netui's own chains between two reads of a host (core/own_state.py): gone since the last read
(another tool's reload flushed them), back, or nothing to say."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from netui.core.own_state import change, own_chains
from netui.model.bootstate import (
    PLANS_DIR,
    RESTORE_SCRIPT,
    RESTORE_SCRIPT_PATH,
    UNIT_PATH,
    UNIT_TEXT,
    WANTS_LINK,
    boot_facts,
)
from netui.model.iptables import parse
from netui.model.snapshot import HostSnapshot, unreachable


@pytest.fixture(autouse=True)
def _own_journal(tmp_path, monkeypatch) -> None:
    """Each test its own journal (the suite's is shared by every test of a run)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


WITH = """*nat
:POSTROUTING ACCEPT [0:0]
:NETUI-POSTROUTING - [0:0]
-A POSTROUTING -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING
-A NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE
COMMIT
"""
FLUSHED = "*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n"


def _snap(nat: str, boot=None) -> HostSnapshot:
    return HostSnapshot("a-master", nat=parse(nat).table("nat"), boot=boot)


def _persisted(systemd: str):
    plan = (
        "# netui plan p1\n"
        'rule nat NETUI-POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE\n'
        "jump nat POSTROUTING 1 NETUI-POSTROUTING\n"
    )
    files = {
        UNIT_PATH: UNIT_TEXT,
        RESTORE_SCRIPT_PATH: RESTORE_SCRIPT,
        f"{PLANS_DIR}/p1.conf": plan,
    }
    return boot_facts(systemd, files, {WANTS_LINK})


def test_chains_a_reload_flushed_are_said_gone_with_what_brings_them_back():
    assert own_chains(_snap(WITH)) == {("nat", "NETUI-POSTROUTING")}
    lost = change(_snap(WITH), _snap(FLUSHED))
    assert lost is not None and lost.gone == ("NETUI-POSTROUTING",) and not lost.back
    assert lost.text() == (
        "a-master: netui's chain NETUI-POSTROUTING is gone since the last read (a firewall "
        "reload flushed the tables?); nothing on the host puts it back: apply the plan again; "
        "the doctor (d) says what is missing"
    )
    # where netui's unit holds them and systemd runs, its check puts them back (the light
    # read has no boot files); where systemd does not run now, only the next boot does
    lost = change(_snap(WITH, boot=_persisted("running")), _snap(FLUSHED))
    assert lost is not None and lost.restored_by == "check"
    assert "the host's netui-restore-check puts it back within 30 s" in lost.text()
    lost = change(_snap(WITH, boot=_persisted("installed")), _snap(FLUSHED))
    assert lost is not None and lost.restored_by == "boot"
    assert (
        "netui's unit restores it at the next boot; until then, apply the plan again" in lost.text()
    )
    back = change(_snap(FLUSHED), _snap(WITH))
    assert back is not None and back.back == ("NETUI-POSTROUTING",) and not back.gone
    assert back.text() == "a-master: netui's chain NETUI-POSTROUTING is back"


def test_nothing_is_said_without_a_change_or_without_two_readable_reads():
    assert change(None, _snap(WITH)) is None  # the first read
    assert change(_snap(WITH), _snap(WITH)) is None
    assert change(_snap(FLUSHED), _snap(FLUSHED)) is None
    down = unreachable("a-master", "connection refused")
    assert change(_snap(WITH), down) is None and change(down, _snap(FLUSHED)) is None
    unread = dataclasses.replace(_snap(FLUSHED), unreadable={"tables": "permission denied"})
    assert own_chains(unread) is None and change(_snap(WITH), unread) is None


def _journal(plan_id: str, host_status: str, rollback: dict | None = None) -> None:
    """A plan in this test's journal with a MASQUERADE on a-master."""
    from netui.plan.journal import Journal
    from netui.plan.kinds.masquerade import Masquerade
    from netui.plan.model import Plan
    from netui.plan.states import HostOutcome, PlanState

    plan = Plan(plan_id)
    plan.host("a-master").steps.append(Masquerade("10.1.3.0/24", "10.200.0.0/16"))
    journal = Journal(plan)
    extra = {"rollback": rollback} if rollback else {}
    journal.set_host_status("a-master", HostOutcome(host_status), **extra)
    journal.set_status(PlanState.AWAITING if rollback else PlanState.APPLIED)


def test_only_the_chains_of_a_plan_that_stands_are_expected_there():
    import time

    from netui.core.own_state import standing_plans

    assert standing_plans("a-master") == ()  # no plan: chains that go are nobody's news
    _journal("p20261208-000001-0001", "undone")
    _journal("p20261208-000002-0002", "rolled back by the confirm timer")
    _journal(
        "p20261208-000003-0003", "applied", {"path": "/x", "pid": 0, "deadline": time.time() - 5}
    )
    assert standing_plans("a-master") == ()  # undone, rolled back, armed past its deadline
    assert standing_plans("b-master") == ()
    _journal(
        "p20261208-000004-0004", "applied", {"path": "/x", "pid": 0, "deadline": time.time() + 60}
    )
    _journal("p20261208-000005-0005", "applied")
    assert standing_plans("a-master") == ("p20261208-000004-0004", "p20261208-000005-0005")


def test_the_tui_says_it_at_once_and_the_overview_counts_its_doctor_again():
    from .tui_data import fixed_app, snapshots, until_ready, wait_until

    _journal("p20261208-000001-0001", "applied")

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            overview = app.screen
            a = snapshots()["a-master"]
            app._snapshot_found(dataclasses.replace(a, nat=parse(WITH).table("nat")))
            assert not app.own_state_changes  # there before: nothing to say
            app._snapshot_found(dataclasses.replace(a, nat=parse(FLUSHED).table("nat")))
            assert await wait_until(pilot, lambda: app.own_state_changes)  # the journal read
            assert [c.gone for c in app.own_state_changes] == [("NETUI-POSTROUTING",)]
            app._snapshot_found(dataclasses.replace(a, nat=parse(WITH).table("nat")))
            assert [c.back for c in app.own_state_changes] == [(), ("NETUI-POSTROUTING",)]

            def said() -> list[str]:
                return [n.message for n in app._notifications]

            assert await wait_until(pilot, lambda: len(said()) >= 2), said()
            assert any(
                "a-master: netui's chain NETUI-POSTROUTING (of plan p20261208-000001-0001) is gone since the last read"
                in m
                for m in said()
            ), said()
            assert "a-master: netui's chain NETUI-POSTROUTING is back" in said()
            assert await wait_until(pilot, lambda: overview._own_changes_seen == 2)
            assert await wait_until(pilot, lambda: overview.doctor_shown)

    asyncio.run(scenario())


def test_chains_netui_itself_removed_are_not_said_gone():
    """Its undo, or a rollback past the deadline: the journal holds no standing plan there."""
    from .tui_data import fixed_app, snapshots, until_ready

    _journal("p20261208-000001-0001", "undone")

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            a = snapshots()["a-master"]
            app._snapshot_found(dataclasses.replace(a, nat=parse(WITH).table("nat")))
            app._snapshot_found(dataclasses.replace(a, nat=parse(FLUSHED).table("nat")))
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert app.own_state_changes == []
            assert not any("gone since" in n.message for n in app._notifications)

    asyncio.run(scenario())
