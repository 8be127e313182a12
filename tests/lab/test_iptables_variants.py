"""Rules written with iptables-nft and iptables-legacy read back through netui's snapshot."""

from __future__ import annotations

import pytest

from netui.backends.local import NetnsBackend
from netui.backends.snapshot import take_snapshot
from netui.model.iptables import parse

from .conftest import in_ns

RULES = [
    (
        "-s",
        "10.1.3.0/24",
        "-d",
        "10.200.0.0/16",
        "-m",
        "comment",
        "--comment",
        'netui:t "quoted"',
        "-j",
        "MASQUERADE",
    ),
    (
        "!",
        "-s",
        "10.1.3.0/24",
        "-o",
        "eth0",
        "-p",
        "tcp",
        "--dport",
        "80",
        "-j",
        "SNAT",
        "--to-source",
        "1.2.3.4",
    ),
    ("-m", "mark", "!", "--mark", "0x4000/0x4000", "-j", "RETURN"),
]


@pytest.mark.parametrize("host, variant", [("a-master", "nft"), ("b-master", "legacy")])
def test_rules_of_either_variant_read_back_exactly(lab, host, variant):
    ns = f"nu-{host}"
    in_ns(ns, "iptables", "-t", "nat", "-N", "TEST-CHAIN")
    for r in RULES:
        assert in_ns(ns, "iptables", "-t", "nat", "-A", "TEST-CHAIN", *r).returncode == 0
    try:
        snap = take_snapshot(NetnsBackend(host, ns))
        raw = in_ns(ns, "iptables-save", "-c", "-t", "nat").stdout
    finally:
        in_ns(ns, "iptables", "-t", "nat", "-F", "TEST-CHAIN")
        in_ns(ns, "iptables", "-t", "nat", "-X", "TEST-CHAIN")
    assert snap.variant == variant
    assert snap.nat is not None
    chain = snap.nat.chains["TEST-CHAIN"]
    assert [r.text for r in chain.rules] == [
        '-s 10.1.3.0/24 -d 10.200.0.0/16 -m comment --comment "netui:t \\"quoted\\"" -j MASQUERADE',
        "! -s 10.1.3.0/24 -o eth0 -p tcp -m tcp --dport 80 -j SNAT --to-source 1.2.3.4",
        "-m mark ! --mark 0x4000/0x4000 -j RETURN",
    ]
    assert chain.rules[0].spec.comment == 'netui:t "quoted"'
    # What the host printed round-trips through the model byte for byte.
    assert parse(raw).render() == raw


def test_a_second_rule_set_in_the_other_variant_is_warned_about(lab):
    ns = "nu-a-worker"
    in_ns(ns, "iptables-legacy", "-t", "nat", "-A", "POSTROUTING", "-j", "RETURN")
    try:
        snap = take_snapshot(NetnsBackend("a-worker", ns))
    finally:
        in_ns(ns, "iptables-legacy", "-t", "nat", "-D", "POSTROUTING", "-j", "RETURN")
    assert snap.other_variant_rules == 1
    assert any("two rule sets" in w for w in snap.warnings)


def test_forwarding_now_and_at_boot_are_read_from_the_hosts_own_files(lab):
    ns = "nu-a-worker"
    in_ns(
        ns,
        "sh",
        "-c",
        "echo 'net.ipv4.ip_forward=1' > /etc/sysctl.d/60-fwd.conf; echo 'net.ipv4.ip_forward=1' > /etc/sysctl.d/fwd",
    )
    try:
        snap = take_snapshot(NetnsBackend("a-worker", ns))
    finally:
        in_ns(ns, "rm", "-f", "/etc/sysctl.d/60-fwd.conf", "/etc/sysctl.d/fwd")
    assert snap.ip_forward == 1
    boot = snap.forwarding_at_boot
    assert boot is not None and boot.value == "1" and boot.path == "/etc/sysctl.d/60-fwd.conf"
    assert [s.path for s in snap.forwarding_ignored] == ["/etc/sysctl.d/fwd"]
    other = take_snapshot(NetnsBackend("b-worker", "nu-b-worker"))
    # per-host /etc: a-worker's file is not b-worker's (b-worker has its own lab forwarding file)
    assert other.forwarding_at_boot is None or other.forwarding_at_boot.path != boot.path


def test_a_missing_namespace_is_unreachable_not_an_error(lab):
    snap = take_snapshot(NetnsBackend("ghost", "nu-ghost"))
    assert snap.state == "unreachable"
    assert "does not exist" in (snap.reason or "")
