"""Which rule an operator means when they delete or move one, and when netui refuses to.

A rule's position shifts whenever anything inserts ahead of it (netui's own jump goes in at #1;
kube-proxy rewrites its rules on every sync), so a number alone may name someone else's rule by
the time the command runs. A rule is addressed by what it is — its text as `iptables-save`
prints it after `-A CHAIN` — and a number is only a cross-check that must agree.
Both faces (`netui rule`, the NAT view's x/m) call this, so they refuse the same things.
"""

from __future__ import annotations

from netui.model.iptables import Rule, Table
from netui.model.owners import NETUI, OTHER, rule_owner
from netui.plan import model
from netui.plan.kinds.foreign_delete import ForeignDelete
from netui.plan.kinds.foreign_move import ForeignMove
from netui.plan.model import Plan

# Owners whose rules come back on their next sync, or that other rules depend on.
CONTROLLERS = {
    "kube-proxy": "kube-proxy re-creates it on its next sync, and Services depend on it",
    "calico": "Calico re-creates it, and Pod networking depends on it",
    "flannel": "flanneld re-creates it, and Pod egress depends on it",
    "cilium": "Cilium re-creates it, and Pod networking depends on it",
    "docker": "Docker re-creates it on restart, and its containers depend on it",
}


class RuleRefused(Exception):
    """The rule cannot be changed as asked; the message says what would be right."""


def pick_rule(
    nat: Table, host: str, chain_name: str, spec: str | None, position: int | None
) -> Rule:
    """The rule meant: by its text (the number, if also given, must agree), or by number alone
    only when `spec` is None and the caller has shown the operator the rule to confirm."""
    chain = nat.chain(chain_name)
    if chain is None:
        raise RuleRefused(f"{host}: the nat table has no chain {chain_name!r}")
    if position is not None and not 1 <= position <= len(chain):
        raise RuleRefused(f"{host}: {chain_name} has rules 1 to {len(chain)}, not {position}")
    if spec is None:
        assert position is not None
        return chain.rules[position - 1]
    want = " ".join(spec.split())
    matches = [r for r in chain.rules if " ".join(r.text.split()) == want]
    if not matches:
        raise RuleRefused(
            f"{host}: {chain_name} has no rule `{want}` (see `netui show nat {host} --chain {chain_name}`)"
        )
    if position is not None:
        for r in matches:
            if r.position == position:
                return r
        at = ", ".join(f"#{r.position}" for r in matches)
        raise RuleRefused(
            f"{host}: {chain_name} #{position} is `{chain.rules[position - 1].text}`, not `{want}` "
            f"(that rule is at {at} now): nothing changed — something moved the rules; look again"
        )
    if len(matches) > 1:
        at = ", ".join(f"#{r.position}" for r in matches)
        raise RuleRefused(
            f"{host}: `{want}` stands {len(matches)} times in {chain_name} ({at}): add its number to say which"
        )
    return matches[0]


def owner_of(rule: Rule) -> str:
    return rule_owner(rule)


def refusal(rule: Rule, force_foreign: bool) -> str | None:
    """Why netui will not change this rule as asked (None: it will)."""
    owner = rule_owner(rule)
    if owner == NETUI:
        return (
            f"{rule.chain} #{rule.position} is netui's own rule: undo the plan that added it "
            "(`netui history`, `netui undo PLAN`) so its journal stays true"
        )
    if owner in CONTROLLERS and not force_foreign:
        return (
            f"{rule.chain} #{rule.position} `{rule.text}` belongs to {owner}: {CONTROLLERS[owner]}; "
            "pass --force-foreign if that is really meant"
        )
    return None


def describe(rule: Rule) -> str:
    owner = rule_owner(rule)
    who = "written by hand or an unknown tool" if owner == OTHER else f"owned by {owner}"
    return f"{rule.chain} #{rule.position} `{rule.text}` ({who}; {rule.packets} pkts)"


def rule_change_plan(env_path: str, host: str, rule: Rule, to: int | None = None) -> Plan:
    """The plan that deletes `rule` (or moves it to position `to`), addressed by its text."""
    plan = Plan(model.new_plan_id(), env=env_path)
    plan.host(host).add(
        ForeignMove("nat", rule.chain, rule.text, rule.position, to)
        if to
        else ForeignDelete("nat", rule.chain, rule.text, rule.position)
    )
    return plan


def change_label(host: str, rule: Rule, to: int | None = None) -> str:
    """One line naming the change, for the staged list and the dialog's question."""
    what = (
        f"move {rule.chain} #{rule.position} to #{to}"
        if to
        else f"delete {rule.chain} #{rule.position}"
    )
    return f"{what} on {host}: {rule.text}"
