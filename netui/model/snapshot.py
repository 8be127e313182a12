"""A host's state at one moment, as netui reads it in one round trip.

The batched script (netui/backends/snapshot.py) prints sections separated by marker lines;
this module turns that text into a `HostSnapshot`. Pure: no I/O here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from netui.model.iptables import ParseError, Table, parse
from netui.model.routes import RoutingTable, parse_addresses, parse_routes
from netui.model.sysctl import SysctlFile, SysctlSetting, boot_value, ignored_settings

OK, UNREACHABLE, ERROR, STALE = "ok", "unreachable", "error", "stale"


@dataclass
class HostSnapshot:
    host: str
    state: str = OK  # ok / unreachable / error / stale
    reason: str | None = None
    taken_at: float = field(default_factory=time.time)
    duration: float = 0.0
    hostname: str | None = None
    variant: str | None = None  # "nft" or "legacy"; None when iptables is missing
    iptables_version: str | None = None
    other_variant_rules: int = 0  # rules the *other* iptables variant holds (two rule sets!)
    nat_text: str = ""
    filter_text: str = ""
    nat: Table | None = None
    filter: Table | None = None
    routes: RoutingTable = field(default_factory=RoutingTable)
    ip_forward: int | None = None
    sysctl_files: list[SysctlFile] = field(default_factory=list)
    files: dict[str, str] = field(
        default_factory=dict
    )  # other files read on request (dnsmasq, ...)
    warnings: list[str] = field(default_factory=list)
    # a light poll (backends/light.py): the rules are the last full snapshot's, their counters,
    # routes and forwarding are fresh
    light: bool = False

    @property
    def ok(self) -> bool:
        return self.state == OK

    @property
    def forwarding_now(self) -> str:
        """net.ipv4.ip_forward at runtime as people read it: on, off, or ? when unread."""
        return {1: "on", 0: "off", None: "?"}.get(self.ip_forward, str(self.ip_forward))

    @property
    def forwarding_on_at_boot(self) -> bool:
        boot = self.forwarding_at_boot
        return boot is not None and boot.value == "1"

    @property
    def forwarding_at_boot(self) -> SysctlSetting | None:
        return boot_value(self.sysctl_files, "net.ipv4.ip_forward")

    @property
    def forwarding_ignored(self) -> list[SysctlSetting]:
        return ignored_settings(self.sysctl_files, "net.ipv4.ip_forward")

    @property
    def forward_policy(self) -> str | None:
        if self.filter is None:
            return None
        chain = self.filter.chain("FORWARD")
        return chain.policy if chain else None

    @property
    def age(self) -> float:
        return time.time() - self.taken_at


def unreachable(host: str, reason: str, duration: float = 0.0) -> HostSnapshot:
    return HostSnapshot(host=host, state=UNREACHABLE, reason=reason, duration=duration)


def split_sections(text: str, marker: str) -> dict[str, str]:
    """Cut the script output at lines `<marker>:<name>@@` into {name: exact text between}."""
    out: dict[str, str] = {}
    prefix = marker + ":"
    name: str | None = None
    start = 0
    pos = 0
    n = len(text)
    while pos < n:
        end = text.find("\n", pos)
        if end < 0:
            end = n
        if text.startswith(prefix, pos) and text.endswith("@@", pos, end):
            if name is not None:
                out[name] = text[start:pos]
            name = text[pos + len(prefix) : end - 2]
            start = end + 1
        pos = end + 1
    if name is not None:
        out[name] = text[start:]
    return out


def routing_table(sections: dict[str, str]) -> RoutingTable:
    """Routes and addresses from a script's `routes` and `addresses` sections (`ip -j`);
    ValueError when they cannot be read."""
    return RoutingTable(
        parse_routes(sections.get("routes", "[]")), parse_addresses(sections.get("addresses", "[]"))
    )


def parse_snapshot(host: str, text: str, marker: str, duration: float = 0.0) -> HostSnapshot:
    """Build a HostSnapshot from the batched script's output."""
    sec = split_sections(text, marker)
    snap = HostSnapshot(host=host, duration=duration)
    snap.hostname = sec.get("hostname", "").strip() or None
    fwd = sec.get("ip_forward", "").strip()
    snap.ip_forward = int(fwd) if fwd.isdigit() else None

    version = sec.get("iptables-version", "").strip()
    if version.startswith("iptables v"):
        snap.iptables_version = version
        snap.variant = "legacy" if "(legacy)" in version else "nft"
    else:
        snap.warnings.append("iptables is not installed (or not on PATH): no NAT table to read")

    rc = sec.get("tables.rc", "0").strip()
    saved = sec.get("tables", "")
    if snap.variant and rc == "0":
        try:
            ruleset = parse(saved)
        except ParseError as e:
            snap.warnings.append(f"could not parse iptables-save output: {e}")
        else:
            snap.nat = ruleset.table("nat") or Table("nat")
            snap.filter = ruleset.table("filter")
            snap.nat_text = table_text(saved, "nat")
            snap.filter_text = table_text(saved, "filter")
    elif snap.variant:
        snap.warnings.append(
            f"iptables-save failed (exit {rc}): {sec.get('tables.err', '').strip()[:200]}"
        )
    if "# Warning: iptables-legacy tables present" in saved:
        snap.warnings.append(
            "iptables-legacy tables are present beside nft: two rule sets, the kernel runs both"
        )
    other = sec.get("other-variant", "").strip()
    snap.other_variant_rules = int(other) if other.isdigit() else 0
    if snap.other_variant_rules:
        other_name = "legacy" if snap.variant == "nft" else "nft"
        snap.warnings.append(
            f"the {other_name} iptables variant also holds {snap.other_variant_rules} rules: "
            "two rule sets are active and netui shows only the host's default one"
        )

    try:
        snap.routes = routing_table(sec)
    except ValueError as e:
        snap.warnings.append(f"could not read routes/addresses: {e}")

    for name, body in sec.items():
        if name.startswith("sysctl:"):
            snap.sysctl_files.append(
                SysctlFile(name[7:], body[:-1] if body.endswith("\n") else body)
            )
        elif name.startswith("file:"):
            snap.files[name[5:]] = body[:-1] if body.endswith("\n") else body
    return snap


def table_text(saved: str, name: str) -> str:
    """The part of an iptables-save output that holds one table, with its comment lines."""
    if saved.startswith(f"*{name}\n"):
        start = 0
    else:
        found = saved.find(f"\n*{name}\n")
        if found < 0:
            return ""
        start = found + 1
        line_before = saved.rfind("\n", 0, found) + 1
        if saved.startswith("# Generated", line_before):
            start = line_before
    end = saved.find("\nCOMMIT\n", start)
    end = len(saved) if end < 0 else end + len("\nCOMMIT\n")
    if saved.startswith("# Completed", end):
        nl = saved.find("\n", end)
        end = len(saved) if nl < 0 else nl + 1
    return saved[start:end]
