"""Someone else's rule deleted on the operator's explicit request (fix-all, `x`, `netui rule
delete`), addressed by its text; undo puts it back at its old position."""

from __future__ import annotations

from dataclasses import dataclass

from netui.plan.kinds.foreign_rule import PUT_BACK, ForeignRule
from netui.plan.restore import restore_text
from netui.plan.step import HostState, Rollback, Script, Step, register
from netui.plan.text import carried


@register
@dataclass(frozen=True)
class ForeignDelete(ForeignRule):
    kind = "foreign-delete"
    mark = "del"
    rank = 12

    def apply(self, live: HostState, out: Script) -> None:
        if self.still_there(live, out):
            out.restore.rule(self.table, f"-D {self.chain} {self.rule}")

    def undo_words(self) -> tuple[str, ...]:
        return (f"put back {self.table} {self.chain} #{self.position}: {self.rule}",)

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

    def merge(self, other: Step) -> Step | None:
        return self if isinstance(other, ForeignDelete) else None
