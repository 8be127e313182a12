"""The migration cockpit's model: per cluster, its forwarder's state, the office's new
connections per second through it, the router's routes to it and its probe results; which
cluster each shared domain resolves to; and a timeline of what changed. UI-free: fed with the
poller's snapshots (no extra polling), probe results and DNS states; the screen renders it and
`report()` writes the migration's record.

New connections per second come from the packet counters of netui's own MASQUERADE rules on
the forwarder: the nat table sees only the first packet of each connection, so its packet
counter *is* a connection counter. Bytes per second need a rule every packet crosses: netui's
NETUI-FORWARD accept rules when the plan added them (FORWARD policy DROP); without them the
byte rate is unknown and said so.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from netui.model.envfile import Environment
from netui.model.networks import overlaps
from netui.model.snapshot import HostSnapshot
from netui.plan.model import FILTER_CHAIN, NAT_CHAIN

HISTORY = 90  # rate samples kept per cluster (at the 2 s poll: three minutes)
# A domain without answers this long is said to resolve in none; a shorter silence (dnsmasq's
# restart in a switch) is said with the change it belongs to, once the answers are back.
DNS_GAP = 10.0


@dataclass
class Counter:
    """A monotonic counter sampled at snapshot times; the rate between the last two samples."""

    value: int | None = None
    at: float = 0.0
    rate: float | None = None

    def sample(self, value: int | None, at: float) -> None:
        if value is None:
            self.value, self.rate = None, None
            return
        if self.value is not None and at > self.at:
            # a counter that went down was reset (rules rewritten): start again from it
            self.rate = max(0, value - self.value) / (at - self.at) if value >= self.value else None
        self.value, self.at = value, at


@dataclass
class ClusterLive:
    name: str
    forwarder: str | None
    cidrs: tuple[str, ...]
    reachable: bool | None = None  # the forwarder's last snapshot
    why: str = ""
    forwarding: str = "?"
    netui_rules: int = 0  # netui's MASQUERADE rules towards this cluster on its forwarder
    connections: Counter = field(default_factory=Counter)
    bytes: Counter = field(default_factory=Counter)
    byte_source: bool = False  # netui's FORWARD accept rules exist: bytes are counted
    history: deque[float] = field(default_factory=lambda: deque(maxlen=HISTORY))
    routes: list[str] = field(default_factory=list)  # the router's route per cluster range
    routes_ok: bool | None = None
    probes: list[Any] = field(default_factory=list)  # verify.probe.Result
    probed_at: float | None = None
    seen_at: float = 0.0  # the forwarder snapshot counted last

    @property
    def connections_text(self) -> str:
        rate = self.connections.rate
        return "—" if rate is None else f"{rate:.1f} conn/s"

    @property
    def bytes_text(self) -> str:
        if not self.byte_source:
            return "bytes/s unknown (no netui FORWARD rules to count them)"
        rate = self.bytes.rate
        return "—" if rate is None else f"{_human(rate)}/s"

    @property
    def probes_ok(self) -> bool | None:
        if not self.probes:
            return None
        return all(r.ok is not False for r in self.probes)


def _masquerade_counts(snap: HostSnapshot, cidrs: tuple[str, ...]) -> tuple[int, int]:
    """(rules, packets) of netui's MASQUERADE rules towards `cidrs` on this host."""
    chain = snap.nat.chain(NAT_CHAIN) if snap.nat else None
    rules = packets = 0
    for r in chain.rules if chain else []:
        _src, _, dst, negated = r.addresses
        if (
            r.target == "MASQUERADE"
            and dst
            and not negated
            and any(overlaps(dst, c) for c in cidrs)
        ):
            rules += 1
            packets += r.packets
    return rules, packets


def _forward_bytes(snap: HostSnapshot, cidrs: tuple[str, ...]) -> int | None:
    """Bytes through netui's FORWARD accept rules to and from `cidrs`; None without them."""
    chain = snap.filter.chain(FILTER_CHAIN) if snap.filter else None
    if chain is None:
        return None
    total, found = 0, False
    for r in chain.rules:
        src, _, dst, _ = r.addresses
        if any(e and any(overlaps(e, c) for c in cidrs) for e in (src, dst)):
            total += r.bytes
            found = True
    return total if found else None


class Migration:
    def __init__(self, env: Environment, changes: list[tuple[float, str]] | None = None) -> None:
        self.env = env
        self.started = time.time()
        self.clusters = {
            c.name: ClusterLive(c.name, c.forwarder, (*c.pod_cidrs, *c.service_cidrs))
            for c in env.clusters.values()
        }
        self.domains: dict[str, str | None] = {}  # domain -> the cluster it resolves in now
        # domain -> (the cluster it resolved in, since when) while it gives no answer
        self._silent_since: dict[str, tuple[str, float]] = {}
        self.timeline: list[tuple[float, str]] = []
        self._changes = changes if changes is not None else []  # the session's own record
        self._changes_seen = 0
        self._forwarder_ips: dict[str, set[str]] = {}

    def learn_ranges(self, cluster: str, cidrs: tuple[str, ...]) -> None:
        """A cluster's Pod and Service ranges as discovery found them (the environment file
        may give none: the API is the usual source)."""
        if cidrs and cluster in self.clusters:
            self.clusters[cluster].cidrs = cidrs

    def note(self, text: str, at: float | None = None) -> None:
        self.timeline.append((at if at is not None else time.time(), text))

    def _pull_changes(self) -> None:
        """Changes the session made (plans applied, confirmed, undone) join the timeline."""
        for at, text in self._changes[self._changes_seen :]:
            self.note(f"netui: {text}", at)
        self._changes_seen = len(self._changes)

    def observe(self, snap: HostSnapshot, router: HostSnapshot | None = None) -> None:
        """A host's new snapshot (the poller's): forwarder states and rates, router routes."""
        self._pull_changes()
        for c in self.clusters.values():
            if snap.host == c.forwarder:
                self._forwarder(c, snap)
            if router is not None and snap.host == router.host:
                self._routes(c, snap)

    def _forwarder(self, c: ClusterLive, snap: HostSnapshot) -> None:
        if snap.taken_at == c.seen_at:
            return  # this snapshot is counted already
        c.seen_at = snap.taken_at
        was = c.reachable
        c.reachable = snap.ok
        c.why = "" if snap.ok else (snap.reason or snap.state)
        if was is not None and was != snap.ok:
            self.note(
                f"forwarder {c.forwarder} of cluster {c.name} "
                + ("is back" if snap.ok else f"lost: {c.why}")
            )
        if not snap.ok:
            c.connections.sample(None, snap.taken_at)
            return
        c.forwarding = snap.forwarding_now
        rules, packets = _masquerade_counts(snap, c.cidrs)
        if rules != c.netui_rules and was is not None:
            self.note(
                f"cluster {c.name}: netui's MASQUERADE rules on {c.forwarder} {c.netui_rules} → {rules}"
            )
        c.netui_rules = rules
        c.connections.sample(packets if rules else None, snap.taken_at)
        through = _forward_bytes(snap, c.cidrs)
        c.byte_source = through is not None
        c.bytes.sample(through, snap.taken_at)
        if c.connections.rate is not None:
            c.history.append(c.connections.rate)

    def _routes(self, c: ClusterLive, router: HostSnapshot) -> None:
        if not router.ok:
            return
        # the forwarder's addresses from its last good snapshot: a forwarder that went down
        # still owns them, and a route away from it is still a route away
        forwarder_ips = self._forwarder_ips.get(c.name, set())
        lines, good = [], True
        for cidr in c.cidrs:
            route = router.routes.lookup(cidr.split("/")[0])
            if route is None or route.gateway is None:
                lines.append(f"{cidr}: {'no route' if route is None else 'on-link'}")
                good = False
                continue
            ok = route.gateway in forwarder_ips if forwarder_ips else None
            good = good and ok is not False
            lines.append(
                f"{cidr} via {route.gateway}" + ("" if ok is not False else " (not the forwarder)")
            )
        if c.routes_ok is not None and c.routes_ok != good:
            self.note(
                f"router: routes to cluster {c.name} "
                + ("lead to its forwarder" if good else "changed away from its forwarder")
            )
        c.routes, c.routes_ok = lines, good

    def observe_all(self, snapshots: dict[str, HostSnapshot]) -> None:
        """Every host's latest snapshot at once (the forwarders first: routes name them)."""
        for c in self.clusters.values():
            snap = snapshots.get(c.forwarder or "")
            if snap is not None and snap.ok:
                self._forwarder_ips[c.name] = {str(ip) for ip in snap.routes.local_ips()}
        router_name = self.env.office.router
        router = snapshots.get(router_name) if router_name else None
        for snap in snapshots.values():
            self.observe(snap, router)

    def observe_probes(self, cluster: str, results: list[Any], at: float | None = None) -> None:
        c = self.clusters[cluster]
        before = c.probes_ok
        c.probes, c.probed_at = results, at or time.time()
        now = c.probes_ok
        if before is not None and now is not None and before != now:
            bad = [r.target.label for r in results if r.ok is False]
            self.note(
                f"cluster {cluster}: probes "
                + ("all green again" if now else f"turned red ({', '.join(bad[:3])})")
            )

    def observe_dns(self, now: dict[str, str | None], at: float | None = None) -> None:
        """Which cluster each domain resolves in now (None: none of them). A domain that stops
        answering is said once it is back (dnsmasq restarts when its servers change: a switch
        is a moment without answers), with how long it was silent, or after DNS_GAP seconds
        of silence as resolving in none."""
        at = at if at is not None else time.time()
        for domain, cluster in now.items():
            if domain not in self.domains:
                continue
            was = self.domains[domain]
            if cluster is None and was is not None:
                self._silent_since.setdefault(domain, (was, at))
                continue
            if cluster is None:
                gap = self._silent_since.get(domain)
                if gap is not None and at - gap[1] >= DNS_GAP:
                    self._silent_since.pop(domain)
                    self.note(f"DNS: {domain} now resolves in cluster none (was {gap[0]})", gap[1])
                continue
            gap = self._silent_since.pop(domain, None)
            before: str | None = gap[0] if gap is not None else was
            silent = f"; no answer for {at - gap[1]:.0f} s between" if gap is not None else ""
            if before != cluster:
                self.note(
                    f"DNS: {domain} now resolves in cluster {cluster} (was {before or 'none'}{silent})",
                    at,
                )
            elif gap is not None:
                self.note(
                    f"DNS: {domain} gave no answer for {at - gap[1]:.0f} s (still cluster {cluster})",
                    at,
                )
        self.domains = dict(now)

    def report(self) -> str:
        """The migration's record: the timeline and the final matrix, as Markdown."""
        out = [
            "# netui migration record",
            "",
            f"- environment: `{self.env.path}`",
            f"- from {_clock(self.started)} to {_clock(time.time())} ({time.strftime('%Y-%m-%d')})",
            "",
            "## Timeline",
            "",
        ]
        self._pull_changes()
        out += [f"- {_clock(at)} {text}" for at, text in sorted(self.timeline)] or [
            "- (nothing happened)"
        ]
        out += ["", "## Final state", ""]
        if self.domains:
            out += [
                f"- DNS: `{d}` resolves in cluster **{c or 'none'}**"
                for d, c in sorted(self.domains.items())
            ]
            out.append("")
        out += [
            "| cluster | forwarder | forwarding | netui rules | new connections | routes | probes |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for c in self.clusters.values():
            probes = (
                f"{sum(r.ok is True for r in c.probes)}/{len(c.probes)} ✓"
                + (
                    f", {sum(r.ok is False for r in c.probes)} ✗"
                    if any(r.ok is False for r in c.probes)
                    else ""
                )
                if c.probes
                else "not probed"
            )
            state = "✓" if c.reachable else ("✗ " + c.why if c.reachable is False else "?")
            out.append(
                f"| {c.name} | {c.forwarder or '-'} {state} | {c.forwarding} | {c.netui_rules} | "
                f"{'—' if c.connections.rate is None else f'{c.connections.rate:.1f}/s'} | "
                f"{'; '.join(c.routes) or '?'} | {probes} |"
            )
        return "\n".join(out) + "\n"

    def save_report(self) -> str:
        """Write the record under the state directory (two in one second: both kept); its
        path. OSError when it cannot be written."""
        from netui.paths import state_home

        folder = state_home() / "reports"
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stem = time.strftime("migration-%Y%m%d-%H%M%S")
        path = folder / f"{stem}.md"
        n = 1
        while path.exists():
            n += 1
            path = folder / f"{stem}-{n}.md"
        path.write_text(self.report())
        return str(path)


def _clock(at: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(at))


def _human(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024:
            return f"{n:.0f} {unit}"
        n /= 1024
    return f"{n:.0f} TiB"
