"""The few Kubernetes API reads discovery makes, as plain JSON behind the kubernetes client's
own configuration, authentication and transport.

The client's generated API classes cost a process about a second of CPU before the first
answer (kubernetes 37: pydantic validators for every method of CoreV1Api, then a model class
per nested type of each answer): `netui plan` took 2.3 s, most of it there. Discovery reads a
handful of fields, so it asks for JSON and reads it through `View`, which answers the client's
attribute names (`spec.pod_cidrs` for `podCIDRs`); writes (netui's taint) keep the client.

The method names are the client's, so the callers read the same either way; every request
still goes through `ApiClient.rest_client.request` (discovery's deadline and size cap wrap it).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

# Fields whose values are maps with keys of their own (not object fields): returned as dicts.
MAPS = frozenset({"data", "labels", "annotations", "binary_data", "selector", "capacity"})
_ACRONYMS = (("Cidrs", "CIDRs"), ("Cidr", "CIDR"), ("Ips", "IPs"), ("Ip", "IP"), ("Uid", "UID"))


def _json_keys(name: str) -> tuple[str, ...]:
    """The JSON keys a client attribute name may stand for: pod_cidrs -> podCIDRs, podCidrs."""
    head, *rest = name.split("_")
    camel = head + "".join(w[:1].upper() + w[1:] for w in rest)
    out = [camel]
    for plain, upper in _ACRONYMS:
        if plain in camel:
            out.append(camel.replace(plain, upper))
    return tuple(dict.fromkeys(out))


class View:
    """A JSON object read by attribute, as the client's models are: a missing field is None,
    an object a View, a list of objects a list of Views, a map (MAPS) a dict."""

    __slots__ = ("_raw",)

    def __init__(self, raw: dict[str, Any]) -> None:
        self._raw = raw

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        for key in _json_keys(name.lstrip("_")):
            if key in self._raw:
                value = self._raw[key]
                if name in MAPS:
                    return value if isinstance(value, dict) else None
                return _wrap(value)
        return None

    def raw(self) -> dict[str, Any]:
        return self._raw

    def __repr__(self) -> str:
        return f"View({str(self._raw)[:80]})"


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return View(value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class KubeRest:
    """GETs (and one dry-run POST) by the client's method names; answers as Views."""

    def __init__(self, api: Any) -> None:
        self.api = api

    def _request(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | None = None,
        body: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        from kubernetes.client.exceptions import ApiException

        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        serialized = self.api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        resp = self.api.call_api(*serialized, _request_timeout=_request_timeout)
        resp.read()
        data = resp.data or b""
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)
        if not 200 <= resp.status <= 299:
            raise ApiException(status=resp.status, reason=resp.reason, body=text)
        try:
            parsed = json.loads(text) if text.strip() else {}
        except ValueError as e:
            raise ValueError(f"the API's answer to GET {path} is not JSON ({e})") from None
        if not isinstance(parsed, dict):
            raise ValueError(f"the API's answer to GET {path} is not an object")
        return parsed

    def _get(self, path: str, _request_timeout: Any = None) -> View:
        return View(self._request("GET", path, _request_timeout=_request_timeout))

    # --- core/v1 ---

    def list_node(self, _request_timeout: Any = None) -> View:
        return self._get("/api/v1/nodes", _request_timeout)

    def list_service_for_all_namespaces(self, _request_timeout: Any = None) -> View:
        return self._get("/api/v1/services", _request_timeout)

    def list_endpoints_for_all_namespaces(self, _request_timeout: Any = None) -> View:
        return self._get("/api/v1/endpoints", _request_timeout)

    def read_namespaced_config_map(self, name: str, ns: str, _request_timeout: Any = None) -> View:
        return self._get(f"/api/v1/namespaces/{_seg(ns)}/configmaps/{_seg(name)}", _request_timeout)

    def read_namespaced_service(self, name: str, ns: str, _request_timeout: Any = None) -> View:
        return self._get(f"/api/v1/namespaces/{_seg(ns)}/services/{_seg(name)}", _request_timeout)

    def create_namespaced_service(
        self, ns: str, body: dict[str, Any], dry_run: str = "All", _request_timeout: Any = None
    ) -> View:
        path = f"/api/v1/namespaces/{_seg(ns)}/services"
        answer = self._request(
            "POST", path, [("dryRun", dry_run)], body, _request_timeout=_request_timeout
        )
        return View(answer)

    # --- networking.k8s.io/v1 and custom resources ---

    def list_service_cidr(self, _request_timeout: Any = None) -> View:
        return self._get("/apis/networking.k8s.io/v1/servicecidrs", _request_timeout)

    def list_cluster_custom_object(
        self, group: str, version: str, plural: str, _request_timeout: Any = None
    ) -> dict[str, Any]:
        path = f"/apis/{_seg(group)}/{_seg(version)}/{_seg(plural)}"
        answer: dict[str, Any] = self._request("GET", path, _request_timeout=_request_timeout)
        return answer


_SEGMENT = re.compile(r"^[A-Za-z0-9._-]{1,253}$")


def _seg(text: str) -> str:
    """One path segment (a name or namespace netui chose): refused if it is anything else."""
    if not _SEGMENT.match(text):
        raise ValueError(f"not a Kubernetes name: {text!r}")
    return quote(text, safe="")
