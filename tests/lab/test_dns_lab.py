"""DNS on the real lab: dnsmasq on a-master with its own /etc/dnsmasq.d, reload without systemd."""

from __future__ import annotations

import json

from .conftest import in_ns, netui, record_fault

CONF = "/etc/dnsmasq.d/netui.conf"


def resolve(env: str, name: str) -> str:
    out = netui("dns", "resolve", name, "--json", env_file=env)
    return json.loads(out.stdout)["answer"] if out.stdout else out.stderr


def test_after_apply_the_office_resolves_a_service_name_and_reaches_it(lab):
    assert resolve(lab.env, "eureka.default.svc.cluster.local") != "10.96.0.20"  # not yet
    assert netui("apply", "--yes", env_file=lab.env).returncode == 0
    try:
        assert resolve(lab.env, "eureka.default.svc.cluster.local") == "10.96.0.20"
        answer = in_ns(
            "nu-office-pc", "dig", "+short", "@192.168.1.109", "eureka.default.svc.cluster.local"
        ).stdout.strip()
        http = in_ns(
            "nu-office-pc",
            "python3",
            "-c",
            f"import urllib.request;print(urllib.request.urlopen('http://{answer}:8761/eureka/apps',timeout=3).read().decode()[:20])",
        ).stdout
        assert http.startswith('{"applications"')
    finally:
        assert netui("undo", "--yes", env_file=lab.env).returncode == 0
    assert in_ns("nu-a-master", "test", "-e", CONF).returncode != 0  # undone: the drop-in is gone


def test_the_migration_switch_moves_a_shared_domain_and_undo_moves_it_back(lab):
    assert netui("apply", "--yes", env_file=lab.env).returncode == 0
    try:
        before = in_ns("nu-a-master", "cat", CONF).stdout
        assert resolve(lab.env, "app.default.svc.cluster.local") == "10.96.0.30"
        switched = netui("dns", "switch", "cluster.local", "b", "--yes", env_file=lab.env)
        assert switched.returncode == 0, switched.stdout + switched.stderr
        assert resolve(lab.env, "app.default.svc.cluster.local") == "10.43.0.30"
        assert netui("undo", "--yes", env_file=lab.env).returncode == 0  # the switch
        assert in_ns("nu-a-master", "cat", CONF).stdout == before  # byte-identical
        assert resolve(lab.env, "app.default.svc.cluster.local") == "10.96.0.30"
    finally:
        netui("undo", "--yes", env_file=lab.env)


def test_a_config_dnsmasq_rejects_never_reaches_the_running_dnsmasq(lab):
    in_ns("nu-a-master", "sh", "-c", "echo 'no-such-option=1' > /etc/dnsmasq.d/zz-broken.conf")
    try:
        applied = netui("apply", "--yes", env_file=lab.env)
        assert applied.returncode == 1
        assert "dnsmasq" in applied.stdout and "rolling this host back" in applied.stdout
        assert in_ns("nu-a-master", "test", "-e", CONF).returncode != 0
        assert (
            "NETUI-POSTROUTING" not in in_ns("nu-a-master", "iptables-save", "-t", "nat").stdout
        )  # the host rolled back whole
    finally:
        in_ns("nu-a-master", "rm", "-f", "/etc/dnsmasq.d/zz-broken.conf")
        netui("undo", "--yes", env_file=lab.env)


def test_a_switch_to_a_dns_the_dns_host_cannot_reach_is_refused_before_anything_changes(lab):
    assert netui("apply", "--yes", env_file=lab.env).returncode == 0
    try:
        before = in_ns("nu-a-master", "cat", CONF).stdout
        # without its route to cluster b's services, the DNS host cannot reach b's DNS
        in_ns("nu-a-master", "ip", "route", "del", "10.43.0.0/16")
        switched = netui("dns", "switch", "cluster.local", "b", "--yes", env_file=lab.env)
        assert switched.returncode == 2, switched.stdout + switched.stderr
        reason = [line for line in switched.stderr.splitlines() if "not switching" in line]
        assert len(reason) == 1 and "not switching: a-master gets" in reason[0], switched.stderr
        assert "from 10.43.0.10 for kube-dns.kube-system.svc.cluster.local" in reason[0]
        assert "nothing was changed" in reason[0]
        assert in_ns("nu-a-master", "cat", CONF).stdout == before  # never touched
        assert resolve(lab.env, "app.default.svc.cluster.local") == "10.96.0.30"
        record_fault(
            "the new cluster DNS unreachable from the DNS host (a DNS switch)",
            "`not switching: a-master gets (…) from 10.43.0.10 …`, exit 2, nothing written; the old answers resolve throughout",
        )
    finally:
        netui("undo", "--yes", env_file=lab.env)  # the failed switch (nothing left) ...
        netui("undo", "--yes", env_file=lab.env)  # ... and the apply


def test_bad_names_and_unknown_domains_are_refused_with_one_message(lab):
    bad = netui("dns", "resolve", "bad name\nx", env_file=lab.env)
    assert (
        bad.returncode == 2 and "is not a DNS name" in bad.stderr and "Traceback" not in bad.stderr
    )
    unknown = netui("dns", "switch", "corp.example", "a", "--yes", env_file=lab.env)
    assert unknown.returncode == 2 and "no cluster uses the domain 'corp.example'" in unknown.stderr
    assert in_ns("nu-a-master", "test", "-e", CONF).returncode != 0


def test_client_setup_for_every_os(lab):
    mac = netui("dns", "client", "--os", "macos", env_file=lab.env).stdout
    assert "echo 'nameserver 192.168.1.109' | sudo tee /etc/resolver/cluster.local" in mac
    resolved = netui("dns", "client", "--os", "linux-resolved", env_file=lab.env).stdout
    assert 'resolvectl domain "$LINK" ~cluster.local' in resolved
    win = netui("dns", "client", "--os", "windows", env_file=lab.env).stdout
    assert 'Add-DnsClientNrptRule -Namespace ".cluster.local" -NameServers "192.168.1.109"' in win
