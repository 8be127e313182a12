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


def parse_routes(text: str) -> tuple[Route, ...]:
    """Parse `ip -j route` output (any table)."""
    data = json.loads(text or "[]")
    out = []
    for d in data:
        out.append(
            Route(
                dst=str(d.get("dst", "default")),
                gateway=d.get("gateway"),
                dev=d.get("dev"),
                protocol=d.get("protocol"),
                scope=d.get("scope"),
                prefsrc=d.get("prefsrc"),
                metric=_opt_int(d.get("metric")),
                type=d.get("type"),
                table=str(d["table"]) if "table" in d else None,
            )
        )
    return tuple(out)


def parse_addresses(text: str) -> tuple[Interface, ...]:
    """Parse `ip -j addr` output, IPv4 addresses only (the domain is IPv4 clusters)."""
    data = json.loads(text or "[]")
    out = []
    for d in data:
        addrs = tuple(
            f"{a['local']}/{a['prefixlen']}"
            for a in d.get("addr_info", [])
            if a.get("family") == "inet" and "local" in a
        )
        out.append(
            Interface(
                name=d.get("ifname", "?"),
                mtu=d.get("mtu"),
                state=d.get("operstate"),
                addresses=addrs,
            )
        )
    return tuple(out)
