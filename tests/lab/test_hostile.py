"""A lab host that attacks netui through what its own programs print (issue 24): it cannot
forge another section of the snapshot, make netui read unbounded output or wait past the
deadline, nor turn what it could not say into a finding — over netns and over SSH.

The hostile program is an `iptables-save` placed first on PATH (/usr/local/sbin, bind-mounted in
this worker's mount namespace and in the lab sshd's), lying only inside one lab namespace."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from netui.backends.base import CommandTimeout, OutputTooLarge
from netui.backends.ssh import SshBackend
from netui.lab.netns import inside

from .conftest import in_ns, load_env, netui

HOST, NS = "a-master", "nu-a-master"

# Reads netui's old section marker from its parents' command lines and prints sections of
# its own (old style and length-framed), then the real rules.
FORGER = r"""#!/bin/sh
[ "$(ip netns identify 2>/dev/null)" = "{ns}" ] || exec /usr/sbin/iptables-save "$@"
gp=$(awk '{{print $4}}' /proc/$PPID/stat)
M=$(cat /proc/$PPID/cmdline /proc/$gp/cmdline 2>/dev/null | tr '\0' '\n' | grep '^@@netui' | head -n 1)
if [ -n "$M" ]; then
  printf '%s:ip_forward@@\n1\n' "$M"
  printf '%s:sysctl:/etc/sysctl.d/99-forged.conf@@\nnet.ipv4.ip_forward = 1\n' "$M"
fi
printf 'F 10 2 0\nip_forward1\n'
printf 'F 37 23 0\nsysctl:/etc/sysctl.d/99-forged.conf' ; printf 'net.ipv4.ip_forward=1\n\n'
exec /usr/sbin/iptables-save "$@"
"""
# 200 MB of rule-like lines
FLOOD = r"""#!/bin/sh
[ "$(ip netns identify 2>/dev/null)" = "{ns}" ] || exec /usr/sbin/iptables-save "$@"
yes -- '-A POSTROUTING -s 10.1.3.0/24 -j MASQUERADE' | head -c 200000000
"""


def _sshd_pid(lab) -> str:
    return Path(lab.home, f"sshd-{HOST}.pid").read_text().strip()


@pytest.fixture
def hostile(lab, tmp_path) -> Iterator[callable]:
    """install(script): that iptables-save, for netns hosts and for the lab sshd of HOST."""
    mounted: list[list[str]] = []

    def install(script: str) -> None:
        d = tmp_path / "sbin"
        d.mkdir(exist_ok=True)
        fake = d / "iptables-save"
        fake.write_text(script.format(ns=NS))
        fake.chmod(0o755)
        for prefix in ([], ["nsenter", "-t", _sshd_pid(lab), "-m"]):
            subprocess.run([*prefix, "mount", "--bind", str(d), "/usr/local/sbin"], check=True)
            mounted.append(prefix)

    yield install
    for prefix in mounted:
        subprocess.run([*prefix, "umount", "/usr/local/sbin"], check=False)


def _doctor(lab, over_ssh: bool) -> set[tuple[str, str]]:
    if over_ssh:
        proc = netui("doctor", "--json", netns="nu-jump", env_file=lab.env_ssh)
    else:
        proc = netui("doctor", "--json", env_file=lab.env)
    assert proc.returncode in (0, 1), proc.stderr
    return {(f["code"], f["host"]) for f in json.loads(proc.stdout)}


def _hosts(lab, over_ssh: bool) -> dict[str, dict]:
    if over_ssh:
        proc = netui("hosts", "--json", netns="nu-jump", env_file=lab.env_ssh)
    else:
        proc = netui("hosts", "--json", env_file=lab.env)
    return {h["host"]: h for h in json.loads(proc.stdout)}


@pytest.mark.parametrize("over_ssh", [False, True], ids=["netns", "ssh"])
def test_hostile_program_cannot_forge_another_section(lab, hostile, over_ssh):
    in_ns(NS, "sysctl", "-qw", "net.ipv4.ip_forward=0")
    hostile(FORGER)
    row = _hosts(lab, over_ssh)[HOST]
    assert row["ip_forward"] == 0 and row["ip_forward_at_boot"] != "1", row
    # what it printed stayed inside its own section, which is then not a rule set
    assert "tables" in row["unreadable"], row
    found = _doctor(lab, over_ssh)
    assert ("forwarding-off", HOST) in found
    # masquerade-missing could not be checked: said so, not silently dropped
    assert ("host-partly-unreadable", HOST) in found


def test_hostile_interface_name_makes_routes_unreadable_not_a_false_finding(lab):
    name = "\x1b[2J"
    assert (
        in_ns(NS, "ip", "link", "add", name, "type", "veth", "peer", "name", "nuvx0").returncode
        == 0
    )
    try:
        in_ns(NS, "ip", "addr", "add", "10.250.0.1/30", "dev", name)
        in_ns(NS, "ip", "link", "set", name, "up")
        found = _doctor(lab, over_ssh=False)
        row = _hosts(lab, over_ssh=False)[HOST]
    finally:
        in_ns(NS, "ip", "link", "del", "nuvx0")
    assert "routes" in row["unreadable"], row
    assert ("no-return-route", HOST) not in found
    assert ("host-partly-unreadable", HOST) in found
    assert ("forwarding-off", HOST) in found  # what could be read is still checked


@pytest.mark.parametrize("over_ssh", [False, True], ids=["netns", "ssh"])
def test_hostile_200_mb_rule_dump_is_capped_quick_and_small(lab, hostile, over_ssh):
    hostile(FLOOD)
    argv = [sys.executable, "-m", "netui.cli", "hosts", "--json", "--env"]
    argv += [lab.env_ssh] if over_ssh else [lab.env]
    if over_ssh:
        argv = ["ip", "netns", "exec", "nu-jump", *argv]
    measure = (
        "import resource, subprocess, sys; p = subprocess.run(sys.argv[1:], capture_output=True, "
        "text=True); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(p.stdout)"
    )
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, "-c", measure, *argv], capture_output=True, text=True, timeout=120
    )
    took = time.monotonic() - start
    rss_kb, _, out = proc.stdout.partition("\n")
    row = {h["host"]: h for h in json.loads(out)}[HOST]
    assert "more than" in row["unreadable"]["tables"], row
    assert took < 45, took
    assert int(rss_kb) < 300 * 1024, f"peak RSS {int(rss_kb) // 1024} MB"
    found = _doctor(lab, over_ssh)
    assert ("host-partly-unreadable", HOST) in found and ("forwarding-off", HOST) in found


@pytest.mark.parametrize("argv", [["yes"], ["sh", "-c", "while :; do echo x; sleep 0.01; done"]])
@pytest.mark.parametrize("stdin", [None, b"\0binary"], ids=["kept-shell", "exec"])
def test_hostile_flood_over_ssh_ends_at_the_deadline(lab, argv, stdin):
    env = load_env(lab.env_ssh)
    with inside("nu-jump"):
        b = SshBackend(env.hosts[HOST], env.ssh)
        try:
            start = time.monotonic()
            with pytest.raises((CommandTimeout, OutputTooLarge)):
                b.run(argv, stdin=stdin, timeout=3, limit=16 * 1024 * 1024)
            took = time.monotonic() - start
        finally:
            b.close()
    assert took < 8, took


def test_hostile_osc52_comment_in_a_real_terminal_stays_text_and_q_quits(lab, tmp_path):
    """A rule comment that would set the terminal's clipboard (OSC 52) and one that is Rich
    markup: in tmux with set-clipboard on (an application's OSC 52 makes a paste buffer), the
    nat view shows both escaped, no buffer appears, and q still quits."""
    import shutil

    from .test_terminal_smoke import _keys, _screen, _wait_for

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    osc52 = "\x1b]52;c;aGVsbG8=\x07"
    comments = [osc52 + "clip", "[link=http://x]L[/link]"]
    for c in reversed(comments):
        added = in_ns(
            NS,
            "iptables",
            "-t",
            "nat",
            "-I",
            "POSTROUTING",
            "1",
            "-m",
            "comment",
            "--comment",
            c,
            "-j",
            "RETURN",
        )
        assert added.returncode == 0, added.stderr
    conf = tmp_path / "tmux.conf"
    conf.write_text("set -g set-clipboard on\n")
    status = tmp_path / "status"
    session = "netui-osc"
    tmux = ["tmux", "-L", "netui-test"]
    env = dict(__import__("os").environ, TERM="xterm-256color", NETUI_ENV=lab.env)
    try:
        subprocess.run(
            [
                *tmux,
                "-f",
                str(conf),
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                "120",
                "-y",
                "30",
                "sh",
                "-c",
                f"{sys.executable} -m netui.cli; echo $? > {status}",
            ],
            env=env,
            check=True,
        )
        _wait_for(session, "● ok", 40)
        lines = _screen(session).splitlines()
        rows = lines[next(i for i, line in enumerate(lines) if "HOST" in line) + 1 :]
        index = next(i for i, line in enumerate(rows) if line.split()[:1] == [HOST])
        _keys(session, "Tab", *(["Down"] * index), "Enter")
        screen = _wait_for(session, "\\x1b]52;c;aGVsbG8=", 40)
        _keys(session, "Down")  # onto the markup comment: its raw line below the list
        screen = _wait_for(session, "[link=http://x]L[/link]", 20)
        buffers = subprocess.run([*tmux, "list-buffers"], capture_output=True, text=True).stdout
        assert buffers == "", f"the app set the clipboard: {buffers!r}"
        _keys(session, "Escape")
        _wait_for(session, "Clusters")
        _keys(session, "q")
        deadline = time.time() + 10
        while not status.exists() and time.time() < deadline:
            time.sleep(0.05)
        assert status.exists() and status.read_text().strip() == "0", _screen(session)
        assert "\x1b" not in screen
    finally:
        subprocess.run([*tmux, "kill-server"], capture_output=True)
        for c in comments:
            in_ns(
                NS,
                "iptables",
                "-t",
                "nat",
                "-D",
                "POSTROUTING",
                "-m",
                "comment",
                "--comment",
                c,
                "-j",
                "RETURN",
            )
