"""One command on one host, as the executor runs it, the preview prints it, the diff plays it
and the Ansible export guards it (pure data)."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Literal

# What a command is for, as the Ansible export needs it: a change (guarded, or a file written
# or removed), a reload (runs only when a file step changed), a read-only check, or a check
# that only makes sense after a reload (skipped in --check mode).
Role = Literal["change", "reload", "check", "verify"]


@dataclass(frozen=True)
class Guard:
    """How the Ansible export runs (part of) a command so that a second run changes nothing:
    `script` is sh taking $1 = check|run, then `args`; it prints netui-unchanged,
    netui-would-change or netui-changed. `name`/`shown` name the task when a command has
    several guards (one per route of a batch)."""

    script: str
    args: tuple[str, ...] = ()
    stdin: str | None = None
    name: str = ""
    shown: str = ""


@dataclass(frozen=True)
class Command:
    """One step on one host: run argv (with stdin), or write/remove a file."""

    summary: str
    argv: tuple[str, ...] = ()
    stdin: str | None = None
    write: tuple[str, str] | None = None  # (path, content)
    remove: str | None = None  # path
    shown: str | None = None  # what the preview prints instead of a long script
    role: Role = "change"
    guards: tuple[Guard, ...] = ()

    def preview(self) -> str:
        if self.shown:
            return self.shown
        if self.write:
            return f"write {self.write[0]}:\n" + "".join(
                f"    {line}\n" for line in self.write[1].splitlines()
            )
        if self.remove:
            return f"rm -f {shlex.quote(self.remove)}"
        head = shlex.join(self.argv)
        if self.stdin:
            return f"{head} <<'EOF'\n{self.stdin}EOF"
        return head
