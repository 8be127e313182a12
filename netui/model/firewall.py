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
# netui's own firewalld policies (plan/kinds/firewalld_policy.py writes them)
NETUI_POLICY = "netui-office-out"
NETUI_DNS_POLICY = "netui-office-dns"
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
class FirewalldFile:
    """What every firewalld zone and policy file says first: its name (the file's, without
    .xml), its path, and the target on its root tag."""

    name: str
    path: str
    target: str | None


@dataclass(frozen=True)
class FirewalldZone(FirewalldFile):
    sources: tuple[str, ...]
    interfaces: tuple[str, ...]
    forward: bool
    masquerade: bool


@dataclass(frozen=True)
class FirewalldPolicy(FirewalldFile):
    ingress: tuple[str, ...]
    egress: tuple[str, ...]
    masquerade_to: tuple[str, ...]  # destinations of `rule ... masquerade`


def _head(path: str, text: str, root: str) -> tuple[str, str, str | None]:
    """A firewalld file's name, path and its root tag's target (FirewalldFile's fields)."""
    head = re.search(rf"<{root}\b[^>]*>", text)
    target = re.search(r'\btarget="([^"]*)"', head.group(0)) if head else None
    return path.rsplit("/", 1)[-1].removesuffix(".xml"), path, target.group(1) if target else None


def _values(text: str, element: str, attribute: str) -> tuple[str, ...]:
    """Every `<element attribute="…">`'s value, in order."""
    return tuple(re.findall(rf'<{element}\s+{attribute}="([^"]*)"', text))


def _flag(text: str, element: str) -> bool:
    """Is there an empty `<element/>` (firewalld's switches: forward, masquerade)?"""
    return bool(re.search(rf"<{element}\s*/>", text))


def parse_zone(path: str, text: str) -> FirewalldZone:
    return FirewalldZone(
        *_head(path, text, "zone"),
        _values(text, "source", "address"),
        _values(text, "interface", "name"),
        _flag(text, "forward"),
        _flag(text, "masquerade"),
    )


def parse_policy(path: str, text: str) -> FirewalldPolicy:
    masq = re.findall(
        r'<rule\b[^>]*>\s*(?:<source\s+address="[^"]*"\s*/>\s*)?'
        r'<destination\s+address="([^"]*)"\s*/>\s*<masquerade\s*/>',
        text,
    )
    return FirewalldPolicy(
        *_head(path, text, "policy"),
        _values(text, "ingress-zone", "name"),
        _values(text, "egress-zone", "name"),
        tuple(masq),
    )


@dataclass
class FirewallFacts:
    """The firewall managers' configuration as read from the host (files may be absent)."""

    files: dict[str, str] = field(default_factory=dict)  # path -> text (capped)
    nftables_enabled: tuple[str, ...] = ()  # the .wants links that start nftables.service
    rp_filter: dict[str, int] = field(default_factory=dict)  # interface (all/default) -> value
    ipvs: str = ""  # /proc/net/ip_vs

    def _conf(self, path: str) -> dict[str, str] | None:
        """A KEY=value file of the host's (None: it is absent)."""
        text = self.files.get(path)
        return key_values(text) if text is not None else None

    def _xml_files(self, directory: str) -> list[tuple[str, str]]:
        return [
            (p, t)
            for p, t in sorted(self.files.items())
            if p.startswith(directory + "/") and p.endswith(".xml")
        ]

    @property
    def firewalld_conf(self) -> dict[str, str] | None:
        return self._conf(FIREWALLD_CONF)

    def firewalld_zones(self) -> list[FirewalldZone]:
        return [parse_zone(p, t) for p, t in self._xml_files(FIREWALLD_ZONES)]

    def firewalld_policies(self) -> list[FirewalldPolicy]:
        return [parse_policy(p, t) for p, t in self._xml_files(FIREWALLD_POLICIES)]

    @property
    def ufw_enabled(self) -> bool:
        conf = self._conf(UFW_CONF)
        return conf is not None and conf.get("ENABLED", "").lower() == "yes"

    @property
    def ufw_forward_policy(self) -> str | None:
        conf = self._conf(UFW_DEFAULTS)
        return conf.get("DEFAULT_FORWARD_POLICY") if conf is not None else None

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
