"""IP forwarding on now (`net.ipv4.ip_forward=1`); undo puts back the value it found."""

from __future__ import annotations

from dataclasses import dataclass

from netui.plan.command import Command, Guard
from netui.plan.step import HostState, Rollback, Script, Step, register

KEY = "net.ipv4.ip_forward"
# The Ansible guard: $2 the key, $3 the value; changes nothing when the key has it already.
SYSCTL_GUARD = r"""
mode=$1 key=$2 value=$3
now=$(cat "/proc/sys/$(printf %s "$key" | tr . /)" 2>/dev/null)
[ "$now" = "$value" ] && { echo netui-unchanged; exit 0; }
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
sysctl -qw "$key=$value" && echo netui-changed
"""


def sysctl(summary: str, value: int) -> Command:
    return Command(
        summary,
        ("sysctl", "-qw", f"{KEY}={value}"),
        guards=(Guard(SYSCTL_GUARD, (KEY, str(value))),),
    )


@register
@dataclass(frozen=True)
class ForwardingOn(Step):
    kind = "forwarding-on"
    rank = 20
    rollback_rank = 6
    topic = "forwarding"

    def apply(self, live: HostState, out: Script) -> None:
        out.add(sysctl("IP forwarding on now", 1))

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        if found.ip_forward is not None and found.ip_forward != 1:
            out.add(sysctl(f"IP forwarding back to {found.ip_forward}", found.ip_forward))

    def rollback(self, found: HostState, out: Rollback) -> None:
        if found.ip_forward is not None and found.ip_forward != 1:
            out.run("sysctl", "-qw", f"{KEY}={found.ip_forward}")
