"""Before and after, per host: what a plan's exact commands do to the host's live state, as a
unified diff per thing changed (a chain, the routes, forwarding, a file).

The "after" is computed by playing the very commands the preview shows (iptables-restore
--noflush lines, `ip route replace`, sysctl, file writes) over the host's snapshot, so the diff
and the commands cannot disagree. Nothing runs on the host.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from netui.model.iptables import Table
from netui.model.snapshot import HostSnapshot
from netui.plan.command import Command
from netui.plan.restore import RESTORE, sections


def rule_texts(table: Table | None) -> dict[str, list[str]]:
    """chain -> its rules' texts (after `-A CHAIN`), in order."""
    if table is None:
        return {}
    return {name: [r.text for r in chain.rules] for name, chain in table.chains.items()}


def play_restore(chains: dict[str, list[str]], script: str) -> set[str]:
    """Apply `iptables-restore --noflush` lines to chain -> rule texts; the chains touched."""
    touched: set[str] = set()
    for line in script.splitlines():
        if line.startswith(":"):
            name = line[1:].split()[0]
            chains.setdefault(name, [])
            touched.add(name)
            continue
        op, _, rest = line.partition(" ")
        if op not in ("-A", "-I", "-D"):
            continue
        chain, _, spec = rest.partition(" ")
        rules = chains.setdefault(chain, [])
        touched.add(chain)
        if op == "-A":
            rules.append(spec)
        elif op == "-D":
            if spec in rules:
                rules.remove(spec)
        else:
            first, _, tail = spec.partition(" ")
            if first.isdigit():
                rules.insert(int(first) - 1, tail)
            else:
                rules.insert(0, spec)
    return touched


def _unified(label: str, before: list[str], after: list[str]) -> list[str]:
    lines = list(
        difflib.unified_diff(before, after, f"{label} (now)", f"{label} (after)", lineterm="", n=2)
    )
    return lines


def host_diff(
    snap: HostSnapshot, commands: list[Command], read_file: Callable[[str], str | None]
) -> list[str]:
    """The diff of one host's commands against its snapshot; `read_file(path)` gives a file's
    current text (None: it does not exist) for the files the commands write."""
    out: list[str] = []
    tables = {"nat": rule_texts(snap.nat), "filter": rule_texts(snap.filter)}
    before = {name: {c: list(r) for c, r in chains.items()} for name, chains in tables.items()}
    touched: dict[str, set[str]] = {"nat": set(), "filter": set()}
    routes_before = [r.line for r in snap.routes.routes]  # the snapshot reads table main
    routes_after = list(routes_before)
    files: dict[str, tuple[str | None, str | None]] = {}
    runs: list[str] = []
    for cmd in commands:
        if cmd.argv == RESTORE and cmd.stdin:
            for table, script in sections(cmd.stdin).items():
                if table in tables:
                    touched[table] |= play_restore(tables[table], script)
        elif cmd.argv[:3] == ("ip", "-batch", "-") and cmd.stdin:
            for line in cmd.stdin.splitlines():
                words = line.split()
                if words[:2] == ["route", "replace"] and len(words) >= 3:
                    cidr = words[2]
                    routes_after = [r for r in routes_after if r.split()[0] != cidr]
                    routes_after.append(" ".join(words[2:]))
        elif cmd.argv[:2] == ("sysctl", "-qw"):
            setting = cmd.argv[2]
            key, _, value = setting.partition("=")
            now = str(snap.ip_forward) if key == "net.ipv4.ip_forward" else "?"
            if now != value:
                out += _unified("sysctl", [f"{key} = {now}"], [f"{key} = {value}"])
        elif cmd.write:
            path, text = cmd.write
            first = files[path][0] if path in files else read_file(path)
            files[path] = (first, text)
        elif cmd.remove:
            first = files[cmd.remove][0] if cmd.remove in files else read_file(cmd.remove)
            files[cmd.remove] = (first, None)
        elif cmd.argv:
            runs.append(cmd.summary)
    for table, chains in touched.items():
        for chain in sorted(chains):
            old = [f"-A {chain} {r}" for r in before[table].get(chain, [])]
            new = [f"-A {chain} {r}" for r in tables[table].get(chain, [])]
            if old != new:
                out += _unified(f"{table} {chain}", old, new)
    if routes_after != routes_before:
        out += _unified("routes", sorted(routes_before), sorted(routes_after))
    for path, (old_text, new_text) in files.items():
        if old_text != new_text:
            out += _unified(
                path,
                (old_text or "").splitlines() if old_text is not None else [],
                (new_text or "").splitlines() if new_text is not None else [],
            )
    out += [f"and runs: {r}" for r in runs]
    return out
