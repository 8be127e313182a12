"""Someone else's rule moved to another position on the operator's explicit request (`m`,
`netui rule move`); undo moves it back to where it was."""

from __future__ import annotations

from dataclasses import dataclass

from netui.plan.kinds.foreign_rule import PUT_BACK, ForeignRule
from netui.plan.step import HostState, Rollback, Script, Step, register


@register
@dataclass(frozen=True)
class ForeignMove(ForeignRule):
    to: int  # where it goes

    kind = "foreign-move"
    mark = "move"
    rank = 13

    def apply(self, live: HostState, out: Script) -> None:
        if self.still_there(live, out):
            out.restore.rule(self.table, f"-D {self.chain} {self.rule}")
            out.restore.rule(self.table, f"-I {self.chain} {self.to} {self.rule}")

    def undo_words(self) -> tuple[str, ...]:
        return (f"move back {self.table} {self.chain} #{self.to} → #{self.position}: {self.rule}",)

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        if live.has_rule(self.table, self.chain, self.rule):
            out.restore.rule(self.table, f"-D {self.chain} {self.rule}")
            out.restore.rule(self.table, f"-I {self.chain} {self.position} {self.rule}")
            out.restore.note(self.table, PUT_BACK)

    def rollback(self, found: HostState, out: Rollback) -> None:
        pass  # as before: the confirm timer does not move a rule back (see the report)

    def conflict(self, other: Step) -> str:
        if isinstance(other, ForeignMove):
            return f"{self.chain} rule {self.rule!r} is moved to two places"
        return super().conflict(other)
