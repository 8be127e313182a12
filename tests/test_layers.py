"""The layers as the code must have them (docs/architecture.md), read from the source itself: every
`import` in netui/, module-level or inside a function, is an edge. The faces (the TUI's screens,
the CLI's commands) reach the hosts only through the core; the core and everything below it never
import Textual; and no module imports one that imports it back, however late."""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "netui"

# What each part may import of netui (besides itself). A part not named is not constrained here.
MAY_IMPORT = {
    "model": set(),
    # netui.errors (UserError) is a leaf every layer may raise
    "backends": {"model", "errors"},
    "discovery": {"model", "errors"},
    "screens": {"core", "model", "widgets"},
    "widgets": {"model"},
    "commands": {"core", "model", "widgets", "errors", "output", "paths"},
}
# The faces themselves: the core and everything below it import none of them (`python -m
# netui`, netui/__main__.py, is the program like cli.py).
FACES = {"__main__", "app", "cli", "commands", "screens", "widgets"}
# Only the TUI imports Textual.
TEXTUAL_ALLOWED = {"app", "screens", "widgets"}
# Type-only imports a part may make beyond MAY_IMPORT: a screen names the app's type for its
# typed accessor (screens/netui_app.py); at run time the app imports the screens, never back.
TYPE_ONLY = {"screens": {"app"}}


@dataclass(frozen=True)
class Edge:
    source: str  # the importing module, e.g. netui.screens.nat
    target: str  # what it names, e.g. netui.core.plans or textual.widgets
    line: int
    type_only: bool  # under `if TYPE_CHECKING:`

    def __str__(self) -> str:
        return f"{self.source} -> {self.target}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def edges_of(path: Path) -> list[Edge]:
    tree = ast.parse(path.read_text(), str(path))
    typing_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            typing_only |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    source = module_name(path)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        out += [Edge(source, n, node.lineno, id(node) in typing_only) for n in names]
    return out


@functools.cache
def all_edges() -> list[Edge]:
    return [e for path in sorted(ROOT.rglob("*.py")) for e in edges_of(path)]


def part(module: str) -> str:
    """netui.screens.nat -> screens; netui.app -> app; netui -> netui."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def test_each_part_imports_only_the_parts_below_it():
    wrong = []
    for e in all_edges():
        if not e.target.startswith("netui.") or part(e.source) == part(e.target):
            continue
        src, dst = part(e.source), part(e.target)
        allowed = MAY_IMPORT.get(src)
        if allowed is None or dst in allowed:
            continue
        if e.type_only and dst in TYPE_ONLY.get(src, set()):
            continue
        wrong.append(f"{e} (line {e.line})")
    assert wrong == [], "imports around the core:\n" + "\n".join(wrong)


def test_the_core_and_below_never_import_a_face_or_textual():
    wrong = []
    for e in all_edges():
        src = part(e.source)
        if src in FACES or src in TEXTUAL_ALLOWED:
            continue
        if e.target.split(".")[0] == "textual" or (
            e.target.startswith("netui.") and part(e.target) in FACES
        ):
            wrong.append(f"{e} (line {e.line})")
    assert wrong == [], "\n".join(wrong)


def test_no_module_imports_one_that_imports_it_back():
    """Cycles count function-level imports too (a late import hides a cycle, it does not break
    it); type-only imports do not run and do not count."""
    modules = {module_name(p) for p in ROOT.rglob("*.py")}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph: dict[str, set[str]] = {m: set() for m in modules}
    for e in all_edges():
        target = resolve(e.target) if e.target.startswith("netui") else None
        # a module's own package (netui.backends for netui.backends.ssh) is not a cycle
        own_package = target is not None and e.source.startswith(target + ".")
        if target and target != e.source and not e.type_only and not own_package:
            graph[e.source].add(target)
    cycles = _cycles(graph)
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    component.append(m)
                    if m == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_cycle_finder_finds_a_cycle():
    """The check above would pass on any graph if _cycles found nothing."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]
