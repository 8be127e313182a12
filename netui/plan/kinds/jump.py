"""netui's own chain in a table and the jump to it from the built-in chain, at the position
the operator chose (1 = first). Undo removes both once none of netui's rules is left in it."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from netui.model.iptables import Table, quote
from netui.plan.model import FILTER_CHAIN, JUMP_COMMENT, NAT_CHAIN
from netui.plan.restore import DROP_EMPTY_TABLE
from netui.plan.step import HostState, Rollback, Script, Step, register

# table -> (built-in chain, netui's chain)
OWNED = {"nat": ("POSTROUTING", NAT_CHAIN), "filter": ("FORWARD", FILTER_CHAIN)}


def jump_rule(chain: str) -> str:
    return f"-m comment --comment {quote(JUMP_COMMENT)} -j {chain}"


def _has_jump(table: Table | None, builtin: str, chain: str) -> bool:
    c = table.chain(builtin) if table else None
    return bool(c and any(r.target == chain for r in c.rules))


@register
@dataclass(frozen=True)
class Jump(Step):
    table: str  # "nat" or "filter"
    position: int = 1

    kind = "jump"
    rank = 10
    rollback_rank = 3

    def apply(self, live: HostState, out: Script) -> None:
        builtin, chain = OWNED[self.table]
        t = live.table(self.table)
        if t is None or t.chain(chain) is None:
            out.restore.chain(self.table, chain)
        if not _has_jump(t, builtin, chain):
            size = len(t.chain(builtin) or []) if t and t.chain(builtin) else 0
            at = max(1, min(self.position, size + 1))
            out.restore.rule(self.table, f"-I {builtin} {at} {jump_rule(chain)}")

    def at_boot(self, plan_id: str) -> tuple[str, ...]:
        builtin, chain = OWNED[self.table]
        return (f"jump {self.table} {builtin} {self.position} {chain}",)

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        builtin, chain = OWNED[self.table]
        out.restore.drop_if_emptied(self.table, builtin, chain)
        # A host without this table before the plan: iptables-restore made it. iptables-nft
        # can drop it again once it is empty (restore.py: `nft delete table`, only when nothing
        # else is in it). iptables-legacy cannot: a legacy table, once a network namespace used
        # it, stays registered until the namespace goes (no command unregisters it; the kernel
        # module is shared), so there an empty table (its four built-in chains) is left and
        # iptables-save prints it. The restore text itself never holds a table without lines.
        if self.table in found.absent and found.variant == "nft":
            out.restore.drop_table_if_emptied(self.table)

    def rollback(self, found: HostState, out: Rollback) -> None:
        # Only tables this plan touched: on legacy iptables even `-t filter -S` creates the table.
        builtin, chain = OWNED[self.table]
        t, b, c = shlex.quote(self.table), shlex.quote(builtin), shlex.quote(chain)
        out.line(
            f'if iptables -w 5 -t {t} -S {c} >/dev/null 2>&1 && [ -z "$(iptables -w 5 -t {t} -S {c} | tail -n +2)" ]; then '
            f"iptables -w 5 -t {t} -D {b} -m comment --comment {shlex.quote(JUMP_COMMENT)} -j {c} 2>/dev/null; iptables -w 5 -t {t} -X {c} 2>/dev/null; fi"
        )
        if self.table in found.absent and found.variant == "nft":  # as undo (above)
            out.line(f"sh -c {shlex.quote(DROP_EMPTY_TABLE)} netui-drop-table {t} 2>/dev/null")

    def key(self) -> tuple[Any, ...]:
        return ("jump", self.table)

    def merge(self, other: Step) -> Step:
        # staged picks each chose a position: the jump goes to the first of them
        assert isinstance(other, Jump)
        return self if self.position <= other.position else other

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Jump:
        step = cls(**fields)
        if step.table not in OWNED or not isinstance(step.position, int):
            raise ValueError(f"no netui chain in table {step.table!r} at {step.position!r}")
        return step
