"""Fuzz targets: every parser of outside data, each fed bytes a host or API could send.

A target returns normally or raises the one refusal its parser documents (ParseError,
ValueError, FrameError, EnvironmentProblem); anything else is a bug. The suite runs them
briefly with hypothesis (tests/test_fuzz.py); bench/fuzz.py mutates the seed corpus for
millions of inputs. Seeds are small real outputs (tests/fixtures, and the ones below).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from netui.model.frames import FrameError, frame, frames, read_frames

FIXTURES = Path(__file__).parent / "fixtures"


@dataclass(frozen=True)
class Target:
    name: str
    seeds: list[bytes]
    run: Callable[[bytes], None]
    examples: int = 100  # the suite's short run (the doctor-backed targets cost more each)


def _text(data: bytes) -> str:
    return data.decode(errors="replace")


# --- iptables-save --------------------------------------------------------------------------


def _iptables(data: bytes) -> None:
    from netui.model.iptables import ParseError, parse

    try:
        ruleset = parse(_text(data))
    except ParseError:
        return
    for table in (t for t in ruleset.items if not isinstance(t, str)):
        for chain in table.chains.values():
            for rule in chain.rules:  # the lazy part: each rule's spec is parsed here
                try:
                    rule.spec  # noqa: B018
                except ParseError:
                    pass
                rule.line  # noqa: B018
        table.render()


def _iptables_seeds() -> list[bytes]:
    out = [p.read_bytes()[:4000] for p in sorted((FIXTURES / "iptables").glob("*.txt"))]
    out.append(
        b'*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -s 10.1.3.0/24 -m comment --comment "\x1b]52;c;aGk=\x07" -j MASQUERADE\nCOMMIT\n'
    )
    return out


# --- ip -j route / addr ---------------------------------------------------------------------


def _ip_json(data: bytes) -> None:
    from netui.model.routes import RoutingTable, parse_addresses, parse_routes

    text = _text(data)
    for parse in (parse_routes, parse_addresses):
        try:
            parsed = parse(text)
        except ValueError:
            continue
        table = (
            RoutingTable(routes=parsed)  # type: ignore[arg-type]
            if parse is parse_routes
            else RoutingTable(interfaces=parsed)  # type: ignore[arg-type]
        )
        table.lookup("10.1.3.10")
        table.covering("10.200.0.0/16")
        table.local_ips()
        for r in table.routes:
            r.line  # noqa: B018


IP_SEEDS = [
    json.dumps(
        [
            {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0", "metric": 100},
            {"dst": "10.1.3.0/24", "dev": "eth1", "protocol": "kernel", "scope": "link"},
            {"type": "blackhole", "dst": "10.9.0.0/16"},
        ]
    ).encode(),
    json.dumps(
        [
            {
                "ifname": "eth0",
                "mtu": 1500,
                "operstate": "UP",
                "addr_info": [{"family": "inet", "local": "192.168.1.109", "prefixlen": 24}],
            }
        ]
    ).encode(),
]


# --- the snapshot stream (frames -> HostSnapshot -> the doctor) -----------------------------


def _snapshot(data: bytes) -> None:
    from netui.model.snapshot import parse_snapshot

    try:
        sections = read_frames(data)
    except FrameError:
        return
    snap = parse_snapshot("fuzz", sections)
    _diagnose(snap)


_ENV = """office: {cidrs: [10.1.3.0/24], router: fuzz}
hosts: {fuzz: local}
clusters:
  a: {pod_cidrs: [10.200.0.0/16], service_cidrs: [10.96.0.0/12], forwarder: fuzz}
"""


@functools.cache
def _env() -> Any:
    from netui.model.envfile import loads

    return loads(_ENV, "fuzz.yaml")


def _diagnose(snap: Any) -> None:
    """The doctor and the planner on one host's snapshot: they must not fail on what a host
    may print (a rule that does not parse, odd routes), only refuse."""
    from netui.doctor import diagnose
    from netui.doctor.context import build_input
    from netui.plan.model import PlanRefused
    from netui.plan.planner import make_plan

    env = _env()
    inp = build_input(env, {"fuzz": snap}, {})
    found = diagnose(inp)
    try:
        make_plan(inp, found)
    except PlanRefused:
        pass


def _snapshot_seeds() -> list[bytes]:
    saved = (FIXTURES / "iptables" / "docker.legacy.txt").read_text()
    full = frames(
        {
            "hostname": "fw\n",
            "ip_forward": "1\n",
            "iptables-version": "iptables v1.8.9 (legacy)\n",
            "tables": saved,
            "other-variant": "0\n",
            "routes": IP_SEEDS[0].decode(),
            "addresses": IP_SEEDS[1].decode(),
            "sysctl:/etc/sysctl.d/99-fwd.conf": "net.ipv4.ip_forward = 1\n",
            "file:/etc/dnsmasq.d/a.conf": "server=/cluster.local/10.96.0.10\n",
        }
    )
    # found by bench/fuzz.py: a counter that is no number crashed the doctor (int() in Rule.packets)
    bad_counter = frames(
        {
            "iptables-version": "iptables v1.8.9 (legacy)\n",
            "tables": "*filter\n:FORWARD DROP [0:0]\n[\xff:0] -A FORWARD -j ACCEPT\nCOMMIT\n",
        }
    )

    def legacy_host(tables: str) -> bytes:
        return frames(
            {
                "iptables-version": "iptables v1.8.9 (legacy)\n",
                "tables": tables,
                "routes": IP_SEEDS[0].decode(),
                "addresses": IP_SEEDS[1].decode(),
                "ip_forward": "1\n",
            }
        )

    # and a rule operand that is no network reached netaddr and walk._range (ValueError)
    bad_operand = legacy_host(saved.replace("-s 172.17.0.0/16", "-s 172.17.0.0/1,"))
    # and a source that is no address (a backslash for a dot) raised AddrFormatError, which is
    # no ValueError, in the doctor's masquerade check (bench/fuzz.py, 27,282nd input)
    bad_source = legacy_host(saved.replace("-s 172.17.0.2/32 -d", "-s 172\\17.0.2/32 -d"))
    return [full, bad_counter, bad_operand, bad_source, frame("x", "big", "big")]


# --- sysctl and dnsmasq files ---------------------------------------------------------------


def _sysctl(data: bytes) -> None:
    from netui.model.sysctl import SysctlFile, boot_value, ignored_settings, settings

    files = [SysctlFile("/etc/sysctl.d/50-x.conf", _text(data)), SysctlFile("/etc/x", "a=1")]
    settings(files)
    boot_value(files, "net.ipv4.ip_forward")
    ignored_settings(files, "net.ipv4.ip_forward")


SYSCTL_SEEDS = [
    b"net.ipv4.ip_forward = 1\n# c\n; c\n-net/ipv4/conf/all/rp_filter=2\n",
    b"kernel.pid_max=4194304\n\n",
]


def _dnsmasq(data: bytes) -> None:
    from netui.doctor.dns import config_lines
    from netui.model.snapshot import HostSnapshot

    text = _text(data)
    config_lines({"/etc/dnsmasq.d/a.conf": text, "/etc/dnsmasq.conf": text}, "/etc/dnsmasq.d")
    _diagnose(HostSnapshot("fuzz", files={"/etc/dnsmasq.d/a.conf": text}))


DNSMASQ_SEEDS = [
    b"server=/cluster.local/10.96.0.10\nlisten-address=127.0.0.1\n# netui\nserver=/b.local/127.0.0.1#5353\n",
    b"no-resolv\nserver=8.8.8.8\naddress=/x/1.2.3.4\n",
]


# --- Kubernetes objects and config maps -----------------------------------------------------


def _ns(value: Any) -> Any:
    """JSON as the client's model objects look to netui (attributes, not keys)."""
    if isinstance(value, dict):
        return SimpleNamespace(
            **{k: _ns(v) for k, v in value.items() if isinstance(k, str) and k.isidentifier()}
        )
    if isinstance(value, list):
        return [_ns(v) for v in value]
    return value


def _kube(data: bytes) -> None:
    from netui.discovery.kube import _nodes, _sourced

    try:
        objects = json.loads(_text(data))
    except ValueError:
        return
    items = objects if isinstance(objects, list) else [objects]
    warnings: list[str] = []
    _nodes([_ns(i) for i in items], "a-master", warnings)
    _sourced([str(i) for i in items], "fuzz", warnings)


def _node(name: str, cidr: Any, ip: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "labels": {"node-role.kubernetes.io/control-plane": ""}},
        "spec": {"pod_cidrs": [cidr], "pod_cidr": cidr, "taints": None},
        "status": {
            "addresses": [{"type": "InternalIP", "address": ip}],
            "conditions": [{"type": "Ready", "status": "True"}],
            "node_info": {"kubelet_version": "v1.30.0"},
        },
    }


KUBE_SEEDS = [
    json.dumps([_node("a-master", "10.200.0.0/24", "192.168.1.109")]).encode(),
    json.dumps([_node("b", "10.0.0.0/33", "fd00::1"), {"metadata": {"name": "c"}}]).encode(),
]


def _config_map(data: bytes) -> None:
    from netui.discovery.kube import _config_yaml

    warnings: list[str] = []
    cm = SimpleNamespace(data={"ClusterConfiguration": _text(data)})
    _config_yaml(cm, "ClusterConfiguration", "config map kubeadm-config", warnings)


CONFIG_SEEDS = [
    b"networking:\n  podSubnet: 10.200.0.0/16\n  serviceSubnet: 10.96.0.0/12\n",
    b'a: &a ["x","x"]\nb: &b [*a,*a]\nnetworking: {podSubnet: *b}\n',
    b"networking: !!python/object:os.system {}\n",
]


# --- the environment file -------------------------------------------------------------------


def _envfile(data: bytes) -> None:
    from netui.model.envfile import EnvironmentProblem, loads

    try:
        loads(_text(data), "fuzz.yaml")
    except EnvironmentProblem:
        pass


ENV_SEEDS = [
    _ENV.encode(),
    b"office: {cidrs: [10.1.3.0/24]}\nhosts: {me: local, r: 'ssh://root@10.0.0.1:22'}\n"
    b"clusters: {a: {pod_cidrs: [10.200.0.0/16], dns: {ip: 10.96.0.10}}}\n",
]


def targets() -> list[Target]:
    return [
        Target("iptables-save", _iptables_seeds(), _iptables),
        Target("ip-json", IP_SEEDS, _ip_json),
        Target("snapshot", _snapshot_seeds(), _snapshot, 30),
        Target("sysctl", SYSCTL_SEEDS, _sysctl),
        Target("dnsmasq", DNSMASQ_SEEDS, _dnsmasq, 30),
        Target("kube-objects", KUBE_SEEDS, _kube),
        Target("kube-config-map", CONFIG_SEEDS, _config_map),
        Target("environment-file", ENV_SEEDS, _envfile, 60),
    ]
