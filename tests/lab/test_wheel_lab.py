"""Installed as operators install it: the built wheel in a fresh venv, run by an unprivileged
user on the jump host (state under XDG, targets over SSH, `sudo -n` where the user is not root).

The test has no network: the fresh venv installs only the wheel (`--no-deps --no-index`) and
sees its dependencies through a .pth line naming the tested venv's site-packages — the same
releases constraints.txt pins. The wheel's own netui comes first on sys.path (asserted).
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from netui.model import envfile

from ..wheel import ROOT, build_wheel
from .conftest import in_ns

NOBODY = 65534


def _fresh_venv(base: Path) -> Path:
    venv = base / "venv"
    # the system's python3 (scripts/setup installs it): an operator's, and readable by any user
    # (the suite's own interpreter may live in root's home)
    python = "/usr/bin/python3"
    subprocess.run([python, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    (purelib,) = venv.glob("lib/python3*/site-packages")
    (purelib / "tested-deps.pth").write_text(site.getsitepackages()[0] + "\n")
    return venv


def _install(venv: Path, wheel: Path) -> None:
    # pip from the tested venv, installing into the fresh one (its own has no pip: --without-pip)
    argv = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index"]
    argv += ["--force-reinstall", "--no-warn-script-location", str(wheel)]
    r = subprocess.run(argv, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr


def _as_nobody(home: Path, venv: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = [
        "env", "-i", f"HOME={home}", f"PATH={venv}/bin:/usr/bin:/bin",
        f"XDG_CONFIG_HOME={home}/.config", f"XDG_STATE_HOME={home}/.local/state",
        f"KUBECONFIG={home}/.kube/config", "LANG=C.UTF-8",
    ]  # fmt: skip
    drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups"]
    return in_ns("nu-jump", *drop, *env, "sh", "-c", f'cd {home} && exec "$@"', "sh", *argv,
                 timeout=120)  # fmt: skip


def _operator_home(base: Path, lab, lab_home: Path) -> Path:
    """nobody's home: the lab key and known hosts as their own, an ssh config, a kubeconfig,
    and the lab's SSH environment pointing at them."""
    home = base / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".kube").mkdir()
    shutil.copy(f"{lab_home}/id_ed25519", home / ".ssh" / "id_ed25519")
    shutil.copy(f"{lab_home}/known_hosts", home / ".ssh" / "known_hosts")
    shutil.copy(lab.kubeconfig_jump, home / ".kube" / "config")
    (home / ".ssh" / "config").write_text(
        f"Host *\n  IdentityFile {home}/.ssh/id_ed25519\n  UserKnownHostsFile {home}/.ssh/known_hosts\n"
    )
    doc = yaml.safe_load(Path(lab.env_ssh).read_text())
    doc["ssh"] = {"config": f"{home}/.ssh/config", "connect_timeout": 3}
    doc["kubeconfig"] = f"{home}/.kube/config"
    (home / "env.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    for p in [home, *home.rglob("*")]:
        os.chown(p, NOBODY, NOBODY)
    os.chmod(home / ".ssh" / "id_ed25519", 0o600)
    return home


def test_the_wheel_installed_in_a_fresh_venv_runs_as_an_unprivileged_operator(lab, lab_home):
    base = Path(tempfile.mkdtemp(prefix="netui-wheel-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)  # nobody must read the venv
        wheel = build_wheel(base / "dist")
        venv = _fresh_venv(base)
        _install(venv, wheel)
        home = _operator_home(base, lab, lab_home)

        where = _as_nobody(home, venv, "python", "-c", "import netui; print(netui.__file__)")
        assert where.stdout.startswith(str(venv)), where  # the wheel's netui, not the checkout's
        helped = _as_nobody(home, venv, "netui", "--help")
        assert helped.returncode == 0 and "init" in helped.stdout, helped.stderr

        drafted = _as_nobody(home, venv, "netui", "init", "--write", f"{home}/netui.yaml")
        assert drafted.returncode == 0, drafted.stderr
        draft = envfile.load(home / "netui.yaml")
        assert set(draft.clusters) == {"lab-a", "lab-b"}
        assert os.stat(home / "netui.yaml").st_uid == NOBODY

        hosts = _as_nobody(home, venv, "netui", "hosts", "--env", f"{home}/env.yaml")
        assert hosts.returncode == 0, (hosts.stdout, hosts.stderr)
        rows = {line.split()[0]: line for line in hosts.stdout.splitlines() if line.strip()}
        assert "b-master" in rows and "a-master" in rows  # b-master: ops through sudo -n
        assert "✗" not in rows["b-master"] and "legacy" in rows["b-master"]
        # nothing written outside the operator's home
        strays = subprocess.run(
            ["find", "/tmp", str(Path(site.getsitepackages()[0]).parents[3]), "-xdev",
             "-user", str(NOBODY), "-not", "-path", f"{base}/*"],
            capture_output=True, text=True, timeout=60,
        ).stdout.split()  # fmt: skip
        assert strays == []
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_uv_tool_install_of_the_wheel_runs_as_an_unprivileged_operator(lab, lab_home):
    """`uv tool install netui-*.whl` as the operator installs it (README): a tool environment of
    its own under their home, the dependencies in the tested versions (scripts/setup keeps their
    wheels in .venv/wheelhouse: the suite has no network), the command in ~/.local/bin."""
    wheelhouse = Path(site.getsitepackages()[0]).parents[2] / "wheelhouse"
    uv = Path(sys.executable).parent / "uv"
    assert (wheelhouse / ".complete").exists() and uv.exists(), "run scripts/setup first"
    base = Path(tempfile.mkdtemp(prefix="netui-uv-", dir="/tmp"))
    try:
        os.chmod(base, 0o755)
        wheel = build_wheel(base / "dist")
        home = _operator_home(base, lab, lab_home)
        tools = home / ".local" / "bin"
        argv = ["env", f"UV_CACHE_DIR={home}/.cache/uv", str(uv), "tool", "install", "--offline"]
        argv += ["--no-index", "--find-links", str(wheelhouse), "--python", "/usr/bin/python3"]
        installed = _as_nobody(home, base, *argv, str(wheel))
        assert installed.returncode == 0, installed.stderr
        netui = str(tools / "netui")
        helped = _as_nobody(home, base, netui, "--help")
        assert helped.returncode == 0 and "init" in helped.stdout, helped.stderr
        versions = _as_nobody(
            home, base, str(home / ".local/share/uv/tools/netui/bin/python"), "-c",
            "import netui, textual; print(netui.__file__); print(textual.__version__)",
        )  # fmt: skip
        where, textual_version = versions.stdout.split()
        assert where.startswith(f"{home}/.local/share/uv/tools/netui/"), versions
        pinned = (ROOT / "constraints.txt").read_text()
        assert f"textual=={textual_version}\n" in pinned  # the tested release, not the newest
        hosts = _as_nobody(home, base, netui, "hosts", "--env", f"{home}/env.yaml")
        assert hosts.returncode == 0, (hosts.stdout, hosts.stderr)
        rows = {line.split()[0]: line for line in hosts.stdout.splitlines() if line.strip()}
        assert "✗" not in rows["b-master"] and "legacy" in rows["b-master"]  # sudo -n there
    finally:
        shutil.rmtree(base, ignore_errors=True)
