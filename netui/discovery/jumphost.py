"""What the machine netui runs on (the jump host) knows about the network: its IPv4 routes and
its resolvers. `netui init` proposes the office range, the router and the DNS host from them.

Read from /proc/net/route and /etc/resolv.conf (no `ip` binary needed; /proc/net is this
process's network namespace, so inside `ip netns exec` it is that namespace's table).
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass
from pathlib import Path

from netaddr import IPAddress, IPNetwork


@dataclass(frozen=True)
class JumpRoute:
    dest: str  # CIDR
    gateway: str | None  # None: on-link (the host sits on that network)
    dev: str


def _hex_ip(text: str) -> str:
    return socket.inet_ntoa(struct.pack("<I", int(text, 16)))


def parse_proc_route(text: str) -> list[JumpRoute]:
    """Routes of /proc/net/route's text (little-endian hex columns)."""
    out = []
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) < 8:
            continue
        try:
            dest, gw, flags, mask = _hex_ip(f[1]), _hex_ip(f[2]), int(f[3], 16), _hex_ip(f[7])
        except (ValueError, struct.error, OSError):
            continue
        if not flags & 0x1:  # RTF_UP
            continue
        prefix = IPAddress(mask).netmask_bits()
        out.append(JumpRoute(f"{dest}/{prefix}", gw if flags & 0x2 else None, f[0]))
    return out


def parse_resolv_conf(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        f = line.split()
        if len(f) >= 2 and f[0] == "nameserver":
            try:
                if IPAddress(f[1]).version == 4:
                    out.append(f[1])
            except Exception:
                continue
    return out


def read_routes(path: str = "/proc/net/route") -> list[JumpRoute]:
    try:
        return parse_proc_route(Path(path).read_text()[:1_000_000])
    except OSError:
        return []  # not Linux (a Mac): the draft says the office range was not found


def read_resolvers(path: str = "/etc/resolv.conf") -> list[str]:
    try:
        return parse_resolv_conf(Path(path).read_text()[:100_000])
    except OSError:
        return []


def on_link(routes: list[JumpRoute]) -> list[IPNetwork]:
    """The networks this host sits on itself."""
    return [IPNetwork(r.dest) for r in routes if r.gateway is None and r.dest != "0.0.0.0/0"]


def ssh_client_address(environ: dict[str, str]) -> str | None:
    """The address the operator came in from, when netui runs in an SSH session (sshd sets
    SSH_CONNECTION to "client port server port"): often a machine on the office LAN."""
    text = environ.get("SSH_CONNECTION") or environ.get("SSH_CLIENT") or ""
    first = text.split()[0] if text.split() else ""
    try:
        return first if IPAddress(first).version == 4 else None
    except Exception:
        return None


def route_to(routes: list[JumpRoute], ip: str) -> JumpRoute | None:
    """The route this host's table picks for `ip` (longest prefix)."""
    addr = IPAddress(ip)
    fitting = [r for r in routes if addr in IPNetwork(r.dest)]
    return max(fitting, key=lambda r: IPNetwork(r.dest).prefixlen, default=None)
