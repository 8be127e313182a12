"""What the two edits of someone else's rule share (kinds/foreign_delete.py, foreign_move.py):
the rule, addressed by its table, chain and text, with the position it stood at; one key, so a
rule is deleted or moved once per plan. Not a kind itself (it registers nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from netui.plan.step import HostState, Script, Step

PUT_BACK = "remove this plan's rules, put back what it removed"


@dataclass(frozen=True)
class ForeignRule(Step):
    table: str
    chain: str
    rule: str  # the rule text after "-A CHAIN"
    position: int  # where it was (1-based)

    rollback_rank = 4
    mark: ClassVar[str] = ""  # how a view marks the rule while this step is staged
    foreign = True
    topic = "rule fixes"

    def still_there(self, live: HostState, out: Script) -> bool:
        """The apply's start: the table's restore says why it changes; is the rule there still
        (by its text)? Nothing to do when it is gone already."""
        out.restore.note(self.table, "rule fixes")
        return live.has_rule(self.table, self.chain, self.rule)

    def key(self) -> tuple[Any, ...]:
        return ("foreign-rule", self.table, self.chain, self.rule)

    def staged_mark(self, table: str, chain: str) -> tuple[str, str] | None:
        return (self.rule, self.mark) if (table, chain) == (self.table, self.chain) else None

    def conflict(self, other: Step) -> str:
        return f"{self.chain} rule {self.rule!r} is both deleted and moved"
