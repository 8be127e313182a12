"""Apply and undo plans on hosts: atomic per table, journaled before every step, hosts in parallel.

A host whose step fails is rolled back at once (the others carry on: they are independent).
With a confirm timeout, a rollback script is armed *on each target* before it is changed; it
runs detached (setsid), so it fires even if netui or the operator's SSH session dies.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from netui.backends import Backend, HostError, Hosts
from netui.backends.snapshot import take_snapshot
from netui.model.bootstate import ARMED_DIR, PLANS_DIR, armed_path
from netui.model.snapshot import HostSnapshot
from netui.plan import render
from netui.plan.journal import (
    DONE,
    FAILED,
    PENDING,
    Journal,
    JournalWriteError,
    audit,
    check_space,
)
from netui.plan.legacy import found_files
from netui.plan.model import HostPlan, Plan, Taint
from netui.plan.states import HostOutcome, PlanState
from netui.plan.step import HostState

Progress = Callable[[str, str], None]  # (host, message)
ROLLBACK_DIR = "/run/netui"


def _run(backend: Backend, cmd: render.Command) -> None:
    if cmd.write:
        backend.write_file(cmd.write[0], cmd.write[1].encode(), mode=0o644)
    elif cmd.remove:
        backend.remove_file(cmd.remove)
    else:
        backend.check(
            list(cmd.argv), stdin=cmd.stdin.encode() if cmd.stdin is not None else None, timeout=60
        )


def snapshot_for(backend: Backend, hp: HostPlan | None = None) -> HostSnapshot:
    """The host's state as a plan on it needs it: tables, routes, and the files it writes."""
    snap = take_snapshot(backend, hp.files() if hp is not None else [])
    if not snap.ok:
        raise HostError(backend.host, snap.reason or "cannot be read")
    return snap


def _step_delay() -> None:
    # A test hook: lets the crash tests kill netui between two steps of a multi-host apply.
    delay = float(os.environ.get("NETUI_TEST_STEP_DELAY", "0") or 0)
    if delay:
        time.sleep(delay)


def read_for(plan: Plan, hosts: Hosts) -> dict[str, HostSnapshot]:
    """Each host of `plan` as it is now, with the files the plan writes."""
    return {name: snapshot_for(hosts[name], hp) for name, hp in plan.hosts.items()}


def preview_from(plan: Plan, snapshots: dict[str, HostSnapshot]) -> dict[str, list[render.Command]]:
    """The commands apply would run on hosts in these states."""
    out = {}
    for name, hp in plan.hosts.items():
        out[name] = render.apply_commands(hp, plan.id, HostState.of(snapshots[name]))
    return out


def rollback_path(plan_id: str, host: str) -> str:
    return f"{ROLLBACK_DIR}/rollback-{plan_id}-{host}.sh"


# A dead-man switch rather than a fixed sleep: the script fires `timeout` seconds after netui
# last touched `<script>.alive`. While the apply runs, netui touches it on every armed host
# (a heartbeat), and once more when all hosts are done: a slow host (a dnsmasq restart, a long
# SSH hop) does not eat the operator's confirm time on the others, and a netui that dies
# half-way is rolled back `timeout` seconds after its last heartbeat.
# The host's own clock and file times are used, so clock skew with the jump host cannot matter.
_WAIT_FOR_SILENCE = """\
while :; do
  last=$(stat -c %Y "$0.alive" 2>/dev/null) || break
  [ $(( $(date +%s) - last )) -gt "$1" ] && break
  sleep 1
done
"""


# The rollback scripts' directory on a target must be the executing user's own: a directory
# another user owns could swap or delete the script that has to fire (then nothing rolls back).
_OWN_DIR = """
d="$1"
[ -L "$d" ] && { echo "$d is a symbolic link"; exit 3; }
mkdir -p -m 0700 "$d" || exit 3
owner=$(stat -c %u "$d")
[ "$owner" = "$(id -u)" ] || { echo "$d is owned by uid $owner, not $(id -u)"; exit 3; }
chmod 0700 "$d"
"""


# The marker netui reads back is the script itself, renamed: touched first, so its time is when
# the rollback ran (a rename alone keeps the time the script was written, at arm time).
_FIRED = 'rm -f "$0.boot"; touch "$0"; mv -f "$0" "$0.fired"\n'


# $0 the timer's script, $1 its seconds; prints the timer's pid and the host's boot id (a
# later boot id says the host rebooted since).
_LAUNCH = (
    'touch "$0.alive" && { setsid sh "$0" "$1" </dev/null >/dev/null 2>&1 & '
    'echo "$! $(cat /proc/sys/kernel/random/boot_id 2>/dev/null)"; }'
)
# The boot's copy of the rollback into /etc/netui/armed ($1 its staged copy, $2 its place); a
# timer that fired already took the staged copy with it: nothing to place then.
_BOOT_COPY = '[ -f "$1" ] || exit 0; mkdir -p "$(dirname "$2")" && mv -f "$1" "$2"'


def _own_rollback_dir(backend: Backend) -> None:
    result = backend.run(["sh", "-c", _OWN_DIR, "netui-own-dir", ROLLBACK_DIR])
    if not result.ok:
        raise HostError(
            backend.host,
            f"refusing to arm a rollback: {result.text.strip() or result.error_text.strip()}",
        )


def _arm(
    journal: Journal,
    backend: Backend,
    hp: HostPlan,
    snap: HostSnapshot,
    timeout: float,
    progress: Progress,
) -> HostSnapshot:
    """Arm the host's rollback; returns the host as the plan's writes now find it.

    In this order, so that whatever ends netui (or the host) at any point leaves nothing that
    outlives the plan: the timer, journaled before any file of it is on the host (its rollback
    covers all that follows); then, on a host whose boot runs netui's unit, the unit itself if
    this is the host's first plan (journaled apply steps); then the rollback's copy for the
    boot, once something at boot runs it (a reboot before that finds /run empty: netui runs
    the journaled rollback when it next asks)."""
    found = HostState.of(snap)
    script = render.rollback_script(hp, journal.plan.id, found)
    _own_rollback_dir(backend)
    path = rollback_path(journal.plan.id, hp.host)
    boot_runs = any(step.boot_runs_armed for step in hp.steps)
    # pid 0 until the launch says it: a netui killed in between leaves a timer that history,
    # confirm and undo find by its command line
    rollback = {
        "path": path,
        "pid": 0,
        "boot_id": "",
        "seconds": timeout,
        "deadline": time.time() + timeout,
        # the rollback itself, for a host that rebooted with nothing to run it at boot (no
        # systemd, or before its unit was in): netui runs it when it next asks
        "script": script,
    }
    journal.set_host_status(hp.host, HostOutcome.ARMED, rollback=rollback)
    try:
        if boot_runs:
            # staged in /run: moved to /etc only once the unit that runs it is in (below)
            backend.write_file(path + ".boot", script.encode(), mode=0o700)
        # The script waits for netui's silence, then undoes, unless `netui confirm` killed it.
        body = "#!/bin/sh\n" + _WAIT_FOR_SILENCE + script.split("\n", 1)[1] + _FIRED
        backend.write_file(path, body.encode(), mode=0o700)
        # setsid: a new session, no controlling terminal; no inherited pipes: returns at once.
        result = backend.check(["sh", "-c", _LAUNCH, path, str(max(1, round(timeout)))])
    except HostError:
        with journal.lock:
            journal.host(hp.host).pop("rollback", None)
        try:
            backend.run(["rm", "-f", path, path + ".boot", path + ".alive"])
        except HostError:
            pass  # /run: gone at the host's next boot, and nothing runs them
        raise
    pid, _, boot_id = result.text.strip().partition(" ")
    with journal.lock:
        rollback.update(pid=int(pid), boot_id=boot_id.strip())
        journal.save()
    if not boot_runs:
        return snap
    # A reboot kills the timer and clears /run: the host's boot unit runs the copy instead (and
    # renames it <plan>.rebooted), so an unconfirmed plan never comes back at boot. The timer's
    # rollback removes the unit again with the host's last plan.
    first = [c for step in hp.steps if step.boot_runs_armed for c in step.arming_commands(found)]
    for cmd in first:
        i = journal.step(hp.host, cmd.summary, cmd.preview())
        try:
            _run(backend, cmd)
        except HostError as e:
            journal.finish_step(hp.host, i, FAILED, e.message)
            raise
        journal.finish_step(hp.host, i, DONE)
        progress(hp.host, f"✓ {cmd.summary} (it runs the armed rollback after a reboot)")
    if first:
        snap = snapshot_for(backend, hp)
    _keep_alive(journal, backend, hp.host)  # the confirm time is the operator's, not the install's
    backend.check(
        ["sh", "-c", _BOOT_COPY, "netui-boot-copy", path + ".boot", armed_path(journal.plan.id)]
    )
    return snap


class _Heartbeat:
    """Keeps every armed host's rollback from firing while this apply is still running."""

    def __init__(self, journal: Journal, hosts: Hosts, timeout: float | None) -> None:
        self.journal, self.hosts = journal, hosts
        self.every = max(0.5, min((timeout or 0) / 3, 5.0))
        self.stop = threading.Event()
        self.threads: list[threading.Thread] = []

    def start(self, name: str) -> None:
        """One thread per host, so a host that hangs delays only its own heartbeat."""

        def beat() -> None:
            while not self.stop.wait(self.every):
                try:
                    _keep_alive(self.journal, self.hosts[name], name)
                except HostError:
                    pass  # the host is gone: its timer will fire, which is what it is for

        t = threading.Thread(target=beat, daemon=True, name=f"heartbeat-{name}")
        t.start()
        self.threads.append(t)

    def finish(self) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def _keep_alive(journal: Journal, backend: Backend, name: str) -> None:
    """Push an armed host's rollback back to its full timeout from now (netui is still here)."""
    with journal.lock:
        info = journal.host(name).get("rollback")
    if info:
        backend.check(["touch", info["path"] + ".alive"])
        with journal.lock:
            info["deadline"] = time.time() + info["seconds"]
            journal.save()


# What became of a host's armed timer, and since when:
# - fired: its script renamed itself `.fired`;
# - rebooted: the host's boot unit ran the rollback (netui-restore renames the boot copy
#   /etc/netui/armed/<plan>.sh to `.rebooted`);
# - armed: its process lives (even with its file gone: sh reads it from an open file);
# - unrun: the host rebooted and nothing ran the rollback at boot (no systemd, or no unit yet):
#   its boot id is new, or its /run is empty;
# - gone: killed (the script is there, its process is not, the host did not reboot).
# The timer's process: the recorded pid, else any `sh <its script> <seconds>` (pid 0: netui
# died between the launch and journaling it). Prints the pid; fails when there is none.
_TIMER_PID = r"""
timer_pid() {
  grep -qsaF -- "$1" "/proc/$2/cmdline" && { echo "$2"; return 0; }
  for f in $(grep -lsaF -- "$1" /proc/[0-9]*/cmdline 2>/dev/null); do
    case "$(tr '\0' ' ' < "$f" 2>/dev/null)" in
      "sh $1 "*) f=${f%/cmdline}; echo "${f#/proc/}"; return 0 ;;
    esac
  done
  return 1
}
"""
_TIMER_STATE = (
    _TIMER_PID
    + r"""
p="$1"; pid="$2"; boot="$3"; was="$4"
now=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null)
if [ -e "$p.fired" ]; then echo "fired $(stat -c %Y "$p.fired")"
elif [ -e "$boot.rebooted" ]; then echo "rebooted $(stat -c %Y "$boot.rebooted")"
elif [ -n "$was" ] && [ -n "$now" ] && [ "$was" != "$now" ]; then echo unrun
elif timer_pid "$p" "$pid" >/dev/null; then echo armed
elif [ ! -e "$p" ]; then echo unrun
else echo gone; fi
"""
)
# The rollback of a host that rebooted with nothing to run it: what its boot would have run.
# The boot copy goes first (a boot unit still starting finds nothing to run twice).
_RUN_UNRUN = 'rm -f "$2"; sh "$1" >/dev/null 2>&1; rm -f "$1"; date +%s'
# A settled timer's traces: its /run files, the boot copy or the boot's marker, and netui's
# folders for them once empty (what the plan's undo would otherwise find left).
_FORGET_TIMER = (
    _TIMER_PID + 't=$(timer_pid "$2" "$1") && kill "$t"; '
    'rm -f "$2" "$2.fired" "$2.alive" "$2.boot" "$3.sh" "$3.rebooted"; rmdir "$4" "$5" 2>/dev/null; '
    "exit 0"
)
NOT_CONFIRMED = "not confirmed: its confirm timer is gone"
_OUTCOMES = {
    "fired": HostOutcome.TIMER_FIRED,
    "rebooted": HostOutcome.REBOOTED,
    "unrun": HostOutcome.REBOOTED,
    "gone": HostOutcome.TIMER_GONE,
}


def _stamp(text: str) -> str | None:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(int(text))) if text.isdigit() else None


def timer_state(journal: Journal, backend: Backend, name: str) -> tuple[str, str | None]:
    """(fired|armed|rebooted|unrun|gone, when it fired by the host's clock) of a host's armed
    timer."""
    info = journal.host(name)["rollback"]
    boot = armed_path(journal.plan.id).removesuffix(".sh")
    argv = [
        "sh", "-c", _TIMER_STATE, "netui-timer", info["path"], str(info["pid"]), boot,
        str(info.get("boot_id", "")),
    ]  # fmt: skip
    state, _, stamp = backend.run(argv).text.strip().partition(" ")
    if state == "unrun" and not info.get("script"):
        state = "gone"  # armed by an older netui: the journal has no rollback to run
    return state, _stamp(stamp)


def _run_unrun(journal: Journal, backend: Backend, name: str) -> str | None:
    """Run the rollback a host's boot did not (it rebooted unconfirmed); when it ran."""
    info = journal.host(name)["rollback"]
    _own_rollback_dir(backend)
    path = info["path"] + ".after-reboot"
    backend.write_file(path, info["script"].encode(), mode=0o700)
    argv = ["sh", "-c", _RUN_UNRUN, "netui-rollback", path, armed_path(journal.plan.id)]
    return _stamp(backend.check(argv).text.strip())


def forget_timer(
    journal: Journal, backend: Backend, name: str, state: str, when: str | None
) -> None:
    """Settle a host's timer: run its rollback if the host rebooted and nothing ran it at boot,
    kill what is left of the timer, remove its traces, journal what became of it."""
    extra: dict[str, Any] = {}
    if state == "unrun":
        when = _run_unrun(journal, backend, name)
        extra["note"] = "nothing ran its rollback at boot: netui ran it after the reboot"
    info = journal.host(name)["rollback"]
    boot = armed_path(journal.plan.id).removesuffix(".sh")
    argv = [
        "sh", "-c", _FORGET_TIMER, "netui-disarm", str(info["pid"]), info["path"], boot,
        ARMED_DIR, PLANS_DIR,
    ]  # fmt: skip
    backend.run(argv)
    with journal.lock:
        journal.host(name).pop("rollback", None)
    if state in _OUTCOMES:
        if when:
            extra["fired_at"] = when
        journal.set_host_status(name, _OUTCOMES[state], **extra)
    else:
        journal.save()


def disarm(journal: Journal, backend: Backend, name: str) -> str:
    """Stop a host's armed rollback; returns what happened. Only a timer that is still there
    is confirmed: one a reboot took is never claimed."""
    if not journal.host(name).get("rollback"):
        return "nothing armed"
    state, when = timer_state(journal, backend, name)
    forget_timer(journal, backend, name, state, when)
    if state == "fired":
        return "already fired: the host was rolled back"
    if state == "rebooted":
        return f"already fired: rolled back by a reboot of {name}"
    if state == "unrun":
        return (
            f"already fired: rolled back by a reboot of {name} (its boot ran nothing of it: "
            "netui ran the rollback now)"
        )
    if state == "gone":
        return (
            f"{NOT_CONFIRMED} (killed; {name} did not reboot): the plan stands there as "
            "applied, unconfirmed; `netui undo` removes it"
        )
    return "confirmed"


# One writer per target host, whoever runs it and from wherever (the journal's lock covers one
# jump host's state directory only). A directory made with mkdir is the lock: atomic on any
# POSIX host, over SSH too. Its owner line says who holds it.
_HOST_LOCK = r"""
d="$1"; me="$2"; takeover="$3"
mkdir -p -m 0700 "$(dirname "$d")" || exit 4
if mkdir "$d" 2>/dev/null; then printf '%s' "$me" > "$d/owner"; exit 0; fi
owner=$(cat "$d/owner" 2>/dev/null)
if [ -n "$takeover" ] && [ "$owner" = "$takeover" ]; then printf '%s' "$me" > "$d/owner"; exit 0; fi
age=$(( $(date +%s) - $(stat -c %Y "$d" 2>/dev/null || date +%s) ))
# no change takes a quarter of an hour: an older lock was left by a netui that died elsewhere
if [ "$age" -gt 900 ]; then printf '%s' "$me" > "$d/owner"; touch "$d"; exit 0; fi
printf '%s' "$owner"; exit 3
"""
_HOST_UNLOCK = r"""[ "$(cat "$1/owner" 2>/dev/null)" = "$2" ] && rm -rf "$1"; exit 0"""


def _lock_path(host: str) -> str:
    return f"{ROLLBACK_DIR}/writer-{host}.lock"


def _me(journal: Journal) -> str:
    import socket

    return f"plan {journal.plan.id} by {journal.plan.user}@{socket.gethostname()} pid {os.getpid()}"


def _dead_here(owner: str) -> bool:
    """The holder ran on this machine and its process is gone (killed mid-apply)."""
    import re
    import socket

    m = re.search(r"@(\S+) pid (\d+)", owner)
    if not m or m.group(1) != socket.gethostname():
        return False
    try:
        os.kill(int(m.group(2)), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lock_host(journal: Journal, backend: Backend, name: str) -> None:
    """Take the target's writer lock, or raise HostError naming who holds it."""
    me, path = _me(journal), _lock_path(name)
    result = backend.run(["sh", "-c", _HOST_LOCK, "netui-lock", path, me, ""])
    if result.returncode == 3 and _dead_here(result.text):
        result = backend.run(["sh", "-c", _HOST_LOCK, "netui-lock", path, me, result.text])
    if not result.ok:
        holder = result.text.strip() or result.error_text.strip() or "another netui"
        raise HostError(name, f"is being changed by {holder}; nothing was done here")


def unlock_host(journal: Journal, backend: Backend, name: str) -> None:
    try:
        backend.run(["sh", "-c", _HOST_UNLOCK, "netui-unlock", _lock_path(name), _me(journal)])
    except HostError:
        pass  # unreachable now: the lock ages out


def _apply_host(
    journal: Journal,
    backend: Backend,
    hp: HostPlan,
    confirm_timeout: float | None,
    progress: Progress,
    heartbeat: _Heartbeat,
) -> bool:
    name = hp.host
    try:
        snap = snapshot_for(backend, hp)
    except HostError as e:
        journal.set_host_status(name, HostOutcome.FAILED, error=e.message)
        progress(name, f"✗ cannot read the host: {e.message}")
        return False
    pre = {
        "nat": snap.nat_text,
        "filter": snap.filter_text,
        "ip_forward": snap.ip_forward,
        "files": {path: snap.files.get(path) for path in hp.files()},
        "variant": snap.variant,
        # the tables the host did not have (undo drops them again where iptables can): kept
        # here, beside the small fields, not only in the big file of the saved tables
        "absent_tables": sorted(HostState.of(snap).absent),
        "taken_at": snap.taken_at,
    }
    journal.record_pre(name, pre)
    if confirm_timeout:
        try:
            snap = _arm(journal, backend, hp, snap, confirm_timeout, progress)
        except HostError as e:
            said = "nothing changed"
            try:  # the timer stopped, and the boot unit undone if it went in
                if journal.host(name).get("rollback"):
                    forget_timer(journal, backend, name, "disarmed", None)
                if not _undo_host(journal, backend, hp, progress):
                    said = "and what it installed may stay (history shows it)"
            except HostError as err:
                said = f"and what it installed may stay ({err.message})"
            journal.set_host_status(
                name, HostOutcome.FAILED, error=f"could not arm the rollback: {e.message}"
            )
            progress(name, f"✗ could not arm the rollback, {said}: {e.message}")
            return False
        heartbeat.start(name)
        progress(name, f"rollback armed: fires in {confirm_timeout:g} s unless confirmed")
    return write_host(journal, backend, hp, snap, progress)


def write_host(
    journal: Journal, backend: Backend, hp: HostPlan, snap: HostSnapshot, progress: Progress
) -> bool:
    """The write step on one host, from a snapshot already taken and journaled."""
    name = hp.host
    commands = render.apply_commands(hp, journal.plan.id, HostState.of(snap))
    journal.set_host_status(name, HostOutcome.APPLYING)
    for cmd in commands:
        i = journal.step(name, cmd.summary, cmd.preview())
        try:
            _run(backend, cmd)
        except HostError as e:
            journal.finish_step(name, i, FAILED, e.message)
            progress(name, f"✗ {cmd.summary}: {e.message}; rolling this host back")
            _undo_host(journal, backend, hp, progress)
            journal.set_host_status(name, HostOutcome.ROLLED_BACK, error=e.message)
            return False
        journal.finish_step(name, i, DONE)
        progress(name, f"✓ {cmd.summary}")
        _step_delay()
    journal.set_host_status(name, HostOutcome.APPLIED)
    return True


def _undo_host(journal: Journal, backend: Backend, hp: HostPlan, progress: Progress) -> bool:
    name = hp.host
    record = journal.host(name)
    if not any(
        s["status"] in (DONE, PENDING, FAILED) for s in record["steps"] if s["phase"] == "apply"
    ):
        return True  # nothing ever ran here
    pre = record["pre"]
    found = HostState(
        ip_forward=pre.get("ip_forward"),
        files=found_files(pre, hp.steps),
        variant=pre.get("variant"),
        absent=frozenset(pre.get("absent_tables", ())),
    )
    failed: set[str] = set()
    for attempt in (1, 2):
        # Rendered from the live state: kube-proxy may have rewritten rules since we applied.
        snap = snapshot_for(backend, hp)
        commands = render.undo_commands(
            hp, journal.plan.id, HostState.of(snap), found, frozenset(failed)
        )
        try:
            for cmd in commands:
                i = journal.step(name, cmd.summary, cmd.preview(), phase="undo")
                try:
                    _run(backend, cmd)
                except HostError as e:
                    journal.finish_step(name, i, FAILED, e.message)
                    # the file may be back already: the retry must still reload, or dnsmasq
                    # keeps answering with what this plan wrote (its step sees what failed)
                    failed.add(cmd.summary)
                    raise
                journal.finish_step(name, i, DONE)
                progress(name, f"↶ {cmd.summary}")
            return True
        except HostError as e:
            if attempt == 2:
                progress(name, f"✗ undo failed: {e.message}")
                return False
            progress(name, "a rule changed under us; reading the host again")
    return False


def _taint_record(t: Taint) -> str:
    return f"cluster:{t.cluster}"  # taints are journaled per cluster: they go to its API


def _taint_step(journal: Journal, hosts: Hosts, t: Taint, add: bool, progress: Progress) -> bool:
    """One journaled PATCH of a forwarder's taints: netui's taint added, or removed (undo)."""
    from netui.discovery.kube import ApiUnavailable
    from netui.plan import taint

    rec = _taint_record(t)
    if add:
        i = journal.step(rec, f"taint node {t.node} {t.text}", f"PATCH /api/v1/nodes/{t.node}")
    else:
        i = journal.step(
            rec, f"remove taint {t.text} from {t.node}", f"PATCH /api/v1/nodes/{t.node}", "undo"
        )
    try:
        outcome = taint.add(hosts.env, t) if add else taint.remove(hosts.env, t)
    except ApiUnavailable as e:
        journal.finish_step(rec, i, FAILED, str(e))
        journal.set_host_status(
            rec, HostOutcome.FAILED if add else HostOutcome.UNDO_FAILED, error=str(e)
        )
        progress(rec, f"✗ {e}")
        return False
    journal.finish_step(rec, i, DONE)
    journal.set_host_status(rec, HostOutcome.APPLIED if add else HostOutcome.UNDONE)
    progress(rec, f"{'✓' if add else '↶'} {outcome}: node {t.node} {t.text}")
    return True


def _apply_taints(journal: Journal, hosts: Hosts, progress: Progress) -> bool:
    return all([_taint_step(journal, hosts, t, True, progress) for t in journal.plan.taints])


def _undo_taints(journal: Journal, hosts: Hosts, progress: Progress) -> bool:
    reached = [
        t
        for t in journal.plan.taints
        if any(  # a step that never reached the API has nothing to undo
            s["status"] in (DONE, PENDING) and s["phase"] == "apply"
            for s in journal.host(_taint_record(t))["steps"]
        )
    ]
    return all([_taint_step(journal, hosts, t, False, progress) for t in reached])


def apply(
    plan: Plan, hosts: Hosts, confirm_timeout: float | None = None, progress: Progress | None = None
) -> Journal:
    progress = progress or (lambda h, m: None)
    check_space()
    journal = Journal(plan)
    journal.set_status(PlanState.APPLYING)
    audit("apply-start", plan, list(plan.hosts), "started")

    heartbeat = _Heartbeat(journal, hosts, confirm_timeout)

    def one(name: str) -> bool:
        try:
            lock_host(journal, hosts[name], name)
        except HostError as e:
            journal.set_host_status(name, HostOutcome.FAILED, error=e.message)
            progress(name, f"✗ {e.message}")
            return False
        try:
            return _apply_host(
                journal, hosts[name], plan.hosts[name], confirm_timeout, progress, heartbeat
            )
        except HostError as e:
            journal.set_host_status(name, HostOutcome.FAILED, error=e.message)
            progress(name, f"✗ {e.message}")
            return False
        except JournalWriteError as e:
            # What ran here is undone from memory (the journal takes no more writes), so no
            # host is left half-applied without a record.
            progress(name, f"✗ {e}: rolling this host back")
            try:
                _undo_host(journal, hosts[name], plan.hosts[name], progress)
            except HostError as err:
                progress(name, f"✗ the rollback failed too: {err.message}")
            journal.set_host_status(name, HostOutcome.ROLLED_BACK, error=str(e))
            return False
        finally:
            unlock_host(journal, hosts[name], name)

    def restart_timer(name: str) -> None:
        # The operator's confirm time starts when the whole apply is done, on every host.
        try:
            _keep_alive(journal, hosts[name], name)
        except HostError as e:
            progress(name, f"✗ could not restart the confirm timer: {e.message}")

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(plan.hosts)))) as pool:
        try:
            results = dict(zip(plan.hosts, pool.map(one, plan.hosts), strict=True))
            if plan.taints:
                results["taints"] = _apply_taints(journal, hosts, progress)
        finally:
            heartbeat.finish()
        if journal.write_error is not None:
            # The journal broke while others went on: what finished cannot be undone later from
            # a record, so it is undone now, from memory, on every host that had applied.
            for name in [n for n, ok in results.items() if ok and n in plan.hosts]:
                progress(name, "✗ the journal cannot record this host's change: rolling it back")
                try:
                    _undo_host(journal, hosts[name], plan.hosts[name], progress)
                except HostError as err:
                    progress(name, f"✗ the rollback failed: {err.message}")
                journal.set_host_status(name, HostOutcome.ROLLED_BACK, error=journal.write_error)
                results[name] = False
        if confirm_timeout:
            armed = [n for n, ok in results.items() if ok and n in plan.hosts]
            list(pool.map(restart_timer, armed))
    status = (
        PlanState.APPLIED
        if all(results.values())
        else (PlanState.PARTLY_APPLIED if any(results.values()) else PlanState.FAILED)
    )
    if confirm_timeout and any(results.values()):
        # hosts that failed were rolled back (or never changed); say so beside the wait
        status = PlanState.AWAITING if all(results.values()) else PlanState.PARTLY_AWAITING
    journal.set_status(status)
    audit("apply", plan, list(plan.hosts), status)
    return journal


def undo(journal: Journal, hosts: Hosts, progress: Progress | None = None) -> bool:
    progress = progress or (lambda h, m: None)
    plan = journal.plan
    journal.set_status(PlanState.UNDOING)

    def rolled_back(name: str) -> bool:
        outcome = journal.host_outcome(name)
        if outcome.rolled_back:
            by = "its confirm timer" if outcome is HostOutcome.TIMER_FIRED else "a reboot"
            progress(name, f"nothing to undo: {by} already rolled it back")
        return outcome.rolled_back

    def one(name: str) -> bool:
        if rolled_back(name):
            return True
        try:
            backend = hosts[name]
            lock_host(journal, backend, name)
        except HostError as e:
            journal.set_host_status(name, HostOutcome.UNDO_FAILED, error=e.message)
            progress(name, f"✗ {e.message}")
            return False
        try:
            if journal.host(name).get("rollback"):
                disarm(journal, backend, name)
                if rolled_back(name):  # it fired (or a reboot ran it) since history last asked
                    return True
            ok = _undo_host(journal, backend, plan.hosts[name], progress)
            journal.set_host_status(name, HostOutcome.UNDONE if ok else HostOutcome.UNDO_FAILED)
            return ok
        except HostError as e:
            journal.set_host_status(name, HostOutcome.UNDO_FAILED, error=e.message)
            progress(name, f"✗ {e.message}")
            return False
        finally:
            unlock_host(journal, backend, name)

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(plan.hosts)))) as pool:
        ok = all(pool.map(one, plan.hosts))
    ok = _undo_taints(journal, hosts, progress) and ok
    journal.set_status(PlanState.UNDONE if ok else PlanState.UNDO_FAILED)
    audit("undo", plan, list(plan.hosts), "undone" if ok else "undo failed")
    return ok


def settle_timers(journal: Journal, hosts: Hosts) -> dict[str, str]:
    """Ask each armed host what became of its timer, and journal it: a host whose rollback ran
    (its timer fired, or its boot unit after a reboot) has nothing of this plan left, one whose
    timer vanished kept what the plan made; the plan's state follows (its undo would only undo
    what came after it). Returns host -> when its rollback ran."""
    fired: dict[str, str] = {}
    for name in journal.plan.hosts:
        if not journal.host(name).get("rollback"):
            continue
        try:
            state, when = timer_state(journal, hosts[name], name)
            if state == "armed":
                continue
            forget_timer(journal, hosts[name], name, state, when)
        except HostError:
            continue  # cannot tell: the plan stays as it is
        if state != "gone":
            fired[name] = when or "?"
    after = _after_timers(journal)
    if after is not None:
        journal.set_status(after)
    return fired


def _after_timers(journal: Journal) -> PlanState | None:
    """The plan's state once some of its timers are settled (None: nothing to change)."""
    outcomes = [
        journal.host_outcome(n)
        for n in journal.plan.hosts
        if journal.host_outcome(n).applied
        or journal.host_outcome(n).rolled_back
        or journal.host_outcome(n) is HostOutcome.TIMER_GONE
    ]
    settled = [o for o in outcomes if not o.applied]
    if not settled:
        return None
    if all(o.rolled_back for o in outcomes):
        rebooted = any(o is HostOutcome.REBOOTED for o in outcomes)
        return PlanState.NOT_CONFIRMED if rebooted else PlanState.TIMER_FIRED
    if any(journal.host(n).get("rollback") for n in journal.plan.hosts):
        return PlanState.PARTLY_AWAITING  # the others' timers are still armed
    return PlanState.PARTLY_APPLIED


def confirm(journal: Journal, hosts: Hosts) -> dict[str, str]:
    out = {
        name: disarm(journal, hosts[name], name)
        for name in journal.plan.hosts
        if journal.host(name).get("rollback")
    }
    after = _after_timers(journal)
    journal.set_status(
        after
        if after is not None
        else (PlanState.PARTLY_APPLIED if journal.status.partly else PlanState.APPLIED)
    )
    audit(
        "confirm",
        journal.plan,
        list(out),
        _confirm_outcome(out),
    )
    return out


def _confirm_outcome(out: dict[str, str]) -> str:
    """The audit line's outcome of a confirm: "confirmed" only when every armed host was (a
    timer that fired, or vanished, is said per host, never counted as a confirmation)."""
    if all(v == "confirmed" for v in out.values()):
        return "confirmed"
    parts = []
    for name, said in out.items():
        if said.startswith("already fired"):
            parts.append(f"{name}: rolled back")
        elif said.startswith(NOT_CONFIRMED):
            parts.append(f"{name}: not confirmed (timer gone)")
        else:
            parts.append(f"{name}: {said}")
    return "; ".join(parts)


def summary(journal: Journal) -> dict[str, Any]:
    return {
        "plan": journal.plan.id,
        "status": journal.status,
        "hosts": {n: h.get("status") for n, h in journal.data["hosts"].items()},
    }
