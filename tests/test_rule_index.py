"""The NAT view's filter index answers exactly as the filter's meaning, keystroke by keystroke,
and a keystroke on 20,000 rules stays cheap."""

from __future__ import annotations

import time

from netui.model.iptables import parse
from netui.model.rule_index import RuleIndex, matches

from .conftest import FIXTURES

NEEDLES = [
    "1",
    "10",
    "10.",
    "10.9",
    "10.96",
    "10.96.",
    "10.96.0",
    "10.96.0.1",
    "10.96.0.10",
    "10.96.0.10/",
    "10.96.0.0/12",
    "10.96.0.0/33",
    "0.0.0.0/0",
    "kube",
    "KUBE-SVC",
    "dns",
    "-j kube-mark-masq",
    "x/y",
    "!",
    "10.200.0.0/16",
]


def _rules():
    text = (FIXTURES / "iptables" / "kube-proxy.nft.txt").read_text()
    nat = parse(text).table("nat")
    return [r for c in nat.chains.values() for r in c.rules]


def test_typing_a_filter_key_by_key_keeps_exactly_the_rules_it_means():
    rules = _rules()
    index = RuleIndex(rules)
    for needle in NEEDLES:  # typed in this order: text filters narrow, addresses switch mode
        expected = [i for i, r in enumerate(rules) if matches(r, needle)]
        assert index.positions(needle) == expected, needle
    # backspace: a shorter needle after a longer one searches the whole chain again
    assert index.positions("kub") == [i for i, r in enumerate(rules) if "kub" in r.text.lower()]


def test_an_address_finds_the_ranges_that_hold_it_and_negations_do_not_count():
    rules = (
        parse(
            "*nat\n:POSTROUTING ACCEPT [0:0]\n"
            "-A POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE\n"
            "-A POSTROUTING ! -s 10.200.0.0/16 -d 10.200.0.0/16 -j MASQUERADE\n"
            "-A POSTROUTING -d 10.96.0.10/32 -j RETURN\n"
            "-A POSTROUTING -s 10.42.0.0/16 -d 10.96.0.11/32 -j RETURN\n"
            "-A POSTROUTING ! -s 10.42.0.5/32 -d 10.96.0.12 -j RETURN\n"
            "COMMIT\n"
        )
        .table("nat")
        .chains["POSTROUTING"]
        .rules
    )
    index = RuleIndex(rules)
    assert index.positions("10.200.1.3") == [0, 1]  # -d 10.200.0.0/16 on both
    assert index.positions("10.1.3.7") == [0]
    assert index.positions("10.200.0.0/16") == [0, 1]
    assert index.positions("10.0.0.0/8") == [0, 1, 2, 3, 4]
    assert index.positions("10.42.3.3") == [3]  # a network source beside a host destination
    assert index.positions("10.42.0.5") == [3]  # a negated source is no address of the rule
    assert index.positions("10.96.0.12") == [4]  # printed without /32
    assert index.positions("10.96.0.1") == []  # 10.96.0.10/32 holds the text, not the address


def test_a_keystroke_on_twenty_thousand_rules_costs_milliseconds():
    from bench._common import kube_proxy_save_text

    nat = parse(kube_proxy_save_text(20_000, "[5:300]")).table("nat")
    index = RuleIndex(nat.chains["KUBE-SERVICES"].rules)
    index.positions("10.96.0.1")  # built once per snapshot
    index.positions("kube")
    start = time.perf_counter()
    for needle in ("10.96.0.10", "10.96.0.100", "kube-", "kube-s", "kube-sv"):
        index.positions(needle)
    per_key = (time.perf_counter() - start) / 5
    assert per_key < 0.1, per_key  # netaddr per rule per key took ~2 s here


def test_the_first_and_the_last_rule_of_a_chain_are_found_like_any_other():
    rules = (
        parse(
            "*nat\n:POSTROUTING ACCEPT [0:0]\n"
            "-A POSTROUTING -s 10.1.3.0/24 -j MASQUERADE\n"
            "-A POSTROUTING -d 10.96.0.10/32 -j RETURN\n"
            "-A POSTROUTING -d 10.96.0.10/32 -j ACCEPT\n"
            "-A POSTROUTING -d 10.1.0.0/16 -j RETURN\n"
            "COMMIT\n"
        )
        .table("nat")
        .chains["POSTROUTING"]
        .rules
    )
    index = RuleIndex(rules)
    assert index.positions("10.1.3.7") == [0, 3]  # networks, at either end
    assert RuleIndex(rules).positions("10.96.0.10") == [1, 2]  # one address, twice over
    assert RuleIndex(rules[1:3]).positions("10.96.0.10") == [0, 1]  # first and last line
