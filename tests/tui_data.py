"""A fixed world for TUI tests that need no root and no network: an environment, one snapshot
per host (real iptables-save and `ip -j` texts), an inventory, and a poller that hands the
snapshots over once instead of reaching any host. Snapshot tests need exactly this: the same
screen every run."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from netui.backends.base import Backend, CommandResult, Stream
from netui.discovery.model import ClusterInventory, NodeInfo, ServiceInfo, ServicePort, Sourced
from netui.model.envfile import Environment, loads
from netui.model.iptables import parse
from netui.model.routes import RoutingTable, parse_addresses, parse_routes
from netui.model.snapshot import HostSnapshot, unreachable
from netui.model.sysctl import SysctlFile

from .conftest import FIXTURES

ENV_TEXT = """\
office:
  cidrs: [10.1.3.0/24]
  router: router
  probe_from: office-pc
hosts:
  router: netns://fixed-router
  a-master: netns://fixed-a-master
  b-master: netns://fixed-b-master
  office-pc: netns://fixed-office-pc
clusters:
  a:
    pod_cidrs: [10.200.0.0/16]
    service_cidrs: [10.96.0.0/12]
    dns_ip: 10.96.0.10
    forwarder: a-master
  b:
    pod_cidrs: [10.42.0.0/16]
    service_cidrs: [10.43.0.0/16]
    dns_ip: 10.43.0.10
    domain: b.local
    forwarder: b-master
"""


DNS_TEXT = """\
dns:
  host: a-master
  listen: 192.168.1.109
  conf_dir: /etc/dnsmasq.d
  reload: systemctl restart dnsmasq
"""


def environment(dns: bool = False) -> Environment:
    return loads(ENV_TEXT + (DNS_TEXT if dns else ""), "fixed.yaml")


def _routes(*routes: dict[str, Any], addrs: list[dict[str, Any]]) -> RoutingTable:
    return RoutingTable(parse_routes(json.dumps(list(routes))), parse_addresses(json.dumps(addrs)))


def _iface(name: str, cidr: str) -> dict[str, Any]:
    ip, _, plen = cidr.partition("/")
    return {
        "ifname": name,
        "mtu": 1500,
        "operstate": "UP",
        "addr_info": [{"family": "inet", "local": ip, "prefixlen": int(plen)}],
    }


def snapshots(taken_at: float | None = None) -> dict[str, HostSnapshot]:
    now = time.time() if taken_at is None else taken_at
    nat_a = parse((FIXTURES / "iptables" / "kube-proxy.nft.txt").read_text()).table("nat")
    nat_b = parse((FIXTURES / "iptables" / "flannel.nft.txt").read_text()).table("nat")
    router = HostSnapshot(
        "router",
        taken_at=now,
        hostname="router",
        variant="nft",
        iptables_version="iptables v1.8.9 (nf_tables)",
        ip_forward=1,
        sysctl_files=[SysctlFile("/etc/sysctl.d/99-router.conf", "net.ipv4.ip_forward = 1")],
        routes=_routes(
            {"dst": "10.1.3.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link"},
            {"dst": "192.168.1.0/24", "dev": "eth1", "protocol": "kernel", "scope": "link"},
            {"dst": "10.200.0.0/16", "gateway": "192.168.1.109", "dev": "eth1"},
            {"dst": "10.96.0.0/12", "gateway": "192.168.1.109", "dev": "eth1"},
            addrs=[_iface("eth0", "10.1.3.1/24"), _iface("eth1", "192.168.1.1/24")],
        ),
    )
    a_master = HostSnapshot(
        "a-master",
        taken_at=now,
        hostname="a-master",
        variant="nft",
        iptables_version="iptables v1.8.9 (nf_tables)",
        ip_forward=1,
        sysctl_files=[SysctlFile("/etc/sysctl.d/ip-forward", "net.ipv4.ip_forward=1")],
        nat=nat_a,
        routes=_routes(
            {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"},
            {"dst": "192.168.1.0/24", "dev": "eth0", "protocol": "kernel", "scope": "link"},
            {"dst": "10.200.1.0/24", "gateway": "192.168.1.110", "dev": "eth0"},
            addrs=[_iface("eth0", "192.168.1.109/24")],
        ),
    )
    b_master = HostSnapshot(
        "b-master",
        taken_at=now,
        hostname="b-master",
        variant="nft",
        iptables_version="iptables v1.8.9 (nf_tables)",
        ip_forward=0,
        nat=nat_b,
        routes=_routes(
            {"dst": "default", "gateway": "192.168.1.254", "dev": "eth0"},
            addrs=[_iface("eth0", "192.168.1.243/24")],
        ),
    )
    office = unreachable("office-pc", "connection refused (netns fixed-office-pc is gone)")
    office.taken_at = now
    return {s.host: s for s in (router, a_master, b_master, office)}


def inventory(env: Environment) -> dict[str, ClusterInventory]:
    a = ClusterInventory(
        "a",
        "lab-a",
        "cluster.local",
        "a-master",
        pod_cidrs=[Sourced("10.200.0.0/16", "kubeadm-config")],
        service_cidrs=[Sourced("10.96.0.0/12", "kubeadm-config")],
        dns_ip=Sourced("10.96.0.10", "kube-dns Service"),
        nodes=[
            NodeInfo(
                "a-master",
                ("control-plane",),
                "192.168.1.109",
                ("10.200.0.0/24",),
                ("node-role.kubernetes.io/control-plane:NoSchedule",),
                True,
                forwarder=True,
            ),
            NodeInfo("a-worker", ("worker",), "192.168.1.110", ("10.200.1.0/24",), (), True),
        ],
        disagreements=["pods: node podCIDRs say 10.200.0.0/23, using 10.200.0.0/16"],
        services=[
            ServiceInfo(
                "app",
                "default",
                "10.96.0.30",
                (ServicePort(80, "TCP", "http"),),
                (("10.200.1.3", 8080, "TCP"),),
            ),
            ServiceInfo(
                "kube-dns",
                "kube-system",
                "10.96.0.10",
                (ServicePort(53, "UDP", "dns"), ServicePort(53, "TCP", "dns-tcp")),
                (("10.200.1.4", 53, "TCP"),),
            ),
        ],
    )
    b = ClusterInventory(
        "b",
        "lab-b",
        "b.local",
        "b-master",
        pod_cidrs=[Sourced("10.42.0.0/16", "environment file")],
        service_cidrs=[Sourced("10.43.0.0/16", "environment file")],
        dns_ip=Sourced("10.43.0.10", "environment file"),
        nodes=[
            NodeInfo("b-master", ("control-plane",), "192.168.1.243", ("10.42.0.0/24",), (), True),
            NodeInfo("b-worker", ("worker",), "192.168.1.244", ("10.42.1.0/24",), (), False),
        ],
    )
    return {"a": a, "b": b}


# The fixed world's hosts answered "just now" for as long as a test runs: however long a loaded
# machine takes to reach a test's assertions, no host turns stale (at a load of 30 on two cores,
# until_ready alone took over 10 s and the overview said '◌ stale' for the router).
FRESH_FOR = 3600.0


class FixedPoller:
    """Stands in for HostPoller: delivers the fixed snapshots once, on start and on refresh."""

    def __init__(self, env: Environment, on_snapshot: Callable[[HostSnapshot], None]) -> None:
        self.on_snapshot = on_snapshot
        self.refreshed = 0

    def start(self) -> None:
        for snap in snapshots(time.time() + FRESH_FOR).values():
            self.on_snapshot(snap)

    def refresh(self, name: str | None = None) -> None:
        self.refreshed += 1

    def watch(self, owner: object, host: str, chains: Any) -> None:
        self.watched = (host, chains)

    def unwatch(self, owner: object) -> None:
        pass

    def stop(self) -> None:
        pass


def gather(env: Environment) -> Any:
    """The doctor's input from the fixed world (what `netui doctor` would gather)."""
    from netui.doctor.context import build_input

    return build_input(env, snapshots(), inventory(env))


def fixed_app(dns: bool = False, **kwargs: Any) -> Any:
    from netui.app import NetuiApp

    env = environment(dns)
    app = NetuiApp(
        env,
        poller_factory=FixedPoller,
        discover=inventory,
        gather=gather,
        hosts=FixedHosts(env),
        **kwargs,
    )
    # every notice the app gave, also those whose toast has gone (a loaded machine can take
    # longer than a toast's seconds to get to a test's assertion)
    app.said = []
    notify = app.notify

    def notify_and_keep(message: Any, *args: Any, **kw: Any) -> None:
        app.said.append(str(message))
        notify(message, *args, **kw)

    app.notify = notify_and_keep  # type: ignore[method-assign]
    return app


async def until_ready(pilot: Any) -> None:
    """Wait until the overview shows the fixed snapshots, the inventory and the doctor's counts."""
    overview = pilot.app.screen_stack[0]

    def ready() -> bool:
        return (
            len(getattr(overview, "shown", ())) == 4
            and overview.inventory_shown
            and overview.doctor_shown
        )

    await wait_until(pilot, ready)
    if not ready():
        raise AssertionError("the fixed snapshots (or the doctor's counts) never arrived")
    await pilot.pause()


async def wait_until(
    pilot: Any, predicate: Callable[[], object], seconds: float = 4.0, step: float = 0.02
) -> bool:
    """Let the app run until `predicate()` holds or `seconds` pass; whether it held. The one way
    a screen test waits: for what it acts on next (a dialog mounted, a worker done, a row shown),
    never for a fixed time. A caller that must not go on without it says so:
    `assert await wait_until(pilot, ...), what_was_seen()`."""
    await pilot.pause()  # what was just pressed or pushed is handled before the first look
    for _ in range(round(seconds / step)):
        if predicate():
            return True
        await pilot.pause(step)
    return bool(predicate())


def showing(app: Any, kind: type, selector: str = "Button") -> bool:
    """The app's top screen is a `kind` with `selector` mounted: a dialog that can be pressed
    (pushing a screen makes it app.screen before its buttons exist)."""
    screen = app.screen
    return isinstance(screen, kind) and screen.is_mounted and bool(screen.query(selector))


def palette_offers(app: Any, command: str) -> bool:
    """The `:` palette's search answered and its highlighted command is `command` (what Enter
    runs)."""
    from textual.command import CommandList

    found = app.screen.query(CommandList)
    if not found or found.first().highlighted is None:
        return False
    options = found.first()
    hit = getattr(options.get_option_at_index(options.highlighted), "hit", None)
    return hit is not None and hit.text == command


def workers_done(app: Any, lasting: tuple[str, ...] = ()) -> bool:
    """No worker of the app or its screens is pending or running (but those of the `lasting`
    groups, which run as long as their screen, e.g. the cockpit's "migrate-probe")."""
    return all(w.is_finished or w.group in lasting for w in app.workers)


async def open_host(pilot: Any, name: str, key: str) -> None:
    """Put the hosts table's cursor on `name` and press `key` (enter: nat, i: host screen)."""
    from textual.widgets import DataTable

    hosts = pilot.app.screen.query_one("#hosts", DataTable)
    hosts.focus()
    hosts.move_cursor(row=list(pilot.app.env.hosts).index(name))
    await pilot.press(key)
    await pilot.pause()


# --- the fixed world's hosts: what they answer to the commands the verify screens run -------

NAMES = {
    "app.default.svc.cluster.local": "10.96.0.30",
    "kube-dns.kube-system.svc.cluster.local": "10.96.0.10",
}
# Every address the office reaches in the fixed world; the rest does not answer.
REACHABLE = {"10.200.1.3", "10.200.1.4", "10.96.0.30", "10.96.0.10"}
HOPS = ["10.1.3.1", "192.168.1.109", "192.168.1.110"]


class _Lines(Stream):
    def __init__(self, lines: list[str]) -> None:
        self._lines = lines

    def lines(self) -> Any:
        yield from self._lines

    def cancel(self) -> None:
        pass


class FixedBackend(Backend):
    """Canned answers to dig, the probe script and traceroute: the same screen every run."""

    def __init__(self, host: str) -> None:
        self.host = host
        self.address = f"fixed://{host}"

    def run(self, argv: Any, *, stdin: bytes | None = None, timeout: float = 30.0) -> CommandResult:
        a = list(argv)
        out = ""
        if a[:2] == ["bash", "-s"]:  # the probe matrix: id kind target port/server expect
            rows = []
            args = a[4:]
            for j in range(0, len(args), 5):
                i, kind, target = args[j : j + 3]
                if kind == "tcp":
                    rows.append(f"R {i} {0 if target in REACHABLE else 1} 3 ")
                else:
                    answer = NAMES.get(target, "")
                    rows.append(f"R {i} {0 if answer else 3} 7 {answer}")
            out = "\n".join(rows) + "\n"
        elif a[:1] == ["dig"]:
            name, server = a[-2], a[3].lstrip("@")
            answer = NAMES.get(name)
            if name.startswith("kube-dns.kube-system.svc.") and server in (
                "10.96.0.10",
                "10.43.0.10",
            ):
                answer = server
            out = f";; SERVER: {server}#53({server})\n" + (
                f"{name}.\t30\tIN\tA\t{answer}\n"
                if answer
                else ";; ->>HEADER<<- status: NXDOMAIN,\n"
            )
        elif a[:2] == ["sh", "-c"] and "traceroute" in a[2]:
            out = "traceroute\ntracepath\n"
        else:
            return CommandResult(tuple(a), 1, b"", b"the fixed world does not run this")
        return CommandResult(tuple(a), 0, out.encode(), b"")

    def stream(self, argv: Any) -> Stream:
        target = list(argv)[-1]
        hops = [*HOPS, target] if target in REACHABLE else [*HOPS[:2], None, None, None]
        return _Lines(
            [
                f"{n:2d}  {ip}  {0.05 * n:.3f} ms" if ip else f"{n:2d}  *"
                for n, ip in enumerate(hops, 1)
            ]
        )


class FixedHosts:
    def __init__(self, env: Environment) -> None:
        self.env = env

    def __getitem__(self, name: str) -> Backend:
        self.env.host(name)
        return FixedBackend(name)

    def close(self) -> None:
        pass
