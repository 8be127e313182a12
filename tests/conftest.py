from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


# tests/lab/test_faults.py writes the fault matrix here, one row per passing test; the table is
# printed at the end of the run (also when the lab tests ran in an xdist worker).
# scripts/test names a file every worker can write (each worker has its own /run/netui-lab).
FAULTS_FILE = Path(os.environ.get("NETUI_FAULTS_FILE", "/run/netui-lab/fault-matrix.txt"))


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput") and isolated():
        FAULTS_FILE.unlink(missing_ok=True)  # the controller starts a fresh table


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # type: ignore[no-untyped-def]
    if hasattr(config, "workerinput") or not FAULTS_FILE.exists():
        return
    terminalreporter.write_sep("-", "fault matrix (each row a passing lab test)")
    for line in FAULTS_FILE.read_text().splitlines():
        terminalreporter.write_line(line)


def isolated() -> bool:
    """True inside scripts/test: root, in a private network and mount namespace."""
    return os.environ.get("NETUI_ISOLATED") == "1" and os.geteuid() == 0


needs_lab = pytest.mark.skipif(
    not isolated(), reason="needs root inside scripts/test's private namespaces"
)


@pytest.fixture(autouse=True)
def _private_state(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test reads or writes the operator's own config or state."""
    home = tmp_path_factory.getbasetemp() / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.delenv("NETUI_ENV", raising=False)


@pytest.fixture(autouse=True)
def _no_survived_crash() -> object:
    """The TUI carries on after an unexpected error (on screen, with a report); a test must
    still fail on one."""
    import sys

    app = sys.modules.get("netui.app")
    if app is not None:
        app.SURVIVED.clear()
    yield
    app = sys.modules.get("netui.app")
    if app is not None and app.SURVIVED:
        survived = list(app.SURVIVED)
        app.SURVIVED.clear()
        pytest.fail(f"the TUI survived unexpected errors: {survived}")
