from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from netui.lab import build
from netui.lab.topology import BROKEN, CLUSTERS, HOSTS

from .conftest import in_ns, netui


def test_lab_up_is_healthy_fast_and_idempotent(lab_home):
    start = time.monotonic()
    files = build.up(home=lab_home)
    took = time.monotonic() - start
    try:
        assert took < 30, f"lab up took {took:.1f} s"
        st = build.status(lab_home)
        assert st.healthy, st
        assert all(st.processes.values())
        pids = dict(build.LabState.load(lab_home / "state.json").pids)
        again = build.up(home=lab_home)  # idempotent: nothing rebuilt
        assert again == files
        assert build.LabState.load(lab_home / "state.json").pids == pids
    finally:
        build.down(lab_home)


def test_down_leaves_no_namespace_process_or_file_behind(lab_home):
    build.up(home=lab_home)
    pids = build.LabState.load(lab_home / "state.json").pids
    build.down(lab_home)
    assert build.existing_namespaces() == []
    assert not list(Path("/etc/netns").glob("nu-*"))
    assert not lab_home.exists()
    for pid in pids.values():
        assert (
            not Path(f"/proc/{pid}").exists()
            or b"netui" not in Path(f"/proc/{pid}/cmdline").read_bytes()
        )


def test_down_cleans_up_after_a_half_finished_up(lab_home, monkeypatch):
    def explode() -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(build, "_start_daemon", lambda state, home, plan: explode())
    try:
        build.up(home=lab_home)
    except RuntimeError:
        pass
    # up() already cleaned after itself; simulate a crash that could not, then run down.
    subprocess.run(["ip", "netns", "add", "nu-leftover"], check=True)
    build.down(lab_home)
    assert build.existing_namespaces() == []


def test_every_lab_host_answers_over_ssh_from_the_jump_host(lab):
    proc = netui("hosts", "--json", netns="nu-jump", env_file=lab.env_ssh)
    assert proc.returncode == 0, proc.stderr
    hosts = {h["host"]: h for h in json.loads(proc.stdout)}
    assert set(hosts) == {h.name for h in HOSTS if h.sshd}
    assert all(h["state"] == "ok" for h in hosts.values()), hosts
    assert hosts["b-master"]["address"].startswith("ssh://ops@")  # non-root, through sudo -n
    assert hosts["b-master"]["variant"] == "legacy" and hosts["a-master"]["variant"] == "nft"


def test_the_office_reaches_no_pod_or_service_before_anything_is_configured(lab):
    for c in CLUSTERS:
        for pod in c.pods:
            r = in_ns("nu-office-pc", "ping", "-c1", "-W1", pod.ip)
            assert r.returncode != 0, f"office reached pod {pod.ip} on a fresh lab"
        r = in_ns("nu-office-pc", "ping", "-c1", "-W1", c.dns_ip)
        assert r.returncode != 0


def test_pods_serve_inside_their_cluster(lab):
    r = in_ns(
        "nu-a-master",
        "python3",
        "-c",
        "import urllib.request;print(urllib.request.urlopen('http://10.96.0.20:8761/eureka/apps',timeout=3).read().decode())",
    )
    apps = json.loads(r.stdout)["applications"]["application"]
    assert {i["ipAddr"] for a in apps for i in a["instance"]} == {"10.200.1.2", "10.200.1.3"}
    r = in_ns(
        "nu-a-master", "dig", "+short", "+time=2", "@10.96.0.10", "eureka.default.svc.cluster.local"
    )
    assert r.stdout.strip() == "10.96.0.20"


def test_broken_lab_plants_what_it_documents(broken_lab):
    a_nat = in_ns("nu-a-master", "iptables-save", "-t", "nat").stdout
    assert "-A POSTROUTING -s 10.200.0.0/16 -d 10.1.3.0/24 -j MASQUERADE" in a_nat
    assert "-A POSTROUTING -s 110.1.3.0/24 -d 10.200.0.0/16 -j MASQUERADE" in a_nat
    assert a_nat.index("-d 10.96.0.0/12 -j RETURN") < a_nat.index("-d 10.96.0.0/12 -j MASQUERADE")
    assert (
        in_ns("nu-a-master", "cat", "/etc/sysctl.d/ip_forward").stdout.strip()
        == "net.ipv4.ip_forward = 1"
    )
    assert in_ns("nu-a-master", "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"
    b_filter = in_ns("nu-b-master", "iptables-save", "-t", "filter").stdout
    assert ":FORWARD DROP" in b_filter
    assert (
        "-A POSTROUTING -s 10.1.3.0/24 -j MASQUERADE"
        in in_ns("nu-b-master", "iptables-save", "-t", "nat").stdout
    )
    assert "10.1.3.0/24" not in in_ns("nu-b-master", "ip", "route").stdout
    assert "10.200.0.0/16 via 192.168.1.243" in in_ns("nu-router", "ip", "route").stdout
    assert (
        "server=192.168.1.109" in in_ns("nu-a-master", "cat", "/etc/dnsmasq.d/office.conf").stdout
    )
    st = build.status()
    assert {p.code for p in st.planted} == {p.code for p in BROKEN}
