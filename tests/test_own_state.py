"""netui's own chains between two reads of a host (core/own_state.py): gone since the last read
(another tool's reload flushed them), back, or nothing to say."""

from __future__ import annotations

import asyncio
import dataclasses

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


def _persisted():
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
    return boot_facts("running", files, {WANTS_LINK})


def test_chains_a_reload_flushed_are_said_gone_with_what_brings_them_back():
    assert own_chains(_snap(WITH)) == {("nat", "NETUI-POSTROUTING")}
    lost = change(_snap(WITH), _snap(FLUSHED))
    assert lost is not None and lost.gone == ("NETUI-POSTROUTING",) and not lost.back
    assert lost.text() == (
        "a-master: netui's chain NETUI-POSTROUTING is gone since the last read (a firewall "
        "reload flushed the tables?); nothing on the host puts it back: apply the plan again; "
        "the doctor (d) says what is missing"
    )
    # where netui's unit holds them, its check puts them back (the light read has no boot files)
    lost = change(_snap(WITH, boot=_persisted()), _snap(FLUSHED))
    assert lost is not None and lost.restored_by_host
    assert "the host's netui-restore-check puts it back within 30 s" in lost.text()
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


def test_the_tui_says_it_at_once_and_the_overview_counts_its_doctor_again():
    from .tui_data import fixed_app, snapshots, until_ready, wait_until

    async def scenario() -> None:
        app = fixed_app()
        async with app.run_test(size=(120, 40)) as pilot:
            await until_ready(pilot)
            overview = app.screen
            a = snapshots()["a-master"]
            app._snapshot_found(dataclasses.replace(a, nat=parse(WITH).table("nat")))
            assert not app.own_state_changes  # there before: nothing to say
            app._snapshot_found(dataclasses.replace(a, nat=parse(FLUSHED).table("nat")))
            assert [c.gone for c in app.own_state_changes] == [("NETUI-POSTROUTING",)]
            app._snapshot_found(dataclasses.replace(a, nat=parse(WITH).table("nat")))
            assert [c.back for c in app.own_state_changes] == [(), ("NETUI-POSTROUTING",)]

            def said() -> list[str]:
                return [n.message for n in app._notifications]

            assert await wait_until(pilot, lambda: len(said()) >= 2), said()
            assert any(
                "a-master: netui's chain NETUI-POSTROUTING is gone since the last read" in m
                for m in said()
            ), said()
            assert "a-master: netui's chain NETUI-POSTROUTING is back" in said()
            assert await wait_until(pilot, lambda: overview._own_changes_seen == 2)
            assert await wait_until(pilot, lambda: overview.doctor_shown)

    asyncio.run(scenario())
