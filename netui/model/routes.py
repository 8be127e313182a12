"""Routes and addresses from `ip -j route` / `ip -j addr` (JSON, never screen-scraped text)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from netaddr import AddrFormatError, IPAddress, IPNetwork


@dataclass(frozen=True)
class Route:
    dst: str  # "default" or a CIDR as ip prints it ("10.1.3.0/24", "10.9.9.9")
    gateway: str | None = None
    dev: str | None = None
    protocol: str | None = None
    scope: str | None = None
    prefsrc: str | None = None
    metric: int | None = None
    type: str | None = None  # "unicast" when absent; "blackhole", "unreachable", ...
    table: str | None = None

    @property
    def network(self) -> IPNetwork:
        if self.dst == "default":
            return IPNetwork("0.0.0.0/0")
        return IPNetwork(self.dst)

    @property
    def line(self) -> str:
        """The route as `ip route` prints it: what evidence shows."""
        parts = [self.type] if self.type and self.type != "unicast" else []
        parts.append(self.dst)
        if self.gateway:
            parts += ["via", self.gateway]
        if self.dev:
            parts += ["dev", self.dev]
        if self.protocol and self.protocol != "boot":
            parts += ["proto", self.protocol]
        if self.scope and self.scope != "global":
            parts += ["scope", self.scope]
        if self.prefsrc:
            parts += ["src", self.prefsrc]
        if self.metric is not None:
            parts += ["metric", str(self.metric)]
        return " ".join(parts)


@dataclass(frozen=True)
class Interface:
    name: str
    mtu: int | None = None
    state: str | None = None
    addresses: tuple[str, ...] = ()  # "10.1.3.1/24"

    @property
    def ips(self) -> list[IPAddress]:
        return [IPNetwork(a).ip for a in self.addresses]


@dataclass(frozen=True)
class RoutingTable:
    routes: tuple[Route, ...] = ()
    interfaces: tuple[Interface, ...] = field(default=())

    def _best(self, fits: Callable[[IPNetwork], bool]) -> Route | None:
        """The route the kernel would prefer among those whose network `fits`: longest
        prefix, then lowest metric; broadcast/local/multicast routes never carry traffic out."""
        best: Route | None = None
        best_key: tuple[int, int] = (-1, 0)
        for r in self.routes:
            if r.type in ("broadcast", "local", "multicast", "anycast"):
                continue
            try:
                net = r.network
            except (AddrFormatError, ValueError):
                continue
            key = (net.prefixlen, -(r.metric or 0))
            if key > best_key and fits(net):
                best, best_key = r, key
        return best

    def lookup(self, address: str | IPAddress) -> Route | None:
        """The route the kernel would pick for one address."""
        ip = IPAddress(address)
        return self._best(lambda net: net.version == ip.version and ip in net)

    def covering(self, cidr: str | IPNetwork) -> Route | None:
        """The route that would carry every address of `cidr`."""
        want = IPNetwork(cidr)
        return self._best(lambda net: net.version == want.version and want in net)

    def local_ips(self) -> list[IPAddress]:
        return [ip for i in self.interfaces for ip in i.ips]

    def interface_of(self, address: str) -> Interface | None:
        ip = IPAddress(address)
        for i in self.interfaces:
            if any(ip == a for a in i.ips):
                return i
        return None


def _opt_int(v: Any) -> int | None:
    return int(v) if isinstance(v, int) or (isinstance(v, str) and v.isdigit()) else None


def _opt_str(d: dict[str, Any], key: str, where: str) -> str | None:
    v = d.get(key)
    if v is None or isinstance(v, str):
        return v
    raise ValueError(f"{where}: {key} is not a string")


def _objects(text: str, what: str) -> list[dict[str, Any]]:
    """The JSON list of objects `ip -j` prints; ValueError naming what is wrong otherwise."""
    data = json.loads(text or "[]")
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ValueError(f"`ip -j {what}` did not print a list of objects")
    return data


def _address(value: Any, where: str) -> str:
    """An IPv4 address or network as ip prints it; ValueError when it is not one."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"{where}: not an address")
    try:
        IPNetwork(value)
    except (AddrFormatError, ValueError, TypeError):
        raise ValueError(f"{where}: {value!r} is not an address") from None
    return value


def parse_routes(text: str) -> tuple[Route, ...]:
    """Parse `ip -j route` output (any table); ValueError when it is not what ip prints."""
    out = []
    for n, d in enumerate(_objects(text, "route"), 1):
        where = f"route {n}"
        dst = d.get("dst", "default")
        gateway = d.get("gateway")
        out.append(
            Route(
                dst="default" if dst == "default" else _address(dst, where + " dst"),
                gateway=None if gateway is None else _address(gateway, where + " gateway"),
                dev=_opt_str(d, "dev", where),
                protocol=_opt_str(d, "protocol", where),
                scope=_opt_str(d, "scope", where),
                prefsrc=_opt_str(d, "prefsrc", where),
                metric=_opt_int(d.get("metric")),
                type=_opt_str(d, "type", where),
                table=str(d["table"]) if "table" in d else None,
            )
        )
    return tuple(out)


def parse_addresses(text: str) -> tuple[Interface, ...]:
    """Parse `ip -j addr` output, IPv4 addresses only (the domain is IPv4 clusters);
    ValueError when it is not what ip prints."""
    out = []
    for n, d in enumerate(_objects(text, "addr"), 1):
        where = f"interface {n}"
        infos = d.get("addr_info", [])
        if not isinstance(infos, list) or not all(isinstance(a, dict) for a in infos):
            raise ValueError(f"{where}: addr_info is not a list of objects")
        addrs = []
        for a in infos:
            if a.get("family") != "inet" or "local" not in a:
                continue
            prefix = a.get("prefixlen")
            if not isinstance(prefix, int) or isinstance(prefix, bool) or not 0 <= prefix <= 32:
                raise ValueError(f"{where}: prefixlen {prefix!r} is not 0-32")
            local = _address(a["local"], where + " address")
            addrs.append(_address(f"{local}/{prefix}", where + " address"))
        name = d.get("ifname", "?")
        if not isinstance(name, str):
            raise ValueError(f"{where}: ifname is not a string")
        out.append(
            Interface(
                name=name,
                mtu=_opt_int(d.get("mtu")),
                state=_opt_str(d, "operstate", where),
                addresses=tuple(addrs),
            )
        )
    return tuple(out)
