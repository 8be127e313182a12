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
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import yaml
from netaddr import AddrFormatError, IPAddress, IPNetwork, cidr_merge

from netui.discovery.flavour import read_flavour
from netui.discovery.model import (
    ClusterInventory,
    NodeInfo,
    ServiceInfo,
    ServicePort,
    Sourced,
    choose,
)
from netui.discovery.rest import KubeRest
from netui.model import plain_yaml
from netui.model.envfile import ClusterSpec, Environment

K3S_PODS, K3S_SERVICES = IPNetwork("10.42.0.0/16"), IPNetwork("10.43.0.0/16")
TIMEOUT = (2.0, 4.0)  # connect, read (seconds) for every API call
# One cluster's discovery as a whole: a server that trickles a byte at a time satisfies every
# read timeout and would never end; past this the cluster is "API too slow", the others go on.
DEADLINE = 60.0
BODY_CAP = 32 * 1024 * 1024  # one API answer; a config map's YAML is read up to CONFIG_CAP
CONFIG_CAP = 1024 * 1024
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


def _read_body(resp: Any, deadline: float) -> bytes:
    """An answer's body, read a chunk at a time: at most BODY_CAP bytes, done by the deadline."""
    chunks: list[bytes] = []
    size = 0
    while True:
        if time.monotonic() > deadline:
            resp.close()
            raise ApiUnavailable(f"the API's answers did not end within {DEADLINE:g} s")
        chunk = resp.read1(65536)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size > BODY_CAP:
            resp.close()
            raise ApiUnavailable(
                f"the API answered with more than {BODY_CAP // (1024 * 1024)} MB: not read"
            )
        chunks.append(chunk)


def bound(api: Any, deadline: float) -> None:
    """Every request of `api` from now on: within the overall deadline and the size cap."""
    rest = api.rest_client
    original = rest.request

    def request(method: str, url: str, *args: Any, **kw: Any) -> Any:
        left = deadline - time.monotonic()
        if left <= 0:
            raise ApiUnavailable(f"the API did not answer everything within {DEADLINE:g} s")
        kw["_request_timeout"] = (min(TIMEOUT[0], left), min(TIMEOUT[1], left))
        resp = original(method, url, *args, **kw)
        resp.data = _read_body(resp.response, deadline)
        return resp

    rest.request = request


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


def ipv4_cidr(value: object) -> str | None:
    """`value` when it is an IPv4 network as Kubernetes writes one (a.b.c.d/n), else None."""
    if not isinstance(value, str) or not 9 <= len(value) <= 18 or value.count("/") != 1:
        return None
    try:
        net = IPNetwork(value)
    except (AddrFormatError, ValueError, TypeError):
        return None
    return value if net.version == 4 else None


def ipv4_address(value: object) -> str | None:
    if not isinstance(value, str) or not 7 <= len(value) <= 15:
        return None
    try:
        ip = IPAddress(value)
    except (AddrFormatError, ValueError, TypeError):
        return None
    return value if ip.version == 4 and str(ip) == value else None


def _node_info(n: Any, forwarder: str | None, warnings: list[str]) -> NodeInfo:
    """One node as netui uses it; what of it cannot be used is named in `warnings`. Raises
    (AttributeError, TypeError) for an object with no name, spec or status."""
    name = n.metadata.name
    if not isinstance(name, str) or not name:
        raise TypeError("a node without a name")
    labels = n.metadata.labels or {}
    roles = tuple(
        sorted(k.split("/", 1)[1] for k in labels if k.startswith("node-role.kubernetes.io/"))
    ) or ("worker",)
    given_ip = next((a.address for a in (n.status.addresses or []) if a.type == "InternalIP"), None)
    ip = ipv4_address(given_ip)
    if given_ip is not None and ip is None:
        warnings.append(f"node {name}: InternalIP {given_ip!r} is not an IPv4 address (ignored)")
    taints = tuple(
        f"{t.key}{'=' + t.value if t.value else ''}:{t.effect}" for t in (n.spec.taints or [])
    )
    ready = any(c.type == "Ready" and c.status == "True" for c in (n.status.conditions or []))
    given = tuple(n.spec.pod_cidrs or ([n.spec.pod_cidr] if n.spec.pod_cidr else []))
    cidrs = []
    for c in given:
        if ipv4_cidr(c) is not None:
            cidrs.append(c)
        elif not (isinstance(c, str) and ":" in c and len(given) > 1):  # dual stack: its IPv6
            warnings.append(f"node {name}: podCIDR {c!r} is not an IPv4 CIDR (ignored)")
    version = n.status.node_info.kubelet_version if n.status.node_info else None
    return NodeInfo(name, roles, ip, tuple(cidrs), taints, ready, forwarder == name, version)


def _nodes(items: Any, forwarder: str | None, warnings: list[str]) -> list[NodeInfo]:
    """Every node that can be read; one that cannot is one warning naming it."""
    out = []
    for i, n in enumerate(items or []):
        try:
            out.append(_node_info(n, forwarder, warnings))
        except (AttributeError, TypeError, ValueError) as e:
            name = getattr(getattr(n, "metadata", None), "name", None) or f"#{i + 1}"
            warnings.append(f"node {name}: cannot be read ({type(e).__name__}: {str(e)[:120]})")
    return out


def _sourced(values: Any, source: str, warnings: list[str]) -> list[Sourced]:
    """The IPv4 CIDRs among `values` (from one place); each other value one warning."""
    out = []
    for v in values:
        v = v.strip() if isinstance(v, str) else v
        if not v:
            continue
        if ipv4_cidr(v) is not None:
            out.append(Sourced(v, source))
        elif not (isinstance(v, str) and ":" in v):  # an IPv6 range of a dual-stack cluster
            warnings.append(f"{source}: {v!r} is not an IPv4 CIDR (ignored)")
    return out


def _config_yaml(cm: Any, key: str, what: str, warnings: list[str]) -> dict[str, Any]:
    """A config map's YAML document as plain data (model/plain_yaml: no aliases, no tags, at
    most CONFIG_CAP); {} with a warning naming it when it is anything else."""
    text = (cm.data or {}).get(key, "") or ""
    if not isinstance(text, str):
        warnings.append(f"{what}: {key} is not text (ignored)")
        return {}
    try:
        data = plain_yaml.load(text, CONFIG_CAP) or {}
    except ValueError as e:
        warnings.append(f"{what}: {key} {e} (ignored)")
        return {}
    if not isinstance(data, dict):
        warnings.append(f"{what}: {key} is not a mapping (ignored)")
        return {}
    return data


def _endpoints(e: Any) -> list[tuple[str, int, str]]:
    addrs = []
    for sub in e.subsets or []:
        for a in sub.addresses or []:
            for p in sub.ports or []:
                if ipv4_address(a.ip) and isinstance(p.port, int):
                    addrs.append((a.ip, p.port, p.protocol or "TCP"))
    return addrs


def _services(core: Any, warnings: list[str]) -> list[ServiceInfo]:
    """Every Service with its ports and endpoint addresses (for probes and naming hops); an
    object that cannot be read is one warning naming it."""
    svcs = _call(core.list_service_for_all_namespaces)
    eps = _call(core.list_endpoints_for_all_namespaces)
    by_key: dict[tuple[str, str], list[tuple[str, int, str]]] = {}
    for e in eps.items if eps else []:
        try:
            by_key[(e.metadata.namespace, e.metadata.name)] = _endpoints(e)
        except (AttributeError, TypeError, ValueError) as err:
            warnings.append(f"Endpoints {_object_name(e)}: cannot be read ({type(err).__name__})")
    out = []
    for s in svcs.items if svcs else []:
        try:
            ports = tuple(
                ServicePort(p.port, p.protocol or "TCP", p.name or "") for p in (s.spec.ports or [])
            )
            ip = s.spec.cluster_ip if s.spec.cluster_ip not in (None, "None") else None
            if ip is not None and ipv4_address(ip) is None:
                ip = None  # a headless or IPv6-only Service: nothing to probe from the office
            key = (s.metadata.namespace, s.metadata.name)
            out.append(ServiceInfo(key[1], key[0], ip, ports, tuple(by_key.get(key, ()))))
        except (AttributeError, TypeError, ValueError) as err:
            warnings.append(f"Service {_object_name(s)}: cannot be read ({type(err).__name__})")
    return out


def _object_name(obj: Any) -> str:
    meta = getattr(obj, "metadata", None)
    return f"{getattr(meta, 'namespace', None) or '?'}/{getattr(meta, 'name', None) or '?'}"


def _dry_run_service_range(core: Any) -> list[str]:
    """Ask the API server to create (dry run) a Service with an impossible ClusterIP; its refusal
    names the service range. Nothing is created."""
    from kubernetes.client.exceptions import ApiException

    body = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "netui-probe-range"},
        "spec": {"clusterIP": "1.1.1.1", "ports": [{"port": 80}]},
    }
    try:
        core.create_namespaced_service("default", body, dry_run="All", _request_timeout=TIMEOUT)
    except ApiException as e:
        m = _RANGE.search(str(e.body or ""))
        if m:
            return [c.strip() for c in m.group(1).split(",") if "/" in c]
    return []


def _ask(
    api: Any,
    spec: ClusterSpec,
    inv: ClusterInventory,
    pods: list[Sourced],
    svcs: list[Sourced],
    dns: list[Sourced],
) -> None:
    """What the API says, source by source, into `inv` and the candidate lists."""
    w = inv.warnings
    core = KubeRest(api)  # the client's API classes cost a second of CPU (discovery/rest.py)
    nodes = _call(core.list_node)
    if nodes is None:
        raise ApiUnavailable("the API does not list nodes (no permission?)")
    inv.nodes = _nodes(nodes.items, spec.forwarder, w)

    sc = _call(core.list_service_cidr)
    for item in sc.items if sc else []:
        svcs += _sourced(getattr(item.spec, "cidrs", None) or [], "ServiceCIDR API", w)

    kubeadm = _call(core.read_namespaced_config_map, "kubeadm-config", "kube-system")
    if kubeadm is not None:
        conf = _config_yaml(kubeadm, "ClusterConfiguration", "config map kubeadm-config", w)
        net = conf.get("networking") or {}
        net = net if isinstance(net, dict) else {}
        pods += _sourced(str(net.get("podSubnet") or "").split(","), "kubeadm-config", w)
        svcs += _sourced(str(net.get("serviceSubnet") or "").split(","), "kubeadm-config", w)
    proxy = _call(core.read_namespaced_config_map, "kube-proxy", "kube-system")
    if proxy is not None:
        conf = _config_yaml(proxy, "config.conf", "config map kube-proxy", w)
        pods += _sourced(str(conf.get("clusterCIDR") or "").split(","), "kube-proxy config map", w)
    pools = _call(
        core.list_cluster_custom_object,
        "crd.projectcalico.org",
        "v1",
        "ippools",
    )
    items = pools.get("items", []) if isinstance(pools, dict) else []
    for p in items if isinstance(items, list) else []:
        spec_of = p.get("spec") if isinstance(p, dict) else None
        cidr = spec_of.get("cidr") if isinstance(spec_of, dict) else None
        if cidr:
            pods += _sourced([cidr], "Calico IPPool", w)
    cilium = _call(core.read_namespaced_config_map, "cilium-config", "kube-system")
    if cilium is not None:
        data = cilium.data or {}
        inv.cilium = {
            k: str(data[k])[:40]
            for k in ("kube-proxy-replacement", "bpf-lb-external-clusterip")
            if k in data
        }
        pools_text = str(data.get("cluster-pool-ipv4-cidr", ""))
        pods += _sourced(pools_text.split(), "cilium-config", w)
    if not svcs and not spec.service_cidrs:
        svcs += _sourced(_dry_run_service_range(core), "dry-run ClusterIP", w)
    slices = [c for n in inv.nodes for c in n.pod_cidrs]
    is_k3s = any("+k3s" in (n.version or "") for n in inv.nodes)
    if is_k3s and not pods and slices and all(IPNetwork(c) in K3S_PODS for c in slices):
        pods.append(Sourced(str(K3S_PODS), "k3s default (nodes run k3s; their podCIDRs fit)"))
    if is_k3s and not svcs and not spec.service_cidrs:
        svcs.append(Sourced(str(K3S_SERVICES), "k3s default"))
    if slices:
        pods += [Sourced(str(c), "node podCIDRs (summarised)") for c in cidr_merge(slices)]

    inv.services = _services(core, w)
    fl = read_flavour(core, _call, nodes.items, {s.source for s in pods}, is_k3s)
    inv.cni, inv.proxy_mode, inv.found_domain = fl.cni, fl.proxy_mode, fl.domain
    kube_dns = _call(core.read_namespaced_service, "kube-dns", "kube-system")
    if kube_dns is not None and kube_dns.spec.cluster_ip not in (None, "None"):
        if ipv4_address(kube_dns.spec.cluster_ip):
            dns.append(Sourced(kube_dns.spec.cluster_ip, "kube-dns Service"))
        else:
            w.append(
                f"Service kube-system/kube-dns: clusterIP {kube_dns.spec.cluster_ip!r} is not an IPv4 address (ignored)"
            )


def discover_cluster(spec: ClusterSpec, kubeconfig: str) -> ClusterInventory:
    inv = ClusterInventory(spec.name, spec.context, spec.domain, spec.forwarder)
    pods: list[Sourced] = []
    svcs: list[Sourced] = []
    dns: list[Sourced] = []
    try:
        api = api_client(kubeconfig, spec.context)
        bound(api, time.monotonic() + DEADLINE)
        _ask(api, spec, inv, pods, svcs, dns)
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
    elif inv.service_cidrs and IPNetwork(inv.service_cidrs[0].value).size > 10:
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
