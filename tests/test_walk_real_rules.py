"""The walk on rule texts as real hosts print them: connection state, multiport ranges, DNAT
ranges, and targets that only the tokens can tell (a quoted option holding `-j`)."""

from __future__ import annotations

from netui.doctor.walk import Packet, masquerade_path, walk
from netui.model.iptables import Table, parse, parse_table

NEW_SSH = Packet("10.1.3.10", "10.200.1.3", dport=22, in_iface="eth1", out_iface="eth0")


def filter_table(rules: str, policy: str = "DROP", chains: str = "") -> Table:
    text = (
        f"*filter\n:INPUT ACCEPT [0:0]\n:FORWARD {policy} [0:0]\n:OUTPUT ACCEPT [0:0]\n"
        + chains
        + rules
        + "COMMIT\n"
    )
    table = parse(text).table("filter")
    assert table is not None
    return table


# ufw's and docker's FORWARD as `iptables-save` prints them: the conntrack shortcut first.
UFW_LIKE = (
    "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
    "-A FORWARD -m conntrack --ctstate INVALID -j DROP\n"
    "-A FORWARD -s 10.1.3.0/24 -d 10.200.0.0/16 -m state --state NEW -j ACCEPT\n"
)


def test_established_shortcut_does_not_decide_a_new_connection():
    w = walk(filter_table(UFW_LIKE), "FORWARD", NEW_SSH)
    assert (w.verdict, w.decided_by.position, w.uncertain) == ("ACCEPT", 3, False)


def test_a_new_connection_outside_the_accepted_ranges_meets_the_drop_policy_for_certain():
    w = walk(filter_table(UFW_LIKE), "FORWARD", Packet("10.9.9.9", "10.200.1.3"))
    assert (w.verdict, w.decided_by, w.uncertain) == ("DROP", None, False)


def test_negated_state_and_new_among_others_are_read_as_a_new_connection_sees_them():
    rules = (
        "-A FORWARD -m conntrack ! --ctstate NEW -j ACCEPT\n"
        "-A FORWARD -m conntrack --ctstate NEW,RELATED -j REJECT --reject-with icmp-port-unreachable\n"
    )
    w = walk(filter_table(rules, "ACCEPT"), "FORWARD", NEW_SSH)
    assert (w.verdict, w.decided_by.position, w.uncertain) == ("REJECT", 2, False)


def test_a_conntrack_option_beyond_state_stays_unknown():
    rules = "-A FORWARD -m conntrack --ctstate NEW --ctorigdst 10.96.0.10 -j DROP\n"
    w = walk(filter_table(rules, "ACCEPT"), "FORWARD", NEW_SSH)
    assert w.uncertain and "conntrack" in w.unknown[0].note


def test_dnat_state_is_not_guessed():
    rules = "-A FORWARD -m conntrack --ctstate DNAT -j ACCEPT\n"
    assert walk(filter_table(rules), "FORWARD", NEW_SSH).uncertain


def test_multiport_ranges_and_lists_match_like_the_kernel():
    rules = (
        "-A FORWARD -p tcp -m multiport --dports 20,21,873:874 -j ACCEPT\n"
        "-A FORWARD -p tcp -m multiport ! --dports 1:1024 -j REJECT\n"
    )
    t = filter_table(rules)
    rsync = Packet("10.1.3.10", "10.200.1.3", dport=874)
    assert walk(t, "FORWARD", rsync).decided_by.position == 1
    high = Packet("10.1.3.10", "10.200.1.3", dport=8080)
    assert walk(t, "FORWARD", high).decided_by.position == 2
    assert walk(t, "FORWARD", NEW_SSH).verdict == "DROP"  # 22: neither rule, the policy


def test_multiport_source_ports_and_either_end():
    rules = (
        "-A FORWARD -p udp -m multiport --sports 53,5353 -j ACCEPT\n"
        "-A FORWARD -p tcp -m multiport --ports 6443 -j ACCEPT\n"
    )
    t = filter_table(rules)
    dns_reply = Packet("10.96.0.10", "10.1.3.10", proto="udp", sport=53, dport=40000)
    assert walk(t, "FORWARD", dns_reply).decided_by.position == 1
    api = Packet("10.1.3.10", "10.200.0.1", sport=6443, dport=40000)
    assert walk(t, "FORWARD", api).decided_by.position == 2


def test_tcp_port_range_open_at_the_top():
    rules = "-A FORWARD -p tcp -m tcp --dport 1024: -j ACCEPT\n"
    t = filter_table(rules)
    assert walk(t, "FORWARD", Packet("10.1.3.10", "10.200.1.3", dport=30000)).verdict == "ACCEPT"
    assert walk(t, "FORWARD", NEW_SSH).verdict == "DROP"


def test_dnat_to_a_port_range_follows_its_first_port_without_crashing():
    nat = parse_table(
        "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
        "-A PREROUTING -d 10.1.3.1/32 -p tcp -m tcp --dport 80 "
        "-j DNAT --to-destination 10.200.0.5:8000-8010\n"
        "-A PREROUTING -d 10.1.3.2/32 -j DNAT --to-destination 10.200.0.6-10.200.0.9\n"
        "COMMIT\n"
    )
    pre, _ = masquerade_path(nat, Packet("10.1.3.10", "10.1.3.1", dport=80))
    assert (pre.final_packet.dst, pre.final_packet.dport) == ("10.200.0.5", 8000)
    pre, _ = masquerade_path(nat, Packet("10.1.3.10", "10.1.3.2", dport=443))
    assert (pre.final_packet.dst, pre.final_packet.dport) == ("10.200.0.6", 443)


def test_a_log_prefix_holding_a_jump_is_not_the_target():
    rules = '-A FORWARD -s 10.1.3.0/24 -j LOG --log-prefix "x -j DROP" --log-level 4\n'
    t = filter_table(rules, "ACCEPT")
    rule = t.chain("FORWARD").rules[0]
    assert rule.target == "LOG"
    w = walk(t, "FORWARD", NEW_SSH)
    assert (w.verdict, w.decided_by) == ("ACCEPT", None)


def test_a_comment_holding_an_address_is_not_the_rule_source():
    rules = '-A FORWARD -j LOG --log-prefix "from -s 10.9.0.0/16 "\n'
    rule = filter_table(rules).chain("FORWARD").rules[0]
    assert rule.addresses == (None, False, None, False) and rule.target == "LOG"
