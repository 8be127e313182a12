"""The whole-firewall snapshot on a 100,000-rule nft host, as a ratio against the bare tools.

    sudo .venv/bin/python bench/firewall.py [--rules 100000] [--runs 3]

The host: kube-proxy-style iptables-nft nat rules (100k) plus native tables (firewalld's real
rule set, OpenWrt fw4's and kube-proxy nftables mode's shapes from tests/fixtures/nft). Target
(issue 22): netui's snapshot with parsing, the hook map and one packet path ≤ 1.5× a bare
`iptables-save -c` plus `nft -j list ruleset`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import median_time
from bench._isolate import ensure_isolated

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "nft"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    ensure_isolated()

    from netui.backends.local import NetnsBackend
    from netui.backends.snapshot import take_snapshot
    from netui.doctor.path import forward_path
    from netui.doctor.walk import Packet
    from netui.lab.kubeproxy import rules
    from netui.lab.topology import CLUSTER_A

    ns = "nu-bench-fw"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    try:
        text = rules(CLUSTER_A, extra_services=args.rules // 5)
        subprocess.run(
            ["ip", "netns", "exec", ns, "iptables-restore", "--noflush", "-w", "5"],
            input=text.encode(),
            check=True,
        )
        for name in ("fw4", "kube-proxy"):
            subprocess.run(
                ["ip", "netns", "exec", ns, "nft", "-f", str(FIXTURES / f"{name}.nft")], check=True
            )
        print(f"nat rules: {text.count(chr(10) + '-A ')}; native tables: fw4, kube-proxy")

        def bare() -> None:
            for argv in (["iptables-save", "-c"], ["nft", "-j", "list", "ruleset"]):
                subprocess.run(
                    ["ip", "netns", "exec", ns, *argv], stdout=subprocess.PIPE, check=True
                )

        backend = NetnsBackend("bench", ns)

        def ours() -> None:
            snap = take_snapshot(backend)
            assert snap.ok and snap.nft is not None and snap.nat is not None, snap.reason
            assert "inet fw4" in snap.nft.tables and "ip nat" not in snap.nft.tables
            snap.hooks  # noqa: B018  (the hook map is part of what the faces read)
            forward_path(snap, Packet("10.1.3.10", "10.200.1.5", in_iface="eth0"), lambda d: "eth1")

        t_bare = median_time(bare, args.runs)
        t_ours = median_time(ours, args.runs)
        start = time.perf_counter()
        out = subprocess.run(
            ["ip", "netns", "exec", ns, "nft", "-j", "list", "ruleset"], stdout=subprocess.PIPE
        ).stdout
        t_json = time.perf_counter() - start
        ratio = t_ours / t_bare
        print(
            f"bare iptables-save -c + nft -j list ruleset {t_bare:6.3f} s "
            f"(the JSON alone {t_json:.3f} s, {len(out) / 1e6:.1f} MB)   netui snapshot {t_ours:6.3f} s   "
            f"ratio {ratio:4.2f}× (target ≤ 1.5×) {'ok' if ratio <= 1.5 else 'MISSED'}"
        )
        return 0 if ratio <= 1.5 else 1
    finally:
        subprocess.run(["ip", "netns", "del", ns], check=False)


if __name__ == "__main__":
    raise SystemExit(main())
