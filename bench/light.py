"""A light touch on a big host: the CPU a 100,000-rule kube-proxy node (nft) spends per minute
while netui's NAT view watches it, with every poll reading the whole table (as before) and with
light polls (counters of what is on screen, `nft monitor` for changes, the whole table only
after one). Measured as the CPU of the processes netui starts on that host, in one run.

    sudo .venv/bin/python bench/light.py [--rules 100000] [--seconds 20]

Target (issue: scale): ≤ 5% of one core at the default poll interval (2 s, stretched where a
read costs more than 5% of it), printed beside the full-table polling it replaces, as a ratio.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import netns_env
from bench._isolate import ensure_isolated
from bench.snapshot import make_namespace

NS = "nu-bench-light"


def children_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def watch(
    env_file: str, seconds: float, monitor: bool, chain: str, paced: bool = True
) -> tuple[float, int, int]:
    """(share of one core the host spent, polls, light polls) over `seconds` of a NAT view on
    `chain`, polled at the default interval (`paced`: stretched to keep netui's reads within
    HOST_SHARE of the host's time; without it, every 2 s as before)."""
    from netui.core import poller as poller_module
    from netui.core.poller import HostPoller
    from netui.model.envfile import load

    poller_module.HOST_SHARE = 0.05 if paced else 1e9

    snaps = []
    poller = HostPoller(load(env_file), snaps.append, monitor=monitor)
    poller.watch("nat view", "big", [("nat", chain)])
    poller.start()
    # settle: the first full read and the monitor's start are not the steady state
    deadline = time.time() + 30
    while time.time() < deadline and len(snaps) < (3 if monitor else 1):
        time.sleep(0.05)
    before, start, counted = children_cpu(), time.monotonic(), len(snaps)
    time.sleep(seconds)
    cpu, elapsed = children_cpu() - before, time.monotonic() - start
    polls = len(snaps) - counted
    light = sum(1 for s in snaps[counted:] if s.light)
    poller.stop()
    time.sleep(0.5)
    return cpu / elapsed, polls, light


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--seconds", type=float, default=20.0)
    args = ap.parse_args()
    ensure_isolated()

    from netui.lab.kubeproxy import rules
    from netui.lab.topology import CLUSTER_A

    text = rules(CLUSTER_A, extra_services=args.rules // 5)
    make_namespace(NS, "nft", text)
    with netns_env({"big": NS}) as env:
        print(
            f"a kube-proxy host with {text.count(chr(10) + '-A ')} nat rules (nft), "
            f"{args.seconds:g} s of a NAT view at the 2 s interval:"
        )
        full, n_full, _ = watch(env, args.seconds, monitor=False, chain="POSTROUTING", paced=False)
        print(
            f"  before: every poll reads the whole table, every 2 s: {full * 100:.1f}% of one "
            f"core ({n_full} polls)"
        )
        ok = True
        for chain in ("POSTROUTING", "KUBE-SERVICES"):
            light, n, n_light = watch(env, args.seconds, monitor=True, chain=chain)
            met = light <= 0.05
            ok &= met
            print(
                f"  now, NAT view on {chain}: {light * 100:.1f}% of one core "
                f"({n_light} of {n} polls light) = {light / full:.3f}× before (≤ 5%) "
                f"{'ok' if met else 'MISSED'}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
