"""Discovery with the official kubernetes client against the lab's simulated API."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import yaml

from netui.discovery.kube import _dry_run_service_range, api_client, discover, discover_cluster

from .conftest import load_env, netui


def test_kubeadm_shaped_cluster_is_found_through_kubeadm_config(lab):
    inv = discover(load_env(lab.env))["a"]
    assert inv.error is None
    assert [(s.value, s.source) for s in inv.pod_cidrs] == [("10.200.0.0/16", "kubeadm-config")]
    assert [(s.value, s.source) for s in inv.service_cidrs] == [("10.96.0.0/12", "kubeadm-config")]
    assert (inv.dns_ip.value, inv.dns_ip.source) == ("10.96.0.10", "kube-dns Service")
    sources = {s.source for s in inv.candidates["pod_cidrs"]}
    assert {"kube-proxy config map", "node podCIDRs (summarised)"} <= sources
    nodes = {n.name: n for n in inv.nodes}
    assert nodes["a-master"].forwarder and nodes["a-master"].internal_ip == "192.168.1.109"
    assert nodes["a-master"].taints == ("node-role.kubernetes.io/control-plane:NoSchedule",)
    assert inv.disagreements == []


def test_k3s_shaped_cluster_is_found_through_the_service_cidr_api(lab):
    inv = discover(load_env(lab.env))["b"]
    assert [(s.value, s.source) for s in inv.service_cidrs] == [("10.43.0.0/16", "ServiceCIDR API")]
    assert inv.pod_cidrs[0].value == "10.42.0.0/16"
    assert inv.dns_ip.value == "10.43.0.10"


def test_the_dry_run_trick_names_the_service_range(lab):
    from kubernetes import client

    env = load_env(lab.env)
    core = client.CoreV1Api(api_client(env.kubeconfig, "lab-b"))
    assert _dry_run_service_range(core) == ["10.43.0.0/16"]


def test_environment_values_win_and_disagreements_are_reported(lab):
    env = load_env(lab.env)
    spec = dataclasses.replace(env.clusters["a"], pod_cidrs=("10.201.0.0/16",))
    inv = discover_cluster(spec, env.kubeconfig)
    assert [(s.value, s.source) for s in inv.pod_cidrs] == [("10.201.0.0/16", "environment file")]
    assert any("kubeadm-config says 10.200.0.0/16" in d for d in inv.disagreements)
    assert any(
        "node a-worker has podCIDR 10.200.1.0/24, outside 10.201.0.0/16" in d
        for d in inv.disagreements
    )


def test_an_unreachable_api_fails_fast_and_the_other_cluster_still_shows(lab, tmp_path):
    env = load_env(lab.env)
    cfg = yaml.safe_load(Path(env.kubeconfig).read_text())
    cfg["clusters"][0]["cluster"]["server"] = "http://127.0.0.1:1"  # lab-a: nothing listens
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(cfg))
    env = dataclasses.replace(env, kubeconfig=str(path))
    start = time.monotonic()
    inv = discover(env)
    assert time.monotonic() - start < 5
    assert inv["a"].error and "cannot reach the API" in inv["a"].error
    assert inv["b"].error is None and inv["b"].nodes


def test_a_missing_context_or_kubeconfig_is_a_clear_message(lab, tmp_path):
    env = load_env(lab.env)
    spec = dataclasses.replace(env.clusters["a"], context="nope")
    inv = discover_cluster(spec, env.kubeconfig)
    assert "nope" in inv.error and "kubeconfig" in inv.error
    inv = discover_cluster(env.clusters["a"], str(tmp_path / "missing"))
    assert "does not exist" in inv.error


def test_cli_clusters_and_nodes(lab):
    out = netui("nodes", "--json", env_file=lab.env, check=True).stdout
    assert '"a-master"' in out and '"b-worker"' in out
    text = netui("clusters", env_file=lab.env, check=True).stdout
    assert "10.96.0.0/12   kubeadm-config" in text or "10.96.0.0/12  kubeadm-config" in text


def test_tainting_through_the_api_is_seen_by_discovery(lab):
    from kubernetes import client

    env = load_env(lab.env)
    core = client.CoreV1Api(api_client(env.kubeconfig, "lab-a"))
    taints = [{"key": "netui.io/forwarder", "effect": "NoSchedule"}]
    core.patch_node("a-worker", {"spec": {"taints": taints}})
    try:
        nodes = {n.name: n for n in discover(env)["a"].nodes}
        assert nodes["a-worker"].taints == ("netui.io/forwarder:NoSchedule",)
    finally:
        core.patch_node("a-worker", {"spec": {"taints": []}})


def test_show_routes_uses_discovered_cidrs_to_annotate_and_flag(lab):
    import json

    out = json.loads(
        netui("show", "routes", "a-master", "--json", env_file=lab.env, check=True).stdout
    )
    labels = {r["route"]: r["network"] for r in out["routes"]}
    assert labels["10.200.1.0/24 via 192.168.1.110 dev eth0"] == "cluster a pods"
    assert labels["10.1.3.0/24 via 192.168.1.1 dev eth0"] == "office"
    router = json.loads(
        netui("show", "routes", "router", "--json", env_file=lab.env, check=True).stdout
    )
    assert {u["cidr"] for u in router["uncovered"]} == {
        "10.200.0.0/16",
        "10.96.0.0/12",
        "10.42.0.0/16",
        "10.43.0.0/16",
    }
