"""The real `netui` in a real terminal (tmux), driven with keys, read with capture-pane."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


def _screen(session: str) -> str:
    return subprocess.run(
        ["tmux", "-L", "netui-test", "capture-pane", "-p", "-t", session],
        capture_output=True,
        text=True,
    ).stdout


def _wait_for(session: str, text: str, seconds: float = 20) -> str:
    deadline = time.time() + seconds
    screen = ""
    while time.time() < deadline:
        screen = _screen(session)
        if text in screen:
            return screen
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{screen}")


def _wait_gone(session: str, text: str, seconds: float = 20) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if text not in _screen(session):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} stayed on the screen:\n{_screen(session)}")


def _start(session: str, env_file: str, size: tuple[int, int], *cmd: str) -> None:
    """A tmux session of the given size running `cmd` with the lab's environment."""
    env = dict(os.environ, TERM="xterm-256color", NETUI_ENV=env_file)
    subprocess.run(
        [
            *("tmux", "-L", "netui-test", "new-session", "-d", "-s", session),
            *("-x", str(size[0]), "-y", str(size[1]), *cmd),
        ],
        env=env,
        check=True,
    )


def test_netui_in_tmux_at_80x24_shows_hosts_and_a_nat_table(lab):
    session = "netui-smoke"
    _start(session, lab.env, (80, 24), f"{sys.executable} -m netui.cli")
    try:
        screen = _wait_for(session, "a-master")
        _wait_for(session, "● ok")
        assert "Hosts" in screen and "Clusters" in screen
        # the app starts on the clusters: Tab to the hosts, down to a-master, open it
        lines = _screen(session).splitlines()
        rows = lines[next(i for i, line in enumerate(lines) if "HOST" in line) + 1 :]
        index = next(i for i, line in enumerate(rows) if line.split()[:1] == ["a-master"])
        _keys(session, "Tab")
        for _ in range(index):
            subprocess.run(
                ["tmux", "-L", "netui-test", "send-keys", "-t", session, "Down"], check=True
            )
        subprocess.run(
            ["tmux", "-L", "netui-test", "send-keys", "-t", session, "Enter"], check=True
        )
        screen = _wait_for(session, "KUBE-POSTROUTING")
        assert "a-master nat" in screen and "kube-proxy" in screen
        subprocess.run(
            ["tmux", "-L", "netui-test", "send-keys", "-t", session, "Escape", "q"], check=True
        )
        deadline = time.time() + 10
        while (
            time.time() < deadline
            and subprocess.run(
                ["tmux", "-L", "netui-test", "has-session", "-t", session], capture_output=True
            ).returncode
            == 0
        ):
            time.sleep(0.2)
    finally:
        subprocess.run(["tmux", "-L", "netui-test", "kill-server"], capture_output=True)


def _keys(session: str, *keys: str) -> None:
    subprocess.run(["tmux", "-L", "netui-test", "send-keys", "-t", session, *keys], check=True)


def test_the_first_keys_a_new_user_presses_never_end_the_app_and_q_quits_at_once(lab, tmp_path):
    """Start, Tab, Enter on the first host (an empty nat table), ?, d, p, t, then q: the app only
    ends on q, within a second, with status 0."""
    session = "netui-keys"
    status = tmp_path / "status"
    _start(
        session,
        lab.env,
        (100, 30),
        "sh",
        "-c",
        f"{sys.executable} -m netui.cli; echo $? > {status}",
    )
    try:
        _wait_for(session, "● ok")
        lines = _screen(session).splitlines()
        hosts = lines[next(i for i, line in enumerate(lines) if "HOST" in line) + 1 :]
        assert hosts and hosts[0].split()[:1] == ["office-pc"]  # the first host row
        _keys(session, "Tab")  # the app starts on the clusters; the hosts table is next
        _keys(session, "Enter")  # office-pc: no nat chains at all (once: KeyError, app gone)
        _wait_for(session, "office-pc nat")
        # each screen by its own title: the overview's status line says "doctor: …" too, so a
        # bare "doctor" was seen before the doctor screen came, and `p` then went to it
        shown = ""
        for key, seen in (
            ("?", "everywhere"),
            ("d", "netui — doctor"),
            ("p", "netui — plan"),
            ("t", "netui — traces"),
        ):
            _keys(session, "Escape")
            if shown:
                _wait_gone(session, shown)
            _wait_for(session, "Clusters")
            _keys(session, key)
            _wait_for(session, seen)
            shown = seen
            assert not status.exists(), f"{key} ended the app"
        _keys(session, "Escape")
        _wait_for(session, "Clusters")
        start = time.time()
        _keys(session, "q")
        while not status.exists() and time.time() - start < 15:
            time.sleep(0.02)
        took = time.time() - start
        assert status.exists(), _screen(session)
        assert status.read_text().strip() == "0"
        # ~0.3 s alone, 3.3 s once in CI with three other workers building labs on the same two
        # cores; the bound catches a quit that waits on hosts (it took ~20 s once)
        print(f"q to exit: {took:.2f} s")
        assert took < 8.0, took
    finally:
        subprocess.run(["tmux", "-L", "netui-test", "kill-server"], capture_output=True)
