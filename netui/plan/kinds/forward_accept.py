"""Forwarding accepted both ways (office <-> cluster) in netui's filter chain, for hosts whose
FORWARD policy or rules would drop it."""

from __future__ import annotations

from dataclasses import dataclass

from netui.model.iptables import quote
from netui.plan.kinds.masquerade import owned
from netui.plan.model import FILTER_CHAIN, comment
from netui.plan.step import HostState, Rollback, Script, Step, register


def accept_rule(source: str, destination: str, plan_id: str) -> str:
    return f"-s {source} -d {destination} -m comment --comment {quote(comment(plan_id))} -j ACCEPT"


@register
@dataclass(frozen=True)
class ForwardAccept(Step):
    source: str
    destination: str

    kind = "forward-accept"
    rank = 14
    rollback_rank = 2
    topic = "FORWARD accept"

    def apply(self, live: HostState, out: Script) -> None:
        out.restore.note("filter", f"accept forwarding office <-> cluster in {FILTER_CHAIN}")
        have = owned(live, "filter", FILTER_CHAIN)
        for s, d in ((self.source, self.destination), (self.destination, self.source)):
            rule = accept_rule(s, d, out.plan_id)
            if rule not in have:
                out.restore.rule("filter", f"-A {FILTER_CHAIN} {rule}")

    def at_boot(self, plan_id: str) -> tuple[str, ...]:
        return tuple(
            f"rule filter {FILTER_CHAIN} {accept_rule(s, d, plan_id)}"
            for s, d in ((self.source, self.destination), (self.destination, self.source))
        )

    def undo_words(self) -> tuple[str, ...]:
        return (f"remove from {FILTER_CHAIN}: accept {self.source} ⇄ {self.destination}",)

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        out.restore.sweep("filter", FILTER_CHAIN)
        out.restore.note("filter", f"remove this plan's rules from {FILTER_CHAIN}")

    def rollback(self, found: HostState, out: Rollback) -> None:
        for s, d in ((self.source, self.destination), (self.destination, self.source)):
            out.run(
                "iptables", "-w", "5", "-t", "filter", "-D", FILTER_CHAIN,
                "-s", s, "-d", d, "-m", "comment", "--comment", out.tag, "-j", "ACCEPT",
            )  # fmt: skip
