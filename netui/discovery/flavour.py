"""Which CNI and kube-proxy mode a cluster runs, and its DNS domain, with where each was read.

The API has no field for either: they are read off what each one leaves behind (config maps,
node annotations, k3s versions), in the order a person would look. "unknown" is an answer too:
the doctor then reads the forwarder's own rules, which never lie.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from netui.discovery.model import Sourced
from netui.model import plain_yaml

# node annotation prefix -> CNI; each CNI's agent writes its own on every node it runs on
_ANNOTATIONS = (
    ("flannel.alpha.coreos.com/", "flannel"),
    ("projectcalico.org/", "calico"),
    ("io.cilium.network.", "cilium"),
    ("kube-router.io/", "kube-router"),
    ("weave.works/", "weave"),
)
_COREFILE_DOMAIN = re.compile(r"^\s*kubernetes\s+([A-Za-z0-9.-]+)", re.MULTILINE)


@dataclass(frozen=True)
class Flavour:
    cni: Sourced | None = None
    proxy_mode: Sourced | None = None
    domain: Sourced | None = None


def _config(
    core: Any, call: Callable[..., Any], name: str, ns: str = "kube-system"
) -> dict[str, str]:
    cm = call(core.read_namespaced_config_map, name, ns)
    return dict(cm.data or {}) if cm is not None else {}


def cni_from(
    annotations: list[dict[str, str]], pod_sources: set[str], k3s: bool, flannel_cfg: bool
) -> Sourced | None:
    """The CNI from node annotations, the pod-range sources discovery used, k3s; pure."""
    for prefix, cni in _ANNOTATIONS:
        if any(k.startswith(prefix) for a in annotations for k in a):
            return Sourced(cni, f"node annotations {prefix}*")
    if "cilium-config" in pod_sources:
        return Sourced("cilium", "cilium-config config map")
    if "Calico IPPool" in pod_sources:
        return Sourced("calico", "Calico IPPool objects")
    if flannel_cfg:
        return Sourced("flannel", "kube-flannel-cfg config map")
    if k3s:
        return Sourced("flannel", "k3s default (nodes run k3s; --flannel-backend=none not visible)")
    return None


def proxy_mode_from(proxy_conf: str | None, cilium: dict[str, str], k3s: bool) -> Sourced | None:
    """kube-proxy's mode from its config map (empty mode means iptables), Cilium's replacement,
    or k3s's built-in default; pure."""
    replacement = str(cilium.get("kube-proxy-replacement", "")).lower()
    if replacement in ("true", "strict"):
        return Sourced("none (Cilium replaces kube-proxy)", "cilium-config kube-proxy-replacement")
    if proxy_conf is not None:
        try:  # the API's YAML: plain data only (aliases and tags refused, 1 MB at most)
            conf = plain_yaml.load(proxy_conf) or {}
        except ValueError:
            conf = {}
        mode = str(conf.get("mode") or "") if isinstance(conf, dict) else ""
        return Sourced(
            mode or "iptables",
            "kube-proxy config map" + ("" if mode else " (mode empty: iptables)"),
        )
    if k3s:
        return Sourced("iptables", "k3s default (its built-in kube-proxy)")
    return None


def domain_from(corefile: str | None, kubeadm_domain: str | None) -> Sourced | None:
    if kubeadm_domain:
        return Sourced(kubeadm_domain, "kubeadm-config dnsDomain")
    m = _COREFILE_DOMAIN.search(corefile or "")
    if m:
        return Sourced(m.group(1), "coredns Corefile")
    return None


def read_flavour(
    core: Any, call: Callable[..., Any], node_items: list[Any], pod_sources: set[str], k3s: bool
) -> Flavour:
    """Three config-map reads; every one may be missing (404/403 read as absent)."""
    proxy = _config(core, call, "kube-proxy")
    cilium = _config(core, call, "cilium-config")
    flannel = bool(_config(core, call, "kube-flannel-cfg")) or bool(
        _config(core, call, "kube-flannel-cfg", "kube-flannel")
    )
    coredns = _config(core, call, "coredns")
    kubeadm = _config(core, call, "kubeadm-config")
    try:
        conf = plain_yaml.load(kubeadm.get("ClusterConfiguration", "") or "{}") or {}
        kubeadm_domain = str((conf.get("networking") or {}).get("dnsDomain") or "") or None
    except (ValueError, AttributeError):
        kubeadm_domain = None
    annotations = []
    for n in node_items:  # one node without metadata is skipped here (kube._nodes names it)
        meta = getattr(n, "metadata", None)
        found = getattr(meta, "annotations", None)
        annotations.append(dict(found) if isinstance(found, dict) else {})
    return Flavour(
        cni=cni_from(annotations, pod_sources, k3s, flannel),
        proxy_mode=proxy_mode_from(proxy.get("config.conf") if proxy else None, cilium, k3s),
        domain=domain_from(coredns.get("Corefile"), kubeadm_domain),
    )
