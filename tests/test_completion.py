"""Shell completion: `netui completion SHELL` prints code the shell accepts, and completing runs
the real parser: commands, options, and host and cluster names from the environment file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ENV = "office: {cidrs: [10.1.3.0/24]}\nhosts: {a-master: local, router: local}\nclusters: {alpha: {}, beta: {}}\n"
BIN = Path(sys.executable).parent


def _complete(line: str, tmp_path: Path, env_file: Path | None) -> list[str]:
    out = tmp_path / "completions"
    env = {k: v for k, v in os.environ.items() if k != "NETUI_ENV"}
    env |= {"_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line}
    env |= {"COMP_POINT": str(len(line)), "_ARGCOMPLETE_STDOUT_FILENAME": str(out)}
    if env_file:
        env["NETUI_ENV"] = str(env_file)
    subprocess.run([str(BIN / "netui")], env=env, cwd=tmp_path, timeout=30, check=True)
    return [w.strip() for w in out.read_text().split("\n")] if out.exists() else []


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    f = tmp_path / "env.yaml"
    f.write_text(ENV)
    return f


def test_commands_and_options_complete(tmp_path, env_file):
    assert "init" in _complete("netui i", tmp_path, env_file)
    assert _complete("netui plan --cl", tmp_path, env_file) == ["--cluster"]
    assert "--write" in _complete("netui init --", tmp_path, env_file)


def test_host_and_cluster_names_come_from_the_environment_file(tmp_path, env_file):
    assert _complete("netui plan --cluster ", tmp_path, env_file) == ["alpha", "beta"]
    assert _complete("netui nodes b", tmp_path, env_file) == ["beta"]
    assert {"a-master", "router"} <= set(_complete("netui show nat ", tmp_path, env_file))
    assert _complete("netui trace r", tmp_path, env_file) == ["router"]
    # --env on the line wins over $NETUI_ENV
    other = tmp_path / "other.yaml"
    other.write_text(ENV.replace("alpha", "gamma"))
    assert "gamma" in _complete(f"netui plan --env {other} --cluster ", tmp_path, env_file)


def test_a_broken_environment_file_completes_nothing_and_says_nothing(tmp_path):
    bad = tmp_path / "env.yaml"
    bad.write_text("office: [\n")
    assert _complete("netui plan --cluster ", tmp_path, bad) in ([], [""])


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_shell_code_registers_netui(shell):
    r = subprocess.run([str(BIN / "netui"), "completion", shell], capture_output=True, text=True)
    assert r.returncode == 0 and "netui" in r.stdout
    if shell == "bash":
        assert subprocess.run(["bash", "-n"], input=r.stdout, text=True).returncode == 0


def test_bash_completes_cluster_names_through_the_shell_code(tmp_path, env_file):
    if not shutil.which("bash"):
        pytest.skip("no bash")
    script = (
        'eval "$(netui completion bash)"; COMP_WORDS=(netui plan --cluster ""); COMP_CWORD=3; '
        'COMP_LINE="netui plan --cluster "; COMP_POINT=${#COMP_LINE}; '
        '_python_argcomplete netui "" --cluster; printf "%s\\n" "${COMPREPLY[@]}"'
    )
    env = os.environ | {"PATH": f"{BIN}:{os.environ['PATH']}", "NETUI_ENV": str(env_file)}
    r = subprocess.run(["bash", "-c", script], capture_output=True, text=True, env=env, timeout=30)
    assert r.stdout.split() == ["alpha", "beta"], r.stderr
