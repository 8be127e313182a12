"""What manages a host's firewall besides netui: firewalld, ufw, nftables.service, and the
kernel settings that decide forwarding (rp_filter, IPVS). Parsed from the snapshot's sections;
pure. A manager "runs" when its rules are loaded on the host (firewalld's `inet firewalld`
table, ufw's chains): in a network namespace, a process list would show other hosts' daemons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

FIREWALLD_CONF = "/etc/firewalld/firewalld.conf"
UFW_CONF = "/etc/ufw/ufw.conf"
UFW_DEFAULTS = "/etc/default/ufw"
NFTABLES_CONF = "/etc/nftables.conf"
FIREWALLD_ZONES = "/etc/firewalld/zones"
FIREWALLD_POLICIES = "/etc/firewalld/policies"
FILES = (FIREWALLD_CONF, UFW_CONF, UFW_DEFAULTS, NFTABLES_CONF)
DIRS = (FIREWALLD_ZONES, FIREWALLD_POLICIES)


def key_values(text: str) -> dict[str, str]:
    """KEY=value lines (firewalld.conf, ufw's files); quotes around values dropped."""
    out = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        k, _, v = line.partition("=")
        out[k.strip()] = v.strip().strip('"').strip("'")
    return out


@dataclass(frozen=True)
class FirewalldZone:
    name: str
    path: str
    target: str | None
    sources: tuple[str, ...]
    interfaces: tuple[str, ...]
    forward: bool
    masquerade: bool


@dataclass(frozen=True)
class FirewalldPolicy:
    name: str
    path: str
    target: str | None
    ingress: tuple[str, ...]
    egress: tuple[str, ...]
    masquerade_to: tuple[str, ...]  # destinations of `rule ... masquerade`


def _attr(tag: str, name: str) -> str | None:
    m = re.search(rf'\b{name}="([^"]*)"', tag)
    return m.group(1) if m else None


def parse_zone(path: str, text: str) -> FirewalldZone:
    name = path.rsplit("/", 1)[-1].removesuffix(".xml")
    head = re.search(r"<zone\b[^>]*>", text)
    return FirewalldZone(
        name,
        path,
        _attr(head.group(0), "target") if head else None,
        tuple(re.findall(r'<source\s+address="([^"]*)"', text)),
        tuple(re.findall(r'<interface\s+name="([^"]*)"', text)),
        bool(re.search(r"<forward\s*/>", text)),
        bool(re.search(r"<masquerade\s*/>", text)),
    )


def parse_policy(path: str, text: str) -> FirewalldPolicy:
    name = path.rsplit("/", 1)[-1].removesuffix(".xml")
    head = re.search(r"<policy\b[^>]*>", text)
    masq = [
        m.group(1)
        for m in re.finditer(
            r'<rule\b[^>]*>\s*<destination\s+address="([^"]*)"\s*/>\s*<masquerade\s*/>', text
        )
    ]
    return FirewalldPolicy(
        name,
        path,
        _attr(head.group(0), "target") if head else None,
        tuple(re.findall(r'<ingress-zone\s+name="([^"]*)"', text)),
        tuple(re.findall(r'<egress-zone\s+name="([^"]*)"', text)),
        tuple(masq),
    )


@dataclass
class FirewallFacts:
    """The firewall managers' configuration as read from the host (files may be absent)."""

    files: dict[str, str] = field(default_factory=dict)  # path -> text (capped)
    nftables_enabled: tuple[str, ...] = ()  # the .wants links that start nftables.service
    rp_filter: dict[str, int] = field(default_factory=dict)  # interface (all/default) -> value
    ipvs: str = ""  # /proc/net/ip_vs

    @property
    def firewalld_conf(self) -> dict[str, str] | None:
        text = self.files.get(FIREWALLD_CONF)
        return key_values(text) if text is not None else None

    def firewalld_zones(self) -> list[FirewalldZone]:
        return [
            parse_zone(p, t)
            for p, t in sorted(self.files.items())
            if p.startswith(FIREWALLD_ZONES + "/") and p.endswith(".xml")
        ]

    def firewalld_policies(self) -> list[FirewalldPolicy]:
        return [
            parse_policy(p, t)
            for p, t in sorted(self.files.items())
            if p.startswith(FIREWALLD_POLICIES + "/") and p.endswith(".xml")
        ]

    @property
    def ufw_enabled(self) -> bool:
        text = self.files.get(UFW_CONF)
        return text is not None and key_values(text).get("ENABLED", "").lower() == "yes"

    @property
    def ufw_forward_policy(self) -> str | None:
        text = self.files.get(UFW_DEFAULTS)
        return key_values(text).get("DEFAULT_FORWARD_POLICY") if text is not None else None

    @property
    def nftables_conf_flushes(self) -> bool:
        """Does /etc/nftables.conf flush the whole rule set (Debian's default file does)?"""
        text = self.files.get(NFTABLES_CONF)
        if text is None:
            return False
        for line in text.splitlines():
            line = line.split("#", 1)[0].strip()
            if re.fullmatch(r"flush\s+ruleset(\s*;)?", line):
                return True
        return False

    def ipvs_services(self) -> dict[str, list[str]]:
        """ "ADDR:PORT" of each IPVS virtual service -> its real servers (from /proc/net/ip_vs,
        which prints addresses in hex)."""
        out: dict[str, list[str]] = {}
        current: str | None = None
        for line in self.ipvs.splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] in ("TCP", "UDP", "SCTP"):
                current = _hex_endpoint(parts[1])
                if current:
                    out[current] = []
            elif len(parts) >= 2 and parts[0] == "->" and current and ":" in parts[1]:
                ep = _hex_endpoint(parts[1])
                if ep:
                    out[current].append(ep)
        return out


def _hex_endpoint(text: str) -> str | None:
    addr, _, port = text.partition(":")
    if len(addr) != 8:
        return None
    try:
        octets = [str(int(addr[i : i + 2], 16)) for i in range(0, 8, 2)]
        return ".".join(octets) + ":" + str(int(port, 16))
    except ValueError:
        return None
