"""netui's own chains between two reads of one host: gone since the last read (another tool's
reload flushed the tables: firewalld's start or --reload, `nftables.conf`'s flush ruleset), or
back (the host's check put them back, or a plan did). Both faces say it in the same words.

A chain netui itself removed is not news: a plan's undo, or its confirm timer's rollback once
its deadline passed. Only chains a plan the journal holds as standing on that host put there
are said gone (`expected_on`)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from netui.model.at_boot import OWNED_CHAINS
from netui.model.bootstate import BootFacts
from netui.model.snapshot import TABLES, HostSnapshot

# the kinds of change whose rules live in netui's chains (or hang them in a built-in chain)
CHAIN_KINDS = frozenset({"masquerade", "forward-accept", "jump", "jump-move"})


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
    # what brings them back: "check" (netui's check timer runs there now), "boot" (netui's
    # unit restores them at the next boot only: systemd is not running), "" (nothing)
    restored_by: str = ""
    plans: tuple[str, ...] = ()  # the standing plans whose chains these are

    def text(self) -> str:
        names = self.gone or self.back
        one = len(names) == 1
        what = f"netui's chain {names[0]}" if one else f"netui's chains {', '.join(names)}"
        it, be = ("it", "is") if one else ("them", "are")
        if not self.gone:
            return f"{self.host}: {what} {be} back"
        then = {
            "check": f"the host's netui-restore-check puts {it} back within 30 s",
            "boot": f"netui's unit restores {it} at the next boot; until then, apply the plan again",
        }.get(self.restored_by, f"nothing on the host puts {it} back: apply the plan again")
        of = f" (of plan {', '.join(self.plans)})" if self.plans else ""
        return (
            f"{self.host}: {what}{of} {be} gone since the last read (a firewall reload flushed "
            f"the tables?); {then}; the doctor (d) says what is missing"
        )


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
    restored = bool(gone) and all(facts.chain_restored(t, c) for t, c in was - now)
    by = ("check" if facts.systemd == "running" else "boot") if restored else ""
    return OwnStateChange(after.host, gone, back, by)


def expected_on(host: str, journals: list[dict[str, Any]], now: float) -> tuple[str, ...]:
    """The plans the journal holds as standing on `host` with rules in netui's chains: applied
    there (or its undo failed, or its timer vanished) and not armed past its deadline (its
    rollback has fired, or is firing). Their chains should be there."""
    from netui.plan.kinds.boot_persisted import STANDS

    out = []
    for d in journals:
        record = (d.get("hosts") or {}).get(host) or {}
        steps = ((d.get("plan") or {}).get("hosts") or {}).get(host, {}).get("steps", [])
        kinds = {s.get("kind") for s in steps if isinstance(s, dict)}
        if record.get("status") not in STANDS or not kinds & CHAIN_KINDS:
            continue
        rollback = record.get("rollback") or {}
        if rollback and float(rollback.get("deadline") or 0) <= now:
            continue
        out.append(str((d.get("plan") or {}).get("id", "?")))
    return tuple(out)


def standing_plans(host: str) -> tuple[str, ...]:
    """`expected_on` from this jump host's journal, now (reads every journal: off the UI's
    thread)."""
    import time

    from netui.plan.journal import list_journals

    return expected_on(host, list_journals(), time.time())


class OwnStateWatch:
    """Changes worth saying, read after read: chains gone that a standing plan put there, and
    back only once said gone (the chains a plan adds are not "back")."""

    def __init__(self) -> None:
        self.missing: dict[str, set[str]] = {}  # host -> chains said gone, not yet back
        self.said: list[OwnStateChange] = []

    def read(self, before: HostSnapshot | None, after: HostSnapshot) -> OwnStateChange | None:
        """A change to weigh (`gone`: ask `expected_on` before saying it), or their return."""
        found = change(before, after)
        if found is None:
            return None
        missing = self.missing.setdefault(after.host, set())
        back = tuple(c for c in found.back if c in missing)
        missing.difference_update(back)
        if not found.gone and not back:
            return None
        if found.gone:
            return dataclasses.replace(found, back=())
        said = dataclasses.replace(found, back=back)
        self.said.append(said)
        return said

    def gone(self, found: OwnStateChange, plans: tuple[str, ...]) -> OwnStateChange | None:
        """`found` said once its plans are known: None when no standing plan put them there."""
        if not plans:
            return None
        self.missing.setdefault(found.host, set()).update(found.gone)
        said = dataclasses.replace(found, plans=plans)
        self.said.append(said)
        return said
