"""An accept rule netui inserts first in someone else's native nft chain (a hand-written
`table inet filter` whose forward chain drops the office, an OpenWrt-style fw4, a native NAT
that would take the office's NAT decision from netui's masquerade): an explicit foreign fix
(x, fix-all), commented as netui's plan, found again by that comment for undo and rollback.

Not brought back at boot: the table is the host's own, loaded from its own configuration
(`/etc/nftables.conf`); the doctor says what is lost there."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from netui.plan.command import Command, Guard
from netui.plan.model import comment
from netui.plan.step import HostState, Rollback, Script, Step, register

# $1 family $2 table $3 chain $4 source $5 destination $6 netui's comment: every rule of the
# chain that accepts source -> destination under that comment, deleted by its handle.
REMOVE_SCRIPT = r"""
nft -a list chain "$1" "$2" "$3" 2>/dev/null \
  | grep -F "ip saddr $4 ip daddr $5 " | grep -F "comment \"$6\"" \
  | sed -n 's/.*# handle \([0-9][0-9]*\)$/\1/p' \
  | while read -r h; do nft delete rule "$1" "$2" "$3" handle "$h" || exit 1; done
"""
# The Ansible guard: $1 check|run, then the rule's words; unchanged when netui's rule is there.
INSERT_GUARD = r"""
mode=$1; shift
nft -a list chain "$1" "$2" "$3" 2>/dev/null | grep -F "ip saddr $4 ip daddr $5 " \
  | grep -qF "comment \"$6\"" && { echo netui-unchanged; exit 0; }
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
nft insert rule "$1" "$2" "$3" ip saddr "$4" ip daddr "$5" counter accept comment "\"$6\"" \
  && echo netui-changed
"""


@register
@dataclass(frozen=True)
class NftAccept(Step):
    family: str
    table: str
    chain: str
    source: str
    destination: str

    kind = "nft-accept"
    rank = 15
    rollback_rank = 4
    foreign = True
    topic = "native nft accepts"

    def _words(self, tag: str) -> tuple[str, ...]:
        return (self.family, self.table, self.chain, self.source, self.destination, tag)

    def label(self) -> str:
        return (
            f"accept {self.source} → {self.destination} in {self.family} {self.table} {self.chain}"
        )

    def apply(self, live: HostState, out: Script) -> None:
        tag = comment(out.plan_id)
        argv: tuple[str, ...] = ("nft", "insert", "rule", self.family, self.table, self.chain)
        argv += ("ip", "saddr", self.source, "ip", "daddr", self.destination, "counter")
        argv += ("accept", "comment", f'"{tag}"')
        out.add(
            Command(
                f"table {self.family} {self.table} chain {self.chain}: accept "
                f"{self.source} -> {self.destination} first (someone else's chain)",
                argv,
                guards=(Guard(INSERT_GUARD, self._words(tag)),),
            )
        )

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        out.add(
            Command(
                f"table {self.family} {self.table} chain {self.chain}: remove netui's accept "
                f"{self.source} -> {self.destination}",
                ("sh", "-c", REMOVE_SCRIPT, "netui-nft", *self._words(comment(out.plan_id))),
                shown=f"nft delete rule {self.family} {self.table} {self.chain} handle <netui's "
                f"accept {self.source} -> {self.destination}, by its comment>",
            )
        )

    def undo_words(self) -> tuple[str, ...]:
        return (
            f"remove from {self.family} {self.table} {self.chain}: accept "
            f"{self.source} -> {self.destination}",
        )

    def rollback(self, found: HostState, out: Rollback) -> None:
        out.line(
            shlex.join(["sh", "-c", REMOVE_SCRIPT, "netui-nft", *self._words(out.tag)])
            + " 2>/dev/null"
        )

    def key(self) -> tuple[Any, ...]:
        return ("nft-accept", self.family, self.table, self.chain, self.source, self.destination)

    def merge(self, other: Step) -> Step | None:
        return self if other == self else None
