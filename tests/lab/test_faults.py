"""The fault matrix: what goes wrong in the middle of a change, what the operator sees, and that
every host ends exactly where it should. Each test records one row; the table is printed at the
end of the run (tests/lab/conftest.py) so the README can quote it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import in_ns, netui, record_fault
from .test_apply_lab import state

APPLY = [sys.executable, "-m", "netui.cli", "apply", "--yes"]


def _run_until(argv: list[str], env: dict[str, str], marks: int) -> tuple[subprocess.Popen, str]:
    """Start netui; return once `marks` steps have landed (✓ lines), with what it printed."""
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = ""
    deadline = time.time() + 60
    while time.time() < deadline and seen.count("✓") < marks:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
    return proc, seen


@pytest.mark.parametrize("boundary", [1, 2, 3])
def test_sigkill_at_a_step_boundary_then_undo_restores_every_host(lab, boundary):
    before = state()
    env = dict(os.environ, NETUI_TEST_STEP_DELAY="0.5")
    proc, seen = _run_until([*APPLY, "--env", lab.env], env, boundary)
    proc.kill()
    proc.wait()
    assert seen.count("✓") >= boundary
    undo = netui("undo", "--yes", env_file=lab.env)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert state() == before
    record_fault(
        f"SIGKILL after step {boundary} of a multi-host apply",
        "`netui undo`: every step undone; hosts byte-identical",
    )


def test_the_journal_filesystem_full_mid_apply_rolls_the_host_back(lab, tmp_path):
    """A tmpfs of 20 MB holds the journal; once the first step landed it is filled up."""
    before = state()
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=20m", "tmpfs", str(state_dir)], check=True)
    try:
        env = dict(os.environ, NETUI_TEST_STEP_DELAY="0.7", XDG_STATE_HOME=str(state_dir))
        proc, seen = _run_until([*APPLY, "--env", lab.env], env, 1)
        subprocess.run(
            ["dd", "if=/dev/zero", f"of={state_dir}/filler", "bs=1M", "count=40"],
            capture_output=True,
        )
        out, _ = proc.communicate(timeout=60)
        seen += out
        assert proc.returncode == 1, seen
        assert "the journal cannot be written" in seen and "No space left" in seen, seen
        assert "rolling this host back" in seen
        assert "Traceback" not in seen
        assert state() == before, seen
        # and with the disk still full, a new apply is refused before it touches anything
        again = subprocess.run(
            [*APPLY, "--env", lab.env], env=env, capture_output=True, text=True, timeout=60
        )
        assert again.returncode == 2 and "KB free" in again.stderr, again.stderr
        assert state() == before
    finally:
        subprocess.run(["umount", str(state_dir)], capture_output=True)
    record_fault(
        "the journal's filesystem fills up mid-apply",
        "`✗ the journal cannot be written (... No space left on device): rolling this host back`, "
        "exit 1; hosts byte-identical; the next apply refused up front (exit 2)",
    )


def test_two_applies_at_once_one_is_refused_and_the_rules_stay_whole(lab):
    before = state()
    env = dict(os.environ, NETUI_TEST_STEP_DELAY="0.5")
    first = subprocess.Popen(
        [*APPLY, "--env", lab.env],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(1.5)  # the first holds the lock (it is planning or applying)
    second = netui("apply", "--yes", env_file=lab.env)
    out, _err = first.communicate(timeout=120)
    assert first.returncode == 0, out
    assert second.returncode == 2, second.stdout + second.stderr
    assert "another netui is changing hosts right now (apply by" in second.stderr
    nat = in_ns("nu-a-master", "iptables-save", "-t", "nat").stdout
    assert nat.count("-j NETUI-POSTROUTING") == 1
    assert netui("undo", "--yes", env_file=lab.env).returncode == 0
    assert state() == before
    record_fault(
        "two `netui apply` at once",
        "the second: `another netui is changing hosts right now (apply by …)`, exit 2; one jump, one plan's rules",
    )


def test_a_timer_rolled_back_plan_then_a_newer_plan_then_undo_of_each(lab):
    before = state()
    armed = netui("apply", "--yes", "--confirm-timeout", "2", env_file=lab.env)
    assert armed.returncode == 0, armed.stdout + armed.stderr
    old_id = re.search(r"applying plan (\S+)", armed.stdout).group(1)
    for _ in range(100):  # the timers fire 2 s after the apply is done
        if state() == before:
            break
        time.sleep(0.2)
    assert state() == before
    newer = netui("apply", "--yes", env_file=lab.env)
    assert newer.returncode == 0
    connected = state()
    # the rolled-back plan has nothing left to undo, and says so: it never touches the newer one
    old = netui("undo", old_id, "--yes", env_file=lab.env)
    assert old.returncode == 0 and "rolled back by its confirm timer" in old.stdout, old.stdout
    assert state() == connected
    history = json.loads(netui("history", "--json", env_file=lab.env).stdout)
    assert {h["plan"]: h["status"] for h in history}[old_id] == "rolled back by the confirm timer"
    # the default undo skips it and undoes the newer plan
    latest = netui("undo", "--yes", env_file=lab.env)
    assert latest.returncode == 0, latest.stdout + latest.stderr
    assert state() == before
    record_fault(
        "a plan rolled back by its timer, a newer plan, then undo of each",
        "the old one: `rolled back by its confirm timer … nothing of it is left to undo` (newer plan untouched); "
        "history says so; `netui undo` undoes the newer one",
    )


def test_an_older_plan_is_not_undone_under_a_newer_one(lab):
    before = state()
    first = netui("apply", "--yes", "--cluster", "a", env_file=lab.env)
    assert first.returncode == 0
    first_id = re.search(r"applying plan (\S+)", first.stdout).group(1)
    second = netui("apply", "--yes", env_file=lab.env)
    assert second.returncode == 0
    second_id = re.search(r"applying plan (\S+)", second.stdout).group(1)
    refused = netui("undo", first_id, "--yes", env_file=lab.env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"undo those first (newest first: `netui undo {second_id}`)" in refused.stderr
    assert netui("undo", "--yes", env_file=lab.env).returncode == 0
    assert netui("undo", "--yes", env_file=lab.env).returncode == 0
    assert state() == before
    record_fault(
        "undo of an older plan while a newer one stands on its hosts",
        "refused with the order: `undo those first (newest first: netui undo <newer>)`, exit 2; nothing changed",
    )


def test_iptables_restore_failing_on_one_host_rolls_that_host_back(lab):
    """a-master's `iptables-restore` fails (a shim in its own /etc/alternatives, which
    `ip netns exec` mounts over /etc for that host only); the other hosts go on."""
    import shutil

    before = state()
    alt = Path("/etc/netns/nu-a-master/alternatives")
    assert not alt.exists()  # a-master is an nft host: it has no alternatives of its own
    shutil.copytree("/etc/alternatives", alt, symlinks=True)
    shim = alt / "iptables-restore"
    shim.unlink()
    shim.write_text("#!/bin/sh\necho 'iptables-restore: line 3 failed' >&2\nexit 1\n")
    shim.chmod(0o755)
    try:
        out = netui("apply", "--yes", env_file=lab.env)
        assert out.returncode == 1, out.stdout + out.stderr
        assert re.search(r"a-master: ✗ .*rolling this host back", out.stdout), out.stdout
        assert "partly applied" in out.stdout
        after = state()
        assert after["a-master"] == before["a-master"]
        assert after["router"] != before["router"]  # the other hosts went on
    finally:
        shutil.rmtree(alt)
    assert netui("undo", "--yes", env_file=lab.env).returncode == 0
    assert state() == before
    record_fault(
        "`iptables-restore` failing on one host",
        "`a-master: ✗ nat table …: rolling this host back`, plan `partly applied`, exit 1; "
        "a-master byte-identical, the others applied; undo restores all",
    )


def test_a_rollback_directory_another_user_owns_is_refused_before_anything_changes(lab):
    before = state()
    os.chown("/run/netui", 65534, 65534)
    try:
        out = netui("apply", "--yes", "--confirm-timeout", "30", env_file=lab.env)
        assert out.returncode == 1, out.stdout + out.stderr
        assert "refusing to arm a rollback: /run/netui is owned by uid 65534" in out.stdout
        assert "could not arm the rollback, nothing changed" in out.stdout
        assert state() == before
    finally:
        os.chown("/run/netui", 0, 0)
    record_fault(
        "/run/netui on a target owned by another user",
        "`✗ could not arm the rollback, nothing changed: refusing to arm a rollback: /run/netui is owned by uid 65534`, exit 1",
    )


def test_two_operators_with_their_own_journals_do_not_change_a_host_at_once(lab, tmp_path):
    """Two jump-host users (two state directories, so two journal locks): the target's own
    lock lets one change a host at a time; the other is told who holds it."""
    before = state()
    env_a = dict(os.environ, NETUI_TEST_STEP_DELAY="0.7", XDG_STATE_HOME=str(tmp_path / "a"))
    env_b = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "b"))
    first, seen = _run_until([*APPLY, "--env", lab.env], env_a, 1)  # holds its hosts now
    second = subprocess.run(
        [*APPLY, "--env", lab.env], env=env_b, capture_output=True, text=True, timeout=120
    )
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 0, seen + out
    assert second.returncode == 1, second.stdout + second.stderr
    assert re.search(
        r"✗ is being changed by plan p\S+ by \S+ pid \d+; nothing was done here", second.stdout
    )
    # the second never wrote a second jump or its own rules next to the first's
    nat = in_ns("nu-a-master", "iptables-save", "-t", "nat").stdout
    assert nat.count("-j NETUI-POSTROUTING") == 1
    undo = subprocess.run(
        [sys.executable, "-m", "netui.cli", "undo", "--yes", "--env", lab.env],
        env=env_a,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert undo.returncode == 0, undo.stdout + undo.stderr
    subprocess.run(
        [sys.executable, "-m", "netui.cli", "undo", "--yes", "--env", lab.env],
        env=env_b,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert state() == before
    record_fault(
        "two operators (two journals) apply to the same hosts at once",
        "the host's own lock: `✗ is being changed by plan … by user@host pid N; nothing was done here`, exit 1",
    )


def test_a_held_xtables_lock_rolls_that_host_back_with_a_clear_line(lab):
    """The legacy hosts (cluster b) wait on /run/xtables.lock; someone holds it longer than
    netui's `-w 5`. Their change fails and is rolled back; the nft hosts go on."""
    before = state()
    # held for the whole apply (a fixed `sleep 9` ran out before netui reached b-master on a
    # loaded machine, and the apply then rightly succeeded)
    import fcntl

    with open("/run/xtables.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        out = netui("apply", "--yes", env_file=lab.env)
    assert out.returncode == 1, out.stdout + out.stderr
    assert re.search(
        r"b-master: ✗ nat table.*xtables\.lock.*; rolling this host back", out.stdout
    ), out.stdout
    assert "partly applied" in out.stdout
    after = state()
    assert after["b-master"] == before["b-master"]
    assert after["a-master"] != before["a-master"]  # nft: no xtables lock, it went on
    assert netui("undo", "--yes", env_file=lab.env).returncode == 0
    assert state() == before
    record_fault(
        "the xtables lock held on a legacy host",
        "`b-master: ✗ nat table …: Can't lock /run/xtables.lock …; rolling this host back`, "
        "plan `partly applied`, exit 1; b-master byte-identical; undo restores the rest",
    )


def test_a_reboot_of_the_forwarders_and_the_router_after_an_apply_keeps_the_office_connected(lab):
    """apply persists netui's own state (netui-restore.service and /etc/netui): the doctor
    foretells nothing lost, and after a reboot of both forwarders and the router the office
    still reaches every cluster."""
    from .test_reboot_lab import FORWARDERS_AND_ROUTER, _office_reaches_every_cluster

    assert netui("apply", "--yes", env_file=lab.env).returncode == 0
    before = json.loads(netui("doctor", "--json", env_file=lab.env).stdout)
    lost = {(f["host"], f["title"]) for f in before if f["code"] == "not-persisted"}
    assert not [t for h, t in lost if "NETUI-" in t], lost
    assert netui("lab", "reboot", *FORWARDERS_AND_ROUTER).returncode == 0
    assert _office_reaches_every_cluster() == []
    assert netui("undo", "--yes", env_file=lab.env).returncode == 0
    record_fault(
        "reboot of both forwarders and the router after an apply",
        "netui-restore.service puts back netui's chains, jumps and routes from /etc/netui; "
        "the office reaches every cluster; the doctor foretold nothing lost",
    )
