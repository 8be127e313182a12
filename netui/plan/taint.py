"""Tainting a cluster's forwarder through the Kubernetes API (`--taint-forwarder`).

A forwarder carries the office's traffic; workloads scheduled onto it compete with that and are
disturbed by its maintenance, so the seed procedure keeps them off with a NoSchedule taint.
netui adds its own key (`netui.io/forwarder`) and removes only that key on undo, so a taint an
administrator set (the control-plane one, say) is never touched. The node's taint list is read,
changed and written back whole (Node.spec.taints has no merge key), with the node's
resourceVersion, so a taint someone else changed in between makes the API refuse (409) rather
than be overwritten.

The commit-confirmed timers run on the hosts, which hold no API credentials: a taint is not
undone by them (it cannot lock anyone out); `netui undo` removes it.
"""

from __future__ import annotations

from typing import Any

from netui.discovery.kube import ApiUnavailable, api_client, kubeconfig_path
from netui.model.envfile import Environment
from netui.plan.model import Taint

TIMEOUT = 5


def _core(env: Environment, cluster: str) -> Any:
    from kubernetes import client

    spec = env.clusters[cluster]
    return client.CoreV1Api(api_client(kubeconfig_path(env), spec.context))


def _write(env: Environment, taint: Taint, present: bool) -> str:
    from kubernetes.client.exceptions import ApiException
    from urllib3.exceptions import HTTPError

    where = f"cluster {taint.cluster}: node {taint.node}"
    try:
        core = _core(env, taint.cluster)
        node = core.read_node(taint.node, _request_timeout=TIMEOUT)
        current = [core.api_client.sanitize_for_serialization(t) for t in (node.spec.taints or [])]
        others = [t for t in current if t.get("key") != taint.key]
        if present and len(others) < len(current):
            return "already tainted"
        if not present and len(others) == len(current):
            return "taint already gone"
        wanted = others + (
            [{"key": taint.key, "value": taint.value, "effect": taint.effect}] if present else []
        )
        body: dict[str, Any] = {"spec": {"taints": wanted}}
        if node.metadata.resource_version:
            body["metadata"] = {"resourceVersion": node.metadata.resource_version}
        core.patch_node(taint.node, body, _request_timeout=TIMEOUT)
    except ApiException as e:
        raise ApiUnavailable(f"{where}: the API said {e.status} {e.reason}") from None
    except HTTPError as e:
        raise ApiUnavailable(f"{where}: cannot reach the API: {e}") from None
    return "tainted" if present else "taint removed"


def add(env: Environment, taint: Taint) -> str:
    return _write(env, taint, True)


def remove(env: Environment, taint: Taint) -> str:
    return _write(env, taint, False)
