"""IP forwarding on at boot: netui's sysctl.d file; undo removes it or puts back what was there."""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from netui.plan.command import Command
from netui.plan.step import HostState, Rollback, Script, Step, register
from netui.plan.text import carried

PERSIST_FILE = "/etc/sysctl.d/90-netui-ip-forward.conf"
PERSIST_TEXT = "# written by netui: this host forwards the office's traffic to its cluster\nnet.ipv4.ip_forward = 1\n"


@register
@dataclass(frozen=True)
class ForwardingPersisted(Step):
    kind = "forwarding-persisted"
    rank = 30
    rollback_rank = 9
    topic = "forwarding"

    def files(self) -> tuple[str, ...]:
        return (PERSIST_FILE,)

    def apply(self, live: HostState, out: Script) -> None:
        if live.files.get(PERSIST_FILE) != PERSIST_TEXT:
            out.add(
                Command(
                    f"IP forwarding on at boot ({PERSIST_FILE})", write=(PERSIST_FILE, PERSIST_TEXT)
                )
            )

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        before = found.files.get(PERSIST_FILE)
        if before is None:
            out.add(Command(f"remove {PERSIST_FILE}", remove=PERSIST_FILE))
        elif before != PERSIST_TEXT:
            out.add(Command(f"put back {PERSIST_FILE}", write=(PERSIST_FILE, before)))

    def rollback(self, found: HostState, out: Rollback) -> None:
        before = found.files.get(PERSIST_FILE)
        if before is None:
            out.run("rm", "-f", PERSIST_FILE)
        else:
            out.line(f"{carried(before)} > {shlex.quote(PERSIST_FILE)}")
