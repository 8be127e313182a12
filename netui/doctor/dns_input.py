"""Does the DNS host's firewall let the office's queries in? dnsmasq may be right and every
name still dead when the host's INPUT (iptables, ufw's chains, firewalld's or any native nft
input hook) drops UDP 53 from the office: the office's DNS probes fail with nothing else to
blame."""

from __future__ import annotations

from netui.doctor.context import DoctorInput
from netui.doctor.firewall import firewalld_dns_fix
from netui.doctor.masquerade import samples
from netui.doctor.path import input_path
from netui.doctor.walk import Packet
from netui.model.findings import ERROR, Finding
from netui.model.snapshot import ROUTES, TABLES


def check(inp: DoctorInput) -> list[Finding]:
    dns = inp.env.dns
    if dns is None or not dns.listen:
        return []
    snap = inp.snapshot(dns.host, TABLES, ROUTES)
    if snap is None:
        return []
    out = []
    for office in inp.office:
        src = samples(office)[0]
        back = snap.routes.lookup(src)
        packet = Packet(
            src,
            dns.listen,
            proto="udp",
            dport=53,
            in_iface=back.dev if back else None,
            local_ips=tuple(str(ip) for ip in snap.routes.local_ips()),
        )
        path = input_path(snap, packet)
        hop = path.blocked_by
        if hop is None:
            continue
        owner = f" ({hop.chain.owner})" if hop.chain.owner else ""
        out.append(
            Finding(
                "dns-blocked",
                ERROR,
                dns.host,
                f"{dns.host} drops the office's DNS queries ({office} -> {dns.listen} udp/53): "
                f"{hop.where} says {hop.verdict}{owner}",
                (
                    *path.lines(),
                    *hop.lines,
                    f"let udp and tcp port 53 from {office} in on {dns.host} (its firewall's own terms)",
                ),
                (firewalld_dns_fix(inp, dns.host),) if hop.chain.owner == "firewalld" else (),
            )
        )
    return out
