"""Routes a host's network configuration brings back at every boot (pure: files in, routes out).

A route in the kernel's table says nothing about the next boot: it may come from a file that
the host's network manager reads at boot, or from an `ip route add` typed by hand that the next
reboot forgets. These are the managers netui knows, each read from the files it reads:

- systemd-networkd: `/etc/systemd/network/*.network`, `[Route]` sections and `[Network] Gateway=`
- netplan: `/etc/netplan/*.yaml`, `routes:` (`to:`/`via:`) and `gateway4:` of each interface
- NetworkManager keyfiles: `/etc/NetworkManager/system-connections/*.nmconnection`, `[ipv4]`
  `routeN=` and `gateway=` (or the gateway after an `addressN=`)
- ifupdown: `/etc/network/interfaces` and `interfaces.d/*`, `gateway` and `up ip route add …`
- network-scripts (RHEL): `/etc/sysconfig/network-scripts/route-*` (both of its formats) and
  `GATEWAY=` in `ifcfg-*`

Files are the host's: hostile data. A file that cannot be parsed holds no route (never an error).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from netaddr import AddrFormatError, IPAddress, IPNetwork

NETWORKD_DIR = "/etc/systemd/network"
NETPLAN_DIR = "/etc/netplan"
NM_DIR = "/etc/NetworkManager/system-connections"
IFUPDOWN_FILE = "/etc/network/interfaces"
IFUPDOWN_DIR = "/etc/network/interfaces.d"
NETWORK_SCRIPTS_DIR = "/etc/sysconfig/network-scripts"

# What a snapshot reads to know them (files, or directories read one level deep).
CONFIG_PATHS = (
    NETWORKD_DIR,
    NETPLAN_DIR,
    NM_DIR,
    IFUPDOWN_FILE,
    IFUPDOWN_DIR,
    NETWORK_SCRIPTS_DIR,
)


@dataclass(frozen=True)
class ConfiguredRoute:
    """One route a configuration file brings up at boot."""

    dst: str  # a CIDR, or "default"
    via: str | None
    path: str  # the file that holds it
    manager: str  # "systemd-networkd", "netplan", ...

    @property
    def where(self) -> str:
        return f"{self.path} ({self.manager})"

    def network(self) -> IPNetwork:
        return IPNetwork("0.0.0.0/0") if self.dst == "default" else IPNetwork(self.dst)


def _cidr(text: str) -> str | None:
    """`text` as a normalised IPv4 CIDR ('default' stays), or None when it is not one."""
    text = text.strip().strip("'\"")
    if text in ("default", "0.0.0.0/0"):
        return "default"
    try:
        net = IPNetwork(text)
    except (AddrFormatError, ValueError, TypeError):
        return None
    if net.version != 4:
        return None
    return str(net.cidr) if net.prefixlen < 32 else str(net.ip) + "/32"


def _ip(text: str | None) -> str | None:
    if not text:
        return None
    try:
        ip = IPAddress(text.strip().strip("'\""))
    except (AddrFormatError, ValueError, TypeError):
        return None
    return str(ip) if ip.version == 4 else None


def _ini_sections(text: str) -> list[tuple[str, dict[str, list[str]]]]:
    """A systemd/keyfile ini text as (section, key -> values) in file order; repeated sections
    ([Route] many times) stay apart, repeated keys accumulate."""
    out: list[tuple[str, dict[str, list[str]]]] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            out.append((line[1:-1].strip(), {}))
        elif "=" in line and out:
            k, _, v = line.partition("=")
            out[-1][1].setdefault(k.strip(), []).append(v.strip())
    return out


def networkd_routes(path: str, text: str) -> list[ConfiguredRoute]:
    out = []
    for section, keys in _ini_sections(text):
        if section == "Network":
            for value in keys.get("Gateway", []):
                if _ip(value):
                    out.append(ConfiguredRoute("default", _ip(value), path, "systemd-networkd"))
        elif section == "Route":
            dst = _cidr((keys.get("Destination") or ["default"])[-1])
            via = _ip((keys.get("Gateway") or [""])[-1])
            if dst:
                out.append(ConfiguredRoute(dst, via, path, "systemd-networkd"))
    return out


def nm_keyfile_routes(path: str, text: str) -> list[ConfiguredRoute]:
    out = []
    for section, keys in _ini_sections(text):
        if section != "ipv4":
            continue
        gateways = keys.get("gateway", [])
        for k, values in keys.items():
            if re.fullmatch(r"address\d*", k):
                gateways += [v.split(",")[1] for v in values if "," in v]
            if re.fullmatch(r"route\d+", k):
                for v in values:
                    parts = v.split(",")
                    dst = _cidr(parts[0])
                    if dst:
                        via = _ip(parts[1]) if len(parts) > 1 else None
                        out.append(ConfiguredRoute(dst, via, path, "NetworkManager"))
        for gw in gateways:
            if _ip(gw):
                out.append(ConfiguredRoute("default", _ip(gw), path, "NetworkManager"))
    return out


_IP_ROUTE = re.compile(
    r"^\s*(?:up|post-up)\s+(?:/\S*/)?ip\s+(?:-4\s+)?r(?:o(?:u(?:te?)?)?)?\s+(?:add|replace|append)\s+(\S+)(?:.*?\svia\s+(\S+))?"
)


def ifupdown_routes(path: str, text: str) -> list[ConfiguredRoute]:
    out = []
    for raw in text.splitlines():
        line = raw.split("#", 1)[0]
        words = line.split()
        if len(words) == 2 and words[0] == "gateway" and _ip(words[1]):
            out.append(ConfiguredRoute("default", _ip(words[1]), path, "ifupdown"))
            continue
        m = _IP_ROUTE.match(line)
        if m and _cidr(m.group(1)):
            out.append(ConfiguredRoute(_cidr(m.group(1)) or "", _ip(m.group(2)), path, "ifupdown"))
    return out


def network_scripts_routes(path: str, text: str) -> list[ConfiguredRoute]:
    out = []
    name = path.rpartition("/")[2]
    values = {}
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if "=" in line and " " not in line.partition("=")[0]:
            k, _, v = line.partition("=")
            values[k.strip()] = v.strip().strip("'\"")
        elif name.startswith("route-"):
            words = line.split()
            dst = _cidr(words[0])
            via = _ip(words[words.index("via") + 1]) if "via" in words[:-1] else None
            if dst:
                out.append(ConfiguredRoute(dst, via, path, "network-scripts"))
    if name.startswith("route-"):
        i = 0
        while f"ADDRESS{i}" in values:
            addr, mask = values[f"ADDRESS{i}"], values.get(f"NETMASK{i}", "255.255.255.255")
            dst = _cidr(f"{addr}/{mask}")
            if dst:
                out.append(
                    ConfiguredRoute(dst, _ip(values.get(f"GATEWAY{i}")), path, "network-scripts")
                )
            i += 1
    elif name.startswith("ifcfg-") and _ip(values.get("GATEWAY")):
        out.append(ConfiguredRoute("default", _ip(values.get("GATEWAY")), path, "network-scripts"))
    return out


def netplan_routes(path: str, text: str) -> list[ConfiguredRoute]:
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError:
        return []
    net = doc.get("network") if isinstance(doc, dict) else None
    if not isinstance(net, dict):
        return []
    out = []
    for kind in ("ethernets", "bridges", "bonds", "vlans", "wifis", "tunnels"):
        ifaces = net.get(kind)
        if not isinstance(ifaces, dict):
            continue
        for conf in ifaces.values():
            if not isinstance(conf, dict):
                continue
            if _ip(str(conf.get("gateway4", ""))):
                out.append(ConfiguredRoute("default", _ip(str(conf["gateway4"])), path, "netplan"))
            for r in conf.get("routes") or []:
                if isinstance(r, dict) and _cidr(str(r.get("to", ""))):
                    via = _ip(str(r.get("via", ""))) if r.get("via") else None
                    out.append(ConfiguredRoute(_cidr(str(r["to"])) or "", via, path, "netplan"))
    return out


def configured_routes(files: dict[str, str]) -> list[ConfiguredRoute]:
    """Every route the configuration files among `files` (path -> text) bring up at boot."""
    out: list[ConfiguredRoute] = []
    for path, text in sorted(files.items()):
        folder, _, name = path.rpartition("/")
        if folder == NETWORKD_DIR and name.endswith(".network"):
            out += networkd_routes(path, text)
        elif folder == NETPLAN_DIR and name.endswith((".yaml", ".yml")):
            out += netplan_routes(path, text)
        elif folder == NM_DIR and name.endswith(".nmconnection"):
            out += nm_keyfile_routes(path, text)
        elif path == IFUPDOWN_FILE or folder == IFUPDOWN_DIR:
            out += ifupdown_routes(path, text)
        elif folder == NETWORK_SCRIPTS_DIR and name.startswith(("route-", "ifcfg-")):
            out += network_scripts_routes(path, text)
    return out


def configured_route(files: dict[str, str], dst: str) -> ConfiguredRoute | None:
    """The configured route for exactly `dst` (a CIDR or 'default'), if a file holds one."""
    want = _cidr(dst)
    return next((r for r in configured_routes(files) if r.dst == want), None)


def networkd_file(
    ifname: str, address: str, gateway: str | None, routes: list[tuple[str, str]]
) -> str:
    """A systemd-networkd .network file for one interface (what the lab's hosts boot with)."""
    lines = ["[Match]", f"Name={ifname}", "", "[Network]", f"Address={address}"]
    if gateway:
        lines.append(f"Gateway={gateway}")
    for dst, via in routes:
        lines += ["", "[Route]", f"Destination={dst}", f"Gateway={via}"]
    return "\n".join(lines) + "\n"
