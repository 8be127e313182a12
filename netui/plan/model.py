"""A plan: per host, what netui will change. Plain data, (de)serialisable for the journal.

Plans say *what* (a MASQUERADE pair, a route, forwarding on); the exact commands are rendered
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
from typing import Any

NAT_CHAIN = "NETUI-POSTROUTING"
FILTER_CHAIN = "NETUI-FORWARD"
JUMP_COMMENT = "netui: owned chain"
PERSIST_FILE = "/etc/sysctl.d/90-netui-ip-forward.conf"
PERSIST_TEXT = "# written by netui: this host forwards the office's traffic to its cluster\nnet.ipv4.ip_forward = 1\n"


def new_plan_id() -> str:
    return time.strftime("p%Y%m%d-%H%M%S-") + secrets.token_hex(2)


def comment(plan_id: str) -> str:
    return f"netui:{plan_id}"


@dataclass(frozen=True)
class Pair:
    """Office CIDR -> cluster CIDR."""

    source: str
    destination: str


@dataclass(frozen=True)
class RouteChange:
    cidr: str
    via: str
    previous: str | None = None  # the route line it replaces, as `ip route` prints it


@dataclass(frozen=True)
class ForeignRule:
    """A rule netui did not write, deleted or moved on the operator's explicit request."""

    table: str
    chain: str
    rule: str  # the rule text after "-A CHAIN"
    position: int  # where it was (1-based)
    to: int | None = None  # for a move: where it goes


@dataclass(frozen=True)
class DnsCheck:
    """After a reload, `name` must resolve to `expect` through `server`."""

    name: str
    server: str
    expect: str


@dataclass(frozen=True)
class DnsChange:
    path: str  # netui's drop-in, e.g. /etc/dnsmasq.d/netui.conf
    content: str
    reload: str  # the operator's reload command, from the environment file
    checks: tuple[DnsCheck, ...] = ()


@dataclass(frozen=True)
class FileEdit:
    """Someone else's file netui edits on an explicit fix (fix-all): lines removed from a
    dnsmasq file that loops or sends a domain elsewhere. Undo puts `before` back only while the
    file still reads `after` (a later edit makes it theirs again)."""

    path: str
    before: str
    after: str
    reload: str | None = None  # run after the edit (dnsmasq re-reads its files on restart)
    why: str = ""


TAINT_KEY = "netui.io/forwarder"


@dataclass(frozen=True)
class Taint:
    """`node` of `cluster` tainted `netui.io/forwarder=true:NoSchedule` through its API, so new
    workloads stay off the forwarder. netui's own key: undo removes exactly this one."""

    cluster: str
    node: str
    key: str = TAINT_KEY
    value: str = "true"
    effect: str = "NoSchedule"

    @property
    def text(self) -> str:
        return f"{self.key}={self.value}:{self.effect}"


@dataclass
class HostPlan:
    host: str
    forwarding_on: bool = False
    persist_forwarding: bool = False
    masquerade: list[Pair] = field(default_factory=list)
    jump_position: int = 1  # where POSTROUTING/FORWARD jump to netui's chain (1 = first)
    forward_accept: list[Pair] = field(default_factory=list)
    routes: list[RouteChange] = field(default_factory=list)
    delete_rules: list[ForeignRule] = field(default_factory=list)
    move_rules: list[ForeignRule] = field(default_factory=list)
    dns: DnsChange | None = None
    file_edits: list[FileEdit] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.file_edits
            or self.forwarding_on
            or self.persist_forwarding
            or self.masquerade
            or self.forward_accept
            or self.routes
            or self.delete_rules
            or self.move_rules
            or self.dns
        )


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
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        hosts = {}
        for name, h in d.get("hosts", {}).items():
            hosts[name] = HostPlan(
                host=h["host"],
                forwarding_on=h["forwarding_on"],
                persist_forwarding=h["persist_forwarding"],
                masquerade=[Pair(**p) for p in h["masquerade"]],
                jump_position=h["jump_position"],
                forward_accept=[Pair(**p) for p in h["forward_accept"]],
                routes=[RouteChange(**r) for r in h["routes"]],
                delete_rules=[ForeignRule(**r) for r in h["delete_rules"]],
                move_rules=[ForeignRule(**r) for r in h["move_rules"]],
                dns=_dns_from_dict(h.get("dns")),
                file_edits=[FileEdit(**f) for f in h.get("file_edits", [])],
            )
        return cls(
            id=d["id"],
            hosts=hosts,
            taints=[Taint(**t) for t in d.get("taints", [])],
            notes=list(d.get("notes", [])),
            env=d.get("env", ""),
            created=d["created"],
            user=d["user"],
            came_from=d["came_from"],
        )


def _dns_from_dict(d: dict[str, Any] | None) -> DnsChange | None:
    if not d:
        return None
    return DnsChange(
        d["path"], d["content"], d["reload"], tuple(DnsCheck(**c) for c in d.get("checks", ()))
    )


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
