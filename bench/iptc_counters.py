"""Should netui read iptables through python-iptables (libiptc)? The one case it could win: the
counters of one chain on a local legacy host, where `iptables-legacy-save` prints the whole
table. Measured against that and against `iptables-legacy -L CHAIN -v -x`, which reads one chain
too and works the same over SSH.

    sudo .venv/bin/pip install '.[iptc]' && sudo .venv/bin/python bench/iptc_counters.py

Result here (20,000-rule legacy nat table, a 50-rule chain, median of 10): python-iptables
118.9 ms, iptables-legacy-save -c -t nat 312.4 ms, iptables-legacy -L 107.0 ms. It beats the
whole-table save but not the one-chain listing, and it cannot reach a host over SSH or an nft
host at all: so it is an extra (`iptc`), not a dependency.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from bench._isolate import ensure_isolated

BIG, WATCHED = 20_000, 50


def _load_table() -> None:
    rules = ["*nat", ":PREROUTING ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", ":BIG - [0:0]"]
    rules += [":WATCH - [0:0]"]
    rules += [
        f"-A BIG -d 10.{i // 250}.{i % 250}.1/32 -p tcp --dport 80 -j RETURN" for i in range(BIG)
    ]
    rules += [f"-A WATCH -s 10.1.3.0/24 -d 10.200.{i}.0/24 -j MASQUERADE" for i in range(WATCHED)]
    rules += ["-A POSTROUTING -j WATCH", "COMMIT", ""]
    subprocess.run(["iptables-legacy-restore"], input="\n".join(rules), text=True, check=True)


def by_iptc() -> int:
    import iptc  # type: ignore[import-not-found]

    table = iptc.Table(iptc.Table.NAT)
    table.refresh()
    return len([r.get_counters() for r in iptc.Chain(table, "WATCH").rules])


def by_save() -> int:
    out = subprocess.run(
        ["iptables-legacy-save", "-c", "-t", "nat"], capture_output=True, text=True
    ).stdout
    return sum(1 for line in out.splitlines() if "-A WATCH " in line)


def by_list() -> int:
    argv = ["iptables-legacy", "-t", "nat", "-L", "WATCH", "-v", "-n", "-x"]
    return len(subprocess.run(argv, capture_output=True, text=True).stdout.splitlines()[2:])


def main() -> None:
    ensure_isolated()  # a private network namespace: the machine's own tables are never touched
    _load_table()
    ways: list[tuple[str, Callable[[], int]]] = [
        ("python-iptables", by_iptc),
        ("iptables-legacy-save -c -t nat", by_save),
        ("iptables-legacy -L WATCH -v -x", by_list),
    ]
    for name, read in ways:
        assert read() == WATCHED, name
        times = []
        for _ in range(10):
            t0 = time.perf_counter()
            read()
            times.append(time.perf_counter() - t0)
        print(f"{name}: median {statistics.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
