"""netui's jump moved within its built-in chain: above a foreign rule that decides first (a
`RETURN` or `ACCEPT` the doctor's `rule-shadowed` names), so that netui's chain is reached.
The exact inverse puts the jump back at the position it had. Modelled on foreign_move.py, but
the rule moved is netui's own jump (kinds/jump.py made it)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from netui.plan.kinds.jump import OWNED
from netui.plan.model import JUMP_COMMENT
from netui.plan.step import HostState, Rollback, Script, Step, register


@register
@dataclass(frozen=True)
class JumpMove(Step):
    table: str  # "nat" or "filter"
    position: int  # where the jump stood (1-based)
    to: int  # where it goes

    kind = "jump-move"
    rank = 9  # before the jump's own step: that one then sees the jump present and adds none
    rollback_rank = 5  # after this plan's rules and chains are gone (the chain may be gone too)
    topic = "jump moved"

    def apply(self, live: HostState, out: Script) -> None:
        builtin, chain = OWNED[self.table]
        out.restore.note(self.table, f"netui's jump to {chain} moved to {builtin} #{self.to}")
        out.restore.move_jump(self.table, builtin, chain, self.to)

    def at_boot(self, plan_id: str) -> tuple[str, ...]:
        # the restore script puts the jump where the latest plan's line says (an earlier
        # plan's file still holds the position it was made at)
        builtin, chain = OWNED[self.table]
        return (f"jump {self.table} {builtin} {self.to} {chain}",)

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        builtin, chain = OWNED[self.table]
        out.restore.note(self.table, f"netui's jump to {chain} back to {builtin} #{self.position}")
        out.restore.move_jump(self.table, builtin, chain, self.position)

    def rollback(self, found: HostState, out: Rollback) -> None:
        builtin, chain = OWNED[self.table]
        t, b = shlex.quote(self.table), shlex.quote(builtin)
        rule = f"-m comment --comment {shlex.quote(JUMP_COMMENT)} -j {shlex.quote(chain)}"
        out.line(
            f"if iptables -w 5 -t {t} -D {b} {rule} 2>/dev/null; then "
            f"iptables -w 5 -t {t} -I {b} {self.position} {rule} 2>/dev/null || "
            f"iptables -w 5 -t {t} -A {b} {rule} 2>/dev/null; fi"
        )

    def undo_order(self) -> int:
        return self.position

    def key(self) -> tuple[Any, ...]:
        return ("jump-move", self.table)

    def merge(self, other: Step) -> Step | None:
        # two picks move the jump: above both of the rules they name
        assert isinstance(other, JumpMove)
        return self if self.to <= other.to else other

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> JumpMove:
        step = cls(**fields)
        if step.table not in OWNED or not all(isinstance(v, int) for v in (step.position, step.to)):
            raise ValueError(f"no netui jump in table {step.table!r} to move")
        return step
