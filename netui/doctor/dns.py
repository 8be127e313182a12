"""dnsmasq on the DNS host (or, without one, on each forwarder): loops and cluster domains sent
to the wrong cluster's DNS."""

from __future__ import annotations

from netui.doctor.context import DoctorInput
from netui.model.findings import ERROR, INFO, WARNING, Change, Finding
from netui.model.snapshot import FILES, ROUTES
from netui.plan.dns import conf_path, netui_forwards

DNSMASQ_CONF = "/etc/dnsmasq.conf"


def dns_hosts(inp: DoctorInput) -> dict[str, str]:
    """host -> dnsmasq conf dir to read."""
    if inp.env.dns:
        return {inp.env.dns.host: inp.env.dns.conf_dir}
    return {c.forwarder: "/etc/dnsmasq.d" for c in inp.clusters.values() if c.forwarder}


def config_lines(files: dict[str, str], conf_dir: str) -> list[tuple[str, int, str, str]]:
    """(path, line number, key, value) of each `key=value` line of dnsmasq's configuration
    among `files`: /etc/dnsmasq.conf and the files of `conf_dir`, comments left out."""
    out = []
    for path, text in sorted(files.items()):
        if not (path == DNSMASQ_CONF or path.startswith(conf_dir.rstrip("/") + "/")):
            continue
        for no, raw in enumerate(text.splitlines(), 1):
            line = raw.split("#", 1)[0].strip()
            if "=" in line:
                k, _, v = line.partition("=")
                out.append((path, no, k.strip(), v.strip()))
    return out


def server_of(value: str) -> tuple[str, str]:
    """A `server=` value as (domain, target IP); the domain is "" for a server of every name."""
    domain, _, target = value[1:].partition("/") if value.startswith("/") else ("", "", value)
    return domain, target.split("#")[0]


def check(inp: DoctorInput) -> list[Finding]:
    out: list[Finding] = []
    by_domain: dict[str, list[str]] = {}
    for c in inp.clusters.values():
        by_domain.setdefault(c.domain, []).append(c.name)
    for host, conf_dir in dns_hosts(inp).items():
        snap = inp.snapshot(host, FILES, ROUTES)
        if snap is None:
            continue
        lines = config_lines(snap.files, conf_dir)
        own = {str(ip) for ip in snap.routes.local_ips()} | {"127.0.0.1"}
        own |= {v for _, _, k, v in lines if k == "listen-address"}
        # domain -> (evidence, target IP, its removal) of each line forwarding a cluster's domain
        forwarded: dict[str, list[tuple[str, str, Change]]] = {}
        foreign: dict[str, list[tuple[str, str, Change]]] = {}  # the same, outside netui's file
        # domain -> the DNS IP netui's drop-in forwards it to (or would), on the DNS host only
        chosen: dict[str, str] = {}
        if inp.env.dns is not None and inp.env.dns.host == host:
            forwards, _ = netui_forwards(inp.clusters.values(), snap.files.get(conf_path(conf_dir)))
            chosen = {f.domain: f.dns_ip for f in forwards}
        live = bool(snap.files.get(conf_path(conf_dir)))  # netui's drop-in is there already
        for path, no, key, value in lines:
            remove = Change(
                "dns-line-remove",
                host,
                f"remove line {no} of {path} ({key}={value})",
                {"file": path, "line": str(no)},
            )
            if key == "server":
                domain, target_ip = server_of(value)
                if target_ip in own:
                    what = f"queries for {domain}" if domain else "every query it cannot answer"
                    out.append(
                        Finding(
                            "dns-loop",
                            ERROR,
                            host,
                            f"dnsmasq on {host} sends {what} to {target_ip}, its own address: a loop",
                            (f"{path}:{no}: {key}={value}",),
                            (remove,),
                        )
                    )
                    continue
                if domain in by_domain:
                    line = (f"{path}:{no}: {key}={value}", target_ip, remove)
                    forwarded.setdefault(domain, []).append(line)
                    if path != conf_path(conf_dir):
                        foreign.setdefault(domain, []).append(line)
        for domain, sent in forwarded.items():
            against = _against_netui(
                inp, host, domain, chosen.get(domain), foreign.get(domain, []), live
            )
            out += against or _domain_findings(inp, host, domain, by_domain[domain], sent)
    for domain, names in by_domain.items():
        if len(names) > 1 and not any(f.code == "dns-domain-conflict" for f in out):
            out.append(
                Finding(
                    "dns-domain-conflict",
                    INFO,
                    None,
                    f"clusters {', '.join(names)} all use the domain {domain}: only one can be forwarded under it",
                    (),
                )
            )
    return out


def _against_netui(
    inp: DoctorInput,
    host: str,
    domain: str,
    chosen_ip: str | None,
    foreign: list[tuple[str, str, Change]],
    live: bool = True,
) -> list[Finding]:
    """Someone else's line forwarding a domain elsewhere than netui's drop-in does: dnsmasq
    would ask both, so names resolve in either cluster (and netui's check of its drop-in fails
    whenever the other answers first). An error each, its removal the fix."""
    if chosen_ip is None:
        return []
    mine = next((c.name for c in inp.clusters.values() if c.dns_ip == chosen_ip), "?")
    members = {c.dns_ip: c.name for c in inp.clusters.values() if c.domain == domain}
    out = []
    for evidence, target_ip, remove in foreign:
        theirs = members.get(target_ip)
        if target_ip == chosen_ip or theirs is None:
            continue  # agrees with netui, or names no cluster of this domain: a conflict
        where = f"cluster {theirs}'s DNS"
        title = (
            f"dnsmasq on {host} forwards {domain} to {target_ip} ({where}) beside netui's "
            f"drop-in, which {'forwards' if live else 'is to forward'} it to cluster {mine} "
            f"({chosen_ip}): dnsmasq {'asks' if live else 'would ask'} either, so names "
            f"resolve in either cluster"
        )
        hint = f"to resolve {domain} in cluster {theirs}: netui dns switch {domain} {theirs}"
        out.append(
            Finding(
                "dns-forward-split",
                ERROR,
                host,
                title,
                (evidence, hint),
                (remove,),
            )
        )
    return out


def _domain_findings(
    inp: DoctorInput, host: str, domain: str, names: list[str], sent: list[tuple[str, str, Change]]
) -> list[Finding]:
    """What the lines of one host forwarding one cluster domain amount to, the worst said once:
    a line to no cluster's DNS is an error each; else lines to several clusters' DNS are one
    warning (dnsmasq asks any of them); else one cluster wins and the others sharing its domain
    cannot be resolved from the office (one warning, however many lines say it)."""
    clusters = [inp.clusters[n] for n in names]
    out = []
    for evidence, target_ip, remove in sent:
        if not any(c.dns_ip == target_ip for c in clusters):
            title = f"dnsmasq on {host} forwards {domain} to {target_ip}, which is not the DNS of {', '.join('cluster ' + c.name for c in clusters)}"
            out.append(
                Finding(
                    "dns-domain-conflict",
                    ERROR,
                    host,
                    title,
                    (evidence, *(f"cluster {c.name} DNS: {c.dns_ip}" for c in clusters)),
                    (remove,),
                )
            )
    if out:
        return out
    match = [c for c in clusters if any(c.dns_ip == ip for _, ip, _ in sent)]
    lines = tuple(e for e, _, _ in sent)
    if len(match) > 1:
        title = f"dnsmasq on {host} forwards {domain} to {' and '.join('cluster ' + c.name for c in match)} at once: it asks any of them, so a name resolves to either cluster's answer"
        fixes: tuple[Change, ...] = tuple(r for _, _, r in sent)
    elif len(clusters) > 1:
        others = [c for c in clusters if c not in match]
        title = f"{domain} is forwarded to cluster {match[0].name}; {', '.join('cluster ' + c.name for c in others)} also call{'s' if len(others) == 1 else ''} itself {domain} and cannot be resolved from the office"
        fixes = ()
    else:
        return []
    shown = (*lines, "choose which cluster the office resolves (the migration switch)")
    return [Finding("dns-domain-conflict", WARNING, host, title, shown, fixes)]
