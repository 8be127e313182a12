"""A foreign rule above netui's jump (issue 25, item 3), on the real lab in both iptables
variants: the doctor names it (`rule-shadowed`), fix-all moves netui's jump above it — no
second MASQUERADE behind the same RETURN — the doctor is clean and the probe passes; undo puts
the jump back where it stood, byte for byte."""

from __future__ import annotations

import json

import pytest

from netui.lab.topology import CLUSTERS

from .conftest import host_state, in_ns, netui

HOSTS = ("a-master", "b-master", "router", "a-worker")
RETURN = ("-s", "10.1.3.0/24", "-j", "RETURN")


def postrouting(ns: str) -> list[str]:
    return [
        line
        for line in in_ns(ns, "iptables", "-t", "nat", "-S", "POSTROUTING").stdout.splitlines()
        if line.startswith("-A")
    ]


def errors(env: str) -> list[dict]:
    return [
        f
        for f in json.loads(netui("doctor", "--json", env_file=env).stdout)
        if f["severity"] == "error"
    ]


@pytest.mark.parametrize("host", ["a-master", "b-master"])  # nft and legacy
def test_a_return_above_netuis_jump_is_fixed_by_moving_the_jump_and_undone_exactly(lab, host):
    ns = f"nu-{host}"
    connected = netui("apply", "--yes", env_file=lab.env)
    assert connected.returncode == 0, connected.stdout + connected.stderr
    assert "NETUI-POSTROUTING" in postrouting(ns)[0]  # netui's jump sits first
    assert in_ns(ns, "iptables", "-t", "nat", "-I", "POSTROUTING", "1", *RETURN).returncode == 0
    try:
        before = host_state(HOSTS)
        shadowed = [f for f in errors(lab.env) if f["host"] == host]
        assert {f["code"] for f in shadowed} == {"rule-shadowed"}, shadowed
        plan = netui("plan", "--fix-all", env_file=lab.env)
        assert "MASQUERADE" not in plan.stdout, plan.stdout  # nothing added behind the RETURN
        applied = netui("apply", "--fix-all", "--yes", env_file=lab.env)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        rules = postrouting(ns)
        assert (
            "NETUI-POSTROUTING" in rules[0]
            and rules[1] == "-A POSTROUTING -s 10.1.3.0/24 -j RETURN"
        )
        masq = in_ns(ns, "iptables", "-t", "nat", "-S", "NETUI-POSTROUTING").stdout.count(
            "MASQUERADE"
        )
        cluster = next(c for c in CLUSTERS if c.master == host)
        assert masq == len((cluster.pod_cidr, cluster.service_cidr))  # one copy of each
        assert errors(lab.env) == []
        probe = json.loads(netui("probe", "--json", env_file=lab.env).stdout)
        assert probe and all(r["ok"] is not False for r in probe), [
            r for r in probe if r["ok"] is False
        ]
        undo = netui("undo", "--yes", env_file=lab.env)
        assert undo.returncode == 0, undo.stdout + undo.stderr
        assert host_state(HOSTS) == before
    finally:
        in_ns(ns, "iptables", "-t", "nat", "-D", "POSTROUTING", *RETURN)
        netui("undo", "--yes", env_file=lab.env)


def copy_of(host: str) -> tuple[str, ...]:
    """A copy of netui's rule for the host's cluster's Pod range, as another plan wrote it."""
    pods = next(c for c in CLUSTERS if c.master == host).pod_cidr
    return (
        "-s",
        "10.1.3.0/24",
        "-d",
        pods,
        "-m",
        "comment",
        "--comment",
        "netui:p-copy",
        "-j",
        "MASQUERADE",
    )


@pytest.mark.parametrize("host", ["a-master", "b-master"])  # nft and legacy
def test_a_second_copy_in_netuis_chain_is_found_and_fix_all_deletes_only_the_copy(lab, host):
    ns, copy = f"nu-{host}", copy_of(host)
    connected = netui("apply", "--yes", env_file=lab.env)
    assert connected.returncode == 0, connected.stdout + connected.stderr
    assert in_ns(ns, "iptables", "-t", "nat", "-A", "NETUI-POSTROUTING", *copy).returncode == 0
    try:
        before = host_state(HOSTS)
        found = json.loads(netui("doctor", "--json", env_file=lab.env).stdout)
        dup = [f for f in found if f["code"] == "netui-rule-duplicate"]
        assert [(f["host"], f["severity"]) for f in dup] == [(host, "warning")], dup
        applied = netui("apply", "--fix-all", "--yes", env_file=lab.env)
        assert applied.returncode == 0, applied.stdout + applied.stderr
        chain = in_ns(ns, "iptables", "-t", "nat", "-S", "NETUI-POSTROUTING").stdout
        assert "p-copy" not in chain and chain.count(f"-d {copy[3]} ") == 1, chain
        found = json.loads(netui("doctor", "--json", env_file=lab.env).stdout)
        assert not [f for f in found if f["code"] == "netui-rule-duplicate"]
        undo = netui("undo", "--yes", env_file=lab.env)
        assert undo.returncode == 0, undo.stdout + undo.stderr
        assert host_state(HOSTS) == before  # the copy is back where it stood
    finally:
        in_ns(ns, "iptables", "-t", "nat", "-D", "NETUI-POSTROUTING", *copy)
        netui("undo", "--yes", env_file=lab.env)
