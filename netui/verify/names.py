"""Name addresses by what the environment knows they are, and explain where a trace stopped."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from netui.discovery.model import ClusterInventory
from netui.doctor.context import DoctorInput
from netui.model.findings import Finding
from netui.model.networks import ip_in
from netui.verify.trace import Hop


@dataclass
class AddressBook:
    """ip -> what it is ("office router", "forwarder of cluster a (a-master)", "Pod eureka-0", ...)."""

    names: dict[str, str] = field(default_factory=dict)
    inp: DoctorInput | None = None
    hosts: dict[str, str] = field(default_factory=dict)  # ip -> the environment's host name

    def inp_forwarders(self) -> set[str]:
        """Every cluster's forwarder host."""
        if self.inp is None:
            return set()
        return {c.forwarder for c in self.inp.clusters.values() if c.forwarder}

    def name(self, ip: str | None) -> str:
        if ip is None:
            return "no answer"
        if ip in self.names:
            return self.names[ip]
        if self.inp is not None:
            kn = self.inp.networks.owner(ip)
            if kn is not None:
                return f"in {kn.label} {kn.cidr}"
        return ""


def address_book(inp: DoctorInput, inventory: dict[str, ClusterInventory]) -> AddressBook:
    book = AddressBook(inp=inp)
    roles: dict[str, str] = {}
    if inp.env.office.router:
        roles[inp.env.office.router] = "office router"
    if inp.env.office.probe_from:
        roles[inp.env.office.probe_from] = "office host"
    for c in inp.clusters.values():
        if c.forwarder:
            roles[c.forwarder] = f"forwarder of cluster {c.name}"
    for host, snap in inp.snapshots.items():
        if not snap.ok:
            continue
        for ip in snap.routes.local_ips():
            if str(ip).startswith("127."):
                continue
            role = roles.get(host)
            book.names[str(ip)] = f"{role} ({host})" if role else host
            book.hosts[str(ip)] = host
    for name, inv in inventory.items():
        for n in inv.nodes:
            if n.internal_ip and n.internal_ip not in book.names:
                book.names[n.internal_ip] = f"node {n.name} of cluster {name}"
            elif n.internal_ip and "node" not in book.names[n.internal_ip]:
                book.names[n.internal_ip] += f", node of cluster {name}"
        for s in inv.services:
            if s.cluster_ip:
                book.names.setdefault(
                    s.cluster_ip, f"Service {s.namespace}/{s.name} of cluster {name}"
                )
            for ip, _port, _proto in s.endpoints:
                book.names.setdefault(ip, f"Pod behind {s.namespace}/{s.name} of cluster {name}")
    return book


def explain(
    hops: list[Hop],
    target: str,
    book: AddressBook,
    findings: list[Finding],
    tcp: bool = False,
    source: str | None = None,
) -> list[str]:
    """Why the path ends where it ends, in the operator's words, backed by the doctor (the
    findings of this path: from `source`, the host the trace runs from, to `target`)."""
    nested = book.inp.networks.nesting_note(target) if book.inp is not None else None
    answered = [h for h in hops if h.answered]
    out = _loop(answered, book)
    if any(h.ip == target for h in answered):
        return _reached(hops, answered, target, book, nested, out)
    last = answered[-1] if answered else None
    if nested:
        out.append(nested)
    if last is None:
        return out + _silent(hops, target, book, findings, source)
    cluster, forwarder, related = _on_path(hops, target, book, findings, source=source)
    who = book.name(last.ip)
    if last.flag:
        reason = {
            "!N": "has no route to the network",
            "!H": "cannot reach the host",
            "!X": "refuses it (administratively prohibited)",
        }.get(last.flag, f"answered {last.flag}")
        out.append(f"stopped at hop {last.ttl}, {last.ip} ({who}): it {reason}")
    else:
        out.append(
            f"last answer at hop {last.ttl}, {last.ip} ({who}); every hop after it is silent"
        )
    out += _because(last, who, cluster, forwarder, related, book)
    if not tcp and book.name(target).startswith("Service"):
        out.append(
            "a Service's address is translated only for its own protocol and port, so UDP probes "
            "to it go nowhere: trace with TCP to the port it serves"
        )
    elif len(out) == 1 + bool(nested):
        if related:
            f = related[0]
            out.append(f"the doctor's finding on this path: {f.code}: {f.title}")
        else:
            out.append("no finding of the doctor is about a host on this path")
    return out


def _loop(answered: list[Hop], book: AddressBook) -> list[str]:
    seen: dict[str, int] = {}
    for h in answered:
        assert h.ip is not None
        if h.ip in seen:
            return [
                f"loop: hop {h.ttl} is {book.name(h.ip)} again (first seen at hop {seen[h.ip]}); a route points back"
            ]
        seen[h.ip] = h.ttl
    return []


def _reached(
    hops: list[Hop],
    answered: list[Hop],
    target: str,
    book: AddressBook,
    nested: str | None,
    loop: list[str],
) -> list[str]:
    out = [
        f"reached {target} ({book.name(target) or 'target'}) in {max(h.ttl for h in hops)} hops",
        *loop,
    ]
    first = next(h for h in answered if h.ip == target)
    if first.ttl > 1 and book.name(target).startswith("Service"):
        before = next((h for h in reversed(answered) if h.ttl < first.ttl), None)
        out.append(
            f"the Service's address answered from hop {first.ttl} on, right after "
            f"{book.name(before.ip) if before else 'the source'}: the node there translated it "
            f"to a Pod (kube-proxy) and conntrack rewrites the answers; trace a Pod for the rest "
            f"of the path"
        )
    if nested:
        out.append(nested)
    return out


def _silent(
    hops: list[Hop],
    target: str,
    book: AddressBook,
    findings: list[Finding],
    source: str | None = None,
) -> list[str]:
    """No hop answered: the doctor's errors on the way (the office router and host, the
    target's forwarder) say why before ICMP rate limits are guessed at."""
    office = {h for ip, h in book.hosts.items() if book.names.get(ip, "").startswith("office ")}
    # the office's router and host lie on the way of a trace from the office, not of one from
    # a cluster's node
    also = (
        office if source is None or source in office or source not in book.hosts.values() else set()
    )
    _, _, related = _on_path(hops, target, book, findings, also, source)
    if related:
        return [
            "no hop answered, and the doctor's findings on this path say why: "
            + "; ".join(f"{f.code}: {f.title}" for f in related[:3])
        ]
    return [
        "no hop answered: either nothing routes the packets away from the office host, or the routers rate-limit ICMP (they do after a burst of probes); run it again in a few seconds"
    ]


def _on_path(
    hops: list[Hop],
    target: str,
    book: AddressBook,
    findings: list[Finding],
    also: Collection[str] = (),  # hosts on the way that need not have answered
    source: str | None = None,  # the host the trace runs from (None: not known)
) -> tuple[str | None, str | None, list[Finding]]:
    """The target's cluster, its forwarder, and the doctor's errors that may be blamed: only what
    lies on this path (a host that answered, the target's forwarder, or the cluster as a whole)
    and is about this path's source (a finding whose fix names another source — cluster b's
    nodes, when the trace runs from the office — is another path's). In the order a packet
    meets them: the source host, the office router, the target's forwarder, the rest; on each,
    findings about the target's own network first (pods vs services of the same cluster)."""
    kn = book.inp.networks.owner(target) if book.inp is not None else None
    cluster = kn.cluster if kn else None
    forwarder = (
        book.inp.clusters[cluster].forwarder
        if book.inp is not None and cluster in book.inp.clusters
        else None
    )
    suspects = {book.hosts.get(h.ip or "") for h in hops} | {forwarder} | set(also)
    source_ips = [ip for ip, host in book.hosts.items() if host == source] if source else []

    def another_source(f: Finding) -> bool:
        named = [c.params["source"] for c in f.fixes if c.params.get("source")]
        return bool(named and source_ips) and not any(
            ip_in(ip, cidr) for ip in source_ips for cidr in named
        )

    others = [
        n.cidr
        for n in (book.inp.networks.networks if book.inp is not None else [])
        if n.cluster is not None and not ip_in(target, n.cidr)
    ]

    def another_route(f: Finding) -> bool:
        """A route finding about another network (routes go by the first destination: the
        Service's own range, even where the Pod behind it answers)."""
        return f.code.startswith("route-") and any(c in f.title for c in others)

    def on_path(f: Finding) -> bool:
        if f.severity != "error" or f.cluster not in (cluster, None) or another_source(f):
            return False
        if another_route(f):
            return False
        return f.host in suspects if f.host else f.cluster == cluster

    router = next(
        (
            host
            for ip, host in book.hosts.items()
            if book.names.get(ip, "").startswith("office router")
        ),
        None,
    )
    order = {source: 0, router: 1, forwarder: 2}
    target_cidr = kn.cidr if kn is not None else None
    related = sorted(
        (f for f in findings if on_path(f)),
        key=lambda f: (
            order.get(f.host, 3),
            0 if target_cidr and target_cidr in f.title else 1,
        ),
    )
    return cluster, forwarder, related


def _because(
    last: Hop,
    who: str,
    cluster: str | None,
    forwarder: str | None,
    related: list[Finding],
    book: AddressBook,
) -> list[str]:
    """The finding that explains why the last hop that answered is the last."""
    codes: dict[str, Finding] = {}
    for f in related:
        codes.setdefault(f.code, f)
    route_findings = [f for f in related if f.code in ("route-missing", "route-wrong-gateway")]
    last_host = book.hosts.get(last.ip or "")
    if "office router" in who and route_findings:
        return [f"because: {route_findings[0].title}"]
    if forwarder and last_host in book.inp_forwarders() and last_host != forwarder:
        return [
            f"the packets went to {last_host}, not to cluster {cluster}'s forwarder {forwarder}: "
            + (
                f"because: {route_findings[0].title}"
                if route_findings
                else "a route on the way sends them to the wrong cluster"
            )
        ]
    if "forwarder" in who:
        for code in (
            "forwarding-off",
            "forward-blocked",
            "masquerade-missing",
            "rule-shadowed",
            "no-return-route",
        ):
            if code in codes:
                hint = (
                    " — the packets arrive, but the replies go to the nodes' default gateway and are lost"
                    if code in ("masquerade-missing", "rule-shadowed")
                    else ""
                )
                return [f"because: {codes[code].title}{hint}"]
    elif "office router" in who:
        for code in ("route-wrong-gateway", "forwarding-off", "forward-blocked"):
            if code in codes:
                return [f"because: {codes[code].title}"]
    return []
