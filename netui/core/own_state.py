"""netui's own chains between two reads of one host: gone since the last read (another tool's
reload flushed the tables: firewalld's start or --reload, `nftables.conf`'s flush ruleset), or
back (the host's check put them back, or a plan did). Both faces say it in the same words."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from netui.model.at_boot import OWNED_CHAINS
from netui.model.bootstate import BootFacts
from netui.model.snapshot import TABLES, HostSnapshot


def own_chains(snap: HostSnapshot) -> frozenset[tuple[str, str]] | None:
    """(table, chain) of netui's chains on the host; None: its tables were not read."""
    if not snap.ok or not snap.readable(TABLES):
        return None
    out = set()
    for table_name, _builtin, chain in OWNED_CHAINS:
        table = snap.nat if table_name == "nat" else snap.filter
        if table is not None and table.chain(chain) is not None:
            out.add((table_name, chain))
    return frozenset(out)


@dataclass(frozen=True)
class OwnStateChange:
    host: str
    gone: tuple[str, ...] = ()  # chains there at the last read and missing now
    back: tuple[str, ...] = ()  # chains missing at the last read and there now
    restored_by_host: bool = False  # netui's unit and check timer there hold them

    def text(self) -> str:
        names = self.gone or self.back
        what = (
            f"netui's chain {names[0]}" if len(names) == 1 else f"netui's chains {', '.join(names)}"
        )
        it = "it" if len(names) == 1 else "them"
        if self.gone:
            then = (
                f"the host's netui-restore-check puts {it} back within 30 s"
                if self.restored_by_host
                else f"nothing on the host puts {it} back: apply the plan again"
            )
            return (
                f"{self.host}: {what} {'is' if len(names) == 1 else 'are'} gone since the last "
                f"read (a firewall reload flushed the tables?); {then}; the doctor (d) says "
                "what is missing"
            )
        return f"{self.host}: {what} {'is' if len(names) == 1 else 'are'} back"


def change(before: HostSnapshot | None, after: HostSnapshot) -> OwnStateChange | None:
    """What became of netui's chains between two reads of a host (None: nothing, or unknown)."""
    if before is None:
        return None
    was, now = own_chains(before), own_chains(after)
    if was is None or now is None or was == now:
        return None
    gone = tuple(c for t, c in sorted(was - now))
    back = tuple(c for t, c in sorted(now - was))
    facts = after.boot or before.boot or BootFacts()  # a light read has no boot files
    restored = all(facts.chain_restored(t, c) for t, c in was - now)
    return OwnStateChange(after.host, gone, back, bool(gone) and restored)


class OwnStateWatch:
    """Changes worth saying, read after read: chains gone, and back only once said gone (the
    chains a plan adds are not "back")."""

    def __init__(self) -> None:
        self.missing: dict[str, set[str]] = {}  # host -> chains said gone, not yet back
        self.said: list[OwnStateChange] = []

    def read(self, before: HostSnapshot | None, after: HostSnapshot) -> OwnStateChange | None:
        found = change(before, after)
        if found is None:
            return None
        missing = self.missing.setdefault(after.host, set())
        back = tuple(c for c in found.back if c in missing)
        missing.difference_update(back)
        missing.update(found.gone)
        if not found.gone and not back:
            return None
        said = dataclasses.replace(found, back=back)
        self.said.append(said)
        return said
