"""`netui lab reboot HOST...`: what a reboot does to a lab host's network state, then its boot.

The shutdown half forgets everything that lives only at runtime: every table of both iptables
variants and of nft, every route that is not the kernel's own (connected) route, every sysctl
back to the lab's kernel defaults, every process the host runs (netui's confirm timers, SSH
sessions) except the lab daemons that stand for its boot services, and the host's files under
/run/netui (on a real host /run is a tmpfs).

The boot half is what a host brings back by itself: the routes of its network configuration
(`/etc/systemd/network/*.network`, systemd-networkd's files), its sysctl files as
`sysctl --system` reads them, firewalld where it ran, the cluster controllers' rules (the lab's
kube-proxy chains), and then every enabled unit of its `/etc/systemd/system/*.wants/` in name
order (systemd.py). Whatever else was there is gone: the point of a reboot.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from netui.errors import UserError
from netui.lab import kubeproxy, systemd
from netui.lab.build import (
    OFFICE_DNS_HOST,
    LabState,
    _current_pid,
    _in,
    _pid_alive,
    _run,
    office_dns_reload,
)
from netui.lab.canary import REBOOTING
from netui.lab.topology import LabHost, LabPlan, plan_named, with_extra_hosts
from netui.model.netconfig import NETWORKD_DIR, configured_routes
from netui.model.sysctl import SYSCTL_CONF, SysctlFile, settings
from netui.paths import lab_home

RUN_NETUI = "/run/netui"
# The lab's "kernel defaults" (what build._add_ns sets on a fresh namespace).
DEFAULT_SYSCTLS = (
    "net.ipv4.ip_forward=0",
    "net.ipv4.conf.all.rp_filter=0",
    "net.ipv4.conf.default.rp_filter=0",
)
# Only these keys are the namespace's own; anything else in a host's sysctl files (kernel.*,
# vm.*) would change the whole machine the lab runs on.
NAMESPACED_KEYS = ("net.ipv4.", "net.ipv6.")
# Lab daemons that stand for the host's boot services and stay up across its reboot.
KEPT_DAEMONS = ("sshd:", "dnsmasq:")


@dataclass
class HostReboot:
    host: str
    lines: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    def say(self, line: str) -> None:
        self.lines.append(line)

    def to_dict(self) -> dict[str, object]:
        return {"host": self.host, "done": self.lines, "failed": self.failed}


def reboot(names: list[str], home: Path | None = None) -> list[HostReboot]:
    """Reboot lab hosts one after the other; each one's report."""
    home = home or lab_home()
    state = LabState.load(home / "state.json")
    if not state.ready:
        raise UserError("lab: not up; run `netui lab up` first")
    plan = with_extra_hosts(plan_named(state.plan), state.extra_hosts)
    unknown = [n for n in names if n not in plan.host_names]
    if unknown:
        raise UserError(
            f"lab: no lab host {', '.join(map(repr, unknown))}; hosts: {', '.join(plan.host_names)}"
        )
    reports = []
    marker = home / REBOOTING  # the lab's kube-proxy canary waits (lab/canary.py)
    marker.touch()
    try:
        for name in dict.fromkeys(names):
            report = HostReboot(name)
            host = plan.host(name)
            services = _shutdown(state, host, report)
            _boot(state, plan, host, home, services, report)
            reports.append(report)
    finally:
        marker.unlink(missing_ok=True)
    state.save()
    return reports


# --- shutdown ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Service:
    """A lab daemon of this host that a reboot stops and its boot starts again."""

    what: str
    argv: list[str]
    environ: dict[str, str]


def _proc_argv(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode(errors="replace") for a in raw.split(b"\0") if a]


def _proc_environ(pid: int) -> dict[str, str]:
    try:
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return {}
    pairs = (a.decode(errors="replace").partition("=") for a in raw.split(b"\0") if a)
    return {k: v for k, _, v in pairs}


def _pids_in(ns: str) -> list[int]:
    out = _run(["ip", "netns", "pids", ns], check=False).stdout.split()
    return [int(p) for p in out if p.isdigit()]


def _shutdown(state: LabState, host: LabHost, report: HostReboot) -> list[_Service]:
    ns = host.netns
    kept, services = set(), []
    for what in state.pids:
        pid = _current_pid(state, what)
        needle = what.split(":")[0]
        if not _pid_alive(pid, needle) or pid not in _pids_in(ns):
            continue
        if what.startswith(KEPT_DAEMONS):
            kept.add(pid)
        elif what.startswith("timer:"):
            pass  # its boot starts the host's timers afresh (_start_timers)
        else:  # e.g. firewalld: stopped with the host, started again at its boot
            services.append(_Service(what, _proc_argv(pid), _proc_environ(pid)))
    killed = 0
    for _ in range(5):  # a dying shell may still fork: until nothing else is left
        others = [p for p in _pids_in(ns) if p not in kept and p != os.getpid()]
        if not others:
            break
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        time.sleep(0.05)
    for what in [w for w in state.pids if w.startswith(f"timer:{host.name}:")]:
        del state.pids[what]  # gone with the host; its boot starts the enabled ones again
    report.say(f"stopped {killed} process(es) (timers, sessions, services)")
    _clear_run(host, report)
    _flush_tables(ns, report)
    _flush_routes(ns, report)
    _in(ns, "sysctl", "-qw", *DEFAULT_SYSCTLS, check=False)
    report.say("sysctls back to the kernel's defaults (ip_forward=0)")
    return services


def _clear_run(host: LabHost, report: HostReboot) -> None:
    """/run is a tmpfs on a real host. The lab's hosts share the machine's /run/netui, and
    netui names what it keeps there after the host (rollback-<plan>-<host>.sh, writer-<host>.lock)."""
    run = Path(RUN_NETUI)
    gone = []
    for p in sorted(run.glob(f"rollback-*-{host.name}.sh*")) + sorted(
        run.glob(f"writer-{host.name}.lock")
    ):
        if p.is_dir():
            for inner in p.iterdir():
                inner.unlink(missing_ok=True)
            p.rmdir()
        else:
            p.unlink(missing_ok=True)
        gone.append(p.name)
    report.say(f"cleared {RUN_NETUI}: {', '.join(gone) if gone else 'nothing there'}")


def _flush_tables(ns: str, report: HostReboot) -> None:
    """Every table goes: nft's (iptables-nft's and native ones) and the legacy ones."""
    counted = _in(ns, "sh", "-c", "nft list ruleset 2>/dev/null | grep -c .", check=False)
    _in(ns, "nft", "flush", "ruleset", check=False)
    legacy = _in(ns, "iptables-legacy-save", check=False).stdout
    empty, builtin = [], ""
    for line in legacy.splitlines():
        if line.startswith("*"):
            builtin = line
            empty.append(line)
        elif line.startswith(":") and builtin:
            name, policy = line[1:].split()[:2]
            if policy != "-":
                empty.append(f":{name} ACCEPT [0:0]")
        elif line == "COMMIT":
            empty.append(line)
    if empty:
        # without --noflush: each table's rules and user chains go, built-in policies ACCEPT
        _in(ns, "iptables-legacy-restore", "-w", "5", input="\n".join(empty) + "\n", check=False)
    rules = sum(1 for line in legacy.splitlines() if line.startswith("-A"))
    report.say(
        f"flushed every table: nft ({counted.stdout.strip() or 0} lines), legacy ({rules} rules)"
    )


def _flush_routes(ns: str, report: HostReboot) -> None:
    shown = _run(["ip", "-n", ns, "-j", "-4", "route", "show", "table", "all"], check=False)
    try:
        routes = json.loads(shown.stdout or "[]")
    except ValueError:
        routes = []
    gone = 0
    for r in routes:
        table = str(r.get("table", "main"))
        if (
            r.get("protocol") == "kernel"
            or table == "local"
            or r.get("type") in ("local", "broadcast")
        ):
            continue
        _run(["ip", "-n", ns, "route", "del", str(r.get("dst")), "table", table], check=False)
        gone += 1
    report.say(f"removed {gone} runtime route(s)")


# --- boot --------------------------------------------------------------------------------------


def _etc(host: LabHost, path: str) -> Path:
    """Where the host's own copy of an /etc path lives (ip netns exec binds it over /etc)."""
    return Path("/etc/netns") / host.netns / path.removeprefix("/etc/")


def _boot(
    state: LabState,
    plan: LabPlan,
    host: LabHost,
    home: Path,
    services: list[_Service],
    report: HostReboot,
) -> None:
    ns = host.netns
    _network_config(host, report)
    _sysctl_system(host, report)
    for svc in services:
        _start_service(state, host, svc, report)
    for c in plan.clusters:
        if host.name in (c.master, c.worker):
            _in(
                ns,
                "iptables-restore",
                "--noflush",
                "-w",
                "5",
                input=kubeproxy.rules(c, state.services),
            )
            report.say(f"kube-proxy wrote its chains (cluster {c.name})")
    _run_units(state, host, report)
    if host.name == OFFICE_DNS_HOST:
        done = _in(ns, "sh", str(office_dns_reload(home)), check=False)
        if done.returncode:
            report.failed.append(f"dnsmasq did not start: {done.stderr.strip()[:200]}")
        else:
            report.say("dnsmasq started (re-read /etc/dnsmasq.d)")


def _network_config(host: LabHost, report: HostReboot) -> None:
    folder = _etc(host, NETWORKD_DIR)
    files = {
        f"{NETWORKD_DIR}/{p.name}": p.read_text(errors="replace")
        for p in sorted(folder.glob("*.network"))
        if p.is_file()
    }
    for r in configured_routes(files):
        argv = ["ip", "-n", host.netns, "route", "replace", r.dst]
        argv += ["via", r.via] if r.via else []
        done = _run(argv, check=False)
        if done.returncode:
            report.failed.append(f"route {r.dst}: {done.stderr.strip()[:200]}")
    report.say(
        f"network configuration: {len(configured_routes(files))} route(s) from {NETWORKD_DIR}"
    )


def _sysctl_system(host: LabHost, report: HostReboot) -> None:
    """`sysctl --system` over the host's own files (/etc/sysctl.d, /etc/sysctl.conf)."""
    files = [
        SysctlFile(f"/etc/sysctl.d/{p.name}", p.read_text(errors="replace"))
        for p in sorted(_etc(host, "/etc/sysctl.d").glob("*"))
        if p.is_file()
    ]
    conf = _etc(host, SYSCTL_CONF)
    if conf.is_file():
        files.append(SysctlFile(SYSCTL_CONF, conf.read_text(errors="replace")))
    values = {s.key: s.value for s in settings(files) if s.key.startswith(NAMESPACED_KEYS)}
    for key, value in values.items():
        done = _in(host.netns, "sysctl", "-qw", f"{key}={value}", check=False)
        if done.returncode:
            report.failed.append(f"sysctl {key}: {done.stderr.strip()[:200]}")
    shown = ", ".join(f"{k}={v}" for k, v in values.items()) or "nothing"
    report.say(f"sysctl --system: {shown}")


def _start_service(state: LabState, host: LabHost, svc: _Service, report: HostReboot) -> None:
    if not svc.argv:
        return
    argv = (
        svc.argv
        if svc.argv[:3] == ["ip", "netns", "exec"]
        else ["ip", "netns", "exec", host.netns, *svc.argv]
    )
    proc = subprocess.Popen(
        argv,
        env=svc.environ or None,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    state.pids[svc.what] = proc.pid
    state.pidfiles.pop(svc.what, None)
    if "firewalld" in svc.what:
        # the units after it (After=firewalld.service) must meet a running firewalld
        for _ in range(150):
            if _in(host.netns, "firewall-cmd", "--state", check=False).stdout.strip() == "running":
                break
            time.sleep(0.1)
    report.say(f"started {svc.what}")


def _run_units(state: LabState, host: LabHost, report: HostReboot) -> None:
    units_dir = _etc(host, systemd.UNIT_DIR)
    wants = {
        d.name: [p.name for p in d.iterdir()]
        for d in sorted(units_dir.glob("*.wants"))
        if d.is_dir()
    }
    names = systemd.enabled_units(wants)
    for name in names:
        # read through the namespace: the link's target is the host's own /etc/systemd/system
        d = next(d for d, entries in sorted(wants.items()) if name in entries)
        text = _in(host.netns, "cat", f"{systemd.UNIT_DIR}/{d}/{name}", check=False)
        if text.returncode:
            report.failed.append(f"{name}: cannot read the unit: {text.stderr.strip()[:200]}")
            continue
        unit = systemd.parse_unit(name, text.stdout)
        for line in unit.exec_lines:
            try:
                done = subprocess.run(
                    ["ip", "netns", "exec", host.netns, *line.argv],
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
            except subprocess.TimeoutExpired:
                report.failed.append(f"{name}: {line.argv[0]} ran over 120 s")
                break
            if done.returncode and not line.may_fail:
                said = f": {done.stderr.strip()[:300]}" if done.stderr.strip() else ""
                report.failed.append(
                    f"{name}: {' '.join(line.argv)[:120]} exited {done.returncode}{said}"
                )
                break
        else:
            report.say(f"ran {name}")
    if not names:
        report.say("no enabled units")
    # the timers as the units left them: one that a unit disabled (netui's armed rollback at
    # boot removes the check timer with the last plan) is not started
    wants = {
        d.name: [p.name for p in d.iterdir()]
        for d in sorted(units_dir.glob("*.wants"))
        if d.is_dir()
    }
    _start_timers(state, host, wants, report)


def _start_timers(
    state: LabState, host: LabHost, wants: dict[str, list[str]], report: HostReboot
) -> None:
    """Each enabled timer as a loop in the host that runs its service every interval (what
    systemd's timers do between boots; the first run after one interval)."""
    for name in systemd.enabled_timers(wants):
        d = next(d for d, entries in sorted(wants.items()) if name in entries)
        text = _in(host.netns, "cat", f"{systemd.UNIT_DIR}/{d}/{name}", check=False).stdout
        every = systemd.timer_interval(text)
        service = systemd.timer_service(name, text)
        unit = _in(host.netns, "cat", f"{systemd.UNIT_DIR}/{service}", check=False)
        if every is None or unit.returncode:
            report.failed.append(f"{name}: no interval or no {service}")
            continue
        lines = systemd.parse_unit(service, unit.stdout).exec_lines
        body = "; ".join(shlex.join(line.argv) + " >/dev/null 2>&1" for line in lines)
        what = f"timer:{host.name}:{name}"
        proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                host.netns,
                "sh",
                "-c",
                f"while sleep {every:g}; do {body}; done",
                "netui-lab-timer",  # its $0: what `lab down` and `status` know it by
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        state.pids[what] = proc.pid
        report.say(f"started {name} (every {every:g} s: {service})")
