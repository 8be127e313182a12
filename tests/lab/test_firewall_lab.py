"""The whole firewall on the real lab: the real firewalld (Debian's package, nftables backend)
and a native nft forward chain with policy drop on the forwarders, named by the doctor with
table, chain and handle; the CLI view lists every base chain per hook."""

from __future__ import annotations

import json
import re
import time

from netui.lab import build

from .conftest import in_ns, netui


def _doctor(env: str) -> list[dict]:
    proc = netui("doctor", "--json", env_file=env)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def test_a_native_forward_drop_is_named_on_both_iptables_variants(lab_home, _lab_module):
    files = build.up(home=lab_home, firewall="nftables")
    found = _doctor(files.env)
    blocked = {f["host"]: f for f in found if f["code"] == "forward-blocked"}
    for host in ("a-master", "b-master"):  # nft and legacy iptables
        f = blocked[host]
        assert "table inet filter chain forward policy says drop" in f["title"], f["title"]
        assert f["fixes"][0]["kind"] == "nft-rule-insert"
    # iptables-legacy-save never shows it; the firewall view does
    view = netui("show", "firewall", "b-master", "--json", env_file=files.env, check=True)
    forward = json.loads(view.stdout)["hooks"]["forward"]
    native = [c for c in forward if c["source"] == "nft"]
    assert [(c["family"], c["table"], c["chain"], c["policy"]) for c in native] == [
        ("inet", "filter", "forward", "drop")
    ]


def test_the_real_firewalld_rejecting_the_office_is_named_and_its_reload_flush_said(
    lab_home, _lab_module
):
    files = build.up(home=lab_home, firewall="firewalld")
    assert in_ns("nu-a-master", "firewall-cmd", "--state").stdout.strip() == "running"
    found = _doctor(files.env)
    blocked = [f for f in found if f["code"] == "forward-blocked" and f["host"] == "a-master"]
    assert blocked and "table inet firewalld chain filter_FWD_public handle" in blocked[0]["title"]
    assert blocked[0]["fixes"][0]["kind"] == "firewalld-office"
    running = next(f for f in found if f["code"] == "firewalld-running")
    assert "a reload erases rules" in running["title"]
    assert any("FlushAllOnReload=yes" in e for e in running["evidence"])
    view = netui("show", "firewall", "a-master", env_file=files.env, check=True).stdout
    assert "firewall managers: firewalld" in view and "filter_FORWARD" in view
    try:
        _firewalld_fix_survives_a_reload_and_undo_is_exact(files)
    finally:
        build.up(home=lab_home)  # the next module's lab starts clean


def test_firewalld_on_a_legacy_iptables_forwarder_is_fixed_the_same_way(lab_home, _lab_module):
    """firewalld on b-master, whose iptables is the legacy one: its reload flushes those tables
    too; the same policy carries the office, undo leaves the host as found."""
    files = build.up(home=lab_home, firewall="firewalld-legacy")
    try:
        assert "legacy" in in_ns("nu-b-master", "iptables", "--version").stdout
        blocked = [f for f in _doctor(files.env) if f["code"] == "forward-blocked"]
        assert blocked and blocked[0]["host"] == "b-master", blocked
        assert blocked[0]["fixes"][0]["kind"] == "firewalld-office"
        _firewalld_fix_survives_a_reload_and_undo_is_exact(files, "nu-b-master", "10.42.0.0/16")
    finally:
        build.up(home=lab_home)  # the next module's lab starts clean


def _nft_without_counters(ns: str) -> list[str]:
    """The ruleset, one table a block, sorted: a table made again (kube-proxy's, after a
    reload flushed it) lists in another place, its content the same."""
    text = re.sub(r" packets \d+ bytes \d+", "", in_ns(ns, "nft", "list", "ruleset").stdout)
    return sorted(b.strip() for b in re.split(r"\n(?=table )", text) if b.startswith("table"))


def _firewalld_tree(ns: str) -> str:
    return in_ns(
        ns, "sh", "-c", "cd /etc/firewalld && find . -type f | sort | xargs sha256sum"
    ).stdout


def _probes_fail(env: str) -> list[dict]:
    probes = json.loads(netui("probe", "--json", env_file=env).stdout)
    assert probes
    return [r for r in probes if r["ok"] is False]


def _kube_proxy_back(ns: str) -> None:
    """The lab's kube-proxy canary (lab/canary.py) writes its chains again after a reload."""
    for _ in range(100):
        if in_ns(ns, "iptables", "-t", "nat", "-S", "KUBE-SERVICES").returncode == 0:
            return
        time.sleep(0.1)
    raise AssertionError(f"kube-proxy's chains did not come back on {ns}")


def _firewalld_fix_survives_a_reload_and_undo_is_exact(
    files, ns: str = "nu-a-master", pods: str = "10.200.0.0/16"
) -> None:
    """apply (over SSH from the jump host) writes netui's policies in firewalld's permanent
    configuration and reloads: every probe passes, also after an operator's `--reload` (which
    flushes netui's iptables chains); undo leaves /etc/firewalld and the ruleset as found."""
    tree, ruleset = _firewalld_tree(ns), _nft_without_counters(ns)
    assert _probes_fail(files.env)
    applied = netui("apply", "--yes", netns="nu-jump", env_file=files.env_ssh)
    assert applied.returncode == 0, applied.stdout[-3000:] + applied.stderr[-2000:]
    policy = in_ns(ns, "cat", "/etc/firewalld/policies/netui-office-out.xml").stdout
    assert f'<destination address="{pods}"/><masquerade/>' in policy
    assert "netui" in in_ns(ns, "firewall-cmd", "--get-policies").stdout
    assert "NETUI-POSTROUTING" in in_ns(ns, "iptables-save", "-t", "nat").stdout  # put back
    assert _probes_fail(files.env) == []
    errors = [f for f in json.loads(netui("doctor", "--json", env_file=files.env).stdout)
              if f["severity"] == "error"]  # fmt: skip
    assert errors == [], errors
    running = next(
        f
        for f in json.loads(netui("doctor", "--json", env_file=files.env).stdout)
        if f["code"] == "firewalld-running"
    )
    assert running["severity"] == "info" and "carries the office's" in running["title"]

    assert in_ns(ns, "firewall-cmd", "--reload").returncode == 0  # flushes netui's chains
    _kube_proxy_back(ns)
    assert _probes_fail(files.env) == []  # firewalld's own policy carries the office

    undone = netui("undo", "--yes", netns="nu-jump", env_file=files.env_ssh)
    assert undone.returncode == 0, undone.stdout[-3000:] + undone.stderr[-2000:]
    _kube_proxy_back(ns)
    assert _firewalld_tree(ns) == tree
    assert _nft_without_counters(ns) == ruleset


def test_fix_all_accepts_the_office_in_a_native_forward_chain_and_undo_leaves_it_as_found(
    lab_home, _lab_module
):
    """The native nft fix in the host's own terms: an accept inserted first in someone else's
    `table inet filter` forward chain (commented as netui's plan), explicit (fix-all), on an nft
    and a legacy iptables host; undo removes exactly it (by its comment)."""
    from netui.lab.topology import CLUSTERS

    from .test_apply_lab import http

    files = build.up(home=lab_home, firewall="nftables")
    hosts = ("nu-a-master", "nu-b-master")
    before = {ns: in_ns(ns, "nft", "-s", "list", "ruleset").stdout for ns in hosts}
    applied = netui("apply", "--fix-all", "--yes", env_file=files.env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    try:
        for ns in hosts:
            chain = in_ns(ns, "nft", "list", "chain", "inet", "filter", "forward").stdout
            assert 'accept comment "netui:' in chain, (ns, chain)
        for c in CLUSTERS:
            app = next(s for s in c.services if s.name == "app")
            assert "hello from app" in http(app.cluster_ip, app.port), c.name
        codes = {f["code"] for f in json.loads(netui("doctor", "--json", env_file=files.env).stdout)
                 if f["severity"] == "error"}  # fmt: skip
        assert "forward-blocked" not in codes, codes
    finally:
        undone = netui("undo", "--yes", env_file=files.env)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert {ns: in_ns(ns, "nft", "-s", "list", "ruleset").stdout for ns in hosts} == before


def test_ufw_lets_the_office_dns_in_its_own_terms_and_undo_leaves_user_rules_as_found(
    lab_home, _lab_module
):
    """ufw on the DNS host (a-master) rejects the office's queries: the doctor's fix is ufw's
    own rule, fix-all adds it, undo deletes exactly it (ufw's user.rules byte-identical)."""
    files = build.up(home=lab_home, firewall="ufw")
    try:
        blocked = [f for f in _doctor(files.env) if f["code"] == "dns-blocked"]
        assert blocked and blocked[0]["fixes"][0]["kind"] == "ufw-allow-dns", blocked
        before = in_ns("nu-a-master", "cat", "/etc/ufw/user.rules").stdout
        applied = netui("apply", "--fix-all", "--yes", env_file=files.env)
        assert applied.returncode == 0, applied.stdout[-2000:] + applied.stderr[-2000:]
        rules = in_ns("nu-a-master", "cat", "/etc/ufw/user.rules").stdout
        assert "allow udp 53 0.0.0.0/0 any 10.1.3.0/24 in" in rules
        undone = netui("undo", "--yes", env_file=files.env)
        assert undone.returncode == 0, undone.stdout[-2000:] + undone.stderr[-2000:]
        assert in_ns("nu-a-master", "cat", "/etc/ufw/user.rules").stdout == before
    finally:
        build.up(home=lab_home)  # the next module's lab starts clean
