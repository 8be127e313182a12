"""A MASQUERADE rule in netui's nat chain: office CIDR -> cluster CIDR, tagged with the plan."""

from __future__ import annotations

from dataclasses import dataclass

from netui.model.iptables import quote
from netui.model.owners import untagged
from netui.plan.model import NAT_CHAIN, comment
from netui.plan.step import HostState, Rollback, Script, Step, register


def masquerade_rule(source: str, destination: str, plan_id: str) -> str:
    return (
        f"-s {source} -d {destination} -m comment --comment {quote(comment(plan_id))} -j MASQUERADE"
    )


def owned(live: HostState, table: str, chain: str, out: Script | None = None) -> set[str]:
    """The rules in one of netui's chains now, and those this plan's restore adds to it so far,
    without netui's plan comment: a rule an earlier plan wrote is the same rule (`x` then `F`
    must not give two copies of one MASQUERADE)."""
    t = live.table(table)
    c = t.chain(chain) if t else None
    have = {untagged(r.text) for r in c.rules} if c is not None else set()
    return have | (out.restore.added(table, chain) if out is not None else set())


@register
@dataclass(frozen=True)
class Masquerade(Step):
    source: str
    destination: str

    kind = "masquerade"
    rank = 11
    rollback_rank = 1
    topic = "MASQUERADE"

    def apply(self, live: HostState, out: Script) -> None:
        rule = masquerade_rule(self.source, self.destination, out.plan_id)
        if untagged(rule) not in owned(live, "nat", NAT_CHAIN, out):
            out.restore.count("nat", f"MASQUERADE rule(s) in {NAT_CHAIN}")
            out.restore.rule("nat", f"-A {NAT_CHAIN} {rule}")

    def at_boot(self, plan_id: str) -> tuple[str, ...]:
        return (f"rule nat {NAT_CHAIN} {masquerade_rule(self.source, self.destination, plan_id)}",)

    def undo_words(self) -> tuple[str, ...]:
        return (f"remove from {NAT_CHAIN}: -s {self.source} -d {self.destination} -j MASQUERADE",)

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        # found by the plan's comment: what kube-proxy re-ordered since is still found
        out.restore.sweep("nat", NAT_CHAIN)
        out.restore.note("nat", "remove this plan's rules, put back what it removed")

    def rollback(self, found: HostState, out: Rollback) -> None:
        out.run("iptables", "-w", "5", "-t", "nat", "-D", NAT_CHAIN, *rule_words(self, out.tag))


def rule_words(pair: Masquerade, tag: str) -> tuple[str, ...]:
    return (
        "-s",
        pair.source,
        "-d",
        pair.destination,
        "-m",
        "comment",
        "--comment",
        tag,
        "-j",
        "MASQUERADE",
    )
