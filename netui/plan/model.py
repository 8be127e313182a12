"""A plan: per host, what netui will change. Plain data, (de)serialisable for the journal.

Plans say *what*, as steps (a MASQUERADE pair, a route, forwarding on: plan/step.py and
plan/kinds/); the exact commands are rendered
from the host's live state right before they run (render.py), and their inverse from the journal
plus the live state at undo time — so undo stays surgical even after kube-proxy rewrote rules.
"""

from __future__ import annotations

import dataclasses
import getpass
import os
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from netui.plan.step import Step

S = TypeVar("S", bound="Step")
NAT_CHAIN = "NETUI-POSTROUTING"
FILTER_CHAIN = "NETUI-FORWARD"
JUMP_COMMENT = "netui: owned chain"


def new_plan_id() -> str:
    return time.strftime("p%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def comment(plan_id: str) -> str:
    return f"netui:{plan_id}"


TAINT_KEY = "netui.io/forwarder"


@dataclass(frozen=True)
class Taint:
    """`node` of `cluster` tainted `netui.io/forwarder=true:NoSchedule` through its API, so new
    workloads stay off the forwarder. netui's own key: undo removes exactly this one.

    Not a `Step`: a taint is a call to a cluster's API, not a change on a host — no snapshot, no
    commands, no rollback script on a target, no Ansible task — so it stays beside the hosts'
    steps (`Plan.taints`), journaled per cluster."""

    cluster: str
    node: str
    key: str = TAINT_KEY
    value: str = "true"
    effect: str = "NoSchedule"

    @property
    def text(self) -> str:
        return f"{self.key}={self.value}:{self.effect}"


# The plan's format in the journal: 2 = steps by kind; 1 (no format field) = the nine named
# fields of earlier netui, still read (a plan applied before an upgrade must stay undoable).
FORMAT = 2


@dataclass
class HostPlan:
    """What one plan changes on one host: its steps (netui/plan/step.py), in plan order."""

    host: str
    steps: list[Step] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.steps

    def add(self, step: Step) -> bool:
        """Add `step` unless the same step is there already; False when it was."""
        if step in self.steps:
            return False
        self.steps.append(step)
        return True

    def merge_in(self, step: Step) -> None:
        """Add `step`, or merge it into this host's step of the same key (one per host)."""
        key = step.key()
        for i, s in enumerate(self.steps):
            if key is not None and s.key() == key:
                merged = s.merge(step)
                if merged is None:
                    raise ValueError(s.conflict(step))
                self.steps[i] = merged
                return
        self.steps.append(step)

    def of(self, kind: type[S]) -> list[S]:
        """This host's steps of one kind (for tests and the planner's own bookkeeping)."""
        return [s for s in self.steps if isinstance(s, kind)]

    def files(self) -> list[str]:
        """Every file its steps write: the snapshot before the change reads them."""
        out: list[str] = []
        for s in self.steps:
            out += [f for f in s.files() if f not in out]
        return out


@dataclass
class Plan:
    id: str
    hosts: dict[str, HostPlan] = field(default_factory=dict)
    taints: list[Taint] = field(default_factory=list)  # through the clusters' APIs, not a host
    notes: list[str] = field(default_factory=list)  # e.g. route snippets for a non-Linux router
    env: str = ""
    created: float = field(default_factory=time.time)
    user: str = field(default_factory=lambda: _user())
    came_from: str = field(
        default_factory=lambda: os.environ.get("SSH_CLIENT", "").split(" ")[0] or "local"
    )

    def host(self, name: str) -> HostPlan:
        if name not in self.hosts:
            self.hosts[name] = HostPlan(name)
        return self.hosts[name]

    @property
    def empty(self) -> bool:
        return all(h.empty for h in self.hosts.values()) and not self.taints

    def prune(self) -> Plan:
        self.hosts = {n: h for n, h in self.hosts.items() if not h.empty}
        return self

    def to_dict(self) -> dict[str, Any]:
        """The plan as the journal keeps it (plan/journaled.py reads it back)."""
        return {
            "format": FORMAT,
            "id": self.id,
            "hosts": {
                n: {"host": h.host, "steps": [s.to_dict() for s in h.steps]}
                for n, h in self.hosts.items()
            },
            "taints": [dataclasses.asdict(t) for t in self.taints],
            "notes": list(self.notes),
            "env": self.env,
            "created": self.created,
            "user": self.user,
            "came_from": self.came_from,
        }


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


class PlanRefused(Exception):
    """The plan would be unsafe; carries every reason."""

    exit_code = 2

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons
