"""Every base chain of every table, per netfilter hook, in the order the kernel runs them.

A host's packet path is not one `iptables-save`: iptables (nft or legacy variant) registers its
built-in chains at fixed priorities, and every native nftables table adds base chains of its
own (firewalld, Docker's nftables driver, kube-proxy's nftables mode, OpenWrt's fw4, a
hand-written /etc/nftables.conf). At each hook they all run, lowest priority first. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass

from netui.model.iptables import Table
from netui.model.nftables import NftChain, NftRuleset, NftTable

HOOKS = ("prerouting", "input", "forward", "output", "postrouting")
# Where iptables registers its built-in chains (the same for the nft and the legacy variant).
XT_PRIORITY = {
    ("raw", "PREROUTING"): -300,
    ("raw", "OUTPUT"): -300,
    ("mangle", "PREROUTING"): -150,
    ("mangle", "INPUT"): -150,
    ("mangle", "FORWARD"): -150,
    ("mangle", "OUTPUT"): -150,
    ("mangle", "POSTROUTING"): -150,
    ("nat", "PREROUTING"): -100,
    ("nat", "OUTPUT"): -100,
    ("nat", "INPUT"): 100,
    ("nat", "POSTROUTING"): 100,
    ("filter", "INPUT"): 0,
    ("filter", "FORWARD"): 0,
    ("filter", "OUTPUT"): 0,
    ("security", "INPUT"): 50,
    ("security", "FORWARD"): 50,
    ("security", "OUTPUT"): 50,
}
# Who manages a native table, by the names those tools give them
TABLE_OWNERS = (
    ("firewalld", "firewalld"),
    ("fw4", "fw4"),
    ("kube-proxy", "kube-proxy"),
    ("docker", "docker"),
    ("netui", "netui"),
    ("calico", "calico"),
    ("cilium", "cilium"),
)
IPTABLES, NFT = "iptables", "nft"


def table_owner(name: str) -> str:
    low = name.lower()
    for needle, owner in TABLE_OWNERS:
        if needle in low:
            return owner
    return "nftables"


@dataclass(frozen=True)
class BaseChain:
    """One base chain at one hook. `source` says how netui read it: `iptables` (iptables-save
    of the host's variant: walked with doctor/walk.py) or `nft` (native, from `nft -j`)."""

    hook: str
    priority: int
    family: str
    table: str
    chain: str
    type: str  # filter / nat / route
    policy: str
    source: str
    rules: int
    owner: str
    packets: int | None = None  # the policy's counters (iptables), None where nft has none
    bytes: int | None = None

    @property
    def label(self) -> str:
        if self.source == IPTABLES:
            return f"iptables {self.table} {self.chain}"
        return f"table {self.family} {self.table} chain {self.chain}"

    def as_dict(self) -> dict[str, object]:
        return {
            "hook": self.hook,
            "priority": self.priority,
            "family": self.family,
            "table": self.table,
            "chain": self.chain,
            "type": self.type,
            "policy": self.policy,
            "source": self.source,
            "rules": self.rules,
            "owner": self.owner,
            "packets": self.packets,
            "bytes": self.bytes,
        }


def _counters(text: str) -> tuple[int | None, int | None]:
    p, _, b = text.strip("[]").partition(":")
    return (int(p), int(b)) if p.isdigit() and b.isdigit() else (None, None)


def xt_base_chains(tables: dict[str, Table], variant: str) -> list[BaseChain]:
    out = []
    for (tname, cname), prio in XT_PRIORITY.items():
        table = tables.get(tname)
        chain = table.chain(cname) if table is not None else None
        if chain is not None:
            packets, nbytes = _counters(chain.counters)
            out.append(
                BaseChain(
                    cname.lower(),
                    prio,
                    "ip",
                    tname,
                    cname,
                    "nat" if tname == "nat" else "filter",
                    chain.policy.lower() if chain.policy != "-" else "accept",
                    IPTABLES,
                    len(chain),
                    "iptables",
                    packets,
                    nbytes,
                )
            )
    return out


def nft_base_chain(table: NftTable, chain: NftChain) -> BaseChain:
    return BaseChain(
        chain.hook or "",
        chain.prio if chain.prio is not None else 0,
        table.family,
        table.name,
        chain.name,
        chain.type or "filter",
        chain.policy or "accept",
        NFT,
        len(chain.rules),
        table_owner(table.name),
    )


def native_tables(nft: NftRuleset | None, skip: set[str]) -> list[NftTable]:
    """The tables netui reads from `nft -j`: all but those read through iptables-save
    (`skip`: "family name" keys)."""
    if nft is None:
        return []
    return [t for key, t in nft.tables.items() if key not in skip]


def hook_map(
    xtables: dict[str, Table], variant: str | None, nft: NftRuleset | None, skip: set[str]
) -> dict[str, list[BaseChain]]:
    """hook -> base chains of every table in the order the kernel calls them (IPv4-relevant
    families: ip and inet; ip6, arp, bridge and netdev tables never see these packets)."""
    chains = xt_base_chains(xtables, variant or "")
    for table in native_tables(nft, skip):
        if table.family not in ("ip", "inet"):
            continue
        chains += [nft_base_chain(table, c) for c in table.base_chains() if c.hook in HOOKS]
    out: dict[str, list[BaseChain]] = {h: [] for h in HOOKS}
    for c in chains:
        out.setdefault(c.hook, []).append(c)
    for lst in out.values():
        # equal priorities: iptables' chains first (registered at boot), then by table name
        lst.sort(key=lambda c: (c.priority, c.source != IPTABLES, c.table, c.chain))
    return out
