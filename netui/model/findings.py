"""Findings of the doctor and the changes that fix them, as plain data.

A Change is a description the planner/executor (apply issue) turns into commands; the doctor
only says what it would be. Codes are stable: scripts read them from `netui doctor --json`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, get_args

Severity = Literal["error", "warning", "info"]
ERROR: Severity = "error"
WARNING: Severity = "warning"
INFO: Severity = "info"
# What a fix changes. The planner handles every kind or refuses: an unknown kind is an error.
ChangeKind = Literal[
    "forwarding-on",
    "forwarding-persist",
    "masquerade-add",
    "rule-delete",
    "rule-move",
    "jump-move",
    "route-replace",
    "return-route-add",
    "forward-accept",
    "dns-line-remove",
    "firewalld-office",
    "nft-rule-insert",
    "boot-persist",
    "ufw-allow-dns",
]
CHANGE_KINDS: tuple[str, ...] = get_args(ChangeKind)
SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}

CODES = (
    "forwarding-off",
    "forwarding-not-persisted",
    "masquerade-missing",
    "masquerade-reversed",
    "cidr-unknown",
    "cidr-host-bits",
    "rule-shadowed",
    "masquerade-too-broad",
    "route-missing",
    "route-wrong-gateway",
    "no-return-route",
    "forward-blocked",
    "cidr-overlap",
    "cidr-nested",
    "dns-loop",
    "dns-domain-conflict",
    "dns-forward-split",
    "dns-blocked",
    "host-unreachable",
    "host-partly-unreadable",
    "cluster-masquerade-missing",
    "cluster-route-missing",
    "cluster-return-route-missing",
    "not-persisted",
    "state-reasserted",
    "nat-preempted",
    "firewalld-running",
    "ufw-routed-deny",
    "nftables-conf-flushes",
    "kube-proxy-mode",
    "cilium-external-clusterip",
    "dns-link-local",
    "rp-filter-strict",
    "netui-rule-duplicate",
)


@dataclass(frozen=True)
class Change:
    """One change a fix needs: what kind, on which host, with which values."""

    kind: ChangeKind
    host: str
    summary: str  # one line for people
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: Severity
    host: str | None
    title: str
    evidence: tuple[str, ...] = ()
    fixes: tuple[Change, ...] = ()
    cluster: str | None = None
    rule: tuple[str, str] | None = (
        None  # (chain, rule text) in the host's nat table, for the UI to show
    )

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown finding code {self.code!r}")
        if self.severity not in SEVERITY_RANK:
            raise ValueError(f"unknown severity {self.severity!r}")
        for c in self.fixes:
            if c.kind not in CHANGE_KINDS:
                raise ValueError(f"unknown fix kind {c.kind!r}")

    @property
    def fix_line(self) -> str:
        return "; ".join(c.summary for c in self.fixes)


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_RANK[f.severity], f.host or "", f.code))
