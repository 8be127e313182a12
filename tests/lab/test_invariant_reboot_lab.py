"""The invariant (tests/lab/invariant.py) across the reboot emulation: on the broken classic
lab, after fix-all and then a reboot of both forwarders and the office router (`netui lab
reboot`: tables flushed, runtime routes and sysctls gone, then the boot and netui's unit), the
doctor reports no error and every probe passes — from the office, a node and a Pod."""

from __future__ import annotations

from pathlib import Path

from netui.lab import build
from netui.model import envfile

from .conftest import netui
from .invariant import check_invariant, on_path, truth
from .test_reboot_lab import FORWARDERS_AND_ROUTER


def test_broken_after_fix_all_and_a_reboot_the_doctor_and_the_probes_agree(
    lab_home: Path, _lab_module: None
):
    files = build.up(home=lab_home, broken=True)
    before = check_invariant(files, "classic")
    assert not before.errors, before.summary()
    rebooted = netui("lab", "reboot", *FORWARDERS_AND_ROUTER, env_file=files.env)
    assert rebooted.returncode == 0, rebooted.stdout + rebooted.stderr
    after = truth(files.env, "classic")
    assert after.probes and len(after.probes) == len(before.probes), after.summary()
    assert (not after.errors) == (not after.failed()), after.summary()
    env = envfile.load(files.env)
    assert all(any(on_path(env, s, r, e) for e in after.errors) for s, r in after.failed())
    assert not after.errors, after.summary()  # netui's unit brought all of it back
