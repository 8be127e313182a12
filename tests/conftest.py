from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"


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
