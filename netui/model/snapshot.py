"""A host's state at one moment, as netui reads it in one round trip.

The batched script (netui/backends/snapshot.py) prints length-framed sections (model/frames.py);
this module turns them into a `HostSnapshot`. A section that cannot be read (too large, not
parseable, its command failed) is named in `unreadable` with the reason, never taken as empty:
the doctor then says which checks it could not do on that host. Pure: no I/O here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from netui.model.bootstate import BootFacts, boot_facts
from netui.model.firewall import FirewallFacts
from netui.model.frames import Section
from netui.model.hooks import BaseChain, hook_map, table_owner
from netui.model.iptables import ParseError, Table, parse
from netui.model.nftables import NftParseError, NftRuleset, parse_documents
from netui.model.routes import RoutingTable, parse_addresses, parse_routes
from netui.model.sysctl import SysctlFile, SysctlSetting, boot_value, ignored_settings

OK, UNREACHABLE, ERROR, STALE = "ok", "unreachable", "error", "stale"
# What of a host's state a snapshot may fail to read, each on its own (HostSnapshot.unreadable)
FORWARDING, TABLES, ROUTES, SYSCTL, FILES = "forwarding", "tables", "routes", "sysctl", "files"
ASPECTS = (FORWARDING, TABLES, ROUTES, SYSCTL, FILES)


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
    # aspect (ASPECTS) -> why it could not be read; what is named here is unknown, not empty
    unreadable: dict[str, str] = field(default_factory=dict)
    # what the next boot brings back (netui's unit and files, the network configuration);
    # None when the snapshot did not read it
    boot: BootFacts | None = None
    # every iptables table iptables-save printed (nat and filter above are two of them)
    xtables: dict[str, Table] = field(default_factory=dict)
    # native nftables tables (those iptables-nft manages are in `xtables`); None: no nft here
    nft: NftRuleset | None = None
    nft_tables: tuple[str, ...] = ()  # "family name" of every nft table, native or not
    firewall: FirewallFacts = field(default_factory=FirewallFacts)
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

    def readable(self, *aspects: str) -> bool:
        """Reached, and each of `aspects` (all of them when none is named) read."""
        if not self.ok:
            return False
        return not any(a in self.unreadable for a in (aspects or ASPECTS))

    @property
    def status(self) -> str:
        """The state as a host's row shows it: `ok`, `partial (routes, tables)`, `unreachable`."""
        if self.ok and self.unreadable:
            return f"partial ({', '.join(self.unreadable)})"
        return self.state

    @property
    def hooks(self) -> dict[str, list[BaseChain]]:
        """Every base chain of every table per hook, in the kernel's order (model/hooks.py)."""
        skip = {k for k in self.nft_tables if self.nft is None or k not in self.nft.tables}
        return hook_map(self.iptables_tables, self.variant, self.nft, skip)

    @property
    def iptables_tables(self) -> dict[str, Table]:
        if self.xtables:
            return self.xtables
        return {t.name: t for t in (self.nat, self.filter) if t is not None}

    @property
    def firewall_managers(self) -> list[str]:
        """Firewall managers whose rules are loaded here: firewalld, ufw, nftables (a native
        table of a hand-written rule set), fw4, docker, kube-proxy (nftables mode)."""
        out = []
        keys = set(self.nft_tables)
        if "inet firewalld" in keys or "ip firewalld" in keys:
            out.append("firewalld")
        if self.firewall.ufw_enabled or any(
            name.startswith("ufw-") for name in (self.filter.chains if self.filter else {})
        ):
            out.append("ufw")
        if self.nft is not None:
            for t in self.nft.tables.values():
                owner = table_owner(t.name)
                if owner not in out and owner not in ("firewalld", "netui") and t.base_chains():
                    out.append(owner)
        return out

    @property
    def age(self) -> float:
        return time.time() - self.taken_at


def unreadable_text(snap: HostSnapshot) -> str:
    """What of a reached host could not be read, and why, on one line ("" when all was)."""
    return "; ".join(f"{a} unreadable: {why}" for a, why in snap.unreadable.items())


def unreachable(host: str, reason: str, duration: float = 0.0) -> HostSnapshot:
    return HostSnapshot(host=host, state=UNREACHABLE, reason=reason, duration=duration)


def _text(sec: dict[str, Section], name: str) -> str:
    got = sec.get(name)
    return got.text if got is not None and not got.too_large else ""


def _too_large(what: str) -> str:
    return f"{what} printed more than the section cap; it was not read"


def routing_table(sections: dict[str, Section]) -> RoutingTable:
    """Routes and addresses from a script's `routes` and `addresses` sections (`ip -j`);
    ValueError (with the reason) when they cannot be read."""
    for name in ("routes", "addresses"):
        got = sections.get(name)
        if got is None:
            raise ValueError(f"no {name} section")
        if got.too_large:
            raise ValueError(_too_large(f"ip -j {name}"))
        if got.rc != 0:
            raise ValueError(f"`ip -j` {name} failed (exit {got.status})")
    return RoutingTable(
        parse_routes(sections["routes"].text), parse_addresses(sections["addresses"].text)
    )


def _read_tables(snap: HostSnapshot, sec: dict[str, Section]) -> None:
    version = _text(sec, "iptables-version").strip()
    if version.startswith("iptables v"):
        snap.iptables_version = version
        snap.variant = "legacy" if "(legacy)" in version else "nft"
    else:
        snap.warnings.append("iptables is not installed (or not on PATH): no NAT table to read")
        return
    saved = sec.get("tables")
    if saved is None:
        snap.unreadable[TABLES] = "iptables-save is not installed"
        return
    if saved.too_large:
        snap.unreadable[TABLES] = _too_large("iptables-save")
        return
    if saved.rc != 0:
        err = " / ".join(_text(sec, "tables.err").split("\n")).strip(" /")[:200]
        snap.unreadable[TABLES] = f"iptables-save failed (exit {saved.status}): {err}"
        return
    try:
        ruleset = parse(saved.text)
    except ParseError as e:
        snap.unreadable[TABLES] = f"iptables-save printed what is not a rule set: {e}"[:300]
        return
    snap.xtables = ruleset.tables
    snap.nat = ruleset.table("nat") or Table("nat")
    snap.filter = ruleset.table("filter")
    if "is incompatible, use 'nft' tool" in saved.text:
        snap.warnings.append(
            "iptables-save calls some tables incompatible (native nft rules in them): "
            "those rules are not walked"
        )
    snap.nat_text = table_text(saved.text, "nat")
    snap.filter_text = table_text(saved.text, "filter")
    if "# Warning: iptables-legacy tables present" in saved.text:
        snap.warnings.append(
            "iptables-legacy tables are present beside nft: two rule sets, the kernel runs both"
        )
    other = _text(sec, "other-variant").strip()
    snap.other_variant_rules = int(other) if other.isdigit() else 0
    if snap.other_variant_rules:
        other_name = "legacy" if snap.variant == "nft" else "nft"
        snap.warnings.append(
            f"the {other_name} iptables variant also holds {snap.other_variant_rules} rules: "
            "two rule sets are active and netui shows only the host's default one"
        )


def read_forwarding(sec: dict[str, Section]) -> int | str:
    """net.ipv4.ip_forward from its section, or why it cannot be read."""
    got = sec.get("ip_forward")
    if got is None or got.rc != 0:
        return "/proc/sys/net/ipv4/ip_forward could not be read"
    value = got.text.strip()
    if not value.isdigit() or len(value) > 3:
        return "/proc/sys/net/ipv4/ip_forward holds no number"
    return int(value)


def parse_snapshot(host: str, sec: dict[str, Section], duration: float = 0.0) -> HostSnapshot:
    """Build a HostSnapshot from the batched script's sections (model/frames.read_frames)."""
    snap = HostSnapshot(host=host, duration=duration)
    snap.hostname = _text(sec, "hostname").strip() or None
    fwd = read_forwarding(sec)
    if isinstance(fwd, int):
        snap.ip_forward = fwd
    else:
        snap.unreadable[FORWARDING] = fwd
    _read_tables(snap, sec)
    read_firewall(snap, sec)
    try:
        snap.routes = routing_table(sec)
    except ValueError as e:
        snap.unreadable[ROUTES] = f"routes/addresses: {e}"[:300]
    boot = sec.get("boot-init")
    if boot is not None:
        boot_files: dict[str, str] = {}
        names: set[str] = set()
        for name, body in sec.items():
            if name.startswith("boot:") and body.rc == 0 and not body.too_large:
                boot_files[name[5:]] = body.text
            elif name.startswith("boot-name:"):
                names.add(name[10:])
        snap.boot = boot_facts(boot.text.strip() or None, boot_files, names)
    for name, body in sec.items():
        kind, _, path = name.partition(":")
        if kind not in ("sysctl", "file") or not path:
            continue
        aspect = SYSCTL if kind == "sysctl" else FILES
        if body.too_large:
            snap.unreadable[aspect] = _too_large(path)
        elif body.rc != 0:
            snap.unreadable[aspect] = f"{path} could not be read"
        elif kind == "sysctl":
            snap.sysctl_files.append(SysctlFile(path, body.text))
        else:
            snap.files[path] = body.text
    return snap


def read_firewall(snap: HostSnapshot, sec: dict[str, Section]) -> None:
    """The native nft tables, the firewall managers' files, rp_filter and IPVS sections."""
    listed = sec.get("nft-tables")
    if listed is not None and listed.rc == 0 and not listed.too_large:
        snap.nft_tables = tuple(
            line.split(None, 1)[1].strip()
            for line in listed.text.splitlines()
            if line.startswith("table ") and len(line.split()) == 3
        )
        docs = []
        for name, body in sec.items():
            if not name.startswith("nft:"):
                continue
            if body.too_large:
                snap.unreadable[TABLES] = _too_large(f"nft -j list table {name[4:]}")
            elif body.rc == 0:
                docs.append(body.text)
        try:
            snap.nft = parse_documents(docs)
        except NftParseError as e:
            snap.warnings.append(f"could not read the native nftables tables: {e}")
            snap.nft = NftRuleset()
        snap.warnings += snap.nft.notes[:5]
    facts = FirewallFacts()
    for name, body in sec.items():
        if name.startswith("fw:") and body.rc == 0 and not body.too_large:
            facts.files[name[3:]] = body.text
    facts.nftables_enabled = tuple(_text(sec, "nftables-enabled").split())
    for line in _text(sec, "rp_filter").splitlines():
        iface, _, value = line.partition(" ")
        if value.strip().isdigit():
            facts.rp_filter[iface] = int(value)
    facts.ipvs = _text(sec, "ip_vs")
    snap.firewall = facts


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
