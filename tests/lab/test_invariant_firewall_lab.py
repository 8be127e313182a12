"""The invariant (tests/lab/invariant.py) with a firewall manager on the forwarders: the real
firewalld, ufw, or a native nft table whose forward chain drops."""

from __future__ import annotations

from pathlib import Path

import pytest

from netui.lab import build

from .invariant import check_invariant


@pytest.mark.parametrize("firewall", ["firewalld", "firewalld-legacy", "ufw", "nftables"])
def test_with_a_firewall_after_fix_all_the_doctor_and_the_probes_agree(
    firewall: str, lab_home: Path, _lab_module: None
):
    seen = check_invariant(build.up(home=lab_home, firewall=firewall), "classic")
    # and fix-all fixes it in the host's own terms: firewalld's policies, ufw's rules, an
    # accept in the native chain: nothing is left broken
    assert not seen.errors and len(seen.probes) >= 15, seen.summary()
