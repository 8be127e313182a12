"""The method's whole story on its own address plan (`netui lab up --plan article`): B's Pods
10.100.0.0/16 nested in A's Services 10.96.0.0/12, B's nodes behind a gateway that is not the
router, cluster to cluster both ways. doctor -> plan -> apply -> the office reaches both
clusters; A's node and Pod reach B's and back -> undo puts every host back byte for byte."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from netui.lab import build
from netui.lab.topology import LabFiles

from ..tui_data import wait_until
from .conftest import host_state, in_ns, netui

HOSTS = ("a-master", "a-worker", "b-master", "b-worker", "router")


@pytest.fixture
def article_lab(lab_home: Path, _lab_module: None) -> Iterator[LabFiles]:
    yield build.up(home=lab_home, plan="article")


def state() -> dict[str, str]:
    return host_state(HOSTS)


def curl(ns: str, url: str) -> str:
    return in_ns(ns, "curl", "-s", "-m", "3", url).stdout


def test_the_articles_plan_is_planned_applied_reached_both_ways_and_undone_byte_exact(article_lab):
    env = article_lab.env
    assert "reach_from" in Path(env).read_text()
    before = state()

    doctor = netui("doctor", "--json", env_file=env)
    assert doctor.returncode == 1, doctor.stderr
    found = json.loads(doctor.stdout)
    codes = {f["code"] for f in found}
    assert "cidr-overlap" not in codes
    [nested] = [f for f in found if f["code"] == "cidr-nested"]
    assert nested["severity"] == "warning"
    assert "10.96.0.0/12 contains cluster b pods 10.100.0.0/16" in nested["title"]
    assert any("Services has a ClusterIP there today" in e for e in nested["evidence"])
    assert {"cluster-masquerade-missing", "cluster-route-missing"} <= codes

    plan = netui("plan", env_file=env)
    assert plan.returncode == 0, plan.stderr
    assert "route replace 10.100.0.0/16 via 192.168.1.243" in plan.stdout
    assert "route replace 10.96.0.0/12 via 192.168.1.109" in plan.stdout
    assert "0.0.0.0/0" not in plan.stdout

    applied = netui("apply", "--yes", env_file=env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    plan_id = re.search(r"applying plan (\S+)", applied.stdout).group(1)

    after = netui("doctor", "--json", env_file=env)
    assert after.returncode == 0, after.stdout
    assert not [f for f in json.loads(after.stdout) if f["severity"] == "error"]

    probe = netui("probe", "--json", env_file=env)
    results = json.loads(probe.stdout)
    for cluster in ("a", "b"):
        for kind in ("pod", "service"):
            mine = [r for r in results if r["cluster"] == cluster and r["kind"] == kind]
            assert mine and all(r["ok"] for r in mine), (cluster, kind, mine)
    assert all(r["ok"] for r in results if r["cluster"] == "a" and r["kind"] == "dns")

    # cluster to cluster: A's node and Pod reach B's Pod and Service, and back
    assert "cluster b" in curl("nu-a-worker", "http://10.254.0.30/")
    assert "cluster b" in curl("nu-pod-10-200-1-3", "http://10.100.1.2:8080/")
    assert "cluster b" in curl("nu-pod-10-200-1-3", "http://10.254.0.30/")
    assert "cluster a" in curl("nu-b-worker", "http://10.96.0.30/")
    assert "cluster a" in curl("nu-pod-10-100-1-2", "http://10.200.1.3:8080/")
    from_a = netui("probe", "--from-cluster", "a", "--json", env_file=env)
    rows = json.loads(from_a.stdout)
    assert rows and {r["cluster"] for r in rows} == {"b"}
    assert all(r["ok"] for r in rows), rows
    assert {r["kind"] for r in rows} == {"pod", "service", "dns"}

    # B's names: the shared domain switched to B, then resolved from the office
    switched = netui("dns", "switch", "cluster.local", "b", "--yes", env_file=env)
    assert switched.returncode == 0, switched.stdout + switched.stderr
    resolved = netui("dns", "resolve", "app.default.svc.cluster.local", env_file=env)
    assert "10.254.0.30" in resolved.stdout, resolved.stdout + resolved.stderr

    # as an operator would, from the jump host over SSH (b-master as `ops` with sudo, legacy)
    over_ssh = netui("doctor", "--json", netns="nu-jump", env_file=article_lab.env_ssh)
    assert over_ssh.returncode == 0, over_ssh.stdout + over_ssh.stderr
    assert {f["code"] for f in json.loads(over_ssh.stdout)} <= {
        "cidr-nested",
        "dns-domain-conflict",
    }

    # the API down: probe what the file knows (each cluster's DNS) and say what is missing
    no_api = Path(article_lab.home) / "no-api.yaml"
    no_api.write_text(
        Path(env)
        .read_text()
        .replace(article_lab.kubeconfig, "/nonexistent/kubeconfig")
        .replace("forwarder: a-master", "forwarder: a-master\n    dns_ip: 10.96.0.10")
        .replace("forwarder: b-master", "forwarder: b-master\n    dns_ip: 10.254.0.10")
    )
    blind = netui("probe", "--json", env_file=str(no_api))
    assert "Pods and Services unknown" in blind.stderr
    rows = json.loads(blind.stdout)
    assert {(r["address"], r["port"], r["ok"]) for r in rows} == {
        ("10.96.0.10", 53, True),
        ("10.254.0.10", 53, True),
    }

    walk = netui("walk", "b-master", "10.1.3.10", "10.100.1.2", env_file=env)
    assert "longest match sends it to cluster b" in walk.stdout

    for _ in range(2):  # the switch, then the plan
        undone = netui("undo", "--yes", env_file=env)
        assert undone.returncode == 0, undone.stdout + undone.stderr
    assert plan_id in undone.stdout
    after_undo = state()
    for h in HOSTS:
        assert after_undo[h] == before[h], h


def test_kubectl_works_against_the_simulated_api(article_lab):
    """A client nobody here wrote: discovery (/api, /apis), server-side tables, taint."""
    import shutil
    import subprocess

    kubectl = shutil.which("kubectl")
    assert kubectl, "scripts/setup installs kubernetes-client"

    def k(*argv: str) -> str:
        proc = subprocess.run(
            [kubectl, "--kubeconfig", article_lab.kubeconfig, *argv],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    nodes = k("get", "nodes", "-o", "wide")
    assert re.search(
        r"a-master\s+Ready\s+control-plane\s+\S+\s+v1\.31\.2\s+192\.168\.1\.109", nodes
    )
    assert re.search(r"kube-system\s+kube-dns\s+ClusterIP\s+10\.96\.0\.10", k("get", "svc", "-A"))
    assert "10.100.1.2" in k("--context", "lab-b", "get", "pods", "-A", "-o", "wide")
    assert "podSubnet: 10.100.0.0/16" in k(
        "--context", "lab-b", "get", "cm", "kubeadm-config", "-n", "kube-system", "-o", "yaml"
    )
    assert "kube-dns" in k("get", "endpointslices", "-A")
    k("--context", "lab-b", "taint", "nodes", "b-worker", "netui.io/test=true:NoSchedule")
    taints = k("--context", "lab-b", "get", "node", "b-worker", "-o", "jsonpath={.spec.taints}")
    assert '"key":"netui.io/test"' in taints
    k("--context", "lab-b", "taint", "nodes", "b-worker", "netui.io/test-")
    assert "netui.io/test" not in k(
        "--context", "lab-b", "get", "node", "b-worker", "-o", "jsonpath={.spec.taints}"
    )


def test_the_probe_grid_probes_from_a_node_of_a_cluster_too(article_lab):
    import asyncio

    from textual.widgets import DataTable

    from netui.app import NetuiApp
    from netui.model import envfile

    assert netui("apply", "--yes", env_file=article_lab.env).returncode == 0

    async def scenario() -> None:
        app = NetuiApp(envfile.load(article_lab.env))
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.press("o")
            await wait_until(pilot, lambda: app.screen.query("#probes"))
            await pilot.press("s")  # from the office to: a node of cluster a
            title = "netui — probes from a node of cluster a"
            await wait_until(pilot, lambda: app.screen.title == title)
            assert app.screen.title == title
            table = app.screen.query_one("#probes", DataTable)

            def shown() -> list[list[str]]:
                return [[str(c) for c in table.get_row(k)] for k in table.rows]

            await wait_until(pilot, lambda: shown() and {r[0] for r in shown()} == {"b"}, 15)
            rows = shown()
            assert rows and {r[0] for r in rows} == {"b"}, rows
            assert all(r[4].startswith("✓") for r in rows), rows

    try:
        asyncio.run(scenario())
    finally:
        assert netui("undo", "--yes", env_file=article_lab.env).returncode == 0
