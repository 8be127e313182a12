"""The SSH backend against the lab's real sshd, connecting from inside the jump host."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from netui.backends import Hosts
from netui.backends.base import HostError, Unreachable
from netui.backends.snapshot import snapshot_hosts
from netui.backends.ssh import SshBackend, UnknownHostKey, fingerprint
from netui.lab.netns import inside
from netui.model.envfile import HostAddress

from .conftest import in_ns, load_env, netui


def _backend(env, name: str, **overrides) -> SshBackend:
    ssh = dataclasses.replace(env.ssh, **overrides) if overrides else env.ssh
    return SshBackend(env.hosts[name], ssh)


def test_key_auth_runs_commands_and_reuses_one_connection(lab):
    env = load_env(lab.env_ssh)
    with inside("nu-jump"):
        b = _backend(env, "a-master")
        try:
            r = b.check(["cat", "/proc/sys/kernel/hostname"])
            transport = b.client().get_transport()
            r2 = b.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
            assert b.client().get_transport() is transport
        finally:
            b.close()
    assert r.ok
    assert (r2.returncode, r2.text, r2.error_text) == (3, "out\n", "err\n")


def test_stdin_and_atomic_file_writes_work_over_ssh(lab):
    env = load_env(lab.env_ssh)
    with inside("nu-jump"):
        b = _backend(env, "a-worker")
        try:
            b.write_file("/tmp/netui-ssh-test/x.conf", b"a = 1\n", mode=0o600)
            assert b.read_file("/tmp/netui-ssh-test/x.conf") == b"a = 1\n"
            mode = b.check(["stat", "-c", "%a", "/tmp/netui-ssh-test/x.conf"]).text.strip()
            b.check(["rm", "-rf", "/tmp/netui-ssh-test"])
        finally:
            b.close()
    assert mode == "600"


def test_values_with_shell_metacharacters_reach_no_shell(lab):
    env = load_env(lab.env_ssh)
    evil = "x; touch /tmp/netui-pwned; $(touch /tmp/netui-pwned2) `id`"
    with inside("nu-jump"):
        b = _backend(env, "router")
        try:
            out = b.check(["printf", "%s", evil]).text
            pwned = b.run(["ls", "/tmp/netui-pwned", "/tmp/netui-pwned2"]).returncode
        finally:
            b.close()
    assert out == evil
    assert pwned != 0


def test_proxyjump_through_a_second_sshd(lab, tmp_path):
    env = load_env(lab.env_ssh)
    cfg = tmp_path / "ssh_config"
    inc = tmp_path / "included.conf"
    # The alias lives in an included file: paramiko alone would not see it.
    inc.write_text(
        "Host worker-b\n  HostName 192.168.1.244\n  User root\n  ProxyJump root@192.168.1.109\n"
    )
    cfg.write_text(f"Include {inc}\n")
    ssh = dataclasses.replace(env.ssh, config=str(cfg))
    address = HostAddress("worker-b", "ssh://worker-b", "ssh", hostname="worker-b")
    with inside("nu-jump"):
        b = SshBackend(address, ssh)
        try:
            assert b.target.proxy_jump == ("root@192.168.1.109",)
            # Block the direct path from the jump host: only the tunnel through a-master works.
            in_ns("nu-b-worker", "iptables", "-I", "INPUT", "-s", "192.168.1.5", "-j", "DROP")
            out = b.check(["sh", "-c", "echo $SSH_CONNECTION"]).text
        finally:
            in_ns("nu-b-worker", "iptables", "-D", "INPUT", "-s", "192.168.1.5", "-j", "DROP")
            b.close()
    assert out.split()[0] == "192.168.1.109"  # the connection came from the jump host a-master


def test_an_unknown_host_key_is_refused_with_its_fingerprint(lab, tmp_path):
    env = load_env(lab.env_ssh)
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with inside("nu-jump"):
        b = _backend(env, "router", known_hosts=str(empty))
        with pytest.raises(UnknownHostKey) as e:
            b.run(["true"])
        b.close()
    assert fingerprint(e.value.key) in str(e.value)
    assert "netui trust router" in str(e.value)


def test_trust_adds_the_shown_key_and_then_connects(lab, tmp_path):
    env_text = Path(lab.env_ssh).read_text().replace("known_hosts:", "known_hosts_unused:")
    env_text = env_text.replace("ssh:\n", f"ssh:\n  known_hosts: {tmp_path}/kh\n")
    env_path = tmp_path / "env.yaml"
    env_path.write_text(env_text.replace("  known_hosts_unused:", "  # was:"))
    refused = netui("show", "routes", "router", netns="nu-jump", env_file=str(env_path))
    assert refused.returncode == 2 and "refusing unknown host key" in refused.stderr
    trusted = netui("trust", "router", "--yes", netns="nu-jump", env_file=str(env_path))
    assert trusted.returncode == 0, trusted.stderr
    assert "SHA256:" in trusted.stdout
    ok = netui("show", "routes", "router", netns="nu-jump", env_file=str(env_path))
    assert ok.returncode == 0, ok.stderr


def test_sudo_that_wants_a_password_is_a_clear_error_not_a_hang(lab):
    env = load_env(lab.env_ssh)
    address = dataclasses.replace(env.hosts["b-master"], user="audit")
    with inside("nu-jump"):
        b = SshBackend(address, env.ssh)
        start = time.monotonic()
        try:
            with pytest.raises(HostError, match="sudo asks audit for a password"):
                b.run(["iptables-save", "-t", "nat"], timeout=10)
        finally:
            b.close()
    assert time.monotonic() - start < 5


def test_a_host_that_drops_packets_times_out_without_stalling_the_others(lab):
    env = load_env(lab.env_ssh)
    env = dataclasses.replace(env, ssh=dataclasses.replace(env.ssh, connect_timeout=1.5))
    in_ns("nu-b-worker", "iptables", "-I", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP")
    try:
        with inside("nu-jump"):
            start = time.monotonic()
            with Hosts(env) as hosts:
                snaps = snapshot_hosts(hosts, env.hosts)
            took = time.monotonic() - start
    finally:
        in_ns("nu-b-worker", "iptables", "-D", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP")
    assert snaps["b-worker"].state == "unreachable"
    assert "did not answer within 1.5 s" in (snaps["b-worker"].reason or "")
    assert all(s.ok for n, s in snaps.items() if n != "b-worker"), {
        n: s.reason for n, s in snaps.items()
    }
    assert took < 6, f"one dead host held the snapshot for {took:.1f} s"


def test_a_refused_connection_is_unreachable_with_the_reason(lab):
    env = load_env(lab.env_ssh)
    address = dataclasses.replace(env.hosts["router"], port=2999)
    with inside("nu-jump"):
        b = SshBackend(address, env.ssh)
        with pytest.raises(Unreachable, match=r"cannot connect to 192\.168\.1\.1:2999"):
            b.run(["true"])


def test_a_proxyjump_whose_last_hop_fails_closes_the_jump_connection(lab, tmp_path):
    """Every poll retry used to leave one open connection to the jump host behind."""
    env = load_env(lab.env_ssh)
    cfg = tmp_path / "ssh_config"
    # 192.168.1.2 is on the lab LAN but nobody is there: the tunnel through a-master fails
    cfg.write_text(
        "Host ghost\n  HostName 192.168.1.2\n  User root\n  ProxyJump root@192.168.1.109\n"
    )
    ssh = dataclasses.replace(env.ssh, config=str(cfg), connect_timeout=1.0)
    address = HostAddress("ghost", "ssh://ghost", "ssh", hostname="ghost")
    with inside("nu-jump"):
        b = SshBackend(address, ssh)
        try:
            for _ in range(3):
                with pytest.raises(HostError):
                    b.run(["true"])
                assert b._jumps == [] and b._client is None
        finally:
            b.close()


def test_commands_share_one_kept_shell_and_keep_their_own_exact_input_output_and_status(lab):
    """The kept `sh`: consecutive commands run in the same remote shell (one login-shell start
    per connection), each in a subshell of its own; input and output byte-exact; a second
    command at the same time gets a session of its own; a timeout costs only that shell."""
    import threading

    from netui.backends.base import CommandTimeout

    env = load_env(lab.env_ssh)
    with inside("nu-jump"):
        b = _backend(env, "a-worker")
        try:
            parents = {b.check(["sh", "-c", "echo $PPID"]).text for _ in range(3)}
            assert len(parents) == 1  # the same kept shell ran all three
            b.check(["sh", "-c", "cd /tmp; export NETUI_X=1"])
            assert b.check(["sh", "-c", "pwd; echo ${NETUI_X:-unset}"]).text != "/tmp\n1\n"
            r = b.run(["printf", "no newline at the end"])
            assert r.stdout == b"no newline at the end" and r.returncode == 0
            r = b.run(["sh", "-c", "printf 'o1\\no2\\n'; printf e1 >&2; exit 7"])
            assert (r.returncode, r.stdout, r.stderr) == (7, b"o1\no2\n", b"e1")
            for data in (b"a\n'b'\n$HOME `id`\n\tc\n", b"no final newline", b"\x00bin\n"):
                assert b.check(["cat"], stdin=data).stdout == data  # heredoc or a session
            results: list[bytes] = []

            def slow() -> None:
                results.append(b.check(["sh", "-c", "sleep 4; echo slow"]).stdout)

            t = threading.Thread(target=slow)
            t.start()
            time.sleep(0.2)
            assert b.check(["echo", "meanwhile"]).stdout == b"meanwhile\n"
            # did not wait for the slow one: it is still sleeping (an order, not a time bound,
            # so a loaded machine cannot fail it; waiting would have taken the whole 4 s)
            assert results == [] and t.is_alive()
            t.join()
            assert results == [b"slow\n"]
            with pytest.raises(CommandTimeout):
                b.run(["sleep", "5"], timeout=0.5)
            assert b.check(["echo", "after"]).stdout == b"after\n"  # a fresh shell
        finally:
            b.close()
