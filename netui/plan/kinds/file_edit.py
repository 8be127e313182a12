"""Someone else's file netui edits on an explicit fix (fix-all): lines removed from a dnsmasq
file that loops or sends a domain elsewhere. Undo puts `before` back only while the file still
reads `after` (a later edit makes it theirs again)."""

from __future__ import annotations

import base64
import shlex
from dataclasses import dataclass
from typing import Any

from netui.plan.command import Command
from netui.plan.step import HostState, Rollback, Script, Step, register
from netui.plan.text import carried


@register
@dataclass(frozen=True)
class FileEdit(Step):
    path: str
    before: str
    after: str
    reload: str | None = None  # run after the edit (dnsmasq re-reads its files on restart)
    why: str = ""

    kind = "file-edit"
    rank = 40
    rollback_rank = 7
    foreign = True
    topic = "file edits"

    def files(self) -> tuple[str, ...]:
        return (self.path,)

    def apply(self, live: HostState, out: Script) -> None:
        out.add(Command(f"edit {self.path}: {self.why}", write=(self.path, self.after)))
        if self.reload:
            out.reload(self.reload)

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        if live.files.get(self.path) != self.after:
            return
        out.add(Command(f"put back {self.path}", write=(self.path, self.before)))
        if self.reload:
            out.reload(self.reload)

    def rollback(self, found: HostState, out: Rollback) -> None:
        # only while the file still reads what netui wrote
        after = base64.b64encode(self.after.encode()).decode()
        out.line(
            f"[ \"$(base64 -w0 < {shlex.quote(self.path)} 2>/dev/null)\" = '{after}' ] && "
            f"{carried(self.before)} > {shlex.quote(self.path)}"
            + (f" && sh -c {shlex.quote(self.reload)} 2>/dev/null" if self.reload else "")
        )

    def key(self) -> tuple[Any, ...]:
        return ("file", self.path)

    def conflict(self, other: Step) -> str:
        return f"{self.path} is edited by two staged fixes; apply one, then stage the other"
