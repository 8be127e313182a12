"""The draft as commented YAML: each value with where it came from, `CHECK:` where a person has
to look. Written line by line (PyYAML drops comments); every value is JSON-quoted, which YAML
reads as a double-quoted string, so a name from an API can never become YAML structure, and
comments are stripped of control characters so one cannot end its line early.
"""

from __future__ import annotations

import json
import time

from netui.core.draft import PLACEHOLDER_OFFICE, Draft, DraftCluster
from netui.discovery.model import Sourced


def _q(value: str) -> str:
    return json.dumps(value)


def _c(text: str, limit: int = 400) -> str:
    clean = "".join(ch if 32 <= ord(ch) != 127 else "?" for ch in text)
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(_q(v) for v in values) + "]"


def _sources(values: list[Sourced]) -> str:
    return ", ".join(dict.fromkeys(s.source for s in values))


def render(draft: Draft, origin: str = "") -> str:
    out = [
        "# netui environment file, drafted by `netui init`"
        + (f" on {_c(origin)}" if origin else "")
        + time.strftime(" at %Y-%m-%d %H:%M UTC", time.gmtime()),
        "# Each value says where it came from; read every CHECK before `netui apply`.",
        "# Next: netui trust HOST (once per host), netui doctor --env FILE, netui plan --env FILE.",
    ]
    if draft.missing:
        out.append("# Not found, to fill in or leave:")
        out += [f"#   - {_c(m)}" for m in draft.missing]
    out += _office(draft)
    if draft.ssh_config:
        out += [
            "ssh:",
            f"  config: {_q(draft.ssh_config)}  # aliases, users, IdentityFile, ProxyJump",
        ]
    out.append("hosts:")
    for h in draft.hosts.values():
        out.append(f"  # {_c(h.source)}")
        if h.check:
            out.append(f"  # CHECK: {_c(h.check)}")
        out.append(f"  {h.name}: {_q(h.uri)}")
    if not draft.hosts:
        out[-1] = (
            "hosts: {}  # none found: add the forwarders and the router (see docs/environment.md)"
        )
    out.append("clusters:")
    for dc in draft.clusters:
        out += _cluster(dc)
    out += _dns(draft)
    out.append(f"kubeconfig: {_q(draft.kubeconfig)}  # {_c(draft.kubeconfig_source)}")
    return "\n".join(out) + "\n"


def _office(draft: Draft) -> list[str]:
    out = ["office:"]
    if draft.office:
        out.append(f"  # {_c(draft.office.source)}")
        out.append(
            "  # CHECK: these are the office's networks (the clients that reach the clusters)"
        )
        out.append(f"  cidrs: {_list(draft.office.cidrs)}")
    else:
        out.append("  # FILL IN: the office LAN(s). No route of this host names them; the value")
        out.append(
            "  # below is TEST-NET-1 (RFC 5737), a placeholder that matches no real network."
        )
        out.append(f"  cidrs: [{_q(PLACEHOLDER_OFFICE)}]")
    if draft.router:
        out.append(f"  router: {draft.router}  # netui changes its routes; not Linux? see below")
        out.append(
            "  # CHECK: a router netui cannot run `ip route` on over SSH: delete router: and its"
        )
        out.append(
            "  # host; `netui plan --router-syntax cisco|juniper|mikrotik|openwrt` prints the routes"
        )
    out.append("  # probe_from: office-pc  # a host on the office LAN, for traces and probes")
    return out


def _cluster(dc: DraftCluster) -> list[str]:
    inv = dc.inventory
    server = f"; API {dc.context.server}" if dc.context.server else ""
    out = [f"  {dc.name}:", f"    context: {_q(dc.context.name)}  # kubeconfig context{_c(server)}"]
    if inv.error:
        out.append(f"    # CHECK: {_c(inv.error)}")
        out.append(
            "    # discovery fills the ranges when the API answers; or give pod_cidrs, service_cidrs"
        )
        return out
    facts = [
        f"CNI {inv.cni.value} (from {inv.cni.source})"
        if inv.cni
        else "CNI unknown (no node annotation, config map or k3s sign names one)"
    ]
    if inv.proxy_mode:
        facts.append(f"kube-proxy {inv.proxy_mode.value} (from {inv.proxy_mode.source})")
    out.append(f"    # {_c('; '.join(facts))}")
    for n in inv.nodes[:20]:
        state = "Ready" if n.ready else "NotReady"
        out.append(
            f"    # node {_c(n.name, 80)} {','.join(n.roles)} {n.internal_ip or '-'} {state}"
        )
    if len(inv.nodes) > 20:
        out.append(f"    # … and {len(inv.nodes) - 20} more nodes (netui nodes {dc.name})")
    if dc.left_out:
        out.append(
            f"    # not made hosts (over {len(dc.node_hosts)}): {_c(', '.join(dc.left_out))}"
        )
    if inv.pod_cidrs:
        out.append(
            f"    pod_cidrs: {_list(inv.pod_cidr_values)}  # from {_c(_sources(inv.pod_cidrs))}"
        )
    if inv.service_cidrs:
        out.append(
            f"    service_cidrs: {_list(inv.service_cidr_values)}  # from {_c(_sources(inv.service_cidrs))}"
        )
    if inv.dns_ip:
        check = " — CHECK" if inv.dns_ip.source.startswith("guessed") else ""
        out.append(f"    dns_ip: {_q(inv.dns_ip.value)}  # from {_c(inv.dns_ip.source)}{check}")
    domain = inv.found_domain
    out.append(
        f"    domain: {_q(domain.value)}  # from {_c(domain.source)}"
        if domain
        else '    domain: "cluster.local"  # the default; CoreDNS and kubeadm said nothing'
    )
    for d in inv.disagreements:
        out.append(f"    # CHECK: {_c(d)}")
    if dc.forwarder:
        out.append(f"    # forwarder proposed: {_c(dc.forwarder_reason)}")
        out.append(f"    forwarder: {dc.forwarder}")
    return out


def _dns(draft: Draft) -> list[str]:
    if not draft.dns_host:
        return ["# dns:  # no DNS host found; add one to forward cluster domains for the office"]
    out = ["dns:", f"  # {_c(draft.dns_source)}", f"  host: {draft.dns_host}"]
    if draft.dns_listen:
        out.append(f"  listen: {_q(draft.dns_listen)}  # the address the office asks")
    out.append("  # reload: systemctl restart dnsmasq  # the default; how dnsmasq restarts there")
    return out
