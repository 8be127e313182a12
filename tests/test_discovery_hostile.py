"""Kubernetes discovery against a hostile API server (issue 24), on 127.0.0.1 in this process:
one bad object is one warning naming it, a YAML alias bomb in kubeadm-config is refused, a
server that trickles or answers 200 MB ends at the cluster's deadline or cap — and the other
cluster is still discovered."""

from __future__ import annotations

import json
import resource
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from netui.discovery import kube
from netui.model.envfile import loads


def _node(name, cidr, ip, status=True):
    node = {"metadata": {"name": name}, "spec": {"podCIDR": cidr, "podCIDRs": [cidr]}}
    if status:
        node["status"] = {
            "addresses": [{"type": "InternalIP", "address": ip}],
            "conditions": [{"type": "Ready", "status": "True"}],
        }
    return node


NODES = {
    "kind": "NodeList",
    "apiVersion": "v1",
    "items": [
        _node("good", "10.200.0.0/24", "192.168.1.109"),
        _node("slash33", "10.0.0.0/33", "192.168.1.110"),
        _node("v6", "10.200.2.0/24", "fd00::1"),
    ],
}
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f"{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True)
)
KUBEADM = {
    "kind": "ConfigMap",
    "apiVersion": "v1",
    "metadata": {"name": "kubeadm-config", "namespace": "kube-system"},
    "data": {"ClusterConfiguration": BOMB + "networking: {podSubnet: *i}\n"},
}


class Api(BaseHTTPRequestHandler):
    mode = "objects"

    def log_message(self, *args):
        pass

    def _json(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        mode = self.server.mode  # type: ignore[attr-defined]
        try:
            if mode == "trickle":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                for _ in range(60):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.5)
            elif mode == "huge":
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(200 * 1024 * 1024))
                self.end_headers()
                chunk = b" " * (1024 * 1024)
                for _ in range(200):
                    self.wfile.write(chunk)
            elif self.path.startswith("/api/v1/nodes"):
                self._json(NODES)
            elif "/configmaps/kubeadm-config" in self.path:
                self._json(KUBEADM)
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
        except (BrokenPipeError, ConnectionResetError):
            pass

    do_POST = do_GET


@pytest.fixture
def servers(tmp_path):
    started = []

    def start(mode):
        srv = ThreadingHTTPServer(("127.0.0.1", 0), Api)
        srv.mode = mode  # type: ignore[attr-defined]
        srv.daemon_threads = True
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        started.append(srv)
        return srv.server_address[1]

    def kubeconfig(**ports):
        clusters = [
            {"name": n, "cluster": {"server": f"http://127.0.0.1:{p}"}} for n, p in ports.items()
        ]
        contexts = [{"name": n, "context": {"cluster": n, "user": "u"}} for n in ports]
        path = tmp_path / "kubeconfig"
        path.write_text(
            json.dumps(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": clusters,
                    "contexts": contexts,
                    "users": [{"name": "u", "user": {"token": "t"}}],
                    "current-context": next(iter(ports)),
                }
            )
        )
        env = loads(
            f"kubeconfig: {path}\noffice: {{cidrs: [10.1.3.0/24]}}\nhosts: {{me: local}}\n"
            "clusters:\n"
            + "".join(f"  {n}: {{context: {n}, service_cidrs: [10.96.0.0/12]}}\n" for n in ports),
            "env.yaml",
        )
        return env

    yield start, kubeconfig
    for srv in started:
        srv.shutdown()


def test_hostile_objects_are_one_warning_each_and_an_alias_bomb_is_refused(servers):
    start, kubeconfig = servers
    env = kubeconfig(a=start("objects"))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    inv = kube.discover(env)["a"]
    assert inv.error is None, inv.error
    assert [n.name for n in inv.nodes] == ["good", "slash33", "v6"]
    warnings = "\n".join(inv.warnings)
    assert "node slash33: podCIDR '10.0.0.0/33' is not an IPv4 CIDR" in warnings
    assert "node v6: InternalIP 'fd00::1' is not an IPv4 address" in warnings
    assert "kubeadm-config" in warnings and "alias" in warnings
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 100 * 1024


@pytest.mark.parametrize("mode", ["trickle", "huge"])
def test_hostile_slow_or_huge_api_ends_and_the_other_cluster_is_discovered(
    servers, monkeypatch, mode
):
    # long enough for the good cluster on a loaded machine (4 s cut it short at load 7)
    monkeypatch.setattr(kube, "DEADLINE", 10.0)
    start, kubeconfig = servers
    env = kubeconfig(bad=start(mode), good=start("objects"))
    began = time.monotonic()
    inv = kube.discover(env)
    took = time.monotonic() - began
    assert inv["bad"].error is not None
    assert (
        ("did not" in inv["bad"].error) if mode == "trickle" else ("more than" in inv["bad"].error)
    )
    assert inv["good"].error is None and len(inv["good"].nodes) == 3
    assert took < 30, took
