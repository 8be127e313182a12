"""Options mean the same wherever they stand, read-only holds for every writer, one writer at a
time, plan ids and journals that cannot be trusted, undo that never runs under later work."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from netui.cli import main
from netui.plan import journal as journal_mod
from netui.plan.journal import (
    Journal,
    JournalError,
    check_plan_id,
    later_standing,
    list_journals,
    writer_lock,
)
from netui.plan.kinds.route import RouteChange
from netui.plan.model import Plan

GOOD = "office: {cidrs: [10.1.3.0/24]}\nhosts: {me: local}\nclusters: {a: {pod_cidrs: [10.200.0.0/16]}}\n"


@pytest.fixture(autouse=True)
def _own_journal(tmp_path, monkeypatch):
    """A journal of this test's own: the lab tests' plans live in the session's state dir."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def env_file(tmp_path, text=GOOD, name="env.yaml"):
    p = tmp_path / name
    p.write_text(text)
    os.chmod(p, 0o644)
    return str(p)


def cli(*argv: str, capsys) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as e:
        code = int(e.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_env_before_a_second_level_command_is_used_not_ignored(tmp_path, capsys, monkeypatch):
    other = env_file(tmp_path, GOOD.replace("me: local", "them: local"), "other.yaml")
    monkeypatch.setenv("NETUI_ENV", other)
    missing = str(tmp_path / "missing.yaml")
    # before the fix: the inner parser's default wiped --env and $NETUI_ENV's file was used
    code, _, err = cli("rule", "--env", missing, "delete", "me", "POSTROUTING", "2", capsys=capsys)
    assert code == 2 and f"{missing}: does not exist" in err
    code, _, err = cli("show", "--env", missing, "routes", "me", capsys=capsys)
    assert code == 2 and f"{missing}: does not exist" in err


def test_two_different_env_files_are_refused(tmp_path, capsys):
    a, b = env_file(tmp_path, name="a.yaml"), env_file(tmp_path, name="b.yaml")
    code, _, err = cli("--env", a, "show", "routes", "me", "--env", b, capsys=capsys)
    assert code == 2 and "--env is given 2 times with different values" in err


@pytest.mark.parametrize(
    "argv",
    [
        ("apply", "--yes"),
        ("undo", "--yes"),
        ("confirm",),
        ("rule", "delete", "me", "POSTROUTING", "-j RETURN", "--yes"),
        ("dns", "switch", "cluster.local", "a", "--yes"),
        ("trust", "me", "--yes"),
        ("lab", "up"),
        ("lab", "down"),
    ],
)
def test_readonly_refuses_every_writer_wherever_the_flag_stands(tmp_path, capsys, argv):
    env = env_file(tmp_path)
    for placed in (("--readonly", *argv), (*argv, "--readonly")):
        code, _out, err = cli(*placed, "--env", env, capsys=capsys)
        assert code == 2, (placed, err)
        assert "read-only (--readonly)" in err and "nothing was done" in err
    # and from the environment file (a shared jump host)
    ro = env_file(tmp_path, GOOD + "readonly: true\n", "ro.yaml")
    if argv[0] != "lab":
        code, _, err = cli(*argv, "--env", ro, capsys=capsys)
        assert code == 2 and "says readonly: true" in err


def test_readonly_in_the_file_must_be_a_boolean(tmp_path, capsys):
    bad = env_file(tmp_path, GOOD + "readonly: maybe\n")
    code, _, err = cli("hosts", "--env", bad, capsys=capsys)
    assert code == 2 and "readonly: 'maybe' is not true or false" in err


@pytest.mark.skipif(os.geteuid() != 0, reason="the ownership rule applies when running as root")
def test_as_root_a_world_writable_env_file_is_refused_for_writes(tmp_path, capsys):
    env = env_file(tmp_path)
    os.chmod(env, 0o666)
    code, _, err = cli("apply", "--yes", "--env", env, capsys=capsys)
    assert code == 2 and "writable by group or others" in err


def test_writers_name_the_environment_file_they_act_on(tmp_path, capsys):
    env = env_file(tmp_path)
    # no journal yet: undo says so, after naming the file
    code, _, err = cli("undo", "--yes", "--env", env, capsys=capsys)
    assert f"netui: environment {env} (from --env)" in err
    assert code == 2 and "no plan to undo yet" in err


@pytest.mark.parametrize("bad", ["../../../evil", "p1", "p20261125-125818-2fd4/../x", ""])
def test_plan_ids_are_checked_before_any_path_is_built(bad):
    with pytest.raises(JournalError, match="is not a plan id"):
        check_plan_id(bad)


def test_undo_of_a_path_outside_the_journal_is_refused(tmp_path, capsys):
    env = env_file(tmp_path)
    code, _, err = cli("undo", "../../../evil", "--yes", "--env", env, capsys=capsys)
    assert code == 2 and "is not a plan id" in err and "Traceback" not in err


def test_corrupt_journal_files_do_not_break_history_or_undo(tmp_path, capsys):
    plans = journal_mod.plans_dir()
    (plans / "p20260101-000000-aaaa.json").write_text("{}")
    (plans / "p20260101-000001-bbbb.json").write_text("not json")
    assert list_journals() == []
    code, out, err = cli("history", capsys=capsys)
    # not "no plans yet": two plans are there, unreadable (stdout said so beside stderr's reasons)
    assert code == 0 and "no readable plans (2 not read: said above)" in out, out
    assert "p20260101-000001-bbbb.json: is not JSON" in err  # named, not skipped silently
    with pytest.raises(JournalError, match="cannot be used: not a netui journal"):
        Journal.load("p20260101-000000-aaaa")


def test_the_state_directory_is_private():
    d = journal_mod.plans_dir()
    for p in (d, d.parent):
        assert p.stat().st_mode & 0o077 == 0, oct(p.stat().st_mode)


def test_a_second_writer_is_refused_with_who_holds_the_lock():
    code = (
        "import sys\n"
        "from netui.plan.journal import writer_lock, JournalError\n"
        "try:\n"
        "    with writer_lock('apply'): pass\n"
        "except JournalError as e:\n"
        "    print(e); sys.exit(3)\n"
    )
    with writer_lock("apply"):
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert r.returncode == 3
    assert "another netui is changing hosts right now (apply by" in r.stdout
    # released: the next one gets it
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stdout


def _journal(hosts: list[str], status: str, created: float) -> Journal:
    plan = Plan(f"p20260101-0000{int(created) % 100:02d}-{int(created) % 10000:04x}"[:21])
    plan.created = created
    for h in hosts:
        plan.host(h).steps.append(RouteChange("10.200.0.0/16", "192.168.1.109"))
    j = Journal(plan)
    j.data["status"] = status
    j.save()
    return j


def test_an_older_plan_is_not_undone_under_a_newer_one_on_the_same_hosts():
    now = time.time()
    old = _journal(["router", "a-master"], "applied", now - 20)
    newer = _journal(["router"], "applied", now - 10)
    _journal(["b-master"], "applied", now - 5)  # another host: no conflict
    assert later_standing(old) == [(newer.plan.id, ["router"])]
    newer.data["status"] = "undone"
    newer.save()
    assert later_standing(old) == []
    assert json.loads(old.path.read_text())["status"] == "applied"


def test_known_hosts_with_revoked_and_ca_lines_loads_and_names_the_revoked_key(tmp_path):
    import paramiko

    from netui.backends.ssh import load_known_hosts

    k1 = "AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
    k2 = "AAAAC3NzaC1lZDI1NTE5AAAAIGNVvc+/cl2tqoS2ayVEVhAbi8OXfMmBtXUWjzaDVJd6"
    kh = tmp_path / "known_hosts"
    kh.write_text(
        f"# comment\n@revoked * ssh-ed25519 {k2}\n@cert-authority *.lab ssh-ed25519 {k2}\n"
        f"192.168.1.109 ssh-ed25519 {k1}\nnot a key line\n"
    )
    keys = paramiko.HostKeys()
    revoked = load_known_hosts(keys, str(kh))
    assert revoked == {k2}
    assert keys.lookup("192.168.1.109")["ssh-ed25519"].get_base64() == k1


def test_two_threads_of_one_session_do_not_both_write(tmp_path):
    import threading

    from netui.core.session import Session
    from netui.errors import UserError
    from netui.model.envfile import loads

    s = Session(loads(GOOD, "env.yaml"))
    inside, done = threading.Event(), threading.Event()
    refused: list[str] = []

    def first() -> None:
        with s.writing("apply"), s.writing("apply"):  # the same thread again: reentrant
            inside.set()
            done.wait(10)

    t = threading.Thread(target=first)
    t.start()
    inside.wait(10)
    try:
        with s.writing("undo"):
            pass
    except UserError as e:
        refused.append(str(e))
    done.set()
    t.join(10)
    assert refused and "another netui is changing hosts right now" in refused[0]


def test_history_of_one_plan_says_what_it_changed_host_by_host(capsys):
    now = time.time()
    j = _journal(["router"], "applied", now)
    i = j.step("router", "1 route(s)", "ip -batch -")
    j.finish_step("router", i, "done")
    k = j.step("router", "put back 1 route(s)", "ip -batch -", phase="undo")
    j.finish_step("router", k, "failed", "RTNETLINK answers: No such process")
    j.set_host_status("router", "undo-failed")
    code, out, _ = cli("history", j.plan.id, capsys=capsys)
    assert code == 0
    assert out.splitlines() == [
        f"plan {j.plan.id}: applied",
        # its route may still stand there (the undo failed), and nothing persists it
        "at boot: runtime only on router: lost at its next boot",
        "router: undo-failed",
        "  ✓ 1 route(s)",
        "  ✗ undo: put back 1 route(s) (RTNETLINK answers: No such process)",
    ]


def test_history_json_says_each_plan_in_the_journals_words_newest_first(capsys):
    now = time.time()
    old = _journal(["router"], "applied", now - 60)
    new = _journal(["a-master", "router"], "undone", now)
    new.set_host_status("a-master", "undone")
    new.set_host_status("router", "undo-failed")
    code, out, _ = cli("history", "--json", capsys=capsys)
    assert code == 0
    rows = json.loads(out)
    assert [r["plan"] for r in rows] == [new.plan.id, old.plan.id]
    assert rows[0] == {
        "plan": new.plan.id,
        "created": new.plan.created,
        "user": new.plan.user,
        "from": new.plan.came_from,
        "status": "undone",
        "shown": "undone",
        "hosts": {"a-master": "undone", "router": "undo-failed"},
        "at_boot": None,  # undone: nothing of it stands
    }


def test_the_undo_preview_names_each_rule_and_route_it_removes_or_puts_back():
    from netui.plan.kinds.foreign_delete import ForeignDelete
    from netui.plan.kinds.masquerade import Masquerade
    from netui.plan.undoing import preview

    plan = Plan("p20260101-000000-abcd")
    f = plan.host("f").steps
    f.append(Masquerade("10.1.3.0/24", "10.200.0.0/16"))
    f.append(ForeignDelete("nat", "POSTROUTING", "-s 10.1.3.0/24 -j RETURN", 2))
    plan.host("router").steps.append(
        RouteChange("10.200.0.0/16", "192.168.1.109", "10.200.0.0/16 via 192.168.1.7 dev eth1")
    )
    j = Journal(plan)
    for host in ("f", "router"):
        j.finish_step(host, j.step(host, "nat table: rule fixes", "iptables-restore"), "done")
    assert preview(j) == [
        "f: undo nat table: rule fixes",
        "    remove from NETUI-POSTROUTING: -s 10.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE",
        "    put back nat POSTROUTING #2: -s 10.1.3.0/24 -j RETURN",
        "router: undo nat table: rule fixes",
        "    put back route 10.200.0.0/16 via 192.168.1.7 dev eth1 (for 10.200.0.0/16 via 192.168.1.109)",
    ]


def test_a_read_only_history_never_settles_a_timer_on_a_host(tmp_path, capsys, monkeypatch):
    from netui.plan import undoing

    j = _journal(["me"], "awaiting confirmation", time.time())
    j.finish_step("me", j.step("me", "1 route(s)", "ip -batch -"), "done")
    j.host("me")["rollback"] = {"pid": 1, "path": "/run/netui/x.sh", "deadline": 0}
    j.save()

    def asked(*a, **k):
        raise AssertionError("a read-only history asked a host to settle its timer")

    monkeypatch.setattr(undoing, "candidates", asked)
    code, out, err = cli("--readonly", "history", "--env", str(env_file(tmp_path)), capsys=capsys)
    assert code == 0 and j.plan.id in out
    assert "its hosts were not asked (read-only: settling a timer changes its host)" in err
