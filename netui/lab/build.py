"""`netui lab up/down/status`: build the topology of topology.py in network namespaces.

Safety: every command that touches a lab address runs inside a lab namespace (`ip netns exec`,
`ip -n`); the root namespace only ever gets the simulated APIs on 127.0.0.1. Everything made
is recorded in the lab's state file before it is made, so `down` can remove it also after a
half-finished `up`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from netui.errors import UserError
from netui.lab import firewalls, kubeproxy
from netui.lab.topology import (
    LAN_BRIDGE_NS,
    LAN_CIDR,
    OFFICE_CIDR,
    PASSWORD_SUDO_USER,
    PREFIX,
    ROUTER_LAN_IP,
    ROUTER_OFFICE_IP,
    SUDO_HOST,
    SUDO_USER,
    LabFiles,
    LabHost,
    LabPlan,
    Planted,
    plan_named,
    with_extra_hosts,
)
from netui.model.netconfig import networkd_file
from netui.paths import lab_home

REQUIRED_TOOLS = (
    "ip",
    "iptables",
    "iptables-legacy",
    "iptables-restore",
    "sshd",
    "ssh-keygen",
    "dnsmasq",
    "sudo",
    "sysctl",
)


# /etc directories every lab host has its own copy of (see _etc)
HOST_ETC_DIRS = ("/etc/dnsmasq.d", "/etc/netui", "/etc/systemd")


def _run(
    argv: list[str], *, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(argv, input=input, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise UserError(f"lab: `{' '.join(argv)[:200]}` failed: {proc.stderr.strip()[:400]}")
    return proc


def _in(
    ns: str, *argv: str, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return _run(["ip", "netns", "exec", ns, *argv], input=input, check=check)


@dataclass
class LabState:
    """What `up` made, written before each thing is made."""

    path: Path
    namespaces: list[str] = field(default_factory=list)
    pids: dict[str, int] = field(default_factory=dict)  # what -> pid
    pidfiles: dict[str, str] = field(default_factory=dict)  # what -> pid file, re-read (restarts)
    etc_dirs: list[str] = field(default_factory=list)  # /etc/netns/<ns> we created
    created_paths: list[str] = field(default_factory=list)  # e.g. /etc/dnsmasq.d if it was missing
    broken: bool = False
    services: int = 0
    plan: str = "classic"
    extra_hosts: int = 0
    firewall: str = ""  # lab/firewalls.py: firewalld, ufw, nftables on the forwarders
    kube_proxy: str = "iptables"  # cluster A's kube-proxy mode
    ready: bool = False
    started: float = 0.0

    def save(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        data = {k: v for k, v in self.__dict__.items() if k != "path"}
        tmp.write_text(json.dumps(data, indent=1))
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, path: Path) -> LabState:
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return cls(path)
        return cls(path, **{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


def _require_root_and_tools() -> None:
    if os.geteuid() != 0:
        raise UserError("lab: needs root (it creates network namespaces); run it with sudo")
    missing = [
        t for t in REQUIRED_TOOLS if shutil.which(t) is None and not Path(f"/usr/sbin/{t}").exists()
    ]
    if missing:
        raise UserError(
            f"lab: missing tools: {', '.join(missing)}; run `bash scripts/setup` (Debian packages iptables, iproute2, openssh-server, dnsmasq-base, sudo)"
        )


def existing_namespaces() -> list[str]:
    out = _run(["ip", "netns", "list"], check=False).stdout
    return [line.split()[0] for line in out.splitlines() if line.startswith(PREFIX)]


def _current_pid(state: LabState, what: str) -> int:
    """The pid of a lab process; for those that restart themselves, from their pid file."""
    path = state.pidfiles.get(what)
    if path:
        try:
            return int(Path(path).read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return state.pids[what]


def _pid_alive(pid: int, needle: str) -> bool:
    try:
        cmdline = (
            Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        )
    except OSError:
        return False
    return needle in cmdline


# --- building blocks -------------------------------------------------------------------------


def _add_ns(state: LabState, ns: str) -> None:
    state.namespaces.append(ns)
    state.save()
    _run(["ip", "netns", "add", ns])
    _run(["ip", "-n", ns, "link", "set", "lo", "up"])
    # Defaults a namespace may inherit from the machine; the lab wants them known.
    _in(
        ns,
        "sysctl",
        "-qw",
        "net.ipv4.ip_forward=0",
        "net.ipv4.conf.all.rp_filter=0",
        "net.ipv4.conf.default.rp_filter=0",
        # No ICMP rate limit: a trace right after a probe burst would otherwise miss hops
        # (real routers do rate-limit; netui's explanation says so).
        "net.ipv4.icmp_ratelimit=0",
        # ... and the global token bucket (50 messages) that a few quick traces empty.
        "net.ipv4.icmp_msgs_per_sec=100000",
        "net.ipv4.icmp_msgs_burst=10000",
    )


def _veth(ns: str, ifname: str, peer_ns: str, peer: str, bridge: str | None) -> None:
    _run(
        [
            "ip",
            "link",
            "add",
            ifname,
            "netns",
            ns,
            "type",
            "veth",
            "peer",
            "name",
            peer,
            "netns",
            peer_ns,
        ]
    )
    _run(["ip", "-n", ns, "link", "set", ifname, "up"])
    if bridge:
        _run(["ip", "-n", peer_ns, "link", "set", peer, "master", bridge])
    _run(["ip", "-n", peer_ns, "link", "set", peer, "up"])


def _etc(state: LabState, host: LabHost) -> None:
    """Per-host /etc: sysctl.d, sysctl.conf, dnsmasq.d; legacy iptables through alternatives;
    the sudo users on one host."""
    etc = Path("/etc/netns") / host.netns
    state.etc_dirs.append(str(etc))
    state.save()
    (etc / "sysctl.d").mkdir(parents=True, exist_ok=True)
    (etc / "dnsmasq.d").mkdir(exist_ok=True)
    (etc / "sysctl.conf").write_text("# lab host " + host.name + ": see sysctl.d/\n")
    (etc / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    # what the host boots with (netui lab reboot): its systemd units, netui's own directory,
    # its network configuration (systemd-networkd's files) and forwarding where it routes
    (etc / "netui").mkdir(exist_ok=True)
    for wants in ("multi-user.target.wants", "timers.target.wants"):
        (etc / "systemd" / "system" / wants).mkdir(parents=True, exist_ok=True)
    network = etc / "systemd" / "network"
    network.mkdir(exist_ok=True)
    for ifname, address, gateway, routes in _interfaces(host):
        (network / f"10-{ifname}.network").write_text(
            networkd_file(ifname, address, gateway, routes)
        )
    if host.forwarding:
        (etc / "sysctl.d" / "10-lab-forwarding.conf").write_text(
            f"# lab host {host.name} routes: forwarding on at every boot\nnet.ipv4.ip_forward = 1\n"
        )
    if host.variant == "legacy":
        alt = etc / "alternatives"
        shutil.copytree("/etc/alternatives", alt, symlinks=True, dirs_exist_ok=True)
        for name in ("iptables", "iptables-save", "iptables-restore"):
            target = "/usr/sbin/iptables-legacy" + name[len("iptables") :]
            (alt / name).unlink(missing_ok=True)
            (alt / name).symlink_to(target)
    if host.name == SUDO_HOST:
        _sudo_users(etc)


def _interfaces(host: LabHost) -> list[tuple[str, str, str | None, list[tuple[str, str]]]]:
    """(interface, address, default gateway, routes) of a host, as its network files hold them."""
    if host.name == "router":
        return [
            ("eth0", f"{ROUTER_OFFICE_IP}/24", None, []),
            ("eth1", f"{ROUTER_LAN_IP}/24", None, []),
        ]
    return [("eth0", f"{host.ip}/24", host.gateway, list(host.extra_routes))]


def _sudo_users(etc: Path) -> None:
    """`ops` (NOPASSWD sudo) and `audit` (sudo with a password) exist only inside this host:
    passwd/group/shadow/sudoers.d are bind-mounted by `ip netns exec`. No real hash is copied."""
    passwd = Path("/etc/passwd").read_text()
    group = Path("/etc/group").read_text()
    users = [(SUDO_USER, 4801), (PASSWORD_SUDO_USER, 4802)]
    for name, uid in users:
        passwd += f"{name}:x:{uid}:{uid}:netui lab:/tmp:/bin/sh\n"
        group += f"{name}:x:{uid}:\n"
    (etc / "passwd").write_text(passwd)
    (etc / "group").write_text(group)
    shadow = "".join(
        f"{line.split(':')[0]}:*:19000:0:99999:7:::\n" for line in passwd.splitlines() if line
    )
    (etc / "shadow").write_text(shadow)
    os.chmod(etc / "shadow", 0o640)
    sudoers = etc / "sudoers.d"
    sudoers.mkdir(exist_ok=True)
    (sudoers / "netui-lab").write_text(
        f"{SUDO_USER} ALL=(ALL) NOPASSWD: ALL\n{PASSWORD_SUDO_USER} ALL=(ALL) ALL\n"
    )
    os.chmod(sudoers / "netui-lab", 0o440)


def _spawn(state: LabState, what: str, argv: list[str], pidfile: Path | None = None) -> None:
    """Start a daemon detached from us (own session); record its pid."""
    if pidfile is None:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        state.pids[what] = proc.pid
        state.save()
        return
    _run(argv)
    state.pidfiles[what] = str(pidfile)
    for _ in range(500):  # 10 s: a loaded 2-core CI machine is slow to start daemons
        if pidfile.exists() and pidfile.read_text().strip():
            state.pids[what] = int(pidfile.read_text().split()[0])
            state.save()
            return
        time.sleep(0.02)
    raise UserError(f"lab: {what} did not write its pid file {pidfile}")


# --- up ----------------------------------------------------------------------------------------


def up(
    broken: bool = False,
    services: int = 0,
    home: Path | None = None,
    plan: str = "classic",
    extra_hosts: int = 0,
    firewall: str = "",
    kube_proxy: str = "iptables",
) -> LabFiles:
    try:
        lab_plan = with_extra_hosts(plan_named(plan), extra_hosts)
    except ValueError as e:
        raise UserError(f"lab: {e}") from None
    _require_root_and_tools()
    home = home or lab_home()
    files = LabFiles(str(home))
    state = LabState.load(home / "state.json")
    if (
        state.ready
        and status(home).healthy
        and state.broken == broken
        and state.services == services
        and state.plan == plan
        and state.extra_hosts == extra_hosts
        and state.firewall == firewall
        and state.kube_proxy == kube_proxy
    ):
        return files
    if state.namespaces or existing_namespaces() or state.pids:
        down(home)
    home.mkdir(parents=True, exist_ok=True)
    os.chmod(home, 0o755)  # sshd reads authorized_keys as the login user (ops)
    state = LabState(
        home / "state.json",
        broken=broken,
        services=services,
        plan=plan,
        extra_hosts=extra_hosts,
        firewall=firewall,
        kube_proxy=kube_proxy,
        started=time.time(),
    )
    state.save()
    try:
        _build(state, home, files, broken, services, lab_plan)
    except BaseException:
        down(home)
        raise
    state.ready = True
    state.save()
    return files


def _build(
    state: LabState, home: Path, files: LabFiles, broken: bool, services: int, plan: LabPlan
) -> None:
    # ip netns exec binds /etc/netns/<ns>/X over /etc/X only where /etc/X exists (else it
    # complains on every exec): made when missing (scripts/test makes them once for its workers)
    for shared in HOST_ETC_DIRS:
        if not Path(shared).exists():
            state.created_paths.append(shared)
            state.save()
            Path(shared).mkdir()

    # The two L2 segments live in their own namespace, so the root namespace has no lab link.
    _add_ns(state, LAN_BRIDGE_NS)
    for br in ("br-office", "br-lan"):
        _run(["ip", "-n", LAN_BRIDGE_NS, "link", "add", br, "type", "bridge"])
        _run(["ip", "-n", LAN_BRIDGE_NS, "link", "set", br, "up"])

    for h in plan.hosts:
        _add_ns(state, h.netns)
        _etc(state, h)
        ns = h.netns
        if h.name == "router":
            _veth(ns, "eth0", LAN_BRIDGE_NS, "v-router-o", "br-office")
            _run(["ip", "-n", ns, "addr", "add", f"{ROUTER_OFFICE_IP}/24", "dev", "eth0"])
            _veth(ns, "eth1", LAN_BRIDGE_NS, "v-router-l", "br-lan")
            _run(["ip", "-n", ns, "addr", "add", f"{ROUTER_LAN_IP}/24", "dev", "eth1"])
        else:
            _veth(
                ns,
                "eth0",
                LAN_BRIDGE_NS,
                f"v-{h.name}"[:15],
                "br-office" if h.segment == "office" else "br-lan",
            )
            _run(["ip", "-n", ns, "addr", "add", f"{h.ip}/24", "dev", "eth0"])
        if h.gateway:
            _run(["ip", "-n", ns, "route", "add", "default", "via", h.gateway])
        for cidr, via in h.extra_routes:
            _run(["ip", "-n", ns, "route", "add", cidr, "via", via])
        if h.forwarding:
            _in(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1")

    walled = firewalls.hosts_for(state.firewall, [c.master for c in plan.clusters])
    for name in walled:
        firewalls.prepare_etc(Path("/etc/netns") / f"{PREFIX}{name}", state.firewall)
    if firewalls.is_firewalld(state.firewall):
        # before any rule is loaded: firewalld's start flushes iptables
        firewalls.start_firewalld(
            f"{PREFIX}{walled[0]}",
            lambda what, argv: _spawn(state, what, argv),
            own_bus="dbus-daemon:lab" in state.pids,
        )

    for c in plan.clusters:
        worker = f"{PREFIX}{c.worker}"
        _run(["ip", "-n", worker, "link", "add", "cni0", "type", "bridge"])
        _run(["ip", "-n", worker, "addr", "add", f"{c.gateway}/24", "dev", "cni0"])
        _run(["ip", "-n", worker, "link", "set", "cni0", "up"])
        for pod in c.pods:
            _add_ns(state, pod.netns)
            _veth(pod.netns, "eth0", worker, "vp" + pod.ip.replace(".", "")[-8:], "cni0")
            _run(["ip", "-n", pod.netns, "addr", "add", f"{pod.ip}/24", "dev", "eth0"])
            _run(["ip", "-n", pod.netns, "route", "add", "default", "via", c.gateway])
        rules = kubeproxy.rules(c, services)
        for node in (c.master, c.worker):
            if c is plan.clusters[0] and state.kube_proxy != "iptables":
                firewalls.load_kube_proxy(state.kube_proxy, c, node)
                continue
            _in(f"{PREFIX}{node}", "iptables-restore", "--noflush", "-w", "5", input=rules)
    for name in walled:
        firewalls.start(state.firewall, f"{PREFIX}{name}")

    _start_dns_pods(state, home, plan)
    _start_office_dns(state, home)
    _start_sshd(state, home, plan)
    _start_daemon(state, home, plan)
    if broken:
        plant_mistakes(plan)
    _write_client_files(home, files, broken, plan)


def _start_dns_pods(state: LabState, home: Path, plan: LabPlan) -> None:
    for c in plan.clusters:
        for pod in c.pods:
            if pod.kind != "dns":
                continue
            names = {f"{s.name}.{s.namespace}.svc.{c.domain}": s.cluster_ip for s in c.services}
            names |= {f"{p.name}.{p.namespace}.pod.{c.domain}": p.ip for p in c.pods}
            records = [f"--host-record={name},{ip}" for name, ip in names.items()]
            pidfile = home / f"dnsmasq-{pod.name}.pid"
            _spawn(
                state,
                f"dnsmasq:{c.name}-dns",
                [
                    "ip",
                    "netns",
                    "exec",
                    pod.netns,
                    "dnsmasq",
                    "--conf-file=/dev/null",
                    "--no-resolv",
                    "--no-hosts",
                    f"--listen-address={pod.ip}",
                    "--bind-interfaces",
                    f"--pid-file={pidfile}",
                    f"--local=/{c.domain}/",
                    *records,
                ],
                pidfile,
            )


OFFICE_DNS_HOST = "a-master"


def office_dns_reload(home: Path) -> Path:
    return home / f"dnsmasq-reload-{OFFICE_DNS_HOST}.sh"


def _start_office_dns(state: LabState, home: Path) -> None:
    """dnsmasq on a-master for the office, reading the host's own /etc/dnsmasq.d (*.conf).
    Its reload (no systemd in the lab) is a restart: dnsmasq re-reads conf files only then."""
    pidfile = home / f"dnsmasq-{OFFICE_DNS_HOST}.pid"
    script = office_dns_reload(home)
    script.write_text(
        "#!/bin/sh\n# restart the office dnsmasq of the netui lab (what `systemctl restart dnsmasq` does elsewhere)\n"
        # one restart at a time (two applies may reload at once), the old one gone before the
        # new one binds port 53, and a few tries while the kernel lets go of the socket
        f'pf={pidfile}\nexec 9>"$pf.lock"; flock -w 30 9\n'
        '[ -f "$pf" ] && kill "$(cat "$pf")" 2>/dev/null\n'
        'i=0; while [ -f "$pf" ] && kill -0 "$(cat "$pf")" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done\n'
        "n=0\n"
        'until dnsmasq --conf-file=/dev/null --conf-dir=/etc/dnsmasq.d,*.conf --pid-file="$pf" --bind-interfaces --no-resolv 9>&-; do\n'
        "  n=$((n+1)); [ $n -ge 10 ] && exit 2; sleep 0.3\n"
        "done\n"
    )
    script.chmod(0o755)
    _spawn(
        state,
        f"dnsmasq:{OFFICE_DNS_HOST}-office",
        ["ip", "netns", "exec", f"{PREFIX}{OFFICE_DNS_HOST}", "sh", str(script)],
        pidfile,
    )


def _start_sshd(state: LabState, home: Path, plan: LabPlan) -> None:
    keys = home / "ssh"
    keys.mkdir(exist_ok=True)
    client_key = home / "id_ed25519"
    if not client_key.exists():
        _run(
            [
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "netui-lab",
                "-f",
                str(client_key),
            ]
        )
    (home / "authorized_keys").write_text((home / "id_ed25519.pub").read_text())
    os.chmod(home / "authorized_keys", 0o644)
    if not Path("/run/sshd").exists():
        state.created_paths.append("/run/sshd")
        state.save()
        Path("/run/sshd").mkdir(mode=0o755)
    known = []
    for h in plan.hosts:
        if not h.sshd:
            continue
        hostkey = keys / f"{h.name}_ed25519"
        if not hostkey.exists():
            _run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", h.name, "-f", str(hostkey)])
        pub = (keys / f"{h.name}_ed25519.pub").read_text().split()
        known.append(f"{h.ip} {pub[0]} {pub[1]}")
        conf = keys / f"sshd-{h.name}.conf"
        pidfile = home / f"sshd-{h.name}.pid"
        conf.write_text(
            f"Port 22\nHostKey {hostkey}\nPidFile {pidfile}\nAuthorizedKeysFile {home}/authorized_keys\n"
            "PermitRootLogin prohibit-password\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n"
            "UsePAM no\nStrictModes no\nAllowTcpForwarding yes\nLogLevel ERROR\nSubsystem sftp internal-sftp\n"
            # many sessions may open at once (netui, ssh, the fleet export): the default
            # MaxStartups 10:30:100 starts dropping past 10 unauthenticated ones (a margin; the
            # resets seen in the tests were a missing /run/sshd, see scripts/test)
            "MaxStartups 100:30:200\n"
        )
        _spawn(
            state,
            f"sshd:{h.name}",
            ["ip", "netns", "exec", h.netns, "/usr/sbin/sshd", "-f", str(conf)],
            pidfile,
        )
    (home / "known_hosts").write_text("\n".join(known) + "\n")


def _start_daemon(state: LabState, home: Path, plan: LabPlan) -> None:
    status_file = home / "daemon.status"
    status_file.unlink(missing_ok=True)
    _spawn(state, "daemon", [sys.executable, "-m", "netui.lab.daemon", str(home), plan.name])
    for _ in range(750):  # 15 s
        if status_file.exists():
            text = status_file.read_text()
            if not text.strip():
                time.sleep(0.02)  # an older daemon's file half written; keep waiting
                continue
            if text.strip() == "ready":
                return
            raise UserError(f"lab: the API/pod daemon failed: {text.strip()}")
        time.sleep(0.02)
    raise UserError("lab: the API/pod daemon did not start within 15 s")


def plant_mistakes(plan: LabPlan) -> None:
    """The mistakes of the plan's `broken` list, planted the way a hurried operator would."""
    ca, cb = plan.clusters
    a, b = f"{PREFIX}{ca.master}", f"{PREFIX}{cb.master}"
    office = OFFICE_CIDR
    _in(a, "sysctl", "-qw", "net.ipv4.ip_forward=1")
    Path(f"/etc/netns/{a}/sysctl.d/ip_forward").write_text("net.ipv4.ip_forward = 1\n")
    _in(
        a,
        "iptables-restore",
        "--noflush",
        "-w",
        "5",
        input=(
            "*nat\n"
            f"-A POSTROUTING -s {ca.pod_cidr} -d {office} -j MASQUERADE\n"
            f"-A POSTROUTING -s 1{office} -d {ca.pod_cidr} -j MASQUERADE\n"
            f"-A POSTROUTING -s {office} -d {ca.service_cidr} -j RETURN\n"
            f"-A POSTROUTING -s {office} -d {ca.service_cidr} -j MASQUERADE\n"
            "COMMIT\n"
        ),
    )
    Path(f"/etc/netns/{a}/dnsmasq.d/office.conf").write_text(
        "# written by hand during the last migration\n"
        f"listen-address={ca.master_ip}\nserver={ca.master_ip}\nserver=/{ca.domain}/{cb.dns_ip}\n"
    )
    _in(
        b,
        "iptables-restore",
        "--noflush",
        "-w",
        "5",
        input=f"*nat\n-A POSTROUTING -s {office} -j MASQUERADE\nCOMMIT\n",
    )
    _in(b, "iptables", "-w", "5", "-P", "FORWARD", "DROP")
    _run(["ip", "-n", b, "route", "del", office])
    _run(["ip", "-n", f"{PREFIX}router", "route", "add", ca.pod_cidr, "via", cb.master_ip])


def _write_client_files(home: Path, files: LabFiles, broken: bool, plan: LabPlan) -> None:
    """Two environment files and two kubeconfigs: one for the root namespace (netns://, API on
    127.0.0.1) and one for an operator inside the jump host (ssh://, API on the masters)."""

    def kubeconfig(servers: dict[str, str]) -> dict[str, object]:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": f"lab-{n}", "cluster": {"server": s}} for n, s in servers.items()
            ],
            "users": [{"name": "lab-admin", "user": {"token": "lab-token-not-secret"}}],
            "contexts": [
                {"name": f"lab-{n}", "context": {"cluster": f"lab-{n}", "user": "lab-admin"}}
                for n in servers
            ],
            "current-context": "lab-a",
        }

    Path(files.kubeconfig).write_text(
        yaml.safe_dump(
            kubeconfig({c.name: f"http://127.0.0.1:{c.api_port}" for c in plan.clusters})
        )
    )
    masters = {c.name: c.master_ip for c in plan.clusters}
    Path(files.kubeconfig_jump).write_text(
        yaml.safe_dump(kubeconfig({n: f"http://{ip}:6443" for n, ip in masters.items()}))
    )

    def env(hosts: dict[str, str], kubecfg: str, ssh: dict[str, object] | None) -> str:
        doc: dict[str, object] = {
            "office": {"cidrs": [OFFICE_CIDR], "router": "router", "probe_from": "office-pc"},
            "hosts": hosts,
            "clusters": {
                c.name: {"context": c.context, "forwarder": c.master, "domain": c.domain}
                | ({"registry": "http://10.200.1.2:8761/eureka/apps"} if c.name == "a" else {})
                | _cluster_to_cluster(plan, c.name)
                for c in plan.clusters
            },
            "kubeconfig": kubecfg,
            "dns": {
                "host": OFFICE_DNS_HOST,
                "listen": plan.host(OFFICE_DNS_HOST).ip,
                "conf_dir": "/etc/dnsmasq.d",
                "reload": f"sh {office_dns_reload(home)}",
            },
        }
        if ssh:
            doc["ssh"] = ssh
        head = (
            "# netui lab environment, written by `netui lab up`"
            + (f" --plan {plan.name}" if plan.name != "classic" else "")
            + (" --broken" if broken else "")
            + "\n"
        )
        return head + yaml.safe_dump(doc, sort_keys=False)

    netns_hosts = {h.name: f"netns://{h.netns}" for h in plan.hosts}
    ssh_hosts = {h.name: f"ssh://root@{h.ip}" for h in plan.hosts if h.sshd}
    ssh_hosts[SUDO_HOST] = f"ssh://{SUDO_USER}@{plan.host(SUDO_HOST).ip}?sudo=1"
    if broken:
        netns_hosts["old-router"] = f"netns://{PREFIX}old-router"
        ssh_hosts["old-router"] = "ssh://root@192.168.1.2"
    Path(files.env).write_text(env(netns_hosts, files.kubeconfig, None))
    (home / "ssh_config").write_text("# lab hosts need no aliases; add yours here\n")
    Path(files.env_ssh).write_text(
        env(
            ssh_hosts,
            files.kubeconfig_jump,
            {
                "identity": f"{home}/id_ed25519",
                "known_hosts": f"{home}/known_hosts",
                "config": f"{home}/ssh_config",
                "connect_timeout": 3,
            },
        )
    )


def _cluster_to_cluster(plan: LabPlan, cluster: str) -> dict[str, object]:
    """The opt-in of cluster-to-cluster reach in the environment file (article plan)."""
    sources = dict(plan.reach_from).get(cluster)
    if not sources:
        return {}
    c = next(x for x in plan.clusters if x.name == cluster)
    return {"nodes": [c.master, c.worker], "node_cidrs": [LAN_CIDR], "reach_from": list(sources)}


# --- down / status -----------------------------------------------------------------------------


def down(home: Path | None = None) -> list[str]:
    """Remove every process, namespace and file of the lab; returns what was removed."""
    home = home or lab_home()
    state = LabState.load(home / "state.json")
    removed = []
    for what in state.pids:
        pid = _current_pid(state, what)
        needle = "netui.lab.daemon" if what == "daemon" else what.split(":")[0]
        if _pid_alive(pid, needle):
            try:
                os.kill(pid, signal.SIGTERM)
                removed.append(f"{what} (pid {pid})")
            except ProcessLookupError:
                pass
    deadline = time.time() + 3
    for what in state.pids:
        pid = _current_pid(state, what)
        needle = "netui.lab.daemon" if what == "daemon" else what.split(":")[0]
        while _pid_alive(pid, needle) and time.time() < deadline:
            time.sleep(0.02)
        if _pid_alive(pid, needle):
            os.kill(pid, signal.SIGKILL)
    for ns in dict.fromkeys(state.namespaces + existing_namespaces()):
        if not ns.startswith(PREFIX):
            continue
        # Any process still inside (a trace, a shell) would keep the namespace alive.
        for inside in _run(["ip", "netns", "pids", ns], check=False).stdout.split():
            try:
                os.kill(int(inside), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        if _run(["ip", "netns", "del", ns], check=False).returncode == 0:
            removed.append(f"namespace {ns}")
    for d in dict.fromkeys(
        state.etc_dirs + [str(p) for p in Path("/etc/netns").glob(PREFIX + "*")]
    ):
        if Path(d).name.startswith(PREFIX):
            shutil.rmtree(d, ignore_errors=True)
    for p in reversed(state.created_paths):
        try:
            Path(p).rmdir()
        except OSError:
            pass
    if home.exists():
        shutil.rmtree(home, ignore_errors=True)
        removed.append(f"files under {home}")
    return removed


@dataclass(frozen=True)
class LabStatus:
    """What of the lab is up (`netui lab status`; its JSON has these fields)."""

    up: bool  # any of its namespaces exists
    healthy: bool  # all of it, ready
    broken: bool  # built with --broken
    services: int
    firewall: str | None
    kube_proxy: str
    namespaces: list[str]
    missing_namespaces: list[str]
    processes: dict[str, bool]  # what -> alive
    env: str | None  # the environment file from the machine (netns://)
    env_ssh: str | None  # the one from the jump host (ssh://)
    plan: str
    extra_hosts: int
    planted: list[Planted]  # the mistakes --broken planted


def status(home: Path | None = None) -> LabStatus:
    home = home or lab_home()
    state = LabState.load(home / "state.json")
    present = set(existing_namespaces())
    missing_ns = [ns for ns in state.namespaces if ns not in present]
    procs = {}
    for what in state.pids:
        needle = "netui.lab.daemon" if what == "daemon" else what.split(":")[0]
        procs[what] = _pid_alive(_current_pid(state, what), needle)
    healthy = bool(state.ready and state.namespaces and not missing_ns and all(procs.values()))
    return LabStatus(
        up=bool(state.namespaces or present),
        healthy=healthy,
        broken=state.broken,
        services=state.services,
        firewall=state.firewall or None,
        kube_proxy=state.kube_proxy,
        namespaces=sorted(present),
        missing_namespaces=missing_ns,
        processes=procs,
        env=str(home / "env.yaml") if (home / "env.yaml").exists() else None,
        env_ssh=str(home / "env-ssh.yaml") if (home / "env-ssh.yaml").exists() else None,
        plan=state.plan,
        extra_hosts=state.extra_hosts,
        planted=list(plan_named(state.plan).broken) if state.broken else [],
    )
