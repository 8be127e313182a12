"""A light touch on big hosts: between rule changes, read only the counters that are looked at.

A full snapshot runs `iptables-save -c`, which on nft dumps and prints the whole ruleset: on a
kube-proxy node with 100,000 rules over a second of that node's CPU, every poll. While `nft
monitor` follows a host (see core/poller.py), its rules cannot have changed without an event,
so a poll needs only what moves without one: counters, routes, forwarding. `nft list chain`
fetches just the chain it names (nftables' cache filtering): a few milliseconds for POSTROUTING
where the whole table costs ~150 ms at 20,000 rules.

The light snapshot is the previous full one with those parts replaced. Rule i of a chain as
`nft list chain` prints it is rule i as iptables-save printed it; when the count differs (a
change the monitor has not reported yet) there is no light snapshot and the caller takes a full
one.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Iterable

from netui.backends.base import Backend, HostError
from netui.backends.snapshot import END, FORWARDING, ROUTING, SECTION_CAP, SECTIONS
from netui.model import snapshot as model
from netui.model.frames import FrameError, read_frames
from netui.model.iptables import Chain, Rule, Table
from netui.model.snapshot import HostSnapshot, read_forwarding, routing_table

LIGHT_SCRIPT = (
    SECTIONS
    + FORWARDING
    + ROUTING
    + r"""
_chain() { nft list chain ip "$1" "$2" 2>&1; }
while [ $# -ge 2 ]; do
  x "chain:$1:$2" _chain "$1" "$2"
  shift 2
done
"""
    + END
)
# iptables chain names: what may travel to nft's parser as a word
_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_COUNTER = re.compile(r"\bcounter packets (\d+) bytes (\d+)")


def _counters(listing: str) -> list[tuple[int, int]] | None:
    """(packets, bytes) of each rule of an `nft list chain` listing, in order; None when a
    rule line has no counter (a rule not written by iptables-nft: no position to map)."""
    out = []
    inside = False
    for line in listing.splitlines():
        stripped = line.strip()
        if stripped.startswith("chain "):
            inside = True
            continue
        if not inside or not stripped or stripped == "}":
            continue
        if stripped.startswith(("type ", "policy ")):
            continue
        m = _COUNTER.search(stripped)
        if m is None:
            return None
        out.append((int(m.group(1)), int(m.group(2))))
    return out if inside else None


def _recounted(chain: Chain, counts: list[tuple[int, int]]) -> Chain:
    fresh = Chain(chain.name, chain.policy, chain.counters, chain.declared, chain.table)
    fresh._rules = [
        Rule(r.table, r.chain, r.text, f"[{p}:{b}]", r.position)
        for r, (p, b) in zip(chain.rules, counts, strict=True)
    ]
    return fresh


def light_snapshot(
    backend: Backend,
    previous: HostSnapshot,
    chains: Iterable[tuple[str, str]],
    timeout: float = 20.0,
) -> HostSnapshot | None:
    """`previous` with fresh counters for `chains` ((table, chain) pairs it has), fresh routes
    and forwarding; None when that cannot be trusted (the caller takes a full snapshot)."""
    tables = {"nat": previous.nat, "filter": previous.filter}
    wanted = [
        (t, c)
        for t, c in dict.fromkeys(chains)
        if (tbl := tables.get(t)) is not None and c in tbl.chains and _NAME.fullmatch(c)
    ]
    args = [x for pair in wanted for x in pair]
    start = time.monotonic()
    try:
        result = backend.run_script(LIGHT_SCRIPT, str(SECTION_CAP), *args, timeout=timeout)
        sec = read_frames(result.stdout)
    except (HostError, FrameError):
        return None  # the full snapshot says why
    replaced: dict[str, dict[str, Chain]] = {"nat": {}, "filter": {}}
    for t, c in wanted:
        table = tables[t]
        assert table is not None
        listing = sec.get(f"chain:{t}:{c}")
        counts = _counters(listing.text) if listing is not None else None
        if counts is None or len(counts) != len(table.chains[c]):
            return None  # changed since, or not iptables-nft's: read it all
        replaced[t][c] = _recounted(table.chains[c], counts)
    new_tables = {
        name: Table(name, {**table.chains, **replaced[name]}) if table is not None else None
        for name, table in tables.items()
    }
    fwd = read_forwarding(sec)
    try:
        routes = routing_table(sec)
    except ValueError:
        return None  # the full snapshot names it unreadable
    if not isinstance(fwd, int):
        return None
    return dataclasses.replace(
        previous,
        taken_at=time.time(),
        duration=time.monotonic() - start,
        nat=new_tables["nat"],
        filter=new_tables["filter"],
        routes=routes,
        ip_forward=fwd,
        unreadable={
            k: v
            for k, v in previous.unreadable.items()
            if k not in (model.FORWARDING, model.ROUTES)
        },
        light=True,
    )
