from __future__ import annotations

from netui.doctor.walk import Packet, masquerade_path, walk
from netui.model.iptables import parse_table

from .conftest import FIXTURES


def table(rules: str, extra_chains: str = "") -> object:
    text = (
        "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
        + extra_chains
        + rules
        + "COMMIT\n"
    )
    return parse_table(text)


OFFICE_TO_POD = Packet("10.1.3.10", "10.200.1.3", out_iface="eth0")


def test_first_matching_masquerade_decides():
    t = table(
        "-A POSTROUTING -s 10.9.0.0/16 -j RETURN\n-A POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE\n"
    )
    w = walk(t, "POSTROUTING", OFFICE_TO_POD)
    assert w.verdict == "MASQUERADE" and w.decided_by.position == 2 and not w.uncertain


def test_return_in_the_builtin_chain_ends_the_walk_and_shadows_what_follows():
    t = table(
        "-A POSTROUTING -s 10.1.3.0/24 -j RETURN\n-A POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE\n"
    )
    w = walk(t, "POSTROUTING", OFFICE_TO_POD)
    assert (w.verdict, w.decided_by.position) == ("RETURN", 1)


def test_return_inside_a_user_chain_only_goes_back_to_postrouting():
    rules = (
        '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING\n'
        "-A POSTROUTING -s 10.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE\n"
        "-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN\n"
        "-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0\n"
        "-A KUBE-POSTROUTING -j MASQUERADE --random-fully\n"
    )
    w = walk(table(rules, ":KUBE-POSTROUTING - [0:0]\n"), "POSTROUTING", OFFICE_TO_POD)
    assert (w.verdict, w.decided_by.chain, w.decided_by.position) == (
        "MASQUERADE",
        "POSTROUTING",
        2,
    )


def test_kube_proxy_marks_service_traffic_and_masquerades_it():
    nat = parse_table((FIXTURES / "iptables" / "kube-proxy.nft.txt").read_text())
    pre, post = masquerade_path(nat, Packet("10.1.3.10", "10.96.0.1", dport=443, out_iface="eth0"))
    assert (
        pre.final_packet.dst == "192.168.1.109"
        and pre.final_packet.dport == 6443
        and pre.final_packet.mark & 0x4000
    )
    assert post.verdict == "MASQUERADE" and post.decided_by.chain == "KUBE-POSTROUTING"
    _, post = masquerade_path(nat, OFFICE_TO_POD)
    assert post.verdict == "ACCEPT" and post.decided_by is None  # a pod IP is not masqueraded


def test_matches_that_cannot_be_evaluated_are_reported_not_guessed():
    nat = parse_table((FIXTURES / "iptables" / "calico.legacy.txt").read_text())
    w = walk(nat, "POSTROUTING", Packet("10.244.1.5", "8.8.8.8", out_iface="eth0"))
    assert w.uncertain
    assert any(s.rule.chain == "cali-nat-outgoing" and "-m set" in s.note for s in w.unknown)


def test_unknown_out_interface_is_unknown_and_known_one_is_evaluated():
    nat = parse_table((FIXTURES / "iptables" / "docker.legacy.txt").read_text())
    docker_src = Packet("172.17.0.2", "8.8.8.8")
    assert walk(nat, "POSTROUTING", docker_src).uncertain
    w = walk(nat, "POSTROUTING", Packet("172.17.0.2", "8.8.8.8", out_iface="eth0"))
    assert w.verdict == "MASQUERADE" and not w.uncertain
    w = walk(nat, "POSTROUTING", Packet("172.17.0.2", "172.17.0.3", out_iface="docker0"))
    assert w.verdict == "ACCEPT"


def test_filter_forward_policy_drop_blocks_unmatched_traffic():
    rs = (FIXTURES / "iptables" / "docker.legacy.txt").read_text()
    from netui.model.iptables import parse

    filt = parse(rs).table("filter")
    w = walk(filt, "FORWARD", Packet("10.1.3.10", "10.200.1.3", in_iface="eth0", out_iface="eth0"))
    assert w.verdict == "DROP" and w.decided_by is None
    assert "=> DROP by the chain policy" in w.lines()[-1]
