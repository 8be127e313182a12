"""The reachability matrix: from the office host to each cluster's Pods, Services and DNS names.

All probes run in parallel inside ONE script on the office host (one round trip), each with its
own timeout. Targets travel as arguments, never as script text: Service names come from the
Kubernetes API and are data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from netui.backends.base import Backend, HostError
from netui.discovery.model import ClusterInventory
from netui.model.envfile import Environment
from netui.model.networks import ip_in

# bash for /dev/tcp; dig for DNS. Arguments come in groups of five: id kind target port/server expect.
PROBE_SCRIPT = r"""
T="$1"; shift
now() { echo "${EPOCHREALTIME/[.,]/}"; }  # microseconds, no fork (bash 5)
probe() {
  s=$(now)
  if [ "$2" = tcp ]; then
    # bash's own /dev/tcp in a subshell: no exec; the watchdog below bounds it
    # no stdout for the connect: a connect the watchdog leaves behind must not hold the
    # script's output open (the caller would wait for its end long after the watchdog)
    if (exec 3<>"/dev/tcp/$3/$4") >/dev/null 2>&1; then rc=0; else rc=1; fi; out=""
  else
    out=$(dig +short +time=1 +tries=1 "@$4" "$3" 2>/dev/null | grep -v '^;' | head -n 1); rc=$?
    [ "$rc" = 0 ] && [ -z "$out" ] && rc=3
  fi
  e=$(now)
  echo "R $1 $rc $(( (e - s) / 1000 )) $out"
}
pids=""
while [ $# -ge 5 ]; do
  probe "$1" "$2" "$3" "$4" &
  pids="$pids $!"
  shift 5
done
# One watchdog for all: a probe still running after T seconds has timed out (no R line).
# Its output goes nowhere: an inherited stdout would keep the caller waiting for the sleep.
( sleep "$T"; kill $pids 2>/dev/null ) >/dev/null 2>&1 &
watchdog=$!
wait $pids 2>/dev/null
kill "$watchdog" 2>/dev/null
"""


@dataclass(frozen=True)
class Target:
    cluster: str
    kind: str  # "pod", "service", "dns", "registry"
    label: str  # what it is: "default/eureka", "Pod 10.200.1.2"
    address: str  # ip, or the DNS name for kind dns
    port: int | None = None  # tcp port; for dns the server's address goes in `server`
    server: str | None = None
    expect: str | None = None  # for dns: the address the name must resolve to
    # for dns: (cluster, address) the same name has in other clusters that share the domain
    elsewhere: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Result:
    target: Target
    ok: bool | None  # None: not this cluster's to answer (a domain two clusters share)
    ms: int | None
    detail: str = ""

    @property
    def mark(self) -> str:
        return {True: "✓", False: "✗", None: "–"}[self.ok]


def tally(results: list[Result]) -> str:
    """The count both faces print: reachable, answered by another cluster, failed."""
    ok = sum(r.ok is True for r in results)
    elsewhere = sum(r.ok is None for r in results)
    failed = sum(r.ok is False for r in results)
    text = f"{ok} of {len(results)} reachable"
    if elsewhere:
        text += f", {elsewhere} answered by another cluster (a shared domain)"
    if failed:
        text += f", {failed} failed"
    return text


def targets(
    env: Environment,
    inventory: dict[str, ClusterInventory],
    only: str | None = None,
    per_kind: int = 5,
    cluster_dns: bool = False,
) -> list[Target]:
    """What to probe per cluster: Pod endpoints (TCP), Service IPs (TCP) and Service names
    (through the environment's DNS host, else — or with `cluster_dns`, as a node of another
    cluster would — straight at the cluster DNS). A cluster whose API could not be asked is
    probed on what the environment file knows: its DNS Service on port 53."""
    out: list[Target] = []
    for name, inv in inventory.items():
        if only and name != only:
            continue
        pods: list[Target] = []
        services: list[Target] = []
        names: list[Target] = []
        cluster_dns_ip = inv.dns_ip.value if inv.dns_ip else env.clusters[name].dns_ip
        server = (
            env.dns.listen if env.dns and env.dns.listen and not cluster_dns else cluster_dns_ip
        )
        if not inv.services and cluster_dns_ip:
            services.append(
                Target(
                    name, "service", "cluster DNS (from the environment file)", cluster_dns_ip, 53
                )
            )
        for s in inv.services:
            tcp_ports = [p for p in s.ports if p.protocol.upper() == "TCP"]
            for ip, port, proto in s.endpoints:
                if proto.upper() == "TCP" and any(ip_in(ip, c) for c in inv.pod_cidr_values):
                    t = Target(name, "pod", f"Pod of {s.namespace}/{s.name}", ip, port)
                    if all((p.address, p.port) != (ip, port) for p in pods):
                        pods.append(t)
            if s.cluster_ip and tcp_ports and s.name != "kubernetes":
                services.append(
                    Target(
                        name, "service", f"{s.namespace}/{s.name}", s.cluster_ip, tcp_ports[0].port
                    )
                )
            if s.cluster_ip and server and s.name != "kubernetes":
                fqdn = f"{s.name}.{s.namespace}.svc.{inv.domain}"
                elsewhere = tuple(
                    (other.name, o.cluster_ip)
                    for other in inventory.values()
                    if other.name != name and other.domain == inv.domain
                    for o in other.services
                    if (o.name, o.namespace) == (s.name, s.namespace) and o.cluster_ip
                )
                names.append(Target(name, "dns", fqdn, fqdn, None, server, s.cluster_ip, elsewhere))
        out += pods[:per_kind] + services[:per_kind] + names[:per_kind]
    return out


def run_probes(backend: Backend, items: list[Target], timeout: float = 2.0) -> list[Result]:
    if not items:
        return []
    args: list[str] = []
    for i, t in enumerate(items):
        if t.kind == "dns":
            args += [str(i), "dns", t.address, t.server or "", t.expect or "-"]
        else:
            args += [str(i), "tcp", t.address, str(t.port), "-"]
    try:
        result = backend.run(
            ["bash", "-s", "--", f"{timeout:g}", *args],
            stdin=PROBE_SCRIPT.encode(),
            timeout=timeout + 10,
        )
    except HostError as e:
        return [Result(t, False, None, e.message) for t in items]
    seen: dict[int, Result] = {}
    for line in result.text.splitlines():
        parts = line.split(" ")
        if len(parts) < 4 or parts[0] != "R" or not parts[1].isdigit():
            continue
        i, rc, ms = int(parts[1]), int(parts[2]), int(parts[3])
        answer = parts[4] if len(parts) > 4 else ""
        t = items[i]
        if t.kind == "dns":
            other = next((c for c, ip in t.elsewhere if ip == answer), None)
            ok: bool | None = rc == 0 and answer == t.expect
            detail = (
                f"-> {answer}"
                if answer
                else ("no answer" if rc in (3, 124, 9) else f"dig failed ({rc})")
            )
            if other is not None:
                ok = None
                detail = f"-> {answer}: answered by cluster {other}, which shares the domain (netui dns switch)"
            elif answer and answer != t.expect:
                detail += f" (expected {t.expect})"
        else:
            ok = rc == 0
            detail = "connected" if ok else "refused or unreachable"
        seen[i] = Result(t, ok, ms, detail)
    return [
        seen.get(i, Result(t, False, int(timeout * 1000), f"no answer within {timeout:g} s"))
        for i, t in enumerate(items)
    ]


FETCH_SCRIPT = r"""
if command -v python3 >/dev/null 2>&1; then
  exec python3 -c '
import sys, urllib.request
try:
    sys.stdout.write(urllib.request.urlopen(sys.argv[1], timeout=float(sys.argv[2])).read().decode())
except Exception as e:
    sys.exit(type(e).__name__ + ": " + str(getattr(e, "reason", None) or e))
' "$1" "$2"
elif command -v curl >/dev/null 2>&1; then
  exec curl -fsS --max-time "$2" "$1"
else
  exec wget -q -T "$2" -O - "$1"
fi
"""


def registry_instances(
    backend: Backend, url: str, timeout: float = 3.0
) -> list[tuple[str, str, int]]:
    """(app, ip, port) of every instance a Eureka-style registry hands out, fetched *from* the
    office host (the place whose view matters)."""
    result = backend.run(
        ["sh", "-s", "--", url, f"{timeout:g}"], stdin=FETCH_SCRIPT.encode(), timeout=timeout + 5
    )
    if not result.ok:
        # one line, whatever the fetcher printed (a traceback's last line says what failed)
        lines = [line.strip() for line in result.error_text.splitlines() if line.strip()]
        raise HostError(
            backend.host, f"cannot fetch {url}: {lines[-1][:200] if lines else 'no answer'}"
        )
    try:
        data = json.loads(result.text)
    except ValueError:
        raise HostError(
            backend.host, f"{url} did not answer JSON (is it Eureka's /eureka/apps?)"
        ) from None
    apps = (data.get("applications") or {}).get("application") or []
    if isinstance(apps, dict):
        apps = [apps]
    out = []
    for app in apps:
        instances = app.get("instance") or []
        if isinstance(instances, dict):
            instances = [instances]
        for inst in instances:
            port = inst.get("port", {})
            port_no = int(port.get("$", 0)) if isinstance(port, dict) else int(port or 0)
            out.append((str(app.get("name", "?")), str(inst.get("ipAddr", "")), port_no))
    return out
