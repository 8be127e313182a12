"""Snapshot speed on a 100,000-rule nat table, as ratios against bare tools in the same run.

    sudo .venv/bin/python bench/snapshot.py [--rules 100000] [--runs 3]

Targets (issue: foundation): netui snapshot+parse ≤ 1.3× `iptables-save -c -t nat` on nft,
≤ 2× on legacy; `netui --help` ≤ 5× `python3 -c pass`.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import median_time
from bench._isolate import ensure_isolated


def make_namespace(name: str, variant: str, rules_text: str) -> None:
    subprocess.run(["ip", "netns", "add", name], check=True)
    if variant == "legacy":
        alt = Path("/etc/netns") / name / "alternatives"
        shutil.copytree("/etc/alternatives", alt, symlinks=True)
        for tool in ("iptables", "iptables-save", "iptables-restore"):
            (alt / tool).unlink(missing_ok=True)
            (alt / tool).symlink_to("/usr/sbin/iptables-legacy" + tool[len("iptables") :])
    subprocess.run(
        ["ip", "netns", "exec", name, "iptables-restore", "--noflush", "-w", "5"],
        input=rules_text.encode(),
        check=True,
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ensure_isolated()

    from netui.backends.local import NetnsBackend
    from netui.backends.snapshot import take_snapshot
    from netui.lab.kubeproxy import rules
    from netui.lab.topology import CLUSTER_A

    text = rules(CLUSTER_A, extra_services=args.rules // 5)
    print(f"nat table: {text.count(chr(10) + '-A ')} rules ({args.runs} runs each, median)")
    ok = True
    for variant, target in (("nft", 1.3), ("legacy", 2.0)):
        ns = f"nu-bench-{variant}"
        make_namespace(ns, variant, text)
        try:
            backend = NetnsBackend("bench", ns)
            snap = take_snapshot(backend)
            assert snap.variant == variant and snap.nat is not None, snap.reason
            bare = median_time(
                lambda ns=ns: subprocess.run(
                    ["ip", "netns", "exec", ns, "iptables-save", "-c", "-t", "nat"],
                    stdout=subprocess.PIPE,
                    check=True,
                ),
                args.runs,
            )
            ours = median_time(lambda backend=backend: take_snapshot(backend), args.runs)
            start = time.perf_counter()
            from netui.model.iptables import parse

            parse(snap.nat_text)
            parse_only = time.perf_counter() - start
            ratio = ours / bare
            ok &= ratio <= target
            print(
                f"{variant:6}  iptables-save {bare:6.3f} s   netui snapshot+parse {ours:6.3f} s (parse {parse_only:.3f} s)   ratio {ratio:4.2f}× (target ≤ {target}×) {'ok' if ratio <= target else 'MISSED'}"
            )
        finally:
            subprocess.run(["ip", "netns", "del", ns], check=False)
            shutil.rmtree(Path("/etc/netns") / ns, ignore_errors=True)

    netui = [sys.executable, "-m", "netui.cli", "--help"]
    bare = median_time(
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), args.runs * 3
    )
    ours = median_time(
        lambda: subprocess.run(netui, stdout=subprocess.DEVNULL, check=True), args.runs * 3
    )
    ratio = ours / bare
    ok &= ratio <= 5
    print(
        f"netui --help {ours:.3f} s vs python3 -c pass {bare:.3f} s: ratio {ratio:4.2f}× (target ≤ 5×) {'ok' if ratio <= 5 else 'MISSED'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
