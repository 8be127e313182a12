"""Kubernetes discovery with the official `kubernetes` client.

Order (as the best peers do it): environment file, ServiceCIDR API (GA in 1.33), kubeadm-config,
the kube-proxy config map (clusterCIDR), Calico IPPools / cilium-config, the dry-run trick for
the service range (a Service with an impossible ClusterIP: the API server's refusal names the
valid range), node spec.podCIDRs (summarised, last: they are slices of the pod range).
The client is imported lazily: it costs ~0.5 s.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import yaml
from netaddr import IPNetwork, cidr_merge

from netui.discovery.flavour import read_flavour
from netui.discovery.model import (
    ClusterInventory,
    NodeInfo,
    ServiceInfo,
    ServicePort,
    Sourced,
    choose,
)
from netui.model.envfile import ClusterSpec, Environment

K3S_PODS, K3S_SERVICES = IPNetwork("10.42.0.0/16"), IPNetwork("10.43.0.0/16")
TIMEOUT = (2.0, 4.0)  # connect, read (seconds) for every API call
_RANGE = re.compile(r"valid IPs is ([0-9./, ]+)")


class ApiUnavailable(Exception):
    pass


def kubeconfig_path(env: Environment) -> str:
    if env.kubeconfig:
        return env.kubeconfig
    return os.environ.get("KUBECONFIG", "").split(os.pathsep)[0] or os.path.expanduser(
        "~/.kube/config"
    )


def api_client(kubeconfig: str, context: str | None) -> Any:
    from kubernetes import client, config
    from kubernetes.config.config_exception import ConfigException

    if not os.path.exists(kubeconfig):
        raise ApiUnavailable(
            f"kubeconfig {kubeconfig} does not exist (set kubeconfig: in the environment file or $KUBECONFIG)"
        )
    cfg = client.Configuration()
    try:
        config.load_kube_config(
            config_file=kubeconfig, context=context, client_configuration=cfg, persist_config=False
        )
    except ConfigException as e:
        raise ApiUnavailable(f"kubeconfig {kubeconfig}: {e}") from None
    except (ValueError, yaml.YAMLError, OSError) as e:
        raise ApiUnavailable(f"kubeconfig {kubeconfig} cannot be read: {e}") from None
    cfg.retries = 0  # one clear failure within the timeout, not three silent retries
    return client.ApiClient(cfg)


def _call(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call an API function; None for 404/403 (not served here), ApiUnavailable when the server
    cannot be reached at all."""
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    try:
        return fn(*args, _request_timeout=TIMEOUT, **kw)
    except ApiException as e:
        if e.status in (401,):
            raise ApiUnavailable(f"the API refused our credentials (HTTP {e.status})") from None
        if e.status in (403, 404, 405):
            return None
        raise
    except HTTPError as e:
        reason = getattr(e, "reason", None) or e
        raise ApiUnavailable(f"cannot reach the API: {reason}") from None


def _node_info(n: Any, forwarder: str | None) -> NodeInfo:
    labels = n.metadata.labels or {}
    roles = tuple(
        sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    ) or ("worker",)
    ip = next((a.address for a in (n.status.addresses or []) if a.type == "InternalIP"), None)
    taints = tuple(
        f"{t.key}{'=' + t.value if t.value else ''}:{t.effect}" for t in (n.spec.taints or [])
    )
    ready = any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))
    cidrs = tuple(n.spec.pod_cidrs or ([n.spec.pod_cidr] if n.spec.pod_cidr else []))
    version = n.status.node_info.kubelet_version if n.status.node_info else None
    return NodeInfo(
        n.metadata.name, roles, ip, cidrs, taints, ready, forwarder == n.metadata.name, version
    )


def _services(core: Any) -> list[ServiceInfo]:
    """Every Service with its ports and endpoint addresses (for probes and naming hops)."""
    svcs = _call(core.list_service_for_all_namespaces)
    eps = _call(core.list_endpoints_for_all_namespaces)
    by_key: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
    for e in eps.items if eps else []:
        addrs = []
        for sub in e.subsets or []:
            for a in sub.addresses or []:
                for p in sub.ports or []:
                    addrs.append((a.ip, p.port, p.protocol or "TCP"))
        by_key[(e.metadata.namespace, e.metadata.name)] = addrs
    out = []
    for s in svcs.items if svcs else []:
        ports = tuple(
            ServicePort(p.port, p.protocol or "TCP", p.name or "") for p in (s.spec.ports or [])
        )
        ip = s.spec.cluster_ip if s.spec.cluster_ip not in (None, "None") else None
        out.append(
            ServiceInfo(
                s.metadata.name,
                s.metadata.namespace,
                ip,
                ports,
                tuple(by_key.get((s.metadata.namespace, s.metadata.name), ())),
            )
        )
    return out


def _dry_run_service_range(core: Any) -> list[str]:
    """Ask the API server to create (dry run) a Service with an impossible ClusterIP; its refusal
    names the service range. Nothing is created."""
    from kubernetes import client
    from kubernetes.client.exceptions import ApiException

    body = client.V1Service(
        metadata=client.V1ObjectMeta(name="netui-probe-range"),
        spec=client.V1ServiceSpec(cluster_ip="1.1.1.1", ports=[client.V1ServicePort(port=80)]),
    )
    try:
        core.create_namespaced_service("default", body, dry_run="All", _request_timeout=TIMEOUT)
    except ApiException as e:
        m = _RANGE.search(str(e.body or ""))
        if m:
            return [c.strip() for c in m.group(1).split(",") if "/" in c]
    return []


def discover_cluster(spec: ClusterSpec, kubeconfig: str) -> ClusterInventory:
    inv = ClusterInventory(spec.name, spec.context, spec.domain, spec.forwarder)
    pods: list[Sourced] = []
    svcs: list[Sourced] = []
    dns: list[Sourced] = []
    try:
        from kubernetes import client

        api = api_client(kubeconfig, spec.context)
        core = client.CoreV1Api(api)
        nodes = _call(core.list_node)
        if nodes is None:
            raise ApiUnavailable("the API does not list nodes (no permission?)")
        inv.nodes = [_node_info(n, spec.forwarder) for n in nodes.items]

        sc = _call(client.NetworkingV1Api(api).list_service_cidr)
        for item in sc.items if sc else []:
            svcs += [Sourced(c, "ServiceCIDR API") for c in (item.spec.cidrs or []) if "." in c]

        kubeadm = _call(core.read_namespaced_config_map, "kubeadm-config", "kube-system")
        if kubeadm is not None:
            conf = (
                yaml.safe_load((kubeadm.data or {}).get("ClusterConfiguration", "") or "{}") or {}
            )
            net = conf.get("networking") or {}
            pods += [
                Sourced(c.strip(), "kubeadm-config")
                for c in str(net.get("podSubnet") or "").split(",")
                if c.strip()
            ]
            svcs += [
                Sourced(c.strip(), "kubeadm-config")
                for c in str(net.get("serviceSubnet") or "").split(",")
                if c.strip()
            ]
        proxy = _call(core.read_namespaced_config_map, "kube-proxy", "kube-system")
        if proxy is not None:
            conf = yaml.safe_load((proxy.data or {}).get("config.conf", "") or "{}") or {}
            pods += [
                Sourced(c.strip(), "kube-proxy config map")
                for c in str(conf.get("clusterCIDR") or "").split(",")
                if c.strip()
            ]
        pools = _call(
            client.CustomObjectsApi(api).list_cluster_custom_object,
            "crd.projectcalico.org",
            "v1",
            "ippools",
        )
        for p in (pools or {}).get("items", []):
            cidr = (p.get("spec") or {}).get("cidr")
            if cidr and "." in cidr:
                pods.append(Sourced(cidr, "Calico IPPool"))
        cilium = _call(core.read_namespaced_config_map, "cilium-config", "kube-system")
        if cilium is not None:
            data = cilium.data or {}
            inv.cilium = {
                k: str(data[k])[:40]
                for k in ("kube-proxy-replacement", "bpf-lb-external-clusterip")
                if k in data
            }
            for c in str((cilium.data or {}).get("cluster-pool-ipv4-cidr", "")).split():
                pods.append(Sourced(c, "cilium-config"))
        if not svcs and not spec.service_cidrs:
            svcs += [Sourced(c, "dry-run ClusterIP") for c in _dry_run_service_range(core)]
        slices = [c for n in inv.nodes for c in n.pod_cidrs if "." in c]
        is_k3s = any("+k3s" in (n.version or "") for n in inv.nodes)
        if is_k3s and not pods and slices and all(IPNetwork(c) in K3S_PODS for c in slices):
            pods.append(Sourced(str(K3S_PODS), "k3s default (nodes run k3s; their podCIDRs fit)"))
        if is_k3s and not svcs and not spec.service_cidrs:
            svcs.append(Sourced(str(K3S_SERVICES), "k3s default"))
        if slices:
            pods += [Sourced(str(c), "node podCIDRs (summarised)") for c in cidr_merge(slices)]

        inv.services = _services(core)
        fl = read_flavour(core, _call, nodes.items, {s.source for s in pods}, is_k3s)
        inv.cni, inv.proxy_mode, inv.found_domain = fl.cni, fl.proxy_mode, fl.domain
        kube_dns = _call(core.read_namespaced_service, "kube-dns", "kube-system")
        if kube_dns is not None and kube_dns.spec.cluster_ip not in (None, "None"):
            dns.append(Sourced(kube_dns.spec.cluster_ip, "kube-dns Service"))
    except ApiUnavailable as e:
        inv.error = f"cluster {spec.name} (context {spec.context or 'current'}): {e}"
    except Exception as e:  # an unexpected API answer must not hide the other clusters
        inv.error = f"cluster {spec.name}: discovery failed: {type(e).__name__}: {str(e)[:200]}"

    inv.candidates = {"pod_cidrs": pods, "service_cidrs": svcs, "dns_ip": dns}
    inv.pod_cidrs, n1 = choose(
        "pod CIDR", spec.pod_cidrs, [s for s in pods if not s.source.startswith("node")] or pods
    )
    inv.service_cidrs, n2 = choose("service CIDR", spec.service_cidrs, svcs)
    dns_chosen, n3 = choose("DNS IP", (spec.dns_ip,) if spec.dns_ip else (), dns)
    inv.disagreements = n1 + n2 + n3
    for n in inv.nodes:
        for c in n.pod_cidrs:
            if (
                "." in c
                and inv.pod_cidrs
                and not any(IPNetwork(c) in IPNetwork(p.value) for p in inv.pod_cidrs)
            ):
                inv.disagreements.append(
                    f"pod CIDR: node {n.name} has podCIDR {c}, outside {', '.join(inv.pod_cidr_values)}"
                )
    if dns_chosen:
        inv.dns_ip = dns_chosen[0]
    elif inv.service_cidrs:
        guess = IPNetwork(inv.service_cidrs[0].value)
        inv.dns_ip = Sourced(str(guess[10]), "guessed: 10th address of the service CIDR")
    if spec.forwarder and inv.nodes and spec.forwarder not in {n.name for n in inv.nodes}:
        inv.disagreements.append(
            f"forwarder: {spec.forwarder} is not a node of this cluster (nodes: {', '.join(n.name for n in inv.nodes)})"
        )
    return inv


def discover(env: Environment, only: str | None = None) -> dict[str, ClusterInventory]:
    """Every cluster of the environment, asked in parallel; a dead API never hides the others."""
    kubeconfig = kubeconfig_path(env)
    specs = [c for c in env.clusters.values() if only in (None, c.name)]
    if not specs:
        return {}
    with ThreadPoolExecutor(max_workers=len(specs)) as pool:
        results = list(pool.map(lambda s: discover_cluster(s, kubeconfig), specs))
    return {r.name: r for r in results}
