"""The write step of applying 1,000 rule changes on a 50,000-rule host, both iptables variants.

    sudo .venv/bin/python bench/apply.py [--base 50000] [--changes 1000] [--runs 3]

Targets (issue: apply): netui's write step (plan made; journal writes included) ≤ 1.5× one raw
`iptables-restore --noflush` of the same rules, and ≥ 20× faster than a loop of `iptables -A`.
The loop is measured on 100 rules and scaled to the full count (on legacy a full loop takes
minutes); the snapshot cost is printed beside.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._isolate import ensure_isolated
from bench.snapshot import make_namespace


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=50_000)
    ap.add_argument("--changes", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ensure_isolated()
    os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="netui-bench-")

    from netui.backends.local import NetnsBackend
    from netui.lab.kubeproxy import rules
    from netui.lab.topology import CLUSTER_A
    from netui.plan.executor import snapshot_for, write_host
    from netui.plan.journal import Journal
    from netui.plan.kinds.jump import Jump
    from netui.plan.kinds.masquerade import Masquerade, masquerade_rule
    from netui.plan.model import HostPlan, Plan, new_plan_id

    pairs = [
        Masquerade("10.1.3.0/24", f"10.{100 + i // 250}.{i % 250}.0/24")
        for i in range(args.changes)
    ]
    ok = True
    for variant in ("nft", "legacy"):
        ns = f"nu-bench-{variant}"
        make_namespace(ns, variant, rules(CLUSTER_A, extra_services=args.base // 5))
        backend = NetnsBackend("bench", ns)

        def sh(*argv: str, stdin: str | None = None, ns: str = ns) -> None:
            subprocess.run(
                ["ip", "netns", "exec", ns, *argv],
                input=stdin,
                text=True,
                check=True,
                capture_output=True,
            )

        def reset(chain: str, sh=sh) -> None:
            sh(
                "sh",
                "-c",
                f"iptables -w 5 -t nat -D POSTROUTING -m comment --comment 'netui: owned chain' -j {chain} 2>/dev/null; iptables -w 5 -t nat -F {chain} 2>/dev/null; iptables -w 5 -t nat -X {chain} 2>/dev/null; true",
            )

        try:
            raw_text = (
                "*nat\n:BENCH-RAW - [0:0]\n"
                + "".join(
                    f"-A BENCH-RAW {masquerade_rule(p.source, p.destination, 'raw')}\n"
                    for p in pairs
                )
                + "COMMIT\n"
            )
            raw, ours, snaps = [], [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                sh("iptables-restore", "--noflush", "-w", "5", stdin=raw_text)
                raw.append(time.perf_counter() - start)
                reset("BENCH-RAW")

                plan = Plan(new_plan_id())
                plan.hosts["bench"] = HostPlan("bench", steps=[Jump("nat", 1), *pairs])
                journal = Journal(plan)
                start = time.perf_counter()
                snap = snapshot_for(backend)
                snaps.append(time.perf_counter() - start)
                journal.record_pre("bench", {"nat": snap.nat_text})
                start = time.perf_counter()
                assert write_host(journal, backend, plan.hosts["bench"], snap, lambda h, m: None)
                ours.append(time.perf_counter() - start)
                reset("NETUI-POSTROUTING")

            sample = 100
            sh("iptables", "-w", "5", "-t", "nat", "-N", "BENCH-LOOP")
            start = time.perf_counter()
            for p in pairs[:sample]:
                sh(
                    "iptables",
                    "-w",
                    "5",
                    "-t",
                    "nat",
                    "-A",
                    "BENCH-LOOP",
                    "-s",
                    p.source,
                    "-d",
                    p.destination,
                    "-j",
                    "MASQUERADE",
                )
            loop = (time.perf_counter() - start) * len(pairs) / sample
            reset("BENCH-LOOP")

            r, o, s = statistics.median(raw), statistics.median(ours), statistics.median(snaps)
            ratio, speedup = o / r, loop / o
            good = ratio <= 1.5 and speedup >= 20
            ok &= good
            print(
                f"{variant:6} {args.changes} changes on {args.base} rules: raw restore {r:.3f} s, netui write {o:.3f} s "
                f"→ {ratio:.2f}× (≤ 1.5×); iptables -A loop ≈{loop:.1f} s (100 measured) → netui {speedup:.0f}× faster (≥ 20×); "
                f"snapshot {s:.3f} s  {'ok' if good else 'MISSED'}"
            )
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)
            subprocess.run(["rm", "-rf", f"/etc/netns/{ns}"], check=False)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
