"""The invariant (tests/lab/invariant.py) on `--plan article-routed`: the article's plan with
CNIs that do not masquerade Pod egress, only cluster a calling b, so b-master sees a's Pods' own
addresses. Once netui masquerades them, b-master must route the answers back to a's nodes
(cluster-return-route-missing): without it a's Pods reached b 0 of 6 with the doctor silent."""

from __future__ import annotations

from pathlib import Path

from netui.lab import build

from .invariant import check_invariant


def test_article_routed_after_fix_all_pods_of_each_cluster_reach_the_other(
    lab_home: Path, _lab_module: None
):
    seen = check_invariant(build.up(home=lab_home, plan="article-routed"), "article-routed")
    assert not seen.errors, seen.summary()
    pods = [r for s, r in seen.probes if s.startswith("a Pod of cluster")]
    assert pods and all(r.ok for r in pods), seen.summary()
