from __future__ import annotations

import subprocess
import sys


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "netui.cli", *args], capture_output=True, text=True, timeout=60
    )


def test_help_imports_neither_textual_nor_paramiko_nor_kubernetes():
    code = "import sys; from netui.cli import main\ntry: main(['--help'])\nexcept SystemExit: pass\nprint(sorted(m for m in ('textual','paramiko','kubernetes') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert out.strip().endswith("[]")


def test_bad_input_gets_one_clear_message_and_no_traceback(tmp_path):
    bad = tmp_path / "env.yaml"
    bad.write_text("office: {cidrs: [10.1.3.7/24]}\nhosts: {h: local}\nclusters: {a: {}}\n")
    r = _run("hosts", "--env", str(bad))
    assert r.returncode == 2
    assert (
        r.stderr
        == f"netui: {bad}:1: office.cidrs[0]: 10.1.3.7/24 has host bits set — the network address 10.1.3.0/24\n"
    )
    r = _run("show", "nat", "nohost", "--env", str(bad).replace("env.yaml", "missing.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and "does not exist" in r.stderr


def test_unknown_host_names_the_known_ones(tmp_path):
    env = tmp_path / "env.yaml"
    env.write_text(
        "office: {cidrs: [10.1.3.0/24]}\nhosts: {me: local, you: local}\nclusters: {a: {}}\n"
    )
    r = _run("show", "routes", "them", "--env", str(env))
    assert r.returncode == 2
    assert r.stderr.strip() == f"netui: {env}: hosts: no host named 'them' — one of: me, you"


def test_show_on_the_local_host_works_without_root_tricks(tmp_path):
    env = tmp_path / "env.yaml"
    env.write_text(
        "office: {cidrs: [10.1.3.0/24]}\nhosts: {me: local}\nclusters: {a: {pod_cidrs: [10.200.0.0/16]}}\n"
    )
    r = _run("show", "routes", "me", "--env", str(env), "--json")
    assert r.returncode == 0, r.stderr
    assert '"uncovered"' in r.stdout
