"""What the benchmarks share: a median timer and a kube-proxy nat table shaped like iptables-save."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_time(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def kube_proxy_save_text(services: int, counters: str = "[3:180]") -> str:
    """`iptables-save -c -t nat` of a kube-proxy node with `services` extra Services (~5 rules
    each): declarations first, then rules grouped by chain, each with counters."""
    from netui.lab.kubeproxy import rules
    from netui.lab.topology import CLUSTER_A

    restore = rules(CLUSTER_A, extra_services=services)
    decl = [line for line in restore.splitlines() if line.startswith(":")]
    builtin = [
        ":PREROUTING ACCEPT [0:0]",
        ":INPUT ACCEPT [0:0]",
        ":OUTPUT ACCEPT [0:0]",
        ":POSTROUTING ACCEPT [0:0]",
    ]
    by_chain: dict[str, list[str]] = {}
    for line in restore.splitlines():
        if line.startswith("-A "):
            by_chain.setdefault(line.split(" ", 2)[1], []).append(f"{counters} {line}")
    order = [d.split(" ")[0][1:] for d in builtin + decl]
    return (
        "*nat\n"
        + "\n".join(builtin + decl)
        + "\n"
        + "\n".join(r for c in order for r in by_chain.get(c, []))
        + "\nCOMMIT\n"
    )
