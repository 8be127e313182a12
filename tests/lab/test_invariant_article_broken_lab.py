"""The invariant (tests/lab/invariant.py) on `--plan article --broken`: b-master's
`-P FORWARD DROP` dropped cluster a's nodes and Pods while the doctor said nothing (issue 25);
now the doctor names each source and fix-all accepts exactly those. A module of its own: a
lab of its own (one xdist group per module), never the leftovers of the clean variant."""

from __future__ import annotations

from pathlib import Path

from netui.lab import build

from .invariant import check_invariant


def test_article_broken_after_fix_all_cluster_a_reaches_b_through_its_forward_drop(
    lab_home: Path, _lab_module: None
):
    seen = check_invariant(build.up(home=lab_home, plan="article", broken=True), "article")
    assert not seen.errors, seen.summary()
    sources = {s.split(" (")[0] for s, _ in seen.probes}
    assert sources == {
        "office",
        "a node of cluster a",
        "a Pod of cluster a",
        "a node of cluster b",
        "a Pod of cluster b",
    }
