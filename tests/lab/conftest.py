"""Lab tests: real namespaces, iptables (nft and legacy), sshd, dnsmasq, the simulated API.
They run only inside scripts/test's private namespaces (see tests/conftest.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from netui.lab import build
from netui.lab.topology import LabFiles
from netui.model import envfile

from ..conftest import FAULTS_FILE, isolated

pytestmark = pytest.mark.lab


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    skip = pytest.mark.skip(reason="needs root inside scripts/test's private namespaces")
    for item in items:
        if "tests/lab/" in str(item.fspath):
            # one lab per module: its tests run in one xdist worker (each worker has its own
            # namespaces, scripts/worker-python), the modules spread over the workers
            item.add_marker(pytest.mark.xdist_group(f"lab-{Path(str(item.fspath)).stem}"))
            if not isolated():
                item.add_marker(skip)


@pytest.fixture(scope="session")
def lab_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = Path("/run/netui-lab/test")
    os.environ["NETUI_LAB_DIR"] = str(home)
    return home


@pytest.fixture(scope="module")
def _lab_module(lab_home: Path) -> Iterator[None]:
    yield
    build.down(lab_home)


# Per test: `lab up` is idempotent and returns at once when the lab is already in the wanted
# state, so each test gets the lab it asks for, whatever the test before it left (broken or not).
@pytest.fixture
def lab(lab_home: Path, _lab_module: None) -> LabFiles:
    return build.up(home=lab_home)


@pytest.fixture
def broken_lab(lab_home: Path, _lab_module: None) -> LabFiles:
    return build.up(broken=True, home=lab_home)


def netui(
    *args: str, netns: str | None = None, env_file: str | None = None, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the real `netui` command (inside a lab namespace when `netns` is given)."""
    argv = [sys.executable, "-m", "netui.cli", *args]
    if env_file:
        argv += ["--env", env_file]
    if netns:
        argv = ["ip", "netns", "exec", netns, *argv]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"netui {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def in_ns(
    ns: str, *argv: str, timeout: float = 10, input_text: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ip", "netns", "exec", ns, *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input_text,
    )


def host_state(hosts: tuple[str, ...]) -> dict[str, str]:
    """What "byte-exact" compares, per lab host: nat and filter without counters, routes,
    forwarding, and the files of /etc/sysctl.d, /etc/dnsmasq.d, /etc/netui and
    /etc/systemd/system."""
    out = {}
    for h in hosts:
        ns = f"nu-{h}"
        saved = "\n".join(
            line for line in in_ns(ns, "iptables-save").stdout.splitlines() if line[:1] != "#"
        )
        out[h] = "\n".join(
            (
                re.sub(r"\[\d+:\d+\]", "[0:0]", saved),
                in_ns(ns, "ip", "route").stdout,
                in_ns(ns, "sysctl", "-n", "net.ipv4.ip_forward").stdout,
                in_ns(
                    ns,
                    "sh",
                    "-c",
                    "ls /etc/sysctl.d /etc/dnsmasq.d; cat /etc/sysctl.d/* /etc/dnsmasq.d/* 2>/dev/null;"
                    # what netui persists for boot: its own files and units, every link
                    " ls -R /etc/netui /etc/systemd/system 2>/dev/null;"
                    " find /etc/netui /etc/systemd/system -type f -exec cat {} + 2>/dev/null",
                ).stdout,
            )
        )
    return out


def load_env(path: str) -> envfile.Environment:
    return envfile.load(path)


# The fault matrix (tests/lab/test_faults.py): fault -> what the operator saw. Rows go to a
# file, so the table prints at the end also when the tests ran in an xdist worker.


def record_fault(fault: str, outcome: str) -> None:
    with FAULTS_FILE.open("a") as f:
        f.write(f"| {fault} | {outcome} |\n")
