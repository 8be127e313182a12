"""The lab's one long-running helper process: the simulated Kubernetes APIs and the Pods' HTTP
services, each listener created inside its own network namespace.

Run as `python -m netui.lab.daemon LAB_DIR [PLAN]`; `netui lab up` starts it detached and `down` stops it
by the pid it writes.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from netui.lab import canary, netns
from netui.lab.build import LabState
from netui.lab.httpserver import LabHTTPServer
from netui.lab.kubeapi import ClusterState, serve
from netui.lab.topology import LabCluster, Pod, plan_named


def eureka_apps(cluster: LabCluster) -> dict[str, Any]:
    """What Eureka's /eureka/apps answers: every registered instance with its Pod IP."""
    apps = []
    for pod in cluster.pods:
        if pod.kind not in ("app", "registry"):
            continue
        name = pod.name.split("-")[0].upper()
        apps.append(
            {
                "name": name,
                "instance": [
                    {
                        "instanceId": f"{pod.ip}:{name.lower()}:{pod.port}",
                        "hostName": pod.ip,
                        "app": name,
                        "ipAddr": pod.ip,
                        "status": "UP",
                        "port": {"$": pod.port, "@enabled": "true"},
                        "vipAddress": name.lower(),
                    }
                ],
            }
        )
    return {
        "applications": {
            "versions__delta": "1",
            "apps__hashcode": f"UP_{len(apps)}_",
            "application": apps,
        }
    }


def pod_handler(cluster: LabCluster, pod: Pod) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            if pod.kind == "registry" and self.path.startswith("/eureka/apps"):
                body = json.dumps(eureka_apps(cluster)).encode()
                ctype = "application/json"
            else:
                body = f"hello from {pod.name} in cluster {cluster.name} (pod {pod.ip}); you came from {self.client_address[0]}\n".encode()
                ctype = "text/plain"
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _listen(
    ns: str | None, factory: Any, ready: threading.Barrier, errors: list[str], what: str
) -> None:
    try:
        if ns:
            netns.enter(ns)
        server = factory()
    except OSError as e:
        errors.append(f"{what}: {e}")
        ready.wait()
        return
    ready.wait()
    server.serve_forever()


def main(lab_dir: str, plan: str = "classic") -> int:
    listeners: list[tuple[str | None, Any, str]] = []
    for cluster in plan_named(plan).clusters:
        state = ClusterState(cluster)
        master_ip = cluster.master_ip
        listeners.append(
            (
                None,
                lambda s=state, c=cluster: serve(s, ("127.0.0.1", c.api_port)),
                f"API {cluster.name} on 127.0.0.1",
            )
        )
        listeners.append(
            (
                f"nu-{cluster.master}",
                lambda s=state, ip=master_ip: serve(s, (ip, 6443)),
                f"API {cluster.name} on {master_ip}:6443",
            )
        )
        for pod in cluster.pods:
            if pod.kind in ("app", "registry"):
                factory = lambda c=cluster, p=pod: LabHTTPServer((p.ip, p.port), pod_handler(c, p))  # noqa: E731
                listeners.append((pod.netns, factory, f"pod {pod.name}"))
    ready = threading.Barrier(len(listeners) + 1)
    errors: list[str] = []
    for ns, factory, what in listeners:
        threading.Thread(
            target=_listen, args=(ns, factory, ready, errors, what), daemon=True
        ).start()
    ready.wait()
    status = Path(lab_dir) / "daemon.status"
    # atomically: `lab up` polls for this file and must never read it half written
    tmp = status.with_suffix(".tmp")
    tmp.write_text("\n".join(errors) if errors else "ready\n")
    tmp.replace(status)
    if errors:
        return 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    # kube-proxy's canary (lab/canary.py): the lab's state is read once, `lab up` wrote it
    # before it started this daemon (a lab of another shape is a new daemon)
    lab = LabState.load(Path(lab_dir) / "state.json")
    nodes = canary.watched(plan, lab.firewall, lab.kube_proxy)
    while not stop.wait(1.0):
        if nodes and not (Path(lab_dir) / canary.REBOOTING).exists():
            canary.tick(nodes, lab.services)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
