"""What a reboot would do, on plain data: the doctor's `not-persisted` findings per host and item,
and the boot files they are judged from."""

from __future__ import annotations

from pathlib import Path

import pytest

from netui.doctor import diagnose
from netui.doctor.persistence import boot_items
from netui.model.bootstate import (
    RESTORE_SCRIPT,
    RESTORE_SCRIPT_PATH,
    UNIT_PATH,
    UNIT_TEXT,
    WANTS_LINK,
    PersistedJump,
    PersistedRoute,
    PersistedRule,
    PlanFile,
    boot_facts,
    parse_plan_file,
)
from netui.model.netconfig import networkd_file

from .test_doctor import doctor_input

RULES = (
    '-s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:p1" -j MASQUERADE',
    '-s 10.1.3.0/24 -d 10.96.0.0/12 -m comment --comment "netui:p1" -j MASQUERADE',
)
PLAN = PlanFile(
    "p1",
    tuple(PersistedRule("nat", "NETUI-POSTROUTING", r) for r in RULES),
    (PersistedJump("nat", "POSTROUTING", 1, "NETUI-POSTROUTING"),),
)
ROUTER_PLAN = PlanFile(
    "p1",
    routes=(
        PersistedRoute("10.200.0.0/16", "192.168.1.109"),
        PersistedRoute("10.96.0.0/12", "192.168.1.109"),
    ),
)
UNIT = {UNIT_PATH: UNIT_TEXT, RESTORE_SCRIPT_PATH: RESTORE_SCRIPT}
RETURN_ROUTE = {
    "/etc/systemd/network/10-eth0.network": networkd_file(
        "eth0", "192.168.1.109/24", "192.168.1.254", [("10.1.3.0/24", "192.168.1.1")]
    )
}


def _with_boot(inp, host, files, names=frozenset({WANTS_LINK}), systemd="running"):
    inp.snapshots[host].boot = boot_facts(systemd, files, set(names))
    return inp


def _lost(inp):
    return {(f.host, f.title.split(" on ")[0]) for f in diagnose(inp) if f.code == "not-persisted"}


def test_a_plan_file_round_trips_and_ignores_foreign_lines():
    text = PLAN.text() + "rm -rf /\njump nat POSTROUTING x NETUI\n"
    assert parse_plan_file("p1", text) == PLAN


def test_runtime_only_state_is_reported_per_host_and_item():
    inp = doctor_input()
    _with_boot(inp, "f", {}, names=())
    _with_boot(inp, "r", {}, names=())
    assert _lost(inp) == {
        ("f", "netui's chain NETUI-POSTROUTING (2 rules)"),
        ("f", "route 10.1.3.0/24 via 192.168.1.1"),
        ("r", "route 10.200.0.0/16 via 192.168.1.109"),
        ("r", "route 10.96.0.0/12 via 192.168.1.109"),
        ("r", "IP forwarding (the office router)"),
    }
    finding = next(f for f in diagnose(inp) if f.code == "not-persisted" and f.host == "f")
    assert any("netui-restore.service is not installed" in e for e in finding.evidence)


def test_netuis_unit_and_plan_files_and_the_network_configuration_count_as_persisted():
    inp = doctor_input()
    _with_boot(inp, "f", {**UNIT, PLAN.path: PLAN.text(), **RETURN_ROUTE})
    _with_boot(inp, "r", {**UNIT, ROUTER_PLAN.path: ROUTER_PLAN.text()})
    inp.snapshots["r"].sysctl_files = list(doctor_input().snapshots["f"].sysctl_files)
    assert _lost(inp) == set()
    at_boot = {(i.host, i.item): i.at_boot for i in boot_items(inp)}
    assert at_boot[("f", "netui's chain NETUI-POSTROUTING (2 rules)")] == (
        "restored by netui-restore.service"
    )
    assert at_boot[("f", "route 10.1.3.0/24 via 192.168.1.1")] == (
        "in /etc/systemd/network/10-eth0.network (systemd-networkd)"
    )


def test_a_unit_that_is_not_enabled_restores_nothing():
    inp = doctor_input()
    _with_boot(inp, "f", {**UNIT, PLAN.path: PLAN.text(), **RETURN_ROUTE}, names=())
    found = [f for f in diagnose(inp) if f.code == "not-persisted" and f.host == "f"]
    assert len(found) == 1 and any("is not enabled" in e for e in found[0].evidence)


def test_a_rule_added_to_netuis_chain_after_the_plan_file_was_written_is_lost():
    inp = doctor_input()
    one_rule = PlanFile("p1", PLAN.rules[:1], PLAN.jumps)
    _with_boot(inp, "f", {**UNIT, one_rule.path: one_rule.text(), **RETURN_ROUTE})
    assert ("f", "netui's chain NETUI-POSTROUTING (2 rules)") in _lost(inp)


def test_a_host_without_systemd_gets_what_to_add_by_hand():
    inp = doctor_input()
    _with_boot(inp, "f", {**RETURN_ROUTE}, names=(), systemd=None)
    finding = next(f for f in diagnose(inp) if f.code == "not-persisted" and f.host == "f")
    assert "netui cannot persist it there (no systemd)" in finding.title
    assert any(
        e.startswith("iptables -t nat -A NETUI-POSTROUTING -s 10.1.3.0/24")
        for e in finding.evidence
    )


def test_a_snapshot_that_did_not_read_the_boot_files_says_nothing():
    assert not [f for f in diagnose(doctor_input()) if f.code == "not-persisted"]


def test_the_host_screen_says_per_item_what_the_next_boot_does():
    from netui.screens.host import boot_lines

    inp = doctor_input()
    _with_boot(inp, "f", {**UNIT, PLAN.path: PLAN.text()})
    lines = boot_lines(inp.snapshots["f"])
    assert lines[0] == "at boot          netui-restore.service enabled (1 plan file(s))"
    assert any(
        "NETUI-POSTROUTING (2 rules)" in line
        and line.endswith("✓ at boot: restored by netui-restore.service")
        for line in lines
    )
    assert any(
        "route 10.1.3.0/24 via 192.168.1.1" in line and line.endswith("✗ lost at boot")
        for line in lines
    )
    assert boot_lines(doctor_input().snapshots["f"]) == []  # boot files not read: nothing said


def test_a_flushed_state_the_plan_files_hold_is_reported_and_a_reasserted_one_explained():
    from netui.model.bootstate import RESTORE_LOG

    inp = doctor_input(nat="*nat\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n")
    log = "2026-12-02T04:47:32Z re-asserted netui's state (missing: chain NETUI-POSTROUTING)\n"
    _with_boot(inp, "f", {**UNIT, PLAN.path: PLAN.text(), **RETURN_ROUTE, RESTORE_LOG: log})
    found = {f.code: f for f in diagnose(inp) if f.host == "f"}
    assert "missing on f now: NETUI-POSTROUTING (nat)" in found["not-persisted"].title
    assert found["state-reasserted"].severity == "info"
    assert log.strip() in found["state-reasserted"].evidence


# --- armed plans across a reboot, and what history says of a plan at boot ----------------------


def test_the_boot_runs_an_armed_rollback_and_leaves_its_marker_for_netui(tmp_path):
    """The rollback removes its own armed copy (the confirm timer's script does the same): the
    marker must still be there after it ran, or netui cannot tell a reboot rolled it back."""
    import subprocess

    from netui.model.bootstate import NETUI_DIR, RESTORE_SCRIPT

    script = tmp_path / "restore.sh"
    script.write_text(RESTORE_SCRIPT.replace(f"dir={NETUI_DIR}\n", f"dir={tmp_path}\n"))
    (tmp_path / "armed").mkdir()
    (tmp_path / "armed" / "p1.sh").write_text(
        f"#!/bin/sh\necho ran > {tmp_path}/ran\nrm -f {tmp_path}/armed/p1.sh 2>/dev/null\n"
    )
    done = subprocess.run(["sh", str(script), "boot"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "ran").read_text() == "ran\n"
    assert sorted(p.name for p in (tmp_path / "armed").iterdir()) == ["p1.rebooted"]
    assert "rolling back p1: armed, never confirmed before this boot" in (
        (tmp_path / "restore.log").read_text()
    )
    again = subprocess.run(["sh", str(script), "boot"], capture_output=True, text=True)
    assert again.returncode == 0 and (tmp_path / "ran").read_text() == "ran\n"  # ran once


PLAN_ID = "p20261202-000001-0001"


@pytest.fixture(autouse=True)
def _own_journal(tmp_path, monkeypatch) -> None:
    """Each test its own journal: a plan left awaiting here must not meet another file's test
    (the suite's journal is shared by every test of a run)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def _armed_journal(tmp_path, monkeypatch, names=("a", "b")):
    """A plan armed on `names` (each with its boot unit), its rollbacks' paths under tmp_path."""
    from netui.plan import executor
    from netui.plan.journal import Journal
    from netui.plan.kinds.boot_persisted import BootPersisted
    from netui.plan.kinds.route import RouteChange
    from netui.plan.model import Plan
    from netui.plan.states import HostOutcome, PlanState

    monkeypatch.setattr(executor, "armed_path", lambda pid: str(tmp_path / "armed" / f"{pid}.sh"))
    monkeypatch.setattr(executor, "ARMED_DIR", str(tmp_path / "armed"))
    monkeypatch.setattr(executor, "PLANS_DIR", str(tmp_path / "plans"))
    monkeypatch.setattr(executor, "ROLLBACK_DIR", str(tmp_path / "run"))
    plan = Plan(PLAN_ID)
    for name in names:
        plan.host(name).steps += [RouteChange("10.200.0.0/16", "192.168.1.109"), BootPersisted()]
    journal = Journal(plan)
    for name in names:
        rollback = {"path": str(tmp_path / f"rollback-{name}.sh"), "pid": 4194304 + 1}
        journal.set_host_status(name, HostOutcome.APPLIED, rollback=rollback | {"seconds": 300})
    journal.set_status(PlanState.AWAITING)
    (tmp_path / "armed").mkdir()
    return journal


class _Hosts(dict):
    """Each host a local shell (the timer's files are under tmp_path)."""

    def __missing__(self, name):
        from netui.backends.local import LocalBackend

        return LocalBackend(name)


def test_a_host_a_reboot_rolled_back_is_settled_so_and_its_marker_removed(tmp_path, monkeypatch):
    from netui.core.session import history
    from netui.plan import executor, undoing
    from netui.plan.states import HostOutcome, PlanState

    journal = _armed_journal(tmp_path, monkeypatch)
    (tmp_path / "armed" / f"{PLAN_ID}.rebooted").write_text("#!/bin/sh\n")  # a's boot ran it
    (tmp_path / "rollback-b.sh.fired").write_text("")  # b's timer fired
    fired = executor.settle_timers(journal, _Hosts())
    assert set(fired) == {"a", "b"}
    assert journal.host_outcome("a") is HostOutcome.REBOOTED
    assert journal.host_outcome("b") is HostOutcome.TIMER_FIRED
    assert journal.status is PlanState.NOT_CONFIRMED and journal.status.rolled_back
    assert not (tmp_path / "armed").exists()  # the marker read and removed, its folder too
    assert not list(tmp_path.glob("rollback-b.sh*"))
    row = next(r for r in history() if r.plan == PLAN_ID)
    assert row.status.startswith("rolled back before it was confirmed at ")
    assert row.hosts == "a:rolled back by a reboot b:rolled back by the confirm timer"
    assert row.at_boot == "" and row.as_json()["at_boot"] is None  # nothing of it stands
    from netui.core.session import plan_detail

    detail = "\n".join(plan_detail(PLAN_ID))  # what each rollback did, not only the ✓ steps
    assert "  ↶ rollback by the host's boot (netui-restore.service) at " in detail, detail
    assert "  ↶ rollback by the confirm timer's script at " in detail, detail
    assert detail.count(": every step above undone on the host") == 2
    _, notes = undoing.choose(_Hosts(), PLAN_ID)
    assert notes == [
        f"plan {PLAN_ID} was rolled back before it was confirmed (a by a reboot, b by its "
        "timer): nothing of it is left to undo"
    ]


def test_confirm_keeps_the_armed_hosts_and_tells_the_rebooted_one_apart(tmp_path, monkeypatch):
    import subprocess

    from netui.core.session import history
    from netui.plan import executor
    from netui.plan.states import HostOutcome, PlanState

    journal = _armed_journal(tmp_path, monkeypatch)
    (tmp_path / "armed" / f"{PLAN_ID}.rebooted").write_text("#!/bin/sh\n")
    timer_b = tmp_path / "rollback-b.sh"
    timer_b.write_text("#!/bin/sh\n")
    timer = subprocess.Popen(["sh", "-c", "sleep 60", str(timer_b)])  # its $0: the script
    try:
        journal.host("b")["rollback"]["pid"] = timer.pid
        assert executor.confirm(journal, _Hosts()) == {
            "a": "already fired: rolled back by a reboot of a",
            "b": "confirmed",
        }
        assert timer.wait(timeout=10) is not None  # b's timer stopped
    finally:
        timer.kill()
    assert journal.host_outcome("a") is HostOutcome.REBOOTED
    assert journal.host_outcome("b") is HostOutcome.APPLIED
    # before: "rolled back by the confirm timer" — for a plan b keeps
    assert journal.status is PlanState.PARTLY_APPLIED
    row = next(r for r in history() if r.plan == PLAN_ID)
    assert row.hosts == "a:rolled back by a reboot b:applied"
    assert row.at_boot == "persisted"  # b: its unit restores it; a: nothing of it is left


def test_history_says_whether_a_plan_survives_a_reboot(tmp_path, monkeypatch, capsys):
    import json

    from netui.cli import main
    from netui.core.session import plan_detail
    from netui.plan.journal import Journal
    from netui.plan.kinds.boot_persisted import BootPersisted
    from netui.plan.kinds.route import RouteChange
    from netui.plan.model import Plan
    from netui.plan.states import HostOutcome, PlanState

    def journal(plan_id, hosts, status, armed=()):
        plan = Plan(plan_id)
        for name, persisted in hosts.items():
            plan.host(name).steps.append(RouteChange("10.200.0.0/16", "192.168.1.109"))
            if persisted:
                plan.host(name).steps.append(BootPersisted())
        j = Journal(plan)
        for name in hosts:
            extra = {"rollback": {"path": "/nonexistent", "pid": 1}} if name in armed else {}
            j.set_host_status(name, HostOutcome.APPLIED, **extra)
        j.set_status(status)

    journal("p20261202-000001-0001", {"f": True, "r": False}, PlanState.APPLIED)
    journal("p20261202-000002-0002", {"f": True}, PlanState.AWAITING, armed=("f",))
    journal("p20261202-000003-0003", {"f": True}, PlanState.APPLIED)
    journal("p20261202-000004-0004", {"f": True}, PlanState.UNDONE)
    monkeypatch.setenv("NETUI_ENV", str(tmp_path / "none.yaml"))  # armed hosts: not asked
    assert main(["history", "--json"]) == 0
    out = capsys.readouterr()
    assert "p20261202-000002-0002: awaiting confirmation as the journal last saw it" in out.err
    rows = {r["plan"][-4:]: r["at_boot"] for r in json.loads(out.out)}
    assert rows["0001"] == {
        "persisted": False,
        "lost": ["r"],
        "rolled_back": [],
        "text": "runtime only on r: lost at its next boot",
    }
    assert rows["0002"]["text"] == "until confirmed, a reboot rolls it back on f"
    assert rows["0003"]["persisted"] is True and rows["0004"] is None
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "AT BOOT" in lines[0]
    assert next(x for x in lines if "0001" in x).endswith(
        "runtime only on r: lost at its next boot"
    )
    assert next(x for x in lines if "0003" in x).rstrip().endswith("persisted")
    detail = "\n".join(plan_detail("p20261202-000001-0001"))  # the TUI's detail too
    assert "at boot: runtime only on r: lost at its next boot" in detail


def _boot_id() -> str:
    return Path("/proc/sys/kernel/random/boot_id").read_text().strip()


def test_confirm_never_claims_a_host_whose_timer_was_killed(tmp_path, monkeypatch):
    """A timer killed without a reboot (its script there, its process not, the same boot):
    confirm says so for that host, journals it as kept-but-unconfirmed, and the audit line does
    not say "confirmed" (it did: only a fired timer was told apart)."""
    import json
    import subprocess

    from netui.plan import executor
    from netui.plan.states import HostOutcome

    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    journal = _armed_journal(tmp_path, monkeypatch)
    ran = tmp_path / "ran"
    journal.host("a")["rollback"] |= {"boot_id": _boot_id(), "script": f"touch {ran}\n"}
    (tmp_path / "rollback-a.sh").write_text("#!/bin/sh\n")  # its process is gone
    timer_b = tmp_path / "rollback-b.sh"
    timer_b.write_text("#!/bin/sh\n")
    timer = subprocess.Popen(["sh", "-c", "sleep 60", str(timer_b)])
    try:
        journal.host("b")["rollback"]["pid"] = timer.pid
        said = executor.confirm(journal, _Hosts())
    finally:
        timer.kill()
    assert said["b"] == "confirmed"
    assert said["a"].startswith(executor.NOT_CONFIRMED), said
    assert "a did not reboot): the plan stands there as applied, unconfirmed" in said["a"]
    assert not ran.exists()  # the plan stands: nothing rolled it back
    assert journal.host_outcome("a") is HostOutcome.TIMER_GONE
    assert journal.host_outcome("b") is HostOutcome.APPLIED
    lines = (tmp_path / "state" / "netui" / "audit.log").read_text().splitlines()
    last = json.loads(lines[-1])
    assert last["action"] == "confirm"
    assert last["outcome"] == "a: not confirmed (timer gone); b: confirmed", last


@pytest.mark.parametrize("how", ["run cleared", "new boot id"])
def test_a_host_that_rebooted_with_nothing_to_run_its_rollback_is_rolled_back_by_netui(
    tmp_path, monkeypatch, how
):
    """No systemd, or a reboot before the host's first unit was in: the boot ran nothing. Its
    /run is empty (or its boot id is new): netui runs the journaled rollback once, then says
    "rolled back by a reboot", never "confirmed", and leaves neither copy behind."""
    from netui.plan import executor
    from netui.plan.states import HostOutcome, PlanState

    journal = _armed_journal(tmp_path, monkeypatch, names=("a",))
    ran = tmp_path / "ran"
    script = f"#!/bin/sh\n# netui rollback\necho once >> {ran}\n"
    journal.host("a")["rollback"] |= {"boot_id": _boot_id(), "script": script}
    boot_copy = tmp_path / "armed" / f"{PLAN_ID}.sh"
    boot_copy.write_text(script)  # left by an apply whose unit never ran it
    if how == "new boot id":
        journal.host("a")["rollback"]["boot_id"] = "00000000-0000-0000-0000-000000000000"
        (tmp_path / "rollback-a.sh").write_text("#!/bin/sh\n")  # /run not a tmpfs there
    assert executor.timer_state(journal, _Hosts()["a"], "a")[0] == "unrun"
    said = executor.confirm(journal, _Hosts())
    assert said == {
        "a": "already fired: rolled back by a reboot of a (its boot ran nothing of it: netui "
        "ran the rollback now)"
    }
    assert ran.read_text() == "once\n"
    assert journal.host_outcome("a") is HostOutcome.REBOOTED
    assert "netui ran it after the reboot" in journal.host("a")["note"]
    from netui.core.session import plan_detail

    detail = "\n".join(plan_detail(PLAN_ID))
    assert "  ↶ rollback by netui, after the reboot at " in detail, detail
    assert journal.host("a")["fired_at"]
    assert journal.status is PlanState.NOT_CONFIRMED
    assert not boot_copy.exists() and not list(tmp_path.glob("rollback-a.sh*"))
    assert executor.confirm(journal, _Hosts()) == {}  # settled: asked once, run once
    assert ran.read_text() == "once\n"


def test_a_timer_armed_by_an_older_netui_without_its_script_is_only_called_gone(
    tmp_path, monkeypatch
):
    from netui.plan import executor

    journal = _armed_journal(tmp_path, monkeypatch, names=("a",))
    assert executor.timer_state(journal, _Hosts()["a"], "a") == ("gone", None)


def test_a_plan_is_not_applied_over_an_older_one_still_armed_on_its_hosts(tmp_path, monkeypatch):
    """The older plan's rollback, when it fires, puts back what it found, undoing the new
    plan's files with it: refused until it is confirmed or rolled back (asked first)."""
    import subprocess

    from netui.core.session import Session
    from netui.errors import UserError
    from netui.model.envfile import loads
    from netui.plan.kinds.route import RouteChange
    from netui.plan.model import Plan
    from netui.plan.undoing import load

    journal = _armed_journal(tmp_path, monkeypatch, names=("a",))
    timer_a = tmp_path / "rollback-a.sh"
    timer_a.write_text("#!/bin/sh\n")
    timer = subprocess.Popen(["sh", "-c", "sleep 60", str(timer_a)])
    env = loads(
        "office: {cidrs: [10.1.3.0/24]}\nhosts: {a: local, b: local}\n"
        "clusters: {c: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12]}}\n",
        "t.yaml",
    )
    session = Session(env, hosts=_Hosts())
    newer = Plan("p20261202-000002-0002")
    newer.host("a").steps.append(RouteChange("10.201.0.0/16", "192.168.1.109"))
    elsewhere = Plan("p20261202-000003-0003")
    elsewhere.host("b").steps.append(RouteChange("10.201.0.0/16", "192.168.1.109"))
    try:
        journal.host("a")["rollback"]["pid"] = timer.pid
        journal.save()
        with pytest.raises(UserError) as refused:
            session._refuse_over_armed(newer)
        assert str(refused.value) == (
            f"not applying plan {newer.id}: plan {PLAN_ID} on a still awaits confirmation, and "
            "its rollback would undo this plan there too; confirm it first (`netui confirm`, "
            "`y`), or let it roll back"
        )
        session._refuse_over_armed(elsewhere)  # another host: not in the way
        assert set(load(PLAN_ID).data["hosts"]) == {"a"}  # and no record made for b
    finally:
        timer.kill()
        timer.wait()
    (tmp_path / "rollback-a.sh.fired").write_text("")  # its timer fired since
    session._refuse_over_armed(newer)  # asked: nothing is armed any more


def test_undo_of_a_plan_applied_through_another_environment_says_so_in_one_line(
    tmp_path, monkeypatch
):
    """Its hosts are not this environment's: said, with the command that would undo it
    (the TUI's history took it for a crash: `no host named 'a'`)."""
    from netui.core.session import Session
    from netui.errors import UserError
    from netui.model.envfile import loads

    _armed_journal(tmp_path, monkeypatch, names=("a",))
    env = loads(
        "office: {cidrs: [10.1.3.0/24]}\nhosts: {b: local}\n"
        "clusters: {c: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12]}}\n",
        "here.yaml",
    )
    with pytest.raises(UserError) as refused:
        Session(env).undo_target(PLAN_ID)
    assert str(refused.value) == (
        f"plan {PLAN_ID} was applied through another environment file, and host a is not in "
        f"this environment: undo it with `netui undo {PLAN_ID}` --env and that file"
    )
