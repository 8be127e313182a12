"""The journal orders plans by a sequence it owns, refuses by name what it cannot read (and
then undoes nothing blindly), and a read-only or full state directory is a one-line refusal."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

from netui.plan import journal as journal_mod
from netui.plan import undoing
from netui.plan.journal import Journal, JournalError, later_standing, list_journals
from netui.plan.kinds.route import RouteChange
from netui.plan.model import Plan
from netui.plan.states import PlanState

from .test_hardening import cli, env_file


@pytest.fixture(autouse=True)
def _own_journal(tmp_path, monkeypatch) -> None:
    """Each test its own journal: they make plans, break files and replace directories."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def _applied(plan_id: str, hosts: list[str], created: float) -> Journal:
    plan = Plan(plan_id, created=created)
    for h in hosts:
        plan.host(h).steps.append(RouteChange("10.200.0.0/16", "192.168.1.109"))
    j = Journal(plan)
    j.data["hosts"] = {h: {"pre": {}, "steps": [], "status": "applied"} for h in hosts}
    j.set_status(PlanState.APPLIED)
    return j


def test_a_clock_stepped_back_does_not_make_undo_undo_an_older_plan_under_a_newer_one():
    now = time.time()
    older = _applied("p20261202-120000-aaaa", ["router"], now)
    # the clock is stepped back an hour before the next plan is made
    newer = _applied("p20261202-110000-bbbb", ["router"], now - 3600)
    assert newer.data["seq"] == older.data["seq"] + 1
    assert [d["plan"]["id"] for d in list_journals()] == [older.plan.id, newer.plan.id]
    assert later_standing(older) == [(newer.plan.id, ["router"])]
    with pytest.raises(undoing.UndoRefused, match="newer plans changed the same hosts"):
        undoing.check(older)
    # the undo without a plan id takes the newer one (by sequence, not by time)
    [first, second] = undoing.candidates(lambda s: s.undoable, None)
    assert (first.plan.id, second.plan.id) == (newer.plan.id, older.plan.id)


def test_the_sequence_survives_a_removed_journal_and_files_of_earlier_netui_come_first():
    a = _applied("p20261202-120000-aaaa", ["r"], 100.0)
    b = _applied("p20261202-120001-bbbb", ["r"], 200.0)
    b.path.unlink()
    c = _applied("p20261202-120002-cccc", ["r"], 300.0)
    assert c.data["seq"] == b.data["seq"] + 1  # never reused
    old = dict(a.data, plan=dict(a.data["plan"], id="p20261101-120000-dddd", created=999.0))
    old.pop("seq")
    old.pop("format")
    (a.path.parent / "p20261101-120000-dddd.json").write_text(json.dumps(old))
    ids = [d["plan"]["id"] for d in list_journals()]
    assert ids == ["p20261101-120000-dddd", a.plan.id, c.plan.id]


BAD = {
    "unknown format": (lambda d: d | {"format": 9}, "unknown journal format 9"),
    "status a mapping": (
        lambda d: d | {"hosts": {"b-master": {"pre": {}, "steps": [], "status": {"v": "applied"}}}},
        "host 'b-master' has the status {'v': 'applied'}, not one netui writes",
    ),
    "plan status unknown": (lambda d: d | {"status": "fine"}, "the plan's status is 'fine'"),
    "unknown kind": (
        lambda d: (
            d | {"plan": d["plan"] | {"hosts": {"r": {"host": "r", "steps": [{"kind": "x"}]}}}}
        ),
        "unknown kind of change 'x'",
    ),
}


@pytest.mark.parametrize("case", BAD)
def test_a_malformed_journal_is_refused_by_name_and_nothing_is_undone_blindly(case, capsys):
    good = _applied("p20261202-120000-aaaa", ["router"], time.time())
    bad = _applied("p20261202-120001-bbbb", ["router"], time.time())
    change, words = BAD[case]
    bad.path.write_text(json.dumps(change(bad.data)))
    with pytest.raises(JournalError) as e:
        Journal.load(bad.plan.id)
    assert str(bad.path) in str(e.value) and words in str(e.value)
    assert "nothing of it is undone" in str(e.value)
    # not undone itself, and nothing older is undone under it
    with pytest.raises(undoing.UndoRefused) as refused:
        undoing.check(good)
    assert str(bad.path) in str(refused.value) and words in str(refused.value)
    code, out, err = cli("history", capsys=capsys)
    assert code == 0 and good.plan.id in out and bad.plan.id not in out
    assert f"netui: {bad.path}: " in err and words in err and "Traceback" not in err
    if case == "status a mapping":
        assert "{'v'" not in out  # never printed as a host's state


def test_a_journal_path_that_is_not_a_regular_file_is_named(tmp_path, capsys):
    plans = journal_mod.plans_dir()
    (plans / "p20261202-120000-aaaa.json").mkdir()
    code, out, err = cli("history", capsys=capsys)
    assert code == 0 and "no readable plans (1 not read: said above)" in out, out
    assert "p20261202-120000-aaaa.json: is not a regular file (a directory)" in err
    code, _, err = cli("undo", "--yes", "--env", env_file(tmp_path), capsys=capsys)
    assert code == 2 and "is not a regular file (a directory)" in err and "Traceback" not in err


def test_the_journal_directory_being_a_file_is_named(capsys):
    home = journal_mod.state_home()
    home.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(home / "plans", ignore_errors=True)
    (home / "plans").write_text("not a directory")
    code, _, err = cli("history", capsys=capsys)
    assert code == 2 and "(the journal) is not a directory" in err and "internal" not in err


def _in_own_mounts(script: str, state: str, env: str) -> subprocess.CompletedProcess[str]:
    """Run `script` in a private mount namespace (what it mounts vanishes with it)."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare for a private mount")
    netui = f"{sys.executable} -m netui.cli"
    return subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            script,
            "sh",
            state,
            env,
            netui,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ, XDG_STATE_HOME=state),
    )


def test_a_read_only_state_directory_is_a_one_line_refusal(tmp_path):
    state = tmp_path / "xdg-state"
    _applied("p20261202-120000-aaaa", ["me"], time.time())  # a plan to undo
    r = _in_own_mounts(
        'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && $3 undo --yes --env "$2"',
        str(state),
        env_file(tmp_path),
    )
    assert r.returncode == 2, r.stderr
    [refusal] = [line for line in r.stderr.splitlines() if "environment" not in line]
    assert "cannot be written (Read-only file system)" in refusal, r.stderr
    assert "nothing was done" in refusal and "internal error" not in r.stderr


def test_a_full_state_directory_is_a_one_line_refusal(tmp_path):
    state = tmp_path / "full"
    state.mkdir()
    _applied("p20261202-120000-aaaa", ["me"], time.time())  # a plan to undo, copied in
    saved = journal_mod.plans_dir()
    script = (
        'mount -t tmpfs -o size=256k tmpfs "$1" && mkdir -p "$1/netui/plans" && '
        f'cp {saved}/*.json "$1/netui/plans/" && '
        '(dd if=/dev/zero of="$1/fill" bs=4k 2>/dev/null; true) && $3 undo --yes --env "$2"'
    )
    r = _in_own_mounts(script, str(state), env_file(tmp_path))
    assert r.returncode == 2, r.stderr
    [refusal] = [line for line in r.stderr.splitlines() if "environment" not in line]
    assert "cannot be written (No space left on device)" in refusal, r.stderr
    assert "internal error" not in r.stderr
