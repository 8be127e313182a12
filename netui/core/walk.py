"""A packet's walk through one host, the same for `netui walk` and the TUI's walk box: the nat
table's PREROUTING (DNAT, marks), the filter table's FORWARD (is it let through?), the nat table's
POSTROUTING (is it masqueraded?), and the note when the destination sits in two clusters' networks
(the router's longest match decides which one it reaches)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from netui.errors import UserError
from netui.model.networks import NetworkMap, parse_address

if TYPE_CHECKING:
    from netui.core.session import Session
    from netui.doctor.walk import Walk
    from netui.model.snapshot import HostSnapshot

DEFAULT_PROTO, DEFAULT_PORT = "tcp", 80


@dataclass(frozen=True)
class PacketQuery:
    """What the operator asks about: SRC DST [tcp|udp] [PORT]."""

    src: str
    dst: str
    proto: str = DEFAULT_PROTO
    dport: int = DEFAULT_PORT

    @classmethod
    def parse(cls, text: str) -> PacketQuery:
        """`10.1.3.10 10.200.1.3 tcp 80` as typed in the walk box; one clear refusal otherwise."""
        parts = text.split()
        if len(parts) < 2:
            raise UserError("give a source and a destination address")
        proto = parts[2] if len(parts) > 2 else DEFAULT_PROTO
        try:
            port = int(parts[3]) if len(parts) > 3 else DEFAULT_PORT
        except ValueError:
            raise UserError(f"{parts[3]!r} is not a port, e.g. 80") from None
        return cls(parts[0], parts[1], proto, port).checked()

    def checked(self) -> PacketQuery:
        for value in (self.src, self.dst):
            try:
                parse_address(value)
            except ValueError as e:
                raise UserError(str(e)) from None
        return self


@dataclass(frozen=True)
class PacketWalk:
    prerouting: Walk | None
    forward: Walk | None
    postrouting: Walk
    nesting: str | None  # the destination is in two clusters' networks

    @property
    def masqueraded(self) -> bool:
        return self.postrouting.nat_applied

    def lines(self) -> list[str]:
        """The walk as both faces print it: each hook's steps, the verdict, the nesting note."""
        out: list[str] = []
        for w in (self.prerouting, self.forward, self.postrouting):
            if w is not None:
                out += w.lines()
        verdict = "masqueraded" if self.masqueraded else "NOT masqueraded"
        out += ["", f"{verdict}: {self.postrouting.verdict}"]
        return out + ([self.nesting] if self.nesting else [])

    def as_json(self) -> dict[str, Any]:
        return {
            "prerouting": self.prerouting.lines() if self.prerouting else [],
            "postrouting": self.postrouting.lines(),
            "forward": self.forward.lines() if self.forward else [],
            "verdict": self.postrouting.verdict,
            "uncertain": self.postrouting.uncertain,
            "nesting": self.nesting,
        }


def walk_packet(snap: HostSnapshot, query: PacketQuery, networks: NetworkMap) -> PacketWalk:
    """Walk `query` through the host of `snap` as the office's packet (its interfaces from the
    host's routes)."""
    from netui.doctor.masquerade import office_packet
    from netui.doctor.walk import masquerade_path, walk

    if not snap.ok or snap.nat is None:
        raise UserError(f"{snap.host}: {snap.reason or 'no nat table'}")
    packet = replace(
        office_packet(snap, query.src, query.dst), proto=query.proto, dport=query.dport
    )
    pre, post = masquerade_path(snap.nat, packet)
    fwd = walk(snap.filter, "FORWARD", packet) if snap.filter else None
    return PacketWalk(pre, fwd, post, networks.nesting_note(query.dst))


def walk_host(session: Session, host: str, query: PacketQuery) -> PacketWalk:
    """Read `host` now and walk `query` through it (`netui walk`). The networks for the nesting
    note come from discovery where the environment file is silent, read while the host is."""
    from netui.backends.snapshot import snapshot_hosts
    from netui.discovery.model import needs_discovery, network_map

    query = query.checked()  # before any host is contacted
    env = session.env
    env.host(host)
    with ThreadPoolExecutor(max_workers=1) as pool:
        inv = pool.submit(session.discover) if needs_discovery(env) else None
        snap = snapshot_hosts(session.hosts, [host])[host]
        networks = network_map(env, inv.result() if inv else {})
    return walk_packet(snap, query, networks)
