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
from netui.model.findings import ERROR, Change, Finding
from netui.model.hooks import IPTABLES
from netui.model.snapshot import ROUTES, TABLES, HostSnapshot


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
                _fix(inp, dns.host, snap, hop.chain.owner, hop.chain.source),
            )
        )
    return out


def _fix(
    inp: DoctorInput, host: str, snap: HostSnapshot, owner: str, source: str
) -> tuple[Change, ...]:
    """The host's own way to let the office's DNS in: firewalld's policy, ufw's rule; else
    the text above (an INPUT policy of someone else's: netui owns no input chain)."""
    if owner == "firewalld":
        return (firewalld_dns_fix(inp, host),)
    if source == IPTABLES and "ufw" in snap.firewall_managers:
        return (
            Change(
                "ufw-allow-dns",
                host,
                f"ufw on {host}: `ufw allow proto udp|tcp from OFFICE to any port 53` for "
                + ", ".join(inp.office),
                {"sources": ",".join(inp.office)},
            ),
        )
    return ()
