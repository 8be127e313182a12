"""Trace and probe speed on the lab, as ratios measured in one run.

    sudo .venv/bin/python bench/trace.py [--runs 5]

Targets (issue: traces and probes): a 4-hop trace through netui's runner ≤ 1.2× a bare
`traceroute -n -q 1 -w 1` on the same path; the probe matrix of 2 clusters × 5 targets
≤ 2× a single probe.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import median_time
from bench._isolate import ensure_isolated


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    ensure_isolated()
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="netui-bench-")
    home = Path(tempfile.mkdtemp(prefix="netui-bench-lab-"))

    from netui.backends.local import NetnsBackend
    from netui.discovery.kube import discover
    from netui.lab import build
    from netui.model.envfile import load
    from netui.verify.probe import Target, run_probes, targets
    from netui.verify.trace import Trace, traceroute_argv

    files = build.up(home=home)
    try:
        env = load(files.env)
        cli = [sys.executable, "-m", "netui.cli", "apply", "--yes", "--env", files.env]
        subprocess.run(cli, check=True, capture_output=True)
        office = NetnsBackend("office-pc", "nu-office-pc")
        target = "10.200.1.3"  # office -> router -> forwarder -> worker -> Pod: 4 hops

        def ours() -> None:
            trace = Trace(office, target)
            hops = list(trace.hops())
            assert hops[-1].ip == target and len(hops) == 4, trace.raw

        def bare() -> None:
            subprocess.run(
                ["ip", "netns", "exec", "nu-office-pc", *traceroute_argv(target)],
                check=True,
                capture_output=True,
            )

        # The first packets after `lab up` meet empty neighbour caches on every hop; warm the path.
        for _ in range(3):
            bare()
        ours()
        t_bare, t_ours = median_time(bare, args.runs), median_time(ours, args.runs)
        ok1 = t_ours / t_bare <= 1.2
        print(
            f"trace 4 hops: bare traceroute {t_bare * 1000:.1f} ms, netui {t_ours * 1000:.1f} ms → {t_ours / t_bare:.2f}× (≤ 1.2×) {'ok' if ok1 else 'MISSED'}"
        )

        inventory = discover(env)
        every = targets(env, inventory, per_kind=5)
        matrix = [t for c in ("a", "b") for t in [m for m in every if m.cluster == c][:5]]
        assert all(r.ok is not False for r in run_probes(office, matrix)), (
            "the lab is not connected"
        )
        # The matrix runs its probes in parallel, so it can be no faster than its slowest kind:
        # the baseline is one probe of each kind alone, and the slowest of those.
        singles = {}
        for kind in sorted({t.kind for t in matrix}):
            one: list[Target] = [next(t for t in matrix if t.kind == kind)]
            singles[kind] = median_time(lambda one=one: run_probes(office, one), args.runs)
        slowest = max(singles.values())
        t_all = median_time(lambda: run_probes(office, matrix), args.runs)
        ok2 = t_all / slowest <= 2
        each = ", ".join(f"{k} {v * 1000:.1f} ms" for k, v in singles.items())
        print(
            f"probe matrix {len(matrix)} targets ({len({t.cluster for t in matrix})} clusters, kinds {', '.join(singles)}): single probes {each}; matrix {t_all * 1000:.1f} ms → {t_all / slowest:.2f}× the slowest single (≤ 2×) {'ok' if ok2 else 'MISSED'}"
        )
        return 0 if ok1 and ok2 else 1
    finally:
        build.down(home)


if __name__ == "__main__":
    sys.exit(main())
