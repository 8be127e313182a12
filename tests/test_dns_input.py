"""dns-blocked: the DNS host's firewall drops the office's queries (udp/53 to dns.listen), found
across iptables' INPUT and every native nft input hook (firewalld's, ufw's chains)."""

from __future__ import annotations

from .test_firewall import ENV, NETUI_NAT, diagnose_with, fixture, forwarder

DNS_ENV = ENV + "dns: {host: f, listen: 192.168.1.109}\n"


def input_filter(rules: str, policy: str = "DROP") -> str:
    plain = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"
    assert plain in NETUI_NAT
    return NETUI_NAT.replace(
        plain,
        f"*filter\n:INPUT {policy} [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n{rules}COMMIT\n",
    )


def blocked(found):
    return [f for f in found if f.code == "dns-blocked"]


def test_an_input_policy_drop_on_the_dns_host_blocks_the_offices_queries():
    [f] = blocked(diagnose_with(forwarder(saved=input_filter("")), env=DNS_ENV))
    assert (f.host, f.severity, f.cluster) == ("f", "error", None)
    assert "f drops the office's DNS queries (10.1.3.0/24 -> 192.168.1.109 udp/53)" in f.title
    assert "policy" in f.title and "drop" in f.title
    assert any("let udp and tcp port 53 from 10.1.3.0/24 in on f" in e for e in f.evidence)


def test_an_accept_for_dns_or_no_dns_host_is_quiet():
    ok = input_filter("-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n")
    assert blocked(diagnose_with(forwarder(saved=ok), env=DNS_ENV)) == []
    assert blocked(diagnose_with(forwarder(saved=input_filter("")), env=ENV)) == []
    other_port = input_filter("-A INPUT -p udp -m udp --dport 67 -j ACCEPT\n")
    assert blocked(diagnose_with(forwarder(saved=other_port), env=DNS_ENV))


def test_firewalld_public_zone_rejects_dns_from_the_office():
    [f] = blocked(diagnose_with(forwarder(fixture("firewalld-default")), env=DNS_ENV))
    assert "firewalld" in f.title and "table inet firewalld" in f.title
