"""Is the office really connected? The trace's naming context and the probe matrix's targets,
for `netui trace/probe` and the trace panes / probe grid alike."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from netui.core.session import Session
from netui.errors import UserError
from netui.model.networks import parse_address

# what the trace panes and the probe grid draw with, through the core
from netui.verify.probe import tally as tally
from netui.verify.trace import Hop as Hop
from netui.verify.trace import TraceRun as TraceRun
from netui.verify.trace import sparkline as sparkline
from netui.verify.trace import stats_table as stats_table


class TraceContext:
    """Snapshots, inventory and findings gathered in the background while a trace runs, so
    each hop is named by what the environment knows it is."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.ready = threading.Event()
        self.book: Any = None
        self.findings: list[Any] = []
        self.error: str | None = None
        threading.Thread(target=self._gather, daemon=True, name="trace-context").start()

    def _gather(self) -> None:
        try:
            from netui.verify.names import address_book

            d = self.session.gather()
            self.findings = d.findings
            self.book = address_book(d.inp, d.inp.inventory)
        except Exception as e:  # names are a help, never a reason to fail the trace
            self.error = str(e)
        finally:
            self.ready.set()

    def name(self, ip: str | None) -> str:
        self.ready.wait(15)
        return self.book.name(ip) if self.book else ""

    def name_now(self, ip: str | None) -> str:
        """The name if the environment is gathered already, else nothing (never waits: for
        drawing)."""
        return self.book.name(ip) if self.ready.is_set() and self.book else ""

    def explain(
        self, hops: list[Any], target: str, tcp: bool = False, source: str | None = None
    ) -> list[str]:
        """Why the path from `source` (a host) ends where it ends."""
        from netui.verify.names import explain

        self.ready.wait(15)
        return explain(hops, target, self.book, self.findings, tcp, source) if self.book else []


def trace_target(text: str) -> str:
    try:
        return parse_address(text)
    except ValueError as e:
        raise UserError(f"trace target: {e}") from None


@dataclass(frozen=True)
class TraceTarget:
    """What a trace pane traces: an address, with the TCP port it serves (None: UDP)."""

    cluster: str | None
    label: str
    address: str
    port: int | None = None

    @property
    def method(self) -> str:
        return f"tcp/{self.port}" if self.port else "udp"


def trace_plan(session: Session, inventory: dict[str, Any] | None = None) -> list[TraceTarget]:
    """Per cluster, a Pod and a Service the inventory knows (an application's before the
    cluster's own DNS), traced with TCP to the port each serves — what the office will use."""
    from netui.verify.probe import targets

    found = inventory if inventory is not None else session.discover()
    out: list[TraceTarget] = []
    for name in found:
        items = targets(session.env, {name: found[name]}, name)
        for kind in ("pod", "service"):
            of_kind = [t for t in items if t.kind == kind and t.port]
            of_kind.sort(key=lambda t: "kube-system/" in t.label)  # applications first
            if of_kind:
                t = of_kind[0]
                out.append(TraceTarget(name, t.label, t.address, t.port))
    return out


def probe_target(text: str) -> tuple[str, int]:
    """`IP[:PORT]` (port 80 when left out)."""
    ip, _, port = text.partition(":")
    try:
        parse_address(ip)
        p = int(port) if port else 80
        if not 1 <= p <= 65535:
            raise ValueError
    except ValueError:
        raise UserError(
            f"--target {text!r}: give an IPv4 address and optionally a port, such as 10.200.1.3:8080"
        ) from None
    return ip, p


def office_host(session: Session) -> str:
    """The host on the office LAN that probes and traces run from."""
    env = session.env
    if not env.office.probe_from:
        raise UserError(
            f"{env.path}: office.probe_from is not set — name a host on the office LAN to probe from"
        )
    return env.office.probe_from


@dataclass
class ProbePlan:
    source: str  # the host the probes run on
    targets: list[Any]
    warnings: list[str] = field(default_factory=list)


def probe_plan(
    session: Session,
    cluster: str | None = None,
    from_cluster: str | None = None,
    extra: list[tuple[str, int]] | None = None,
    inventory: dict[str, Any] | None = None,
) -> ProbePlan:
    """What to probe and from where: the office host (office.probe_from) to every cluster, or a
    node of `from_cluster` to the clusters that list it in reach_from. A cluster whose API
    cannot be asked is probed on what the environment file knows."""
    from netui.verify.probe import Target, targets

    env = session.env
    for name in (cluster, from_cluster):
        session.check_cluster(name)
    wanted: set[str] | None = {cluster} if cluster else None
    if from_cluster:
        spec = env.clusters[from_cluster]
        reachable = {c.name for c in env.clusters.values() if from_cluster in c.reach_from}
        if not reachable:
            raise UserError(
                f"no cluster lists {from_cluster!r} in reach_from: (clusters.NAME.reach_from: [{from_cluster}] opts a pair in)"
            )
        wanted = reachable & wanted if wanted else reachable
        source = next((n for n in spec.nodes if n != spec.forwarder), spec.forwarder)
        if source is None:
            raise UserError(
                f"cluster {from_cluster} has no node netui can run on: set clusters.{from_cluster}.nodes or its forwarder"
            )
    else:
        source = office_host(session)
    found = inventory if inventory is not None else session.discover(cluster)
    found = {n: inv for n, inv in found.items() if wanted is None or n in wanted}
    warnings = [
        f"{inv.error} — Pods and Services unknown; probing its DNS Service from the environment file"
        for inv in found.values()
        if inv.error
    ]
    items = targets(env, found, cluster, cluster_dns=bool(from_cluster))
    items += [Target("-", "target", f"{ip}:{port}", ip, port) for ip, port in extra or []]
    if not items:
        raise UserError(
            "nothing to probe: no cluster's API answered and the environment file gives no DNS IP; "
            "give targets with --target IP[:PORT] or set clusters.NAME.dns_ip"
        )
    return ProbePlan(source, items, warnings)


def run_probes(session: Session, plan: ProbePlan, timeout: float = 2.0) -> list[Any]:
    from netui.verify.probe import run_probes as run

    return run(session.hosts[plan.source], plan.targets, timeout)


def start_trace(
    session: Session, source: str, target: str, tcp_port: int | None, max_hops: int, wait: float
) -> tuple[TraceContext, TraceRun, set[str]]:
    """A trace from `source` ready to run: the naming context gathering in the background, and
    the tools the host has; refused in one line when it has no traceroute."""
    from netui.verify.trace import detect_tools

    trace_target(target)
    session.env.host(source)
    context = TraceContext(session)
    backend = session.hosts[source]
    tools = detect_tools(backend)
    if "traceroute" not in tools:
        raise UserError(
            f"{source} has no traceroute (install the traceroute package there); found: {', '.join(sorted(tools)) or 'nothing'}"
        )
    return context, TraceRun(backend, target, tcp_port, max_hops, wait), tools


def path_mtu(
    session: Session, context: TraceContext, source: str, target: str
) -> tuple[int | None, str | None]:
    """The path MTU tracepath measures from `source`, and the line saying so — with the warning
    when it is below the MTU of the interface the route leaves by."""
    from netui.verify.trace import path_mtu as measure

    pmtu = measure(session.hosts[source], target)
    if not pmtu:
        return pmtu, None
    context.ready.wait(15)
    book = context.book
    src = book.inp.snapshot(source) if book and book.inp else None
    route = src.routes.lookup(target) if src else None
    iface = (
        next((i for i in src.routes.interfaces if route and i.name == route.dev), None)
        if src
        else None
    )
    return pmtu, f"path MTU {pmtu}" + (
        f" (below {iface.name}'s MTU {iface.mtu}: large packets fragment or drop)"
        if iface and iface.mtu and pmtu < iface.mtu
        else ""
    )


@dataclass(frozen=True)
class RegistryRow:
    cluster: str
    app: str  # the registry's URL when the registry itself did not answer
    instance: str
    result: str
    ok: bool


def probe_registries(session: Session, cluster: str | None = None) -> tuple[str, list[RegistryRow]]:
    """Each instance a cluster's service registry (Eureka) hands out, probed from the office
    host: what an application there would be told to call, and whether the office gets there."""
    from netui.verify.probe import Target, registry_instances
    from netui.verify.probe import run_probes as run

    env = session.env
    source = office_host(session)
    clusters = [c for c in env.clusters.values() if c.registry and cluster in (None, c.name)]
    if not clusters:
        raise UserError(
            f"no cluster in {env.path} has a registry: URL (clusters.NAME.registry: http://…/eureka/apps)"
        )
    rows: list[RegistryRow] = []
    backend = session.hosts[source]
    for c in clusters:
        assert c.registry is not None
        try:
            instances = registry_instances(backend, c.registry)
        except Exception as e:
            rows.append(RegistryRow(c.name, c.registry, "-", f"✗ {e}", False))
            continue
        items = [Target(c.name, "registry", app, ip, port) for app, ip, port in instances]
        for r in run(backend, items):
            rows.append(
                RegistryRow(
                    c.name,
                    r.target.label,
                    f"{r.target.address}:{r.target.port}",
                    f"{r.mark} " + r.detail,
                    r.ok is True,
                )
            )
    return source, rows
