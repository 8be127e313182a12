"""Who wrote a rule: netui, kube-proxy, a CNI, Docker, or someone else.

Decided from chain names, jump targets and comments, the marks each tool leaves on its rules.
"""

from __future__ import annotations

import re

from netui.model.iptables import Rule

NETUI, KUBE_PROXY, CALICO, FLANNEL, CILIUM, DOCKER, OTHER = (
    "netui",
    "kube-proxy",
    "calico",
    "flannel",
    "cilium",
    "docker",
    "other",
)

_PREFIXES = (
    ("NETUI-", NETUI),
    ("KUBE-", KUBE_PROXY),
    ("cali-", CALICO),
    ("FLANNEL", FLANNEL),
    ("CILIUM", CILIUM),
    ("OLD_CILIUM", CILIUM),
    ("DOCKER", DOCKER),
)


# netui's plan comment as iptables-save prints it (model/iptables.quote): `"netui:<plan-id>"`
_PLAN_TAG = re.compile(r' -m comment --comment "netui:[^"\\]*(?:\\.[^"\\]*)*"')


def untagged(text: str) -> str:
    """A rule's text without netui's plan comment: what two plans' copies of one rule share
    (the planner and the doctor compare netui's rules by it, never by the plan that wrote them)."""
    return _PLAN_TAG.sub("", text, count=1)


def chain_owner(chain: str) -> str | None:
    for prefix, owner in _PREFIXES:
        if chain.startswith(prefix):
            return owner
    return None


def rule_owner(rule: Rule) -> str:
    text = rule.text
    if '"netui:' in text:
        return NETUI
    owner = chain_owner(rule.chain)
    if owner:
        return owner
    # A rule in a built-in chain belongs to whoever it jumps to, or whoever signed its comment.
    j = text.rfind("-j ")
    if j >= 0:
        target = text[j + 3 :].split(" ", 1)[0]
        owner = chain_owner(target)
        if owner:
            return owner
    low = text.lower()
    if "kubernetes" in low:
        return KUBE_PROXY
    if "cali:" in text:
        return CALICO
    if "flanneld" in low:
        return FLANNEL
    if "cilium" in low:
        return CILIUM
    return OTHER
