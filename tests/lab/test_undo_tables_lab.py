"""Undo leaves no table it did not find (issue 25, item 9), on the real lab: a forwarder on
iptables-nft without a nat table gets one from the apply and none after the undo. (On
iptables-legacy a table cannot be dropped once used: kinds/jump.py; tests/test_undo_tables.py.)"""

from __future__ import annotations

from pathlib import Path

import yaml

from .conftest import host_state, in_ns, netui


def test_undo_drops_the_nat_table_a_host_did_not_have(lab, tmp_path):
    ns = "nu-a-master"  # iptables-nft
    # without kube-proxy's nat rules the cluster DNS has no Service address: DNS left out
    env = yaml.safe_load(Path(lab.env).read_text())
    env.pop("dns", None)
    env_file = tmp_path / "env.yaml"
    env_file.write_text(yaml.safe_dump(env))
    saved = in_ns(ns, "iptables-save", "-t", "nat").stdout
    assert "*nat" in saved
    assert in_ns(ns, "nft", "delete", "table", "ip", "nat").returncode == 0
    try:
        before = host_state(("a-master",))
        assert "*nat" not in before["a-master"]
        applied = netui("apply", "--yes", "--cluster", "a", env_file=str(env_file))
        assert applied.returncode == 0, applied.stdout + applied.stderr
        assert "-j MASQUERADE" in in_ns(ns, "iptables-save", "-t", "nat").stdout
        undo = netui("undo", "--yes", env_file=str(env_file))
        assert undo.returncode == 0, undo.stdout + undo.stderr
        assert "dropped again" in undo.stdout
        assert host_state(("a-master",)) == before  # no empty *nat left behind
    finally:
        in_ns(ns, "nft", "delete", "table", "ip", "nat")
        restored = in_ns(ns, "iptables-restore", input_text=saved)
        assert restored.returncode == 0, restored.stderr
