"""Doctor speed on a 100,000-rule kube-proxy host, as a ratio to parsing that table (one run).

    .venv/bin/python bench/doctor.py [--rules 100000] [--runs 3]

Target (issue: doctor): diagnose ≤ 2× parse. Pure: needs no root and no network.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import kube_proxy_save_text


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    from netui.doctor import diagnose
    from netui.doctor.context import build_input
    from netui.model.envfile import loads
    from netui.model.iptables import parse
    from netui.model.routes import RoutingTable, parse_addresses, parse_routes
    from netui.model.snapshot import HostSnapshot

    text = kube_proxy_save_text(args.rules // 5)
    env = loads(
        "office: {cidrs: [10.1.3.0/24], router: r}\nhosts: {r: local, f: local}\nclusters:\n  a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12], forwarder: f}\n",
        "bench.yaml",
    )
    routes = RoutingTable(
        parse_routes(json.dumps([{"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"}])),
        parse_addresses(
            json.dumps(
                [
                    {
                        "ifname": "eth0",
                        "addr_info": [
                            {"family": "inet", "local": "192.168.1.109", "prefixlen": 24}
                        ],
                    }
                ]
            )
        ),
    )

    parse_times, doctor_times = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        nat = parse(text).table("nat")
        parse_times.append(time.perf_counter() - start)
        snap = HostSnapshot("f", nat=nat, ip_forward=1, routes=routes)
        start = time.perf_counter()
        findings = diagnose(build_input(env, {"f": snap}, {}))
        doctor_times.append(time.perf_counter() - start)
    p, d = statistics.median(parse_times), statistics.median(doctor_times)
    print(
        f"nat table: {nat.rule_count()} rules; {len(findings)} findings ({', '.join(sorted({f.code for f in findings}))})"
    )
    print(
        f"parse {p:.3f} s   doctor {d:.3f} s   ratio {d / p:.2f}× (target ≤ 2×) {'ok' if d / p <= 2 else 'MISSED'}"
    )
    return 0 if d / p <= 2 else 1


if __name__ == "__main__":
    sys.exit(main())
