"""Traces and probes on the real lab: red before, green after, every hop named."""

from __future__ import annotations

import json
import time

from netui.backends.local import NetnsBackend
from netui.verify.trace import Trace

from .conftest import in_ns, netui


def test_probe_matrix_is_red_on_a_fresh_lab_and_green_after_apply(lab):
    before = json.loads(netui("probe", "--json", env_file=lab.env).stdout)
    assert before and not any(r["ok"] for r in before)
    assert {r["kind"] for r in before} == {"pod", "service", "dns"} and {
        r["cluster"] for r in before
    } == {"a", "b"}
    assert netui("apply", "--yes", env_file=lab.env).returncode == 0
    try:
        after = json.loads(netui("probe", "--json", env_file=lab.env).stdout)
        assert after and all(r["ok"] is not False for r in after), [
            r for r in after if r["ok"] is False
        ]
        # both clusters call themselves cluster.local: b's names are answered by a, and said so
        shared = [r for r in after if r["ok"] is None]
        assert shared and all(
            r["cluster"] == "b" and "answered by cluster a" in r["detail"] for r in shared
        )
        assert sum(r["ok"] is True for r in after) >= 12
        registry = netui("registry", env_file=lab.env)
        assert registry.returncode == 0 and "10.200.1.3:8080  ✓" in registry.stdout
    finally:
        netui("undo", "--yes", env_file=lab.env)


def test_a_trace_stops_where_it_should_and_says_why_then_reaches_the_pod_after_apply(broken_lab):
    broken = netui("trace", "office-pc", "10.200.1.3", "--json", env_file=broken_lab.env)
    data = json.loads(broken.stdout)
    assert broken.returncode == 1
    assert data["hops"][0]["name"] == "office router (router)"
    assert any("via 192.168.1.243" in line for line in data["explanation"])
    assert netui("apply", "--yes", env_file=broken_lab.env).returncode == 0
    try:
        fixed = json.loads(
            netui("trace", "office-pc", "10.200.1.3", "--json", env_file=broken_lab.env).stdout
        )
        names = [h["name"] for h in fixed["hops"]]
        assert [h["ip"] for h in fixed["hops"]] == [
            "10.1.3.1",
            "192.168.1.109",
            "192.168.1.110",
            "10.200.1.3",
        ]
        assert (
            names[1].startswith("forwarder of cluster a")
            and "a-worker" in names[2]
            and names[3].startswith("Pod behind default/app")
        )
        assert (
            fixed["explanation"][0]
            == "reached 10.200.1.3 (Pod behind default/app of cluster a) in 4 hops"
        )
        # a Service answers TCP on its port (kube-proxy translates that only): UDP dies behind
        # the forwarder and says to use TCP; TCP reaches it, round after round
        udp = json.loads(
            netui("trace", "office-pc", "10.96.0.30", "--json", env_file=broken_lab.env).stdout
        )
        assert "trace with TCP" in udp["explanation"][-1], udp
        tcp = netui(
            "trace",
            "office-pc",
            "10.96.0.30",
            "--tcp",
            "80",
            "--count",
            "3",
            "--json",
            env_file=broken_lab.env,
        )
        data = json.loads(tcp.stdout)
        assert tcp.returncode == 0 and data["method"] == "tcp/80" and data["rounds"] == 3
        assert data["explanation"][0].startswith("reached 10.96.0.30 (Service default/app")
        assert data["stats"][0]["sent"] == 3 and data["stats"][0]["loss_pct"] == 0
    finally:
        netui("undo", "--yes", env_file=broken_lab.env)


def test_a_black_hole_does_not_stall_and_cancel_leaves_no_process(lab):
    backend = NetnsBackend("office-pc", "nu-office-pc")

    def traceroutes() -> str:
        script = "for p in $(ip netns pids nu-office-pc); do cat /proc/$p/comm; done"
        return in_ns("nu-office-pc", "sh", "-c", script).stdout

    # a black hole: the router forwards toward the cluster, then silently drops
    in_ns("nu-router", "ip", "route", "replace", "10.200.0.0/16", "via", "192.168.1.109")
    in_ns("nu-router", "iptables", "-I", "FORWARD", "-d", "10.200.1.3", "-j", "DROP")
    try:
        start = time.monotonic()
        hops = list(Trace(backend, "10.200.1.3").hops())
        took = time.monotonic() - start
        # a trace with a long wait, stopped after its first hop: it is still running ...
        trace = Trace(backend, "10.200.1.3", max_hops=30, wait=5)
        next(trace.hops())
        assert "traceroute" in traceroutes()
        trace.cancel()  # ... until cancelled
        time.sleep(0.2)
        left = traceroutes()
    finally:
        in_ns("nu-router", "iptables", "-D", "FORWARD", "-d", "10.200.1.3", "-j", "DROP")
        in_ns("nu-router", "ip", "route", "del", "10.200.0.0/16")
    assert hops[0].ip == "10.1.3.1" and all(h.ip is None for h in hops[1:]) and len(hops) == 4
    assert took < 8
    assert "traceroute" not in left
    assert trace.stream.proc.poll() is not None  # type: ignore[attr-defined]


def test_an_unanswered_probe_says_so_for_that_target_alone_in_about_its_timeout(lab):
    """Before the office is connected, Pods drop the office's packets (replies are lost): the
    probe ends about when its timeout says, and each such row says why."""

    def probe(timeout: int) -> tuple[float, list[dict]]:
        start = time.monotonic()
        out = netui(
            "probe", "--cluster", "a", "--timeout", str(timeout), "--json", env_file=lab.env
        )
        return time.monotonic() - start, json.loads(out.stdout)

    took_1, rows = probe(1)
    silent = [r for r in rows if r["detail"] == "no answer within 1 s"]
    assert len(silent) >= 3, rows  # 5 on the lab
    assert all(r["ok"] is False for r in silent)
    # netui's own start and discovery take seconds on a loaded machine (9.6 s once), so the
    # claim is measured against the same run with a 3 s timeout: the unanswered probes wait
    # side by side (about 2 s more in all), not one after the other (2 s more each)
    took_3, rows_3 = probe(3)
    assert [r for r in rows_3 if r["detail"] == "no answer within 3 s"], rows_3
    print(f"probe --timeout 1: {took_1:.1f} s, --timeout 3: {took_3:.1f} s, {len(silent)} silent")
    # (measured: 3.1 s and 4.7 s with 5 silent; one after the other would be 10 s more)
    assert took_3 - took_1 < 2 + len(silent), (took_1, took_3, len(silent))
