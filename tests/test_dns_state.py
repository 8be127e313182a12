"""The DNS screen's and `netui dns`'s state of a cluster domain (core/dns.py): netui's drop-in,
someone else's `server=` line, or nothing — never "not forwarded" while a line forwards it."""

from __future__ import annotations

from netui.core.dns import _other_servers, forwarding_state

FILES = {
    "/etc/dnsmasq.d/netui.conf": "server=/cluster.local/10.96.0.10\n",
    "/etc/dnsmasq.d/office.conf": "# the office's own\nserver=/cluster.local/10.254.0.10\nserver=8.8.8.8\n",
    "/etc/dnsmasq.d/gone.conf": None,
    "/etc/other/x.conf": "server=/elsewhere.local/10.1.1.1\n",  # not dnsmasq's
}


def test_someone_elses_server_line_is_named_with_where_it_sends_the_domain():
    others = _other_servers(FILES, "/etc/dnsmasq.d")
    assert others == {"cluster.local": [("/etc/dnsmasq.d/office.conf:2", "10.254.0.10")]}
    chosen = {"cluster.local": "10.96.0.10"}  # netui's drop-in: cluster a
    assert forwarding_state("cluster.local", "10.96.0.10", chosen, others) == "forwarded"
    assert forwarding_state("cluster.local", "10.254.0.10", chosen, others) == (
        "another cluster has it"
    )
    # no drop-in yet: the office's own line forwards it to b, and sends a's name to b too
    assert forwarding_state("cluster.local", "10.254.0.10", {}, others) == (
        "forwarded by /etc/dnsmasq.d/office.conf:2, not netui's drop-in"
    )
    assert forwarding_state("cluster.local", "10.96.0.10", {}, others) == (
        "/etc/dnsmasq.d/office.conf:2 sends it to 10.254.0.10"
    )
    assert forwarding_state("b.local", "10.43.0.10", {}, others) == "not forwarded"
