"""The invariant (tests/lab/invariant.py) on the classic address plan: clean, and with the
mistakes of docs/lab.md planted (`--broken`). One lab per module, rebuilt per variant."""

from __future__ import annotations

from pathlib import Path

from netui.lab import build

from .invariant import check_invariant


def test_classic_after_fix_all_the_doctor_and_the_probes_agree(lab_home: Path, _lab_module: None):
    seen = check_invariant(build.up(home=lab_home), "classic")
    assert not seen.errors and len(seen.probes) >= 15, seen.summary()


def test_classic_broken_after_fix_all_the_doctor_and_the_probes_agree(
    lab_home: Path, _lab_module: None
):
    seen = check_invariant(build.up(home=lab_home, broken=True), "classic")
    assert not seen.errors and len(seen.probes) >= 15, seen.summary()
