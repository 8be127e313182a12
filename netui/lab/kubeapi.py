"""A small simulated Kubernetes API server for the lab (no real kube-apiserver can be installed here).

It answers the REST paths the official `kubernetes` client calls for netui's discovery, with
objects shaped like a real cluster's: nodes (addresses, spec.podCIDRs, labels, taints, PATCH),
services, config maps (`kubeadm-config`, `kube-proxy`), ServiceCIDR objects, and the 422 a real
server gives a dry-run Service with an invalid ClusterIP (its message names the service range).
Plain HTTP; the lab listens on 127.0.0.1 in the root namespace and on each master's address.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from netui.lab.httpserver import LabHTTPServer
from netui.lab.topology import LabCluster

CREATED = "2026-11-01T08:00:00Z"


def _meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    m: dict[str, Any] = {
        "name": name,
        "uid": f"uid-{name}",
        "resourceVersion": "1",
        "creationTimestamp": CREATED,
    }
    if namespace:
        m["namespace"] = namespace
    m.update(extra)
    return m


class ClusterState:
    """The objects of one simulated cluster; taints are mutable (PATCH)."""

    def __init__(self, cluster: LabCluster) -> None:
        self.cluster = cluster
        self.lock = threading.Lock()
        self.taints: dict[str, list[dict[str, str]]] = {
            cluster.master: [
                {"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}
            ],
            cluster.worker: [],
        }

    def node(self, name: str) -> dict[str, Any]:
        c = self.cluster
        is_master = name == c.master
        labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
        if is_master:
            labels["node-role.kubernetes.io/control-plane"] = ""
            if c.shape == "k3s":
                labels["node-role.kubernetes.io/master"] = "true"
        pod_cidr = c.master_pod_cidr if is_master else c.worker_pod_cidr
        with self.lock:
            taints = [dict(t) for t in self.taints.get(name, [])]
        spec: dict[str, Any] = {"podCIDR": pod_cidr, "podCIDRs": [pod_cidr]}
        if taints:
            spec["taints"] = taints
        version = "v1.31.2+k3s1" if c.shape == "k3s" else "v1.31.2"
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": _meta(name, labels=labels),
            "spec": spec,
            "status": {
                "addresses": [
                    {"type": "InternalIP", "address": c.ip_of(name)},
                    {"type": "Hostname", "address": name},
                ],
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "lastHeartbeatTime": CREATED,
                        "lastTransitionTime": CREATED,
                    }
                ],
                "nodeInfo": {
                    "kubeletVersion": version,
                    "kubeProxyVersion": version,
                    "osImage": "Debian GNU/Linux 12 (bookworm)",
                    "containerRuntimeVersion": "containerd://1.7.22",
                    "architecture": "amd64",
                    "operatingSystem": "linux",
                    "kernelVersion": "6.1.0-26-amd64",
                    "machineID": name,
                    "systemUUID": name,
                    "bootID": name,
                },
            },
        }

    def _services_by_name(self) -> dict[tuple[str, str], list[Any]]:
        """(namespace, name) -> the topology's port entries of that Service."""
        grouped: dict[tuple[str, str], list[Any]] = {}
        for s in self.cluster.services:
            grouped.setdefault((s.namespace, s.name), []).append(s)
        return grouped

    def nodes(self) -> list[dict[str, Any]]:
        return [self.node(self.cluster.master), self.node(self.cluster.worker)]

    def services(self, namespace: str | None = None) -> list[dict[str, Any]]:
        grouped = self._services_by_name()
        out = []
        for (ns, name), ports in grouped.items():
            if namespace and ns != namespace:
                continue
            ip = ports[0].cluster_ip
            labels = {"k8s-app": "kube-dns"} if name == "kube-dns" else {}
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Service",
                    "metadata": _meta(name, ns, labels=labels),
                    "spec": {
                        "type": "ClusterIP",
                        "clusterIP": ip,
                        "clusterIPs": [ip],
                        "ports": [
                            {
                                "name": p.port_name,
                                "port": p.port,
                                "protocol": p.protocol.upper(),
                                "targetPort": p.target_port,
                            }
                            for p in ports
                        ],
                    },
                    "status": {"loadBalancer": {}},
                }
            )
        return out

    def endpoints(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Endpoints objects: each Service's Pod IPs and target ports (v1 Endpoints)."""
        pods = {p.name: p for p in self.cluster.pods}
        grouped = self._services_by_name()
        out = []
        for (ns, name), ports in grouped.items():
            if namespace and ns != namespace:
                continue
            addr = pods[ports[0].pod].ip if ports[0].pod else self.cluster.master_ip
            subset = {
                "addresses": [{"ip": addr}],
                "ports": [
                    {"name": p.port_name, "port": p.target_port, "protocol": p.protocol.upper()}
                    for p in ports
                ],
            }
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Endpoints",
                    "metadata": _meta(name, ns),
                    "subsets": [subset],
                }
            )
        return out

    def pods(self, namespace: str | None = None) -> list[dict[str, Any]]:
        c = self.cluster
        out = []
        for p in c.pods:
            if namespace and p.namespace != namespace:
                continue
            out.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": _meta(p.name, p.namespace, labels={"app": p.name.split("-")[0]}),
                    "spec": {
                        "nodeName": c.worker,
                        "containers": [
                            {
                                "name": p.kind,
                                "image": f"lab/{p.kind}:1",
                                "ports": [{"containerPort": p.port, "protocol": "TCP"}],
                            }
                        ],
                    },
                    "status": {
                        "phase": "Running",
                        "podIP": p.ip,
                        "podIPs": [{"ip": p.ip}],
                        "hostIP": c.worker_ip,
                        "startTime": CREATED,
                        "conditions": [{"type": "Ready", "status": "True"}],
                        "containerStatuses": [
                            {
                                "name": p.kind,
                                "ready": True,
                                "restartCount": 0,
                                "image": f"lab/{p.kind}:1",
                                "imageID": "",
                                "started": True,
                                "state": {"running": {"startedAt": CREATED}},
                            }
                        ],
                    },
                }
            )
        return out

    def endpoint_slices(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """discovery.k8s.io/v1 EndpointSlices, one per Service, from the same endpoints."""
        out = []
        for ep in self.endpoints(namespace):
            meta = ep["metadata"]
            subset = ep["subsets"][0]
            out.append(
                {
                    "apiVersion": "discovery.k8s.io/v1",
                    "kind": "EndpointSlice",
                    "metadata": _meta(
                        f"{meta['name']}-lab",
                        meta["namespace"],
                        labels={"kubernetes.io/service-name": meta["name"]},
                    ),
                    "addressType": "IPv4",
                    "endpoints": [
                        {"addresses": [a["ip"]], "conditions": {"ready": True}}
                        for a in subset["addresses"]
                    ],
                    "ports": subset["ports"],
                }
            )
        return out

    def config_maps(self) -> dict[tuple[str, str], dict[str, str]]:
        c = self.cluster
        if c.shape != "kubeadm":
            return {
                ("kube-system", "coredns"): {
                    "Corefile": f".:53 {{\n    kubernetes {c.domain} in-addr.arpa ip6.arpa\n    forward . /etc/resolv.conf\n}}\n"
                }
            }
        cluster_config = (
            "apiServer: {}\napiVersion: kubeadm.k8s.io/v1beta4\nclusterName: kubernetes\n"
            "controlPlaneEndpoint: " + c.master_ip + ":6443\nkind: ClusterConfiguration\n"
            "kubernetesVersion: v1.31.2\nnetworking:\n"
            f"  dnsDomain: {c.domain}\n  podSubnet: {c.pod_cidr}\n  serviceSubnet: {c.service_cidr}\n"
        )
        proxy_config = (
            "apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n"
            f"clusterCIDR: {c.pod_cidr}\nmode: iptables\niptables:\n  masqueradeAll: false\n"
        )
        return {
            ("kube-system", "kubeadm-config"): {"ClusterConfiguration": cluster_config},
            ("kube-system", "kube-proxy"): {"config.conf": proxy_config},
            ("kube-system", "coredns"): {
                "Corefile": f".:53 {{\n    kubernetes {c.domain} in-addr.arpa ip6.arpa\n}}\n"
            },
        }

    def service_cidrs(self) -> list[dict[str, Any]] | None:
        if self.cluster.shape != "k3s":
            return None  # an older cluster: the API group is not served
        return [
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "ServiceCIDR",
                "metadata": _meta("kubernetes"),
                "spec": {"cidrs": [self.cluster.service_cidr]},
                "status": {
                    "conditions": [
                        {
                            "type": "Ready",
                            "status": "True",
                            "reason": "",
                            "message": "",
                            "lastTransitionTime": CREATED,
                        }
                    ]
                },
            }
        ]

    def patch_node(self, name: str, body: Any) -> dict[str, Any] | None:
        if name not in self.taints:
            return None
        with self.lock:
            if isinstance(body, list):  # JSON patch
                for op in body:
                    if op.get("path") == "/spec/taints" and op.get("op") in ("add", "replace"):
                        self.taints[name] = list(op.get("value") or [])
                    elif op.get("path") == "/spec/taints" and op.get("op") == "remove":
                        self.taints[name] = []
            elif isinstance(body, dict):
                spec = body.get("spec") or {}
                if "taints" in spec:
                    self.taints[name] = [
                        {k: v for k, v in t.items() if v is not None}
                        for t in (spec["taints"] or [])
                    ]
        return self.node(name)


def _list(kind: str, items: list[dict[str, Any]], api_version: str = "v1") -> dict[str, Any]:
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"resourceVersion": "1"},
        "items": items,
    }


def _age(_item: dict[str, Any]) -> str:
    return "27d"


# kubectl asks for a server-side Table (`Accept: ...;as=Table;...`) and prints its columns:
# the columns a real API server gives for the kinds the lab serves.
_TABLE_COLUMNS: dict[str, list[tuple[str, int, Any]]] = {
    "NodeList": [
        ("Name", 0, lambda o: o["metadata"]["name"]),
        ("Status", 0, lambda o: "Ready"),
        (
            "Roles",
            0,
            lambda o: (
                ",".join(
                    k.split("/")[1]
                    for k in o["metadata"].get("labels", {})
                    if k.startswith("node-role.kubernetes.io/")
                )
                or "<none>"
            ),
        ),
        ("Age", 0, _age),
        ("Version", 0, lambda o: o["status"]["nodeInfo"]["kubeletVersion"]),
        ("Internal-IP", 1, lambda o: o["status"]["addresses"][0]["address"]),
    ],
    "ServiceList": [
        ("Name", 0, lambda o: o["metadata"]["name"]),
        ("Type", 0, lambda o: o["spec"]["type"]),
        ("Cluster-IP", 0, lambda o: o["spec"]["clusterIP"]),
        ("External-IP", 0, lambda o: "<none>"),
        (
            "Port(s)",
            0,
            lambda o: ",".join(f"{p['port']}/{p['protocol']}" for p in o["spec"]["ports"]),
        ),
        ("Age", 0, _age),
    ],
    "PodList": [
        ("Name", 0, lambda o: o["metadata"]["name"]),
        ("Ready", 0, lambda o: "1/1"),
        ("Status", 0, lambda o: o["status"]["phase"]),
        ("Restarts", 0, lambda o: 0),
        ("Age", 0, _age),
        ("IP", 1, lambda o: o["status"]["podIP"]),
        ("Node", 1, lambda o: o["spec"]["nodeName"]),
    ],
}


def _table(kind: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    columns = _TABLE_COLUMNS[kind]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": "1"},
        "columnDefinitions": [
            {
                "name": name,
                "type": "string",
                "format": "name" if name == "Name" else "",
                "description": "",
                "priority": prio,
            }
            for name, prio, _ in columns
        ],
        "rows": [
            {
                "cells": [get(o) for _, _, get in columns],
                "object": {
                    "kind": "PartialObjectMetadata",
                    "apiVersion": "meta.k8s.io/v1",
                    "metadata": o["metadata"],
                },
            }
            for o in items
        ],
    }


def _status(
    code: int, reason: str, message: str, details: dict[str, Any] | None = None
) -> dict[str, Any]:
    s = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }
    if details:
        s["details"] = details
    return s


# What discovery (`kubectl`'s first calls) reads: the groups, versions and resources served,
# in the shapes of a real API server. Verbs are what the lab implements.
_CORE_RESOURCES = [
    ("nodes", "Node", False, ["get", "list", "patch"], ["no"]),
    ("services", "Service", True, ["get", "list"], ["svc"]),
    ("pods", "Pod", True, ["get", "list"], ["po"]),
    ("endpoints", "Endpoints", True, ["get", "list"], ["ep"]),
    ("configmaps", "ConfigMap", True, ["get", "list"], ["cm"]),
    ("namespaces", "Namespace", False, ["get", "list"], ["ns"]),
]
_GROUPS: dict[str, list[tuple[str, str, bool, list[str], list[str]]]] = {
    "discovery.k8s.io": [("endpointslices", "EndpointSlice", True, ["get", "list"], [])],
    "networking.k8s.io": [("servicecidrs", "ServiceCIDR", False, ["get", "list"], [])],
}


def _resource_list(group_version: str, resources: list[Any]) -> dict[str, Any]:
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": [
            {
                "name": name,
                "singularName": kind.lower(),
                "namespaced": namespaced,
                "kind": kind,
                "verbs": verbs,
                **({"shortNames": short} if short else {}),
            }
            for name, kind, namespaced, verbs, short in resources
        ],
    }


def _groups(state: ClusterState) -> dict[str, Any]:
    served = [g for g in _GROUPS if g != "networking.k8s.io" or state.service_cidrs() is not None]
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [
            {
                "name": g,
                "versions": [{"groupVersion": f"{g}/v1", "version": "v1"}],
                "preferredVersion": {"groupVersion": f"{g}/v1", "version": "v1"},
            }
            for g in served
        ],
    }


Answer = tuple[int, dict[str, Any]]
_NO_SUCH_RESOURCE = _status(404, "NotFound", "the server could not find the requested resource")


def _not_found(what: str) -> Answer:
    return 404, _status(404, "NotFound", f"{what} not found")


def _version(state: ClusterState, m: re.Match[str]) -> Answer:
    v = "v1.31.2+k3s1" if state.cluster.shape == "k3s" else "v1.31.2"
    return 200, {"major": "1", "minor": "31", "gitVersion": v, "platform": "linux/amd64"}


def _api(state: ClusterState, m: re.Match[str]) -> Answer:
    return 200, {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": f"{state.cluster.master_ip}:6443"}
        ],
    }


def _group(state: ClusterState, m: re.Match[str]) -> Answer | None:
    if m.group(1) not in {g["name"] for g in _groups(state)["groups"]}:
        return None
    return 200, _resource_list(f"{m.group(1)}/v1", _GROUPS[m.group(1)])


def _namespaces(state: ClusterState, m: re.Match[str]) -> Answer:
    names = sorted({p.namespace for p in state.cluster.pods} | {"default", "kube-system"})
    namespaces = [
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": _meta(n),
            "status": {"phase": "Active"},
        }
        for n in names
    ]
    return 200, _list("NamespaceList", namespaces)


def _config_maps(state: ClusterState, m: re.Match[str]) -> Answer:
    maps: list[dict[str, Any]] = [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(n, ns), "data": d}
        for (ns, n), d in state.config_maps().items()
        if ns == m.group(1)
    ]
    return 200, _list("ConfigMapList", maps)


def _config_map(state: ClusterState, m: re.Match[str]) -> Answer:
    data = state.config_maps().get((m.group(1), m.group(2)))
    if data is None:
        return _not_found(f'configmaps "{m.group(2)}"')
    meta = _meta(m.group(2), m.group(1))
    return 200, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": data}


def _node(state: ClusterState, m: re.Match[str]) -> Answer:
    if m.group(1) not in state.taints:
        return _not_found(f'nodes "{m.group(1)}"')
    return 200, state.node(m.group(1))


def _services_of(state: ClusterState, m: re.Match[str]) -> Answer:
    items = state.services(m.group(1))
    if m.group(2) is None:
        return 200, _list("ServiceList", items)
    for s in items:
        if s["metadata"]["name"] == m.group(2):
            return 200, s
    return _not_found(f'services "{m.group(2)}"')


def _service_cidrs(state: ClusterState, m: re.Match[str]) -> Answer:
    cidrs = state.service_cidrs()
    if cidrs is None:
        return 404, _NO_SUCH_RESOURCE
    return 200, _list("ServiceCIDRList", cidrs, "networking.k8s.io/v1")


# The GET paths the lab API answers, in the order they are tried: a declared table.
_GET_ROUTES: list[tuple[str, Callable[[ClusterState, re.Match[str]], Answer | None]]] = [
    (r"/version", _version),
    (r"/api", _api),
    (r"/api/v1", lambda state, m: (200, _resource_list("v1", _CORE_RESOURCES))),
    (r"/apis", lambda state, m: (200, _groups(state))),
    (r"/apis/([^/]+)/v1", _group),
    (r"/api/v1/namespaces", _namespaces),
    (
        r"/api/v1(?:/namespaces/([^/]+))?/pods",
        lambda state, m: (200, _list("PodList", state.pods(m.group(1)))),
    ),
    (r"/api/v1/namespaces/([^/]+)/configmaps", _config_maps),
    (
        r"/apis/discovery.k8s.io/v1(?:/namespaces/([^/]+))?/endpointslices",
        lambda state, m: (
            200,
            _list("EndpointSliceList", state.endpoint_slices(m.group(1)), "discovery.k8s.io/v1"),
        ),
    ),
    (r"/api/v1/nodes", lambda state, m: (200, _list("NodeList", state.nodes()))),
    (r"/api/v1/nodes/([^/]+)", _node),
    (
        r"/api/v1(?:/namespaces/([^/]+))?/endpoints",
        lambda state, m: (200, _list("EndpointsList", state.endpoints(m.group(1)))),
    ),
    (r"/api/v1/services", lambda state, m: (200, _list("ServiceList", state.services()))),
    (r"/api/v1/namespaces/([^/]+)/services(?:/([^/]+))?", _services_of),
    (r"/api/v1/namespaces/([^/]+)/configmaps/([^/]+)", _config_map),
    (r"/apis/networking.k8s.io/v1/servicecidrs", _service_cidrs),
]


def make_handler(state: ClusterState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "netui-lab-apiserver"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _send(self, code: int, body: dict[str, Any]) -> None:
            if (
                "as=Table" in (self.headers.get("Accept") or "")
                and body.get("kind") in _TABLE_COLUMNS
            ):
                body = _table(body["kind"], body["items"])
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _not_found(self, what: str) -> None:
            self._send(404, _status(404, "NotFound", f"{what} not found"))

        def _body(self) -> Any:
            n = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(n) if n else b""
            try:
                return json.loads(raw or b"null")
            except ValueError:
                return None

        def do_GET(self) -> None:
            path = urlsplit(self.path).path.rstrip("/")
            for pattern, answer in _GET_ROUTES:
                m = re.fullmatch(pattern, path)
                if m:
                    found = answer(state, m)
                    if found is not None:
                        self._send(*found)
                        return
            self._send(404, _NO_SUCH_RESOURCE)

        def do_PATCH(self) -> None:
            path = urlsplit(self.path).path.rstrip("/")
            m = re.fullmatch(r"/api/v1/nodes/([^/]+)", path)
            if not m:
                self._send(405, _status(405, "MethodNotAllowed", "PATCH is not supported here"))
                return
            node = state.patch_node(m.group(1), self._body())
            if node is None:
                self._not_found(f'nodes "{m.group(1)}"')
            else:
                self._send(200, node)

        def do_POST(self) -> None:
            parts = urlsplit(self.path)
            path = parts.path.rstrip("/")
            query = parse_qs(parts.query)
            m = re.fullmatch(r"/api/v1/namespaces/([^/]+)/services", path)
            body = self._body() or {}
            if not m or query.get("dryRun") != ["All"]:
                self._send(
                    403, _status(403, "Forbidden", "the lab API accepts only dry-run creates")
                )
                return
            name = (body.get("metadata") or {}).get("name", "x")
            ip = (body.get("spec") or {}).get("clusterIP", "")
            rng = state.cluster.service_cidr
            message = (
                f'Service "{name}" is invalid: spec.clusterIPs: Invalid value: []string{{"{ip}"}}: '
                f"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {rng}"
            )
            details = {
                "name": name,
                "kind": "Service",
                "causes": [
                    {
                        "reason": "FieldValueInvalid",
                        "message": message.split(": ", 1)[1],
                        "field": "spec.clusterIPs",
                    }
                ],
            }
            self._send(422, _status(422, "Invalid", message, details))

    return Handler


def serve(state: ClusterState, address: tuple[str, int]) -> LabHTTPServer:
    """An API server bound to `address` (in the calling thread's network namespace)."""
    return LabHTTPServer(address, make_handler(state))
