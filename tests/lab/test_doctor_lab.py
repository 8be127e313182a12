"""The doctor on the real lab: every planted mistake found; a correctly connected lab is clean
— and really passes traffic, which is what proves the doctor's idea of "connected".

The broken-lab tests come first: the clean `lab` fixture rebuilds the lab when it starts."""

from __future__ import annotations

import json

from netui.lab.topology import BROKEN, CLUSTERS, HOST_BY_NAME

from .conftest import in_ns, netui

NETUI_CHAIN = """*nat
:NETUI-POSTROUTING - [0:0]
-I POSTROUTING 1 -m comment --comment "netui: owned chain" -j NETUI-POSTROUTING
{rules}
COMMIT
"""


def connect_by_hand() -> None:
    """What the apply step will do, written out: routes, forwarding (now and at boot), and
    MASQUERADE office -> cluster CIDRs in an owned chain ahead of kube-proxy."""
    for c in CLUSTERS:
        master = HOST_BY_NAME[c.master]
        for cidr in (c.pod_cidr, c.service_cidr):
            assert (
                in_ns("nu-router", "ip", "route", "replace", cidr, "via", master.ip).returncode == 0
            )
        ns = f"nu-{c.master}"
        in_ns(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")
        in_ns(
            ns,
            "sh",
            "-c",
            "echo 'net.ipv4.ip_forward = 1' > /etc/sysctl.d/90-netui-ip-forward.conf",
        )
        rules = "\n".join(
            f'-A NETUI-POSTROUTING -s 10.1.3.0/24 -d {cidr} -m comment --comment "netui:test" -j MASQUERADE'
            for cidr in (c.pod_cidr, c.service_cidr)
        )
        r = in_ns(
            ns,
            "iptables-restore",
            "--noflush",
            "-w",
            "5",
            input_text=NETUI_CHAIN.format(rules=rules),
        )
        assert r.returncode == 0, r.stderr


def test_every_planted_mistake_is_found_with_the_right_code_and_host(broken_lab):
    proc = netui("doctor", "--json", env_file=broken_lab.env)
    assert proc.returncode == 1, proc.stderr
    found = {(f["code"], f["host"]) for f in json.loads(proc.stdout)}
    planted = {(p.code, p.host) for p in BROKEN}
    assert planted <= found, f"missed: {planted - found}"


def test_walk_shows_why_a_packet_is_not_masqueraded(broken_lab):
    out = netui(
        "walk", "a-master", "10.1.3.10", "10.200.1.3", env_file=broken_lab.env, check=True
    ).stdout
    assert "NOT masqueraded: ACCEPT" in out
    assert "KUBE-POSTROUTING #1" in out and "-m mark ! --mark 0x4000/0x4000 -j RETURN" in out


def test_a_fresh_lab_says_what_is_missing(lab):
    findings = json.loads(netui("doctor", "--json", env_file=lab.env).stdout)
    codes = {(f["code"], f["host"]) for f in findings if f["severity"] == "error"}
    assert ("forwarding-off", "a-master") in codes and ("forwarding-off", "b-master") in codes
    assert ("masquerade-missing", "a-master") in codes
    assert ("route-missing", "router") in codes
    assert not any(
        c in ("masquerade-reversed", "cidr-unknown", "rule-shadowed", "no-return-route")
        for c, _ in codes
    )


def test_a_correctly_connected_lab_has_no_errors_and_really_connects(lab):
    connect_by_hand()
    proc = netui("doctor", "--json", env_file=lab.env)
    findings = json.loads(proc.stdout)
    errors = [f for f in findings if f["severity"] == "error"]
    assert errors == [], errors
    assert proc.returncode == 0
    # and the office really reaches pods and services of both clusters
    for c in CLUSTERS:
        for pod in c.pods:
            assert in_ns("nu-office-pc", "ping", "-c1", "-W2", pod.ip).returncode == 0, pod
    out = in_ns(
        "nu-office-pc",
        "python3",
        "-c",
        "import urllib.request;print(urllib.request.urlopen('http://10.200.1.3:8080/',timeout=3).read().decode())",
    ).stdout
    assert "you came from 192.168.1.109" in out  # masqueraded by the forwarder
    assert (
        in_ns(
            "nu-office-pc",
            "dig",
            "+short",
            "+time=2",
            "@10.96.0.10",
            "app.default.svc.cluster.local",
        ).stdout.strip()
        == "10.96.0.30"
    )
