"""Someone else's rule deleted on the operator's explicit request (fix-all, `x`, `netui rule
delete`), addressed by its text; undo puts it back at its old position."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netui.plan.restore import restore_text
from netui.plan.step import HostState, Rollback, Script, Step, register
from netui.plan.text import carried

PUT_BACK = "remove this plan's rules, put back what it removed"


@register
@dataclass(frozen=True)
class ForeignDelete(Step):
    table: str
    chain: str
    rule: str  # the rule text after "-A CHAIN"
    position: int  # where it was (1-based)

    kind = "foreign-delete"
    rank = 12
    rollback_rank = 4
    foreign = True
    topic = "rule fixes"

    def apply(self, live: HostState, out: Script) -> None:
        out.restore.note(self.table, "rule fixes")
        if live.has_rule(self.table, self.chain, self.rule):
            out.restore.rule(self.table, f"-D {self.chain} {self.rule}")

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        if live.has_rule(self.table, self.chain, self.rule):
            return  # it is back already (its owner re-created it)
        t = live.table(self.table)
        c = t.chain(self.chain) if t else None
        at = max(1, min(self.position, (len(c) if c else 0) + 1))
        out.restore.rule(self.table, f"-I {self.chain} {at} {self.rule}")
        out.restore.note(self.table, PUT_BACK)

    def rollback(self, found: HostState, out: Rollback) -> None:
        text = restore_text({self.table: [f"-I {self.chain} {self.position} {self.rule}"]})
        out.line(f"{carried(text)} | iptables-restore --noflush -w 5 2>/dev/null")

    def undo_order(self) -> int:
        return self.position  # lowest first: the positions of the ones after it hold

    def key(self) -> tuple[Any, ...]:
        return ("foreign-rule", self.table, self.chain, self.rule)

    def merge(self, other: Step) -> Step | None:
        return self if isinstance(other, ForeignDelete) else None

    def conflict(self, other: Step) -> str:
        return f"{self.chain} rule {self.rule!r} is both deleted and moved"
