"""The whole firewall on the real lab: the real firewalld (Debian's package, nftables backend)
and a native nft forward chain with policy drop on the forwarders, named by the doctor with
table, chain and handle; the CLI view lists every base chain per hook."""

from __future__ import annotations

import json

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
    build.up(home=lab_home)  # the next module's lab starts clean


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
