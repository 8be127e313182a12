"""The wheel an operator installs (pipx, uv tool, pip): the themes and the TUI's stylesheet
inside, the `netui` command, and the dependency bounds the suite was run with."""

from __future__ import annotations

import re
import tomllib
import zipfile

from .wheel import ROOT, build_wheel


def test_the_wheel_carries_themes_stylesheet_entry_point_and_bounded_dependencies(tmp_path):
    wheel = zipfile.ZipFile(build_wheel(tmp_path))
    names = set(wheel.namelist())
    shipped = {p.name for p in (ROOT / "themes").glob("*.yaml")}
    assert shipped and {f"netui/_themes/{n}" for n in shipped} <= names
    assert "netui/screens/netui.tcss" in names
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
    assert "netui = netui.cli:main" in wheel.read(entry).decode()
    requires = [
        line.split(":", 1)[1].strip()
        for line in wheel.read(meta).decode().splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    by_name = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower(): r for r in requires}
    assert "<9" in by_name["textual"] and "<38" in by_name["kubernetes"]
    assert "python-iptables" not in by_name  # the iptc extra (README: why)
    assert "argcomplete" in by_name


def test_constraints_pin_every_dependency_setup_installs():
    """scripts/setup installs '.[dev,fleet]' from constraints.txt: each of those is pinned."""
    pins = {
        line.split("==")[0].strip().lower().replace("_", "-")
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = project["dependencies"] + [
        r for extra in ("dev", "fleet") for r in project["optional-dependencies"][extra]
    ]
    names = {re.split(r"[<>=!~ ;\[]", r, maxsplit=1)[0].lower().replace("_", "-") for r in wanted}
    missing = names - pins
    assert not missing, (
        f"constraints.txt lacks {missing}: regenerate it (pip freeze --exclude-editable)"
    )
