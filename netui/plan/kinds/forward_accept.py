"""Forwarding accepted both ways (office <-> cluster) in netui's filter chain, for hosts whose
FORWARD policy or rules would drop it."""

from __future__ import annotations

from dataclasses import dataclass

from netui.model.iptables import quote
from netui.model.owners import untagged
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

    def rules(self, plan_id: str) -> tuple[str, str]:
        """Both directions' rules, tagged with the plan."""
        return (
            accept_rule(self.source, self.destination, plan_id),
            accept_rule(self.destination, self.source, plan_id),
        )

    def apply(self, live: HostState, out: Script) -> None:
        out.restore.note("filter", f"accept forwarding office <-> cluster in {FILTER_CHAIN}")
        for rule in self.rules(out.plan_id):
            if untagged(rule) not in owned(live, "filter", FILTER_CHAIN, out):
                out.restore.rule("filter", f"-A {FILTER_CHAIN} {rule}")

    def at_boot(self, plan_id: str) -> tuple[str, ...]:
        return tuple(f"rule filter {FILTER_CHAIN} {rule}" for rule in self.rules(plan_id))

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
