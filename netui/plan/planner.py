"""From the doctor's findings to a plan (pure). Whatever the doctor finds connected needs no
change, so planning on a connected environment gives an empty plan (idempotence)."""

from __future__ import annotations

from typing import assert_never

from netaddr import IPNetwork

from netui.discovery.model import ClusterInventory
from netui.doctor.context import DoctorInput
from netui.doctor.dns import config_lines, server_of
from netui.model.findings import Change, Finding
from netui.model.owners import untagged
from netui.plan.dns import (
    Forward,
    conf_path,
    netui_forwards,
    render_conf,
    same_forwards,
)
from netui.plan.kinds import boot_persisted
from netui.plan.kinds.dns_drop_in import DnsCheck, DnsDropIn
from netui.plan.kinds.file_edit import FileEdit
from netui.plan.kinds.firewalld_policy import FirewalldPolicies
from netui.plan.kinds.foreign_delete import ForeignDelete
from netui.plan.kinds.forward_accept import ForwardAccept
from netui.plan.kinds.forwarding_on import ForwardingOn
from netui.plan.kinds.forwarding_persisted import ForwardingPersisted
from netui.plan.kinds.jump import OWNED, Jump
from netui.plan.kinds.jump_move import JumpMove
from netui.plan.kinds.masquerade import Masquerade, masquerade_rule
from netui.plan.kinds.nft_accept import NftAccept
from netui.plan.kinds.route import RouteChange
from netui.plan.kinds.ufw_allow import UfwAllowDns
from netui.plan.model import TAINT_KEY, Plan, PlanRefused, Taint, new_plan_id

# Findings the connecting plan answers, and the ones it leaves to the operator (foreign rules are
# never touched without an explicit `netui rule delete/move`).
CONNECTING = {
    "forwarding-off",
    "forwarding-not-persisted",
    "masquerade-missing",
    "rule-shadowed",
    "route-missing",
    "route-wrong-gateway",
    "no-return-route",
    "forward-blocked",
    "dns-blocked",
    "cluster-masquerade-missing",
    "cluster-route-missing",
    "cluster-return-route-missing",
    "not-persisted",
}


def refusals(inp: DoctorInput, findings: list[Finding], clusters: set[str]) -> list[str]:
    reasons = []
    for f in findings:
        if f.code == "cidr-overlap":
            reasons.append(f"overlapping CIDRs: {f.title}")
    for c in inp.clusters.values():
        if c.name not in clusters:
            continue
        for cidr in (*inp.office, *c.cidrs):
            if IPNetwork(cidr).prefixlen == 0:
                reasons.append(
                    f"cluster {c.name}: {cidr} would masquerade or route everything; give the real CIDRs"
                )
        if not c.cidrs:
            reasons.append(
                f"cluster {c.name}: no pod or service CIDR known (discovery failed and the environment file gives none)"
            )
        if c.forwarder is None:
            reasons.append(
                f"cluster {c.name}: no forwarder chosen (set clusters.{c.name}.forwarder)"
            )
        elif inp.snapshot(c.forwarder) is None:
            reasons.append(
                f"cluster {c.name}: its forwarder {c.forwarder} cannot be read, so nothing about it can be planned safely"
            )
        elif not c.forwarder_ip:
            reasons.append(
                f"cluster {c.name}: the forwarder {c.forwarder} has no address the office router could route to"
            )
    for f in findings:
        if f.code == "no-return-route" and f.cluster in clusters and not f.fixes:
            reasons.append(
                f"{f.host} cannot reach the office and netui cannot tell through which router address: {f.title}"
            )
    router = inp.env.office.router
    if router and inp.snapshot(router) is None:
        reasons.append(f"the office router {router} cannot be read")
    return reasons


def make_plan(
    inp: DoctorInput,
    findings: list[Finding],
    cluster: str | None = None,
    jump_position: int = 1,
    taint_forwarders: bool = False,
    fix_all: bool = False,
) -> Plan:
    """The changes that connect the office to every cluster (or one). With `fix_all`, also
    every explicit fix the doctor proposes: wrong foreign rules deleted (and what they meant
    added in netui's chain), dnsmasq lines that loop or misroute a domain removed — one plan,
    one preview, one undo. Raises PlanRefused."""
    clusters = {cluster} if cluster else set(inp.clusters)
    reasons = refusals(inp, findings, clusters)
    if reasons:
        raise PlanRefused(reasons)
    plan = Plan(new_plan_id(), env=inp.env.path)
    mine = [f for f in findings if f.cluster is None or f.cluster in clusters]
    for f in mine:
        if f.code in CONNECTING or fix_all:
            for ch in f.fixes:
                _add_connecting_change(inp, plan, ch, jump_position)
    if fix_all:
        _add_explicit_fixes(inp, plan, mine)
        # the lines that blocked netui's drop-in are going: plan it too
        findings = [f for f in findings if not any(c.kind == "dns-line-remove" for c in f.fixes)]
    plan_dns(inp, plan, clusters, findings=findings)
    if taint_forwarders:
        plan.taints, notes = planned_taints(inp.inventory, clusters)
        plan.notes += notes
    boot_persisted.attach(inp, plan)
    router = inp.env.office.router
    if router is None:
        plan.notes.append(
            "no office router in the environment: add these routes on it by hand (`netui plan --router-syntax ...` prints them)"
        )
    return plan.prune()


def _add_connecting_change(inp: DoctorInput, plan: Plan, ch: Change, jump_position: int) -> None:
    """One fix that connects the office, into netui's own chains, routes and sysctls."""
    hp = plan.host(ch.host)
    p = ch.params
    match ch.kind:
        case "forwarding-on":
            hp.add(ForwardingOn())
        case "forwarding-persist":
            hp.add(ForwardingPersisted())
        case "masquerade-add" | "rule-move":
            # a shadowed rule is answered by netui's own rule, its jump ahead of the winner
            if p.get("source") and p.get("destination"):
                above = int(p.get("above") or jump_position)
                hp.add(Jump("nat", min(jump_position, above)))
                rule = masquerade_rule(p["source"], p["destination"], plan.id)
                if not _holds(inp, ch.host, "nat", rule):
                    hp.add(Masquerade(p["source"], p["destination"]))
        case "jump-move":
            hp.add(JumpMove(p["table"], int(p["from"]), int(p["to"])))
        case "route-replace" | "return-route-add":
            snap = inp.snapshot(ch.host)
            now = snap.routes.covering(p["cidr"]) if snap else None
            previous = now.line if now is not None and now.dst == p["cidr"] else None
            if all(r.cidr != p["cidr"] for r in hp.of(RouteChange)):
                hp.add(RouteChange(p["cidr"], p["via"], previous))
        case "forward-accept":
            hp.add(Jump("filter", jump_position))
            pair = ForwardAccept(p["source"], p["destination"])
            if not all(_holds(inp, ch.host, "filter", r) for r in pair.rules(plan.id)):
                hp.add(pair)
        case "boot-persist":
            boot_persisted.add_to(hp, tuple(p.get("lines", "").splitlines()))
        case "rule-delete" | "dns-line-remove" | "nft-rule-insert":
            pass  # someone else's rule or file: changed only on an explicit fix (x)
        case "firewalld-office":
            hp.merge_in(
                FirewalldPolicies(
                    _words(p.get("sources", "")),
                    _words(p.get("destinations", "")),
                    p.get("dns") == "yes",
                )
            )
        case "ufw-allow-dns":
            hp.merge_in(UfwAllowDns(_words(p.get("sources", ""))))
        case _:
            assert_never(ch.kind)


def _words(text: str) -> tuple[str, ...]:
    return tuple(w for w in text.split(",") if w)


def _holds(inp: DoctorInput, host: str, table: str, rule: str) -> bool:
    """Does netui's chain in `table` on `host` hold `rule` already (whatever plan wrote it)?
    Such a rule is not planned again: no second copy, no preview line for it."""
    snap = inp.snapshot(host)
    t = (snap.nat if table == "nat" else snap.filter) if snap else None
    c = t.chain(OWNED[table][1]) if t else None
    return c is not None and untagged(rule) in {untagged(r.text) for r in c.rules}


def _add_explicit_fixes(inp: DoctorInput, plan: Plan, findings: list[Finding]) -> None:
    """Foreign rules the doctor says are wrong, and foreign dnsmasq lines: explicit changes,
    journaled with what undo needs (the rule and its position, the file before and after)."""
    removals: dict[tuple[str, str], dict[int, str]] = {}
    for f in findings:
        for ch in f.fixes:
            p = ch.params
            if ch.kind == "rule-delete":
                plan.host(ch.host).add(
                    ForeignDelete(p["table"], p["chain"], p["rule"], int(p["position"]))
                )
            elif ch.kind == "dns-line-remove":
                removals.setdefault((ch.host, p["file"]), {})[int(p["line"])] = f.code
            elif ch.kind == "nft-rule-insert":
                plan.host(ch.host).add(
                    NftAccept(p["family"], p["table"], p["chain"], p["source"], p["destination"])
                )
    for (host, path), lines in removals.items():
        snap = inp.snapshot(host)
        before = snap.files.get(path) if snap else None
        if before is None:
            plan.notes.append(f"{host}: {path} could not be read; its lines are left as they are")
            continue
        kept = [
            line for no, line in enumerate(before.splitlines(keepends=True), 1) if no not in lines
        ]
        reload = inp.env.dns.reload if inp.env.dns and inp.env.dns.host == host else None
        why = "remove line(s) " + ", ".join(f"{no} ({code})" for no, code in sorted(lines.items()))
        plan.host(host).add(FileEdit(path, before, "".join(kept), reload, why))


def plan_for_finding(inp: DoctorInput, finding: Finding, jump_position: int = 1) -> Plan:
    """The plan that fixes one finding, for the TUI's "fix this" on a finding. A connecting fix
    goes into netui's own chains as `netui plan` would (with the same refusals); a foreign rule
    the doctor says is wrong (reversed, typo'd, too broad) is deleted, explicitly, with its text
    and position kept for undo. Raises PlanRefused when there is nothing netui can do."""
    plan = Plan(new_plan_id(), env=inp.env.path)
    if finding.code in CONNECTING:
        clusters = {finding.cluster} if finding.cluster else set(inp.clusters)
        reasons = refusals(inp, [finding], clusters)
        if reasons:
            raise PlanRefused(reasons)
    # everything the finding promises: what it meant (in netui's chain) and what it removes
    for ch in finding.fixes:
        _add_connecting_change(inp, plan, ch, jump_position)
    _add_explicit_fixes(inp, plan, [finding])
    plan.prune()
    if plan.empty:
        raise PlanRefused(
            [
                f"{finding.code}: netui has no change for this finding; {finding.fix_line or 'see its evidence'}"
            ]
        )
    # kept across a reboot like every plan (a fix that only lived at runtime was lost at the
    # next boot, and the doctor then warned of its own fix)
    boot_persisted.attach(inp, plan)
    return plan


def planned_taints(
    inventory: dict[str, ClusterInventory], clusters: set[str]
) -> tuple[list[Taint], list[str]]:
    """netui's taint for each chosen cluster's forwarder that does not carry it yet; and notes
    for clusters where it cannot be planned."""
    taints, notes = [], []
    for name in sorted(clusters):
        inv = inventory.get(name)
        if inv is None or inv.error:
            notes.append(
                f"cluster {name}: the API cannot be asked, so its forwarder is not tainted"
            )
            continue
        node = next((n for n in inv.nodes if n.forwarder), None)
        if node is None:
            notes.append(f"cluster {name}: no node is its forwarder ({inv.forwarder}); not tainted")
            continue
        if not any(t.startswith(TAINT_KEY + "=") for t in node.taints):
            taints.append(Taint(name, node.name))
    return taints, notes


def plan_dns(
    inp: DoctorInput,
    plan: Plan,
    clusters: set[str],
    switch: dict[str, str] | None = None,
    findings: list[Finding] | None = None,
) -> None:
    """netui's dnsmasq drop-in on the DNS host, when the environment names one."""
    dns = inp.env.dns
    if dns is None:
        return
    # Someone else's dnsmasq lines that loop or send a cluster domain elsewhere would make
    # netui's drop-in fail its check (and roll the host back): leave DNS out, say why.
    blocking = [
        f
        for f in findings or []
        if f.host == dns.host
        and f.severity == "error"
        and f.code in ("dns-loop", "dns-domain-conflict")
    ]
    if blocking:
        plan.notes += [
            f"DNS left out: {f.title} ({f.evidence[0] if f.evidence else ''}); fix that first"
            for f in blocking
        ]
        return
    snap = inp.snapshot(dns.host)
    if snap is None:
        plan.notes.append(
            f"DNS: the DNS host {dns.host} cannot be read; its dnsmasq drop-in is left as it is"
        )
        return
    path = conf_path(dns.conf_dir)
    live = snap.files.get(path)
    forwards, notes = netui_forwards(inp.clusters.values(), live, switch)
    plan.notes += [f"DNS: {n}" for n in notes]
    split = _split_forwards(plan, dns.host, dns.conf_dir, snap.files, forwards)
    if split:
        plan.notes += [
            f"DNS left out: {line} forwards {domain} elsewhere than netui's drop-in would "
            f"({ip}): dnsmasq would ask both; remove that line (`netui apply --fix-all` does) "
            f"or `netui dns switch {domain} CLUSTER`"
            for line, domain, ip in split
        ]
        return
    if not forwards or same_forwards(live, forwards, dns.listen):
        return
    server = dns.listen or next(
        (str(ip) for ip in snap.routes.local_ips() if not str(ip).startswith("127.")), None
    )
    checks = (
        tuple(DnsCheck(f"kube-dns.kube-system.svc.{f.domain}", server, f.dns_ip) for f in forwards)
        if server
        else ()
    )
    hp = plan.host(dns.host)
    hp.steps = [s for s in hp.steps if not isinstance(s, DnsDropIn)]  # one drop-in per host
    hp.add(DnsDropIn(path, render_conf(forwards, dns.listen, plan.id), dns.reload, checks))
    if "restart" in dns.reload:
        # dnsmasq reads server= lines only when it starts: what the reload costs, said up front
        plan.notes.append(
            f"DNS: dnsmasq on {dns.host} restarts to read the new lines ({dns.reload}): for "
            "about a second the office's queries get no answer (resolvers ask again); the old "
            "answers stand until then"
        )


def _split_forwards(
    plan: Plan, host: str, conf_dir: str, files: dict[str, str], forwards: list[Forward]
) -> list[tuple[str, str, str]]:
    """Someone else's dnsmasq lines that would forward a domain of netui's drop-in to another
    server, as the files will be after this plan's own edits: (where, domain, netui's IP)."""
    chosen = {f.domain: f.dns_ip for f in forwards}
    hp = plan.hosts.get(host)
    edited = {s.path: s.after for s in hp.of(FileEdit)} if hp else {}
    theirs = {p: edited.get(p, text) for p, text in files.items() if p != conf_path(conf_dir)}
    out = []
    for path, no, key, value in config_lines(theirs, conf_dir):
        domain, ip = server_of(value) if key == "server" else ("", "")
        if domain in chosen and ip != chosen[domain]:
            out.append((f"{path}:{no}: {key}={value}", domain, chosen[domain]))
    return out


ROUTER_SYNTAX = {
    "linux": "ip route replace {cidr} via {via}",
    "cisco": "ip route {network} {netmask} {via}",
    "juniper": "set routing-options static route {cidr} next-hop {via}",
    "mikrotik": "/ip route add dst-address={cidr} gateway={via}",
    "openwrt": "uci add network route; uci set network.@route[-1].interface='lan'; uci set network.@route[-1].target='{network}'; uci set network.@route[-1].netmask='{netmask}'; uci set network.@route[-1].gateway='{via}'; uci commit network",
}


def router_snippets(inp: DoctorInput, syntax: str) -> list[str]:
    """The office router's routes to every cluster CIDR, in a router's own syntax."""
    template = ROUTER_SYNTAX[syntax]
    out = []
    for c in inp.clusters.values():
        for cidr in c.cidrs:
            if not c.forwarder_ip:
                continue
            net = IPNetwork(cidr)
            out.append(
                template.format(
                    cidr=cidr, via=c.forwarder_ip, network=net.network, netmask=net.netmask
                )
            )
    return out
