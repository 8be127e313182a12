"""The host's whole firewall as the faces show it, read-only: every base chain per hook in the
kernel's order (the host view), and one line of the other tables on the hooks the office's
traffic crosses (the nat view). Names come from the host: escaped, never markup."""

from __future__ import annotations

from rich.text import Text

from netui.model.hooks import IPTABLES, BaseChain
from netui.model.safe_text import clean
from netui.model.snapshot import HostSnapshot

# the hooks a forwarded office connection crosses, in its order
OFFICE_PATH = ("prerouting", "forward", "postrouting")


def _chain_line(c: BaseChain) -> str:
    counters = "" if c.packets is None else f"  [{c.packets} pkts]"
    return (
        f"  {c.priority:>5}  {clean(c.label)}  {clean(c.type)} policy {clean(c.policy)}  "
        f"{c.rules} rules  {clean(c.owner)}{counters}\n"
    )


def firewall_text(snap: HostSnapshot) -> Text | None:
    """Every base chain per hook when more than iptables filters here (native nft tables, a
    firewall manager): read-only, in the kernel's order. None on a plain iptables host."""
    if not snap.ok or snap.nft is None or not snap.nft.tables:
        return None
    text = Text()
    managers = ", ".join(clean(m) for m in snap.firewall_managers) or "native nft tables"
    text.append(f"Firewall (read-only): {managers}\n", style="bold")
    for hook, chains in snap.hooks.items():
        if not chains:
            continue
        text.append(f"{hook}\n", style="bold")
        for c in chains:
            text.append(_chain_line(c), style="red" if c.policy in ("drop", "reject") else "")
    return text


def other_tables_line(snap: HostSnapshot) -> str | None:
    """The native tables' base chains on the office's path, in one line for the nat view (the
    host view, `i`, lists every hook); None where iptables is all there is."""
    if not snap.ok or snap.nft is None or not snap.nft.tables:
        return None
    parts = [
        f"{hook} {clean(c.family)} {clean(c.table)}/{clean(c.chain)} ({clean(c.type)} "
        f"@{c.priority}, policy {clean(c.policy)})"
        for hook, chains in snap.hooks.items()
        if hook in OFFICE_PATH
        for c in chains
        if c.source != IPTABLES
    ]
    if not parts:
        return None
    return "also on this host's path (read-only; i: every hook): " + "; ".join(parts)
