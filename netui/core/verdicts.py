"""The doctor's findings counted per host and per cluster, in a few words: what the opening
screen shows beside each row, so no row reads "ok" while the doctor has errors about it."""

from __future__ import annotations

from collections.abc import Iterable

from netui.model.findings import ERROR, WARNING, Finding


def count_text(findings: Iterable[Finding]) -> str:
    """'2 err, 1 warn' (short: it stands in a table column), 'none'; info is not counted."""
    found = list(findings)
    errors = sum(f.severity == ERROR for f in found)
    warnings = sum(f.severity == WARNING for f in found)
    parts = [f"{n} {word}" for n, word in ((errors, "err"), (warnings, "warn")) if n]
    return ", ".join(parts) or "none"


def worst_title(findings: Iterable[Finding]) -> str | None:
    """The first error's title, else the first warning's: what the row's detail line says."""
    found = list(findings)
    for severity in (ERROR, WARNING):
        for f in found:
            if f.severity == severity:
                return f.title
    return None


def by_host(findings: list[Finding], hosts: Iterable[str]) -> dict[str, list[Finding]]:
    return {h: [f for f in findings if f.host == h] for h in hosts}


def by_cluster(findings: list[Finding], clusters: Iterable[str]) -> dict[str, list[Finding]]:
    return {c: [f for f in findings if f.cluster == c] for c in clusters}
