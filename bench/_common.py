"""What the benchmarks share: a median timer and a kube-proxy nat table shaped like iptables-save."""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator


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


@contextlib.contextmanager
def netns_env(hosts: dict[str, str]) -> Iterator[str]:
    """The path of an environment file naming these network namespaces as hosts (name ->
    namespace) beside one cluster; afterwards the namespaces are deleted and the file removed."""
    listed = ", ".join(f"{name}: 'netns://{ns}'" for name, ns in hosts.items())
    fd, path = tempfile.mkstemp(suffix=".yaml")
    with os.fdopen(fd, "w") as f:
        f.write(
            f"office: {{cidrs: [10.1.3.0/24]}}\nhosts: {{{listed}}}\n"
            "clusters: {a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12]}}\n"
        )
    try:
        yield path
    finally:
        for ns in hosts.values():
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        os.unlink(path)
