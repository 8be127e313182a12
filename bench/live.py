"""How fast a rule change reaches the screen, measured where the operator sees it: from
`iptables -I` (or `-D`) on a host to the row appearing in (leaving) netui's NAT view, 20 tries
each, on an nft host (followed by `nft monitor`) and on a legacy host (polled every 2 s, the
baseline).

    sudo .venv/bin/python bench/live.py [--tries 20]

Target (issue: every screen tells the truth): nft p95 ≤ 250 ms; printed beside the polled
legacy figure and as a ratio to it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import netns_env
from bench._isolate import ensure_isolated
from bench.snapshot import make_namespace

BASE = "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\nCOMMIT\n"


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


async def measure(env_path: str, host: str, ns: str, tries: int) -> tuple[list[float], list[float]]:
    from netui.app import NetuiApp
    from netui.model.envfile import load
    from netui.screens.nat import NatScreen
    from netui.widgets.rule_list import RuleList

    app = NetuiApp(load(env_path))
    added: list[float] = []
    deleted: list[float] = []
    async with app.run_test(size=(140, 40)) as pilot:
        for _ in range(400):
            if host in getattr(app, "snapshots", {}):
                break
            await pilot.pause(0.02)
        await app.push_screen(NatScreen(host))
        await pilot.pause(1.0)  # the monitor is up after the first good poll
        rules = app.screen.query_one(RuleList)

        async def until(shown: bool, mark: str, started: float) -> float:
            deadline = started + 10
            while time.monotonic() < deadline:
                if any(mark in r.text for r in rules.rows) == shown:
                    return time.monotonic() - started
                await asyncio.sleep(0.002)
            raise AssertionError(f"{host}: {mark} never {'appeared' if shown else 'left'}")

        for i in range(tries):
            mark = f"bench-live-{i}"
            rule = ["-s", f"10.9.9.{i + 1}/32", "-m", "comment", "--comment", mark, "-j", "RETURN"]
            started = time.monotonic()
            subprocess.run(
                ["ip", "netns", "exec", ns, "iptables", "-t", "nat", "-I", "POSTROUTING", *rule],
                check=True,
            )
            added.append(await until(True, mark, started))
            started = time.monotonic()
            subprocess.run(
                ["ip", "netns", "exec", ns, "iptables", "-t", "nat", "-D", "POSTROUTING", *rule],
                check=True,
            )
            deleted.append(await until(False, mark, started))
            # a pause that is not a multiple of the poll interval: tries land at every phase of it
            await asyncio.sleep(0.37)
    return added, deleted


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--tries", type=int, default=20)
    args = ap.parse_args()
    ensure_isolated()
    hosts = {"nft": "nu-live-nft", "legacy": "nu-live-legacy"}
    for variant, ns in hosts.items():
        make_namespace(ns, variant, BASE)
    results = {}
    with netns_env(hosts) as env:
        for variant, ns in hosts.items():
            results[variant] = asyncio.run(measure(env, variant, ns, args.tries))
    print(f"rule change -> row on the NAT view, {args.tries} tries (ms)")
    print(f"{'host':10} {'change':8} {'p50':>7} {'p95':>7} {'max':>7}")
    for variant, (added, deleted) in results.items():
        for what, values in (("add", added), ("delete", deleted)):
            ms = [v * 1000 for v in values]
            print(
                f"{variant:10} {what:8} {statistics.median(ms):7.0f} {p95(ms):7.0f} {max(ms):7.0f}"
            )
    nft = p95([v * 1000 for v in results["nft"][0] + results["nft"][1]])
    polled = p95([v * 1000 for v in results["legacy"][0] + results["legacy"][1]])
    ok = nft <= 250
    print(
        f"nft (monitor) p95 {nft:.0f} ms = {nft / polled:.2f}× the polled legacy p95 {polled:.0f} ms; "
        f"target p95 ≤ 250 ms: {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
