from __future__ import annotations

import pytest

from netui.model.iptables import (
    ParseError,
    RuleId,
    join_spec,
    parse,
    parse_spec,
    parse_table,
    split_spec,
)
from netui.model.owners import rule_owner

from .conftest import FIXTURES

FIXTURE_FILES = sorted((FIXTURES / "iptables").glob("*.txt"))


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=[p.name for p in FIXTURE_FILES])
def test_every_fixture_round_trips_byte_for_byte(path):
    text = path.read_text()
    assert parse(text).render() == text


def test_rule_counters_and_positions_are_read():
    nat = parse_table((FIXTURES / "iptables" / "kube-proxy.nft.txt").read_text())
    post = nat.chains["KUBE-POSTROUTING"]
    assert [r.position for r in post.rules] == [1, 2, 3]
    assert (post.rules[0].packets, post.rules[0].bytes) == (5530, 331800)
    assert nat.chains["POSTROUTING"].policy == "ACCEPT"
    assert nat.chains["KUBE-POSTROUTING"].builtin is False
    assert nat.rule_count() == 27


def test_negated_mark_match_and_target_options_are_understood():
    spec = parse_spec("-m mark ! --mark 0x4000/0x4000 -j RETURN")
    mark = spec.match("mark")
    assert mark is not None
    assert mark.option("--mark") == ("0x4000/0x4000", True)
    assert spec.target == "RETURN"
    spec = parse_spec(
        '-p udp -m comment --comment "kube-system/kube-dns:dns" -m udp -j DNAT --to-destination 10.200.1.4:53'
    )
    assert spec.protocol is not None and spec.protocol.value == "udp"
    assert spec.comment == "kube-system/kube-dns:dns"
    assert spec.target_option("--to-destination") == "10.200.1.4:53"


def test_negated_source_destination_and_interfaces():
    spec = parse_spec(
        "! -s 10.200.0.0/16 -d 10.96.0.10/32 ! -o cilium_+ -i eth0 -j MASQUERADE --random-fully"
    )
    assert spec.source is not None and spec.source.negated and spec.source.value == "10.200.0.0/16"
    assert spec.destination is not None and not spec.destination.negated
    assert (
        spec.out_interface is not None
        and spec.out_interface.negated
        and spec.out_interface.value == "cilium_+"
    )
    assert spec.in_interface is not None and spec.in_interface.value == "eth0"
    assert spec.target_args == ("--random-fully",)


def test_set_match_and_unknown_matches_are_kept_verbatim():
    spec = parse_spec(
        "-m set --match-set cali40masq-ipam-pools src -m set ! --match-set cali40all-ipam-pools dst -m frobnicate --zap 7 -j MASQUERADE"
    )
    assert [m.name for m in spec.matches] == ["set", "set", "frobnicate"]
    assert spec.matches[1].args == ("!", "--match-set", "cali40all-ipam-pools", "dst")
    assert spec.matches[2].args == ("--zap", "7")


def test_quoted_comments_with_quotes_and_backslashes_split_and_join_back():
    text = r'-s 10.1.3.0/24 -m comment --comment "netui:p-1 \"quoted\" \\back" -j MASQUERADE'
    tokens = split_spec(text)
    assert tokens[5] == 'netui:p-1 "quoted" \\back'
    assert join_spec(tokens, quoted=[5]) == text


def test_goto_is_distinguished_from_jump():
    spec = parse_spec("-d 10.0.0.0/8 -g KUBE-SVC-X")
    assert spec.goto and spec.target == "KUBE-SVC-X"


def test_rule_identity_survives_an_insert_above_it():
    before = parse_table((FIXTURES / "iptables" / "kube-proxy.nft.txt").read_text())
    rule = before.chains["KUBE-POSTROUTING"].rules[2]
    rid = before.rule_id(rule)
    text = (
        (FIXTURES / "iptables" / "kube-proxy.nft.txt")
        .read_text()
        .replace(
            "[5530:331800] -A KUBE-POSTROUTING -m mark",
            "[0:0] -A KUBE-POSTROUTING -s 10.9.0.0/16 -j RETURN\n[5530:331800] -A KUBE-POSTROUTING -m mark",
        )
    )
    after = parse_table(text)
    found = after.find(rid)
    assert found is not None and found.position == 4 and found.text == rule.text


def test_identical_rules_get_distinct_occurrences():
    text = "*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -j RETURN\n-A POSTROUTING -j RETURN\nCOMMIT\n"
    ids = list(parse_table(text).ids())
    assert ids == [
        RuleId("nat", "POSTROUTING", "-j RETURN", 0),
        RuleId("nat", "POSTROUTING", "-j RETURN", 1),
    ]


def test_rule_lines_for_restore_drop_counters():
    nat = parse_table((FIXTURES / "iptables" / "kube-proxy.nft.txt").read_text())
    r = nat.chains["POSTROUTING"].rules[0]
    assert r.line.startswith("[5530:331800] -A POSTROUTING ")
    assert (
        r.restore_line
        == '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING'
    )


@pytest.mark.parametrize(
    "text, why",
    [
        ("-A POSTROUTING -j RETURN\n", "outside a table"),
        ("*nat\n:POSTROUTING ACCEPT\nCOMMIT\n", "expected ':CHAIN POLICY"),
        ("*nat\n[0:0 -A POSTROUTING -j RETURN\nCOMMIT\n", "closing ']'"),
        ("*nat\n-A POSTROUTING -j RETURN\n", "no COMMIT"),
        ("*nat\n*filter\nCOMMIT\n", "no COMMIT before the next table"),
        ("*nat\nhello\nCOMMIT\n", "not a line iptables-save prints"),
    ],
)
def test_malformed_text_is_refused_with_the_line(text, why):
    with pytest.raises(ParseError, match=why):
        parse(text)


def test_several_tables_and_the_nft_warning_comment_round_trip():
    text = (
        (FIXTURES / "iptables" / "docker.legacy.txt").read_text()
        + "# Warning: iptables-legacy tables present, use iptables-legacy-save to see them\n"
    )
    rs = parse(text)
    assert set(rs.tables) == {"nat", "filter"}
    assert rs.tables["filter"].chains["FORWARD"].policy == "DROP"
    assert rs.render() == text


@pytest.mark.parametrize(
    "fixture, chain, index, owner",
    [
        ("kube-proxy.nft.txt", "POSTROUTING", 0, "kube-proxy"),
        ("kube-proxy.nft.txt", "KUBE-SERVICES", 0, "kube-proxy"),
        ("calico.legacy.txt", "POSTROUTING", 0, "calico"),
        ("calico.legacy.txt", "cali-nat-outgoing", 0, "calico"),
        ("flannel.nft.txt", "POSTROUTING", 1, "flannel"),
        ("docker.legacy.txt", "POSTROUTING", 0, "other"),
        ("docker.legacy.txt", "PREROUTING", 0, "docker"),
        ("cilium.nft.txt", "POSTROUTING", 0, "cilium"),
        ("nocounters.legacy.txt", "POSTROUTING", 0, "netui"),
        ("nocounters.legacy.txt", "NETUI-POSTROUTING", 1, "netui"),
    ],
)
def test_rule_owners_come_from_chains_targets_and_comments(fixture, chain, index, owner):
    nat = parse_table((FIXTURES / "iptables" / fixture).read_text())
    assert rule_owner(nat.chains[chain].rules[index]) == owner
