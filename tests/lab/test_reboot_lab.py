"""`netui lab reboot`: a lab host forgets its runtime state and boots from its own files."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from .conftest import in_ns, netui, record_fault

UNIT = """[Unit]
Description=a test unit of the lab's boot
[Service]
Type=oneshot
ExecStartPre=-/bin/false
ExecStartPre=/bin/sh -c 'echo pre >> /etc/netui/boot-log'
ExecStart=/bin/sh -c 'echo start >> /etc/netui/boot-log'
[Install]
WantedBy=multi-user.target
"""


def _saved(ns: str, save: str = "iptables-save") -> str:
    return in_ns(ns, save).stdout


def _plant_runtime_state(ns: str) -> None:
    """What a reboot must forget: a chain in both variants, a route by hand, forwarding at
    runtime, a timer process, netui's /run files for the host."""
    for restore in ("iptables-nft-restore", "iptables-legacy-restore"):
        done = in_ns(
            ns,
            restore,
            "--noflush",
            "-w",
            "5",
            input_text="*nat\n:NETUI-POSTROUTING - [0:0]\n-A POSTROUTING -j NETUI-POSTROUTING\nCOMMIT\n",
        )
        assert done.returncode == 0, done.stderr
    assert in_ns(ns, "ip", "route", "add", "10.77.0.0/16", "via", "192.168.1.1").returncode == 0
    assert in_ns(ns, "sysctl", "-qw", "net.ipv4.ip_forward=1").returncode == 0


def test_a_reboot_forgets_runtime_state_and_boots_from_the_hosts_files(lab):
    ns = "nu-b-master"  # legacy iptables; its neighbour a-master is nft
    host_units = Path(f"/etc/netns/{ns}/systemd/system")
    (host_units / "lab-test.service").write_text(UNIT)
    link = host_units / "multi-user.target.wants" / "lab-test.service"
    link.symlink_to("/etc/systemd/system/lab-test.service")
    _plant_runtime_state(ns)
    timer = subprocess.Popen(
        ["ip", "netns", "exec", ns, "setsid", "sleep", "600"], start_new_session=True
    )
    run_file = Path("/run/netui/rollback-p1-b-master.sh")
    run_file.parent.mkdir(exist_ok=True)
    run_file.write_text("#!/bin/sh\n")
    other_host = Path("/run/netui/rollback-p1-a-master.sh")
    other_host.write_text("#!/bin/sh\n")
    try:
        done = netui("lab", "reboot", "b-master", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        report = json.loads(done.stdout)["rebooted"][0]
        assert report["host"] == "b-master" and report["failed"] == []
        deadline = time.time() + 5
        while timer.poll() is None and time.time() < deadline:
            time.sleep(0.05)
        assert timer.poll() is not None  # the host's processes died with it
        assert not run_file.exists() and other_host.exists()  # only this host's /run state
        for save in ("iptables-nft-save", "iptables-legacy-save"):
            assert "NETUI" not in _saved(ns, save), save
        # the boot: kube-proxy's chains back (legacy, its variant), its network file's routes,
        # forwarding as its sysctl files say (off: nothing persisted it), the unit ran
        assert "KUBE-SERVICES" in _saved(ns, "iptables-legacy-save")
        routes = in_ns(ns, "ip", "route").stdout
        assert "10.77.0.0/16" not in routes
        assert "10.1.3.0/24 via 192.168.1.1" in routes and "default via 192.168.1.254" in routes
        assert in_ns(ns, "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "0"
        assert in_ns(ns, "cat", "/etc/netui/boot-log").stdout == "pre\nstart\n"
        assert "ran lab-test.service" in report["done"]
        # sshd stands for a boot service: the host answers again
        ssh = in_ns(
            "nu-jump",
            "ssh",
            "-i",
            f"{lab.home}/id_ed25519",
            "-o",
            f"UserKnownHostsFile={lab.home}/known_hosts",
            "-o",
            "BatchMode=yes",
            "root@192.168.1.243",
            "true",
        )
        assert ssh.returncode == 0, ssh.stderr
    finally:
        timer.kill()
        link.unlink(missing_ok=True)
        (host_units / "lab-test.service").unlink(missing_ok=True)
        Path(f"/etc/netns/{ns}/netui/boot-log").unlink(missing_ok=True)
        other_host.unlink(missing_ok=True)


def test_a_router_keeps_what_its_files_hold_and_a_failing_unit_is_reported(lab):
    ns = "nu-router"
    units = Path(f"/etc/netns/{ns}/systemd/system")
    (units / "broken.service").write_text("[Service]\nExecStart=/bin/sh -c 'exit 3'\n")
    link = units / "multi-user.target.wants" / "broken.service"
    link.symlink_to("/etc/systemd/system/broken.service")
    assert in_ns(ns, "ip", "route", "add", "10.200.0.0/16", "via", "192.168.1.109").returncode == 0
    try:
        done = netui("lab", "reboot", "router")
        assert done.returncode == 1
        assert "✗ broken.service: /bin/sh -c exit 3 exited 3\n" in done.stdout, done.stdout
        assert "10.200.0.0/16" not in in_ns(ns, "ip", "route").stdout
        # the router's forwarding is in its sysctl files (the lab's base config): on again
        assert in_ns(ns, "sysctl", "-n", "net.ipv4.ip_forward").stdout.strip() == "1"
        # nothing of the rest of the lab moved: the office still reaches the router
        assert in_ns("nu-office-pc", "ping", "-c1", "-W2", "10.1.3.1").returncode == 0
    finally:
        link.unlink(missing_ok=True)
        (units / "broken.service").unlink(missing_ok=True)


def test_rebooting_an_unknown_host_is_one_clear_message(lab):
    done = netui("lab", "reboot", "nosuch")
    assert done.returncode == 2 and "no lab host 'nosuch'" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_a_reboot_of_an_untouched_host_gives_back_the_same_host(lab):
    from .conftest import host_state

    hosts = ("a-master", "b-master", "router", "a-worker")
    before = host_state(hosts)
    done = netui("lab", "reboot", *hosts)
    assert done.returncode == 0, done.stdout + done.stderr
    assert host_state(hosts) == before


FORWARDERS_AND_ROUTER = ("a-master", "b-master", "router")


def _office_reaches_every_cluster() -> list[str]:
    """What the office cannot reach (empty: every Pod and Service path answers)."""
    from netui.lab.topology import CLUSTERS

    from .test_apply_lab import http

    lost = []
    for c in CLUSTERS:
        for pod in c.pods:
            if pod.kind != "dns" and pod.name not in http(pod.ip, pod.port):
                lost.append(f"{c.name} pod {pod.ip}")
        app = next(s for s in c.services if s.name == "app")
        if "hello from app" not in http(app.cluster_ip, app.port):
            lost.append(f"{c.name} service {app.cluster_ip}")
    return lost


def _netui_files(host: str) -> str:
    """Whatever of netui is on the host: its files (/etc/netui, units and links, the sysctl.d
    and dnsmasq drop-ins), its rules in either iptables variant, its /run/netui timers."""
    return in_ns(
        f"nu-{host}",
        "sh",
        "-c",
        "find /etc/netui -mindepth 1 2>/dev/null; find /etc/systemd/system -name '*netui*'; "
        "ls /etc/netui/plans /etc/netui/armed 2>/dev/null; iptables-save | grep -i netui; "
        "iptables-legacy-save | grep -i netui; ls -d /etc/sysctl.d/*netui* /etc/dnsmasq.d/*netui* "
        f"/run/netui/rollback-*-{host}.sh* 2>/dev/null",
    ).stdout.strip()


def test_confirm_never_claims_a_host_whose_timer_a_reboot_took(lab):
    applied = netui("apply", "--yes", "--confirm-timeout", "300", env_file=lab.env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert netui("lab", "reboot", "a-master").returncode == 0
    confirm = netui("confirm", env_file=lab.env)
    assert confirm.returncode == 1, confirm.stdout
    assert "a-master: already fired: rolled back by a reboot of a-master" in confirm.stdout
    assert "router: confirmed" in confirm.stdout and "a-master: confirmed" not in confirm.stdout
    assert "partly applied" in confirm.stdout
    assert _netui_files("a-master") == ""  # its boot rolled it back; confirm removed the marker
    assert netui("undo", "--yes", env_file=lab.env).returncode == 0
    record_fault(
        "a reboot of an armed host before `netui confirm`",
        "`a-master: already fired: rolled back by a reboot of a-master` (its boot unit ran the "
        "armed rollback), exit 1, plan `partly applied`; the other hosts confirmed",
    )


def _undo_leaves_nothing(lab, before: dict[str, str]) -> None:
    """`netui undo` once a reboot rolled a-master back: the others undone, nothing left."""
    from .conftest import host_state

    undo = netui("undo", "--yes", env_file=lab.env)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "a-master: nothing to undo: a reboot already rolled it back" in undo.stdout
    for host in FORWARDERS_AND_ROUTER:
        assert _netui_files(host) == "", host
    assert host_state(FORWARDERS_AND_ROUTER) == before


def _plan_id(applied: subprocess.CompletedProcess[str]) -> str:
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return next(
        line.split()[2] for line in applied.stdout.splitlines() if line.startswith("applying plan")
    )


def _history_row(env: str, plan_id: str) -> dict:
    done = netui("history", "--json", env_file=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return next(r for r in json.loads(done.stdout) if r["plan"] == plan_id)


def test_an_armed_plan_a_reboot_took_is_told_truly_and_nothing_of_it_is_left(lab):
    from .conftest import host_state

    before = host_state(FORWARDERS_AND_ROUTER)
    plan_id = _plan_id(netui("apply", "--yes", "--confirm-timeout", "300", env_file=lab.env))
    row = _history_row(lab.env, plan_id)
    assert row["status"] == "awaiting confirmation"
    assert "a-master" in row["at_boot"]["rolled_back"], row["at_boot"]
    boot_copy = f"/etc/netui/armed/{plan_id}.sh"
    assert in_ns("nu-a-master", "test", "-s", boot_copy).returncode == 0
    assert netui("lab", "reboot", "a-master").returncode == 0
    row = _history_row(lab.env, plan_id)  # asks the armed hosts
    assert row["hosts"]["a-master"] == "rolled back by a reboot", row
    assert row["status"] == "partly applied, awaiting confirmation", row
    assert "a-master" not in row["at_boot"]["text"], row["at_boot"]
    text = netui("history", env_file=lab.env).stdout
    line = next(x for x in text.splitlines() if x.startswith(plan_id))
    assert "a-master:rolled back by a reboot" in line and "a-master:applied" not in line
    # nothing of the plan on a-master: files, marker, unit, rules, routes, forwarding
    assert _netui_files("a-master") == ""
    assert host_state(("a-master",)) == {"a-master": before["a-master"]}
    confirm = netui("confirm", env_file=lab.env)
    assert "router: confirmed" in confirm.stdout and "a-master: confirmed" not in confirm.stdout
    assert "a-master: not confirmed: rolled back by a reboot (before this confirm)" in (
        confirm.stdout
    )
    assert confirm.returncode == 1 and f"plan {plan_id}: partly applied" in confirm.stdout
    assert _history_row(lab.env, plan_id)["hosts"]["a-master"] == "rolled back by a reboot"
    _undo_leaves_nothing(lab, before)
    row = _history_row(lab.env, plan_id)
    assert row["status"] == "undone" and row["at_boot"] is None
    assert row["hosts"] == {
        "a-master": "rolled back by a reboot",
        "b-master": "undone",
        "router": "undone",
    }


def test_an_armed_plan_whose_deadline_passed_says_per_host_what_rolled_it_back(lab):
    from .conftest import host_state

    before = host_state(FORWARDERS_AND_ROUTER)
    seconds = 12
    plan_id = _plan_id(netui("apply", "--yes", "--confirm-timeout", str(seconds), env_file=lab.env))
    started = time.monotonic()
    assert netui("lab", "reboot", "a-master").returncode == 0
    took = time.monotonic() - started
    assert took < seconds, f"the reboot took {took:.1f} s: a-master's timer may have fired first"
    deadline = time.monotonic() + seconds + 60
    row = _history_row(lab.env, plan_id)
    while "awaiting" in row["status"] and time.monotonic() < deadline:
        time.sleep(0.5)
        row = _history_row(lab.env, plan_id)
    assert row["status"] == "rolled back before it was confirmed", row
    assert row["shown"].startswith("rolled back before it was confirmed at "), row
    assert row["hosts"] == {
        "a-master": "rolled back by a reboot",
        "b-master": "rolled back by the confirm timer",
        "router": "rolled back by the confirm timer",
    }
    assert row["at_boot"] is None
    text = netui("history", plan_id, env_file=lab.env).stdout
    assert "a-master: rolled back by a reboot" in text and "at boot:" not in text
    undo = netui("undo", "--yes", env_file=lab.env)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert "nothing to undo: every plan in the journal is undone or was rolled back" in undo.stdout
    undo = netui("undo", plan_id, "--yes", env_file=lab.env)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert (
        f"plan {plan_id} was rolled back before it was confirmed (a-master by a reboot, "
        "b-master by its timer, router by its timer): nothing of it is left to undo"
    ) in undo.stdout
    for host in FORWARDERS_AND_ROUTER:
        assert _netui_files(host) == "", host
    assert host_state(FORWARDERS_AND_ROUTER) == before
    record_fault(
        "a reboot of an armed host, then the confirm deadline passes",
        "history: `rolled back before it was confirmed`, a-master `rolled back by a reboot`, "
        "the others `rolled back by the confirm timer`; undo: nothing left; no netui file or "
        "rule on any host",
    )


def test_an_applied_plan_survives_a_reboot_and_its_undo_leaves_nothing_behind(lab):
    from .conftest import host_state

    before = host_state(FORWARDERS_AND_ROUTER)
    applied = netui("apply", "--yes", netns="nu-jump", env_file=lab.env_ssh)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert _office_reaches_every_cluster() == []
    rebooted = netui("lab", "reboot", *FORWARDERS_AND_ROUTER)
    assert rebooted.returncode == 0, rebooted.stdout
    assert "ran netui-restore.service" in rebooted.stdout
    assert _office_reaches_every_cluster() == []
    doctor = netui("doctor", "--json", netns="nu-jump", env_file=lab.env_ssh)
    findings = json.loads(doctor.stdout)
    # (both lab clusters use cluster.local: that warning is the lab's own, not the reboot's)
    assert doctor.returncode == 0 and not [
        f
        for f in findings
        if f["severity"] in ("error", "warning") and f["code"] != "dns-domain-conflict"
    ], findings
    undo = netui("undo", "--yes", netns="nu-jump", env_file=lab.env_ssh)
    assert undo.returncode == 0, undo.stdout + undo.stderr
    assert netui("lab", "reboot", *FORWARDERS_AND_ROUTER).returncode == 0
    for host in FORWARDERS_AND_ROUTER:
        assert _netui_files(host) == "", host
    assert host_state(FORWARDERS_AND_ROUTER) == before


def test_a_reload_that_flushes_netuis_rules_is_noticed_and_undone_by_the_hosts_check(lab):
    """Another tool's reload (firewall-cmd --reload, `nftables.conf`'s flush ruleset, then the
    controllers writing their own rules again) takes netui's chains with it: the doctor says so
    and how it comes back; the check the host's timer runs every 30 s (run here as the timer
    would: the lab has no systemd) puts back exactly netui's state, with an audit line."""
    applied = netui("apply", "--yes", env_file=lab.env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    try:
        assert _office_reaches_every_cluster() == []
        mine = sorted(line for line in _saved("nu-a-master").splitlines() if "NETUI" in line)
        assert mine
        # the reload: every table as it was, without netui's chains and jumps
        others = "\n".join(
            line for line in _saved("nu-a-master").splitlines() if "NETUI" not in line
        )
        wiped = in_ns("nu-a-master", "iptables-restore", "-w", "5", input_text=others + "\n")
        assert wiped.returncode == 0, wiped.stderr
        from netui.lab.topology import CLUSTER_A

        from .test_apply_lab import http

        pod = next(p for p in CLUSTER_A.pods if p.kind != "dns")
        assert pod.name not in http(pod.ip, pod.port)  # its replies are not masqueraded now
        said = json.loads(netui("doctor", "--json", env_file=lab.env).stdout)
        missing = [f for f in said if f["code"] == "not-persisted" and f["host"] == "a-master"]
        assert missing and "missing on a-master now" in missing[0]["title"], said
        check = in_ns(
            "nu-a-master",
            "sh",
            "-c",
            "$(sed -n 's/^ExecStart=//p' /etc/systemd/system/netui-restore-check.service)",
        )
        assert check.returncode == 0, check.stdout + check.stderr
        back = sorted(line for line in _saved("nu-a-master").splitlines() if "NETUI" in line)
        assert back == mine  # exactly netui's own state, nothing twice
        assert _office_reaches_every_cluster() == []
        said = json.loads(netui("doctor", "--json", env_file=lab.env).stdout)
        codes = {(f["code"], f["host"]) for f in said}
        assert ("state-reasserted", "a-master") in codes and (
            "not-persisted",
            "a-master",
        ) not in codes
        again = in_ns("nu-a-master", "sh", "-c", "sh /etc/netui/restore.sh check; iptables-save")
        assert sorted(line for line in again.stdout.splitlines() if "NETUI" in line) == mine
        record_fault(
            "a reload flushes netui's rules on a forwarder (firewall-cmd --reload, flush ruleset)",
            "doctor: `not-persisted … missing on a-master now`; the host's 30 s check puts back "
            "exactly netui's chains and jumps; doctor: `state-reasserted` with the audit line",
        )
    finally:
        assert netui("undo", "--yes", env_file=lab.env).returncode == 0


def test_an_armed_plan_on_a_host_without_systemd_is_rolled_back_after_its_reboot(lab):
    """Nothing runs at such a host's boot: the plan's files (forwarding in sysctl.d) would stay
    and come back at every boot, unconfirmed. The reboot empties its /run: netui sees the timer
    gone with the boot, runs the journaled rollback, and says "rolled back by a reboot"."""
    from .conftest import host_state

    units = Path("/etc/netns/nu-a-master/systemd/system")
    units.rename(units.with_name("system.off"))  # a-master now reads as a host without systemd
    try:
        before = host_state(FORWARDERS_AND_ROUTER)
        plan_id = _plan_id(netui("apply", "--yes", "--confirm-timeout", "300", env_file=lab.env))
        kept = in_ns("nu-a-master", "sh", "-c", "ls /etc/sysctl.d/*netui* 2>/dev/null").stdout
        assert kept.strip(), "the plan writes no file on a-master: the test tests nothing"
        assert in_ns("nu-a-master", "test", "-e", f"/etc/netui/armed/{plan_id}.sh").returncode
        assert netui("lab", "reboot", "a-master").returncode == 0
        assert in_ns("nu-a-master", "sh", "-c", "ls /etc/sysctl.d/*netui*").stdout == kept
        confirm = netui("confirm", env_file=lab.env)
        assert confirm.returncode == 1, confirm.stdout + confirm.stderr
        assert (
            "a-master: already fired: rolled back by a reboot of a-master (its boot ran nothing "
            "of it: netui ran the rollback now)"
        ) in confirm.stdout
        assert "router: confirmed" in confirm.stdout
        assert _netui_files("a-master") == ""
        assert host_state(("a-master",)) == {"a-master": before["a-master"]}
        assert _history_row(lab.env, plan_id)["hosts"]["a-master"] == "rolled back by a reboot"
        undo = netui("undo", "--yes", env_file=lab.env)
        assert undo.returncode == 0, undo.stdout + undo.stderr
        assert "a-master: nothing to undo: a reboot already rolled it back" in undo.stdout
        assert host_state(FORWARDERS_AND_ROUTER) == before
    finally:
        units.with_name("system.off").rename(units)
        netui("undo", "--yes", env_file=lab.env)
    record_fault(
        "a reboot of an armed host without systemd (nothing runs at its boot)",
        "netui sees the timer gone with the reboot and runs the journaled rollback: "
        "`a-master: already fired: rolled back by a reboot of a-master (its boot ran nothing of "
        "it: netui ran the rollback now)`; its sysctl.d file removed; hosts byte-identical",
    )


def test_a_netui_killed_after_arming_a_hosts_first_plan_is_rolled_back_by_that_hosts_boot(lab):
    """The boot unit goes in before the boot copy of the rollback: a netui killed once the
    timers are armed, then a reboot of a host that had no netui unit, and the boot itself
    rolls the plan back (its marker says so before netui ever asks)."""
    import os
    import sys

    from .conftest import host_state

    assert in_ns(
        "nu-a-master", "test", "-e", "/etc/systemd/system/netui-restore.service"
    ).returncode
    before = host_state(FORWARDERS_AND_ROUTER)
    argv = [sys.executable, "-m", "netui.cli", "apply", "--yes", "--confirm-timeout", "300"]
    env = dict(os.environ, NETUI_TEST_STEP_DELAY="1")
    proc = subprocess.Popen([*argv, "--env", lab.env], env=env, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and "a-master: rollback armed" not in seen:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
    proc.kill()
    proc.wait()
    assert (
        "a-master: ✓ install /etc/systemd/system/netui-restore.service (it runs the armed" in seen
    ), seen
    plan_id = next(x.split()[2] for x in seen.splitlines() if x.startswith("applying plan"))
    assert netui("lab", "reboot", "a-master").returncode == 0
    marker = f"/etc/netui/armed/{plan_id}.rebooted"
    assert in_ns("nu-a-master", "test", "-e", marker).returncode == 0, seen  # the boot ran it
    _undo_leaves_nothing(lab, before)
    record_fault(
        "netui killed right after arming a host's first plan, then that host reboots",
        "the unit was installed before the boot copy: the boot runs the rollback "
        f"(`{marker.replace(plan_id, '<plan>')}`); undo: `nothing to undo: a reboot already rolled "
        "it back`; hosts byte-identical",
    )
