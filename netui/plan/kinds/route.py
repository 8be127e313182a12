"""A route on a host (the office router's to a cluster, a forwarder's back to the office):
`ip route replace`; undo puts back the route it replaced, or deletes it — only while the route
still goes where this plan sent it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from netui.plan.command import Guard
from netui.plan.step import HostState, Rollback, Script, Step, register

BATCH = ("ip", "-batch", "-")
# The Ansible guard of one route: $2 replace|del, $3 the CIDR, then the rest of the route.
ROUTE_GUARD = r"""
mode=$1 op=$2 cidr=$3; shift 3
now=$(ip -4 route show exact "$cidr" table main 2>/dev/null | head -n 1)
case "$op" in
  del) [ -z "$now" ] && { echo netui-unchanged; exit 0; } ;;
  *) case " $now " in *" $* "*) echo netui-unchanged; exit 0 ;; esac ;;
esac
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
ip route "$op" "$cidr" "$@" && echo netui-changed
"""


def _line(out: Script, line: str, summary: str) -> None:
    words = line.split()
    guard = Guard(ROUTE_GUARD, tuple(words[1:]), name=f"ip {line}", shown=f"ip {line}")
    out.batch(BATCH, line, lambda n: summary.format(n=n), guard)


@register
@dataclass(frozen=True)
class RouteChange(Step):
    cidr: str
    via: str
    previous: str | None = None  # the route line it replaces, as `ip route` prints it

    kind = "route"
    rank = 60
    rollback_rank = 5
    topic = "routes"

    def apply(self, live: HostState, out: Script) -> None:
        _line(out, f"route replace {self.cidr} via {self.via}", "{n} route(s)")

    def undo_words(self) -> tuple[str, ...]:
        if self.previous:
            return (f"put back route {self.previous} (for {self.cidr} via {self.via})",)
        return (f"remove route {self.cidr} via {self.via}",)

    def at_boot(self, plan_id: str) -> tuple[str, ...]:
        return (f"route {self.cidr} via {self.via}",)

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        now = live.routes.get(self.cidr)
        if now is None or f" via {self.via}" not in f" {now} ":
            return  # someone changed it since: not ours to touch any more
        line = f"route replace {self.previous}" if self.previous else f"route del {self.cidr}"
        _line(out, line, "put back {n} route(s)")

    def rollback(self, found: HostState, out: Rollback) -> None:
        if self.previous:
            out.run("ip", "route", "replace", *self.previous.split())
        else:
            out.run("ip", "route", "del", self.cidr, "via", self.via)

    def key(self) -> tuple[Any, ...]:
        return ("route", self.cidr)

    def conflict(self, other: Step) -> str:
        return f"two different routes to {self.cidr} staged"
