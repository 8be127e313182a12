"""The shape docs/architecture.md promises, read from the source: no function in netui/ longer
than a screen or two (a long one hides several ideas; split it, or declare it a data table
below), and few `type: ignore`s, each with the reason on its line or the comment line above."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "netui"
LONGEST = 100  # lines, decorators excluded
# Functions that are a table of data in code form: none today (netui/lab/kubeapi.py's paths are
# a table at module level instead).
DATA_TABLES: set[str] = set()
MOST_IGNORES = 10


def _functions() -> list[tuple[str, int]]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                where = f"{path.relative_to(ROOT.parent)}:{node.lineno} {node.name}"
                assert node.end_lineno is not None
                out.append((where, node.end_lineno - node.lineno + 1))
    return out


def test_no_function_is_longer_than_a_hundred_lines():
    long = [f"{where} ({n} lines)" for where, n in _functions() if n > LONGEST]
    assert [w for w in long if w.split()[-3] not in DATA_TABLES] == []


def test_the_length_check_sees_functions():
    """It would pass on any tree if it found none: the largest it sees is a real one."""
    sizes = dict(_functions())
    assert len(sizes) > 500 and max(sizes.values()) > 50


def _ignores() -> list[tuple[str, str, str]]:
    out = []
    for path in sorted(ROOT.rglob("*.py")):
        lines = path.read_text().splitlines()
        for i, line in enumerate(lines):
            if "# type: ignore" in line:
                where = f"{path.relative_to(ROOT.parent)}:{i + 1}"
                out.append((where, line, lines[i - 1] if i else ""))
    return out


def test_few_type_ignores_and_each_says_why():
    found = _ignores()
    assert len(found) <= MOST_IGNORES, [w for w, _, _ in found]
    unexplained = [
        where
        for where, line, above in found
        if "#" not in line.split("# type: ignore", 1)[1] and not above.strip().startswith("#")
    ]
    assert unexplained == []
