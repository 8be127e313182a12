"""The office DNS: each cluster domain's state, resolving a name as the office does, and the
migration switch's plan. Called by `netui dns` and the DNS screen alike."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from netui.backends import Backend
from netui.core.session import Session
from netui.errors import UserError
from netui.model.envfile import DOMAIN_RE
from netui.model.findings import Finding
from netui.plan.model import Plan, new_plan_id


@dataclass(frozen=True)
class DomainState:
    domain: str
    cluster: str
    dns_ip: str | None
    state: str  # forwarded / another cluster has it / not forwarded
    reachable: str  # from the DNS host: answers / no: ... / ?


def require_dns(session: Session) -> None:
    env = session.env
    if env.dns is None:
        raise UserError(
            f"{env.path} has no dns: section (dns: {{host: ..., listen: ..., conf_dir: /etc/dnsmasq.d, reload: ...}})"
        )


def dropin(session: Session) -> str:
    """The path of netui's dnsmasq drop-in on the DNS host (the one file netui writes there)."""
    from netui.plan.dns import conf_path

    require_dns(session)
    assert session.env.dns is not None
    return conf_path(session.env.dns.conf_dir)


def server(session: Session) -> str:
    env = session.env
    if env.dns is None or not env.dns.listen:
        raise UserError(
            f"{env.path}: dns.listen is not set — the address office machines send their queries to"
        )
    return env.dns.listen


def dig(backend: Backend, name: str, at: str) -> tuple[str, str]:
    """(answer, server that answered); an answer in parentheses is a failure, e.g. (NXDOMAIN)."""
    result = backend.run(["dig", "+time=2", "+tries=1", f"@{at}", name, "A"], timeout=10)
    lines = result.text.splitlines()
    answers = [
        line.split()[-1]
        for line in lines
        if line and not line.startswith(";") and "\tA\t" in line.replace(" ", "\t")
    ]
    via = next((line.split("SERVER:", 1)[1].strip() for line in lines if "SERVER:" in line), at)
    if answers:
        return ", ".join(answers), via
    status = next(
        (line.split("status:", 1)[1].split(",")[0].strip() for line in lines if "status:" in line),
        "no answer",
    )
    return f"({status})", via


def domain_states(session: Session) -> tuple[list[DomainState], bool]:
    """Per cluster: its domain, DNS IP, whether netui's drop-in forwards the domain to it, and
    whether the DNS host reaches that DNS IP. Also whether the drop-in exists yet."""
    from netui.plan.dns import conf_path, current_choices

    require_dns(session)
    env = session.env
    assert env.dns is not None
    inp = session.gather().inp
    snap = inp.snapshot(env.dns.host)
    live = snap.files.get(conf_path(env.dns.conf_dir)) if snap else None
    chosen = current_choices(live)
    others = _other_servers(snap.files if snap else {}, env.dns.conf_dir)
    out = []
    for c in inp.clusters.values():
        state = forwarding_state(c.domain, c.dns_ip, chosen, others)
        reach = "?"
        if c.dns_ip and snap:
            answer, _ = dig(
                session.hosts[env.dns.host], f"kube-dns.kube-system.svc.{c.domain}", c.dns_ip
            )
            reach = "answers" if answer == c.dns_ip else f"no: {answer}"
        out.append(DomainState(c.domain, c.name, c.dns_ip, state, reach))
    return out, live is not None


def forwarding_state(
    domain: str,
    dns_ip: str | None,
    chosen: Mapping[str, str],
    others: Mapping[str, list[tuple[str, str]]],
) -> str:
    """Whether dnsmasq forwards a cluster's domain to its DNS: through netui's drop-in
    (`chosen`: domain -> IP), or someone else's `server=` line (`others`), or not at all."""
    if chosen.get(domain) == dns_ip:
        return "forwarded"
    if domain in chosen:
        return "another cluster has it"
    if others.get(domain):
        # someone else's line answers for the domain: never "not forwarded"
        where, target = others[domain][0]
        if target == dns_ip:
            return f"forwarded by {where}, not netui's drop-in"
        return f"{where} sends it to {target}"
    return "not forwarded"


def _other_servers(
    files: Mapping[str, str | None], conf_dir: str
) -> dict[str, list[tuple[str, str]]]:
    """domain -> (file:line, target) of each `server=/domain/ip` line outside netui's drop-in."""
    from netui.doctor.dns import config_lines, server_of
    from netui.plan.dns import conf_path

    mine = conf_path(conf_dir)
    texts = {p: t for p, t in files.items() if t is not None and p != mine}
    out: dict[str, list[tuple[str, str]]] = {}
    for path, no, key, value in config_lines(texts, conf_dir):
        domain, target = server_of(value) if key == "server" else ("", "")
        if domain:
            out.setdefault(domain, []).append((f"{path}:{no}", target))
    return out


def resolve_name(session: Session, name: str, source: str | None = None) -> tuple[str, str, str]:
    """Resolve `name` as the office does (through the DNS host): (from host, server, answer).
    An answer in parentheses is a failure, e.g. "(NXDOMAIN)"."""
    env = session.env
    require_dns(session)
    name = name.strip()
    if not DOMAIN_RE.fullmatch(name):
        raise UserError(
            f"{name!r} is not a DNS name (letters, digits, '-' and dots, e.g. eureka.default.svc.cluster.local)"
        )
    source = source or env.office.probe_from
    if not source:
        raise UserError(f"{env.path}: office.probe_from is not set; pass --from HOST")
    env.host(source)
    answer, via = dig(session.hosts[source], name, server(session))
    return source, via, answer


def switch_plan(session: Session, domain: str, cluster: str) -> Plan:
    """The plan that makes the office resolve `domain` in `cluster` (the migration switch).
    Its notes say why when there is nothing to switch."""
    from netui.plan.planner import plan_dns

    env = session.env
    require_dns(session)
    users = [c.name for c in env.clusters.values() if c.domain == domain]
    if not users:
        raise UserError(
            f"no cluster uses the domain {domain!r}; domains: {', '.join(sorted({c.domain for c in env.clusters.values()}))}"
        )
    if cluster not in users:
        raise UserError(
            f"cluster {cluster!r} does not use {domain}; clusters that do: {', '.join(users)}"
        )
    d = session.gather()
    plan = Plan(new_plan_id(), env=env.path)
    plan_dns(d.inp, plan, set(env.clusters), {domain: cluster}, d.findings)
    plan.prune()
    if plan.empty and not plan.notes:
        plan.notes.append(f"{domain} already resolves in cluster {cluster}: nothing to switch")
    if not plan.empty:
        by_ip = {c.dns_ip: c.name for c in d.inp.clusters.values() if c.dns_ip}
        refusal = switch_refusal(session, plan, d.findings, by_ip)
        if refusal:
            raise UserError(refusal)
    return plan


def switch_refusal(
    session: Session, plan: Plan, findings: list[Finding], cluster_of: dict[str, str]
) -> str | None:
    """Why this switch must not be applied, in one line, or None. Asked before anything is
    touched: from the DNS host, each cluster DNS the new drop-in forwards to must already
    answer the very query the switch is verified with — else applying it would cut the
    office's DNS until the rollback (dnsmasq forwards to a server it cannot reach)."""
    env = session.env
    assert env.dns is not None
    host = env.dns.host
    from netui.plan.kinds.dns_drop_in import DnsDropIn

    hp = plan.hosts.get(host)
    drop_ins = hp.of(DnsDropIn) if hp is not None else []
    if not drop_ins:
        return None
    for check in drop_ins[0].checks:
        answer, _ = dig(session.hosts[host], check.name, check.expect)
        if check.expect in answer.split(", "):
            continue
        target = cluster_of.get(check.expect)
        blocking = sorted(
            {
                f"{f.code} on {f.host or 'cluster ' + str(f.cluster)}"
                for f in findings
                if f.severity == "error"
                and f.code in PATH_CODES
                and (f.host == host or (target is not None and f.cluster == target))
            }
        )
        why = f"; the doctor sees {', '.join(blocking)} on that path" if blocking else ""
        return (
            f"not switching: {host} gets {answer} from {check.expect} for {check.name} — the new "
            f"DNS does not answer the DNS host yet, so the switch would cut office DNS{why}; "
            "nothing was changed"
        )
    return None


# Findings that can stand between the DNS host and a cluster DNS.
PATH_CODES = frozenset(
    {"forward-blocked", "route-missing", "route-wrong-gateway", "no-return-route"}
    | {"masquerade-missing", "masquerade-reversed", "rule-shadowed", "host-unreachable"}
)


def resolving_cluster(
    session: Session, domain: str, dns_ips: dict[str, str]
) -> tuple[str | None, str]:
    """Which cluster the office's DNS sends `domain` to right now, asked as an office machine
    asks (the cluster DNS's own name through dns.listen): (cluster or None, the answer).
    `dns_ips` maps cluster -> its DNS Service IP."""
    source = session.env.office.probe_from or (session.env.dns.host if session.env.dns else None)
    if not source:
        raise UserError(
            f"{session.env.path}: office.probe_from is not set — name a host on the office LAN"
        )
    answer, _ = dig(session.hosts[source], f"kube-dns.kube-system.svc.{domain}", server(session))
    for cluster, ip in dns_ips.items():
        if ip and ip in answer.split(", "):
            return cluster, answer
    return None, answer
