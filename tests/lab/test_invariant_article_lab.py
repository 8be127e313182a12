"""The invariant (tests/lab/invariant.py) on the article's plan, cluster to cluster both ways
(reach_from): probes from the office, and from a node and a Pod of each cluster."""

from __future__ import annotations

from pathlib import Path

from netui.lab import build

from .invariant import check_invariant


def test_article_after_fix_all_the_doctor_and_the_probes_agree(lab_home: Path, _lab_module: None):
    seen = check_invariant(build.up(home=lab_home, plan="article"), "article")
    assert not seen.errors and {s for s, _ in seen.probes} >= {"office"}, seen.summary()
