"""Live host state for the screens (UI-free: the app owns one and hands its snapshots to the
screens as messages): one polling thread per host that reschedules itself only
after its previous poll finished (no pile-up on a slow host) and backs off while a host is down.

On hosts whose iptables is the nft variant, a second thread follows `nft monitor rules` over the
same backend and wakes that host's poll the moment a rule is added or deleted, so a change by
kube-proxy or a person shows within one snapshot's time instead of one interval. Polling stays
the fallback (no `nft`, legacy hosts, a monitor that died) and the only source of counters."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from netui.model.envfile import Environment

if TYPE_CHECKING:  # backends and the parser load after the first paint, in the polling threads
    from netui.backends import Hosts
    from netui.backends.base import Stream
    from netui.model.snapshot import HostSnapshot

INTERVAL, MAX_BACKOFF = 2.0, 15.0
# netui's reads may take at most this share of a host's time: a poll that took 0.45 s (a
# 20,000-rule chain on screen) comes every 9 s, not every 2 s (at most every MAX_BACKOFF s).
HOST_SHARE = 0.05


def paced(snap: HostSnapshot, interval: float = INTERVAL) -> float:
    """Seconds until a host's next poll: the interval, stretched so that reading the host
    costs it at most HOST_SHARE of its time."""
    return min(max(interval, snap.duration / HOST_SHARE), max(interval, MAX_BACKOFF))


# While a monitor follows a host and no rule changed, polls read only the counters looked at
# (backends/light.py); a full read at least this often, whatever the monitor says.
FULL_EVERY = 300.0
# Always counted on a light poll: where netui's rules hang and netui's own chains.
ALWAYS_WATCHED = (
    ("nat", "POSTROUTING"),
    ("nat", "NETUI-POSTROUTING"),
    ("filter", "FORWARD"),
    ("filter", "NETUI-FORWARD"),
)
# A monitor runs for at most this long, then is started again: over SSH, a closed channel ends
# `nft monitor` only when it next writes, so this bounds how long a quiet one can linger.
MONITOR_SECONDS = 300
# A started `nft monitor` is not yet subscribed to the kernel's rule events (its process is still
# starting, on a loaded host for a second or more): a change in that window is unseen by it. So
# this long after a start, one full read catches what it missed, and only then does the host
# count as followed (light polls trusted, `following` true).
MONITOR_SETTLE = 2.0
MONITOR_EVENTS = (
    "add rule ",
    "insert rule ",  # iptables -I on nft
    "delete rule ",
    "replace rule ",
    "flush ",
    "add chain ",
    "delete chain ",
)


class Poller(Protocol):
    """What the app needs of a poller: HostPoller, or a test's or a bench's fixed world."""

    def start(self) -> None: ...
    def refresh(self, name: str | None = None) -> None: ...
    def watch(self, owner: object, host: str, chains: Iterable[tuple[str, str]] | None) -> None: ...
    def unwatch(self, owner: object) -> None: ...
    def stop(self) -> None: ...


class HostPoller:
    def __init__(
        self,
        env: Environment,
        on_snapshot: Callable[[HostSnapshot], None],
        interval: float = INTERVAL,
        monitor: bool = True,
        hosts: Callable[[], Hosts] | None = None,
    ) -> None:
        self.env = env
        self.on_snapshot = on_snapshot
        # the session's connections when given (every action reuses them), else its own
        self._hosts_source = hosts
        self.interval = interval
        self.monitor = monitor
        self._wake: dict[str, threading.Event] = {}
        self._stop = threading.Event()
        self._hosts: Hosts | None = None
        self._monitors: dict[str, Stream] = {}
        self._settled: set[str] = set()  # hosts whose monitor has run MONITOR_SETTLE seconds
        self._lock = threading.Lock()
        self.rule_events: dict[str, int] = {}  # host -> rule changes seen by its monitor
        # what the screens look at: owner -> (host, chains); chains None = every counter
        self._watched: dict[object, tuple[str, frozenset[tuple[str, str]] | None]] = {}
        self._dirty: set[str] = set()  # hosts whose rules may have changed since a full read
        self._last_full: dict[str, HostSnapshot] = {}
        self.light_polls: dict[str, int] = {}  # host -> light polls done (tests, the bench)

    def watch(self, owner: object, host: str, chains: Iterable[tuple[str, str]] | None) -> None:
        """`owner` (a screen) shows these (table, chain) counters of `host`; None: all of them
        (the hot rules). Replaces what `owner` watched before."""
        self._watched[owner] = (host, None if chains is None else frozenset(chains))

    def unwatch(self, owner: object) -> None:
        self._watched.pop(owner, None)

    def _chains_for(self, host: str) -> list[tuple[str, str]] | None:
        wanted: list[tuple[str, str]] = list(ALWAYS_WATCHED)
        for h, chains in list(self._watched.values()):
            if h in (host, "*"):
                if chains is None:
                    return None
                wanted += sorted(chains)
        return wanted

    def start(self) -> None:
        from netui.backends import Hosts  # paramiko loads here, after the first paint

        self._owns_hosts = self._hosts_source is None
        self._hosts = self._hosts_source() if self._hosts_source else Hosts(self.env)
        for name in self.env.hosts:
            self._wake[name] = threading.Event()
            threading.Thread(
                target=self._loop, args=(name,), daemon=True, name=f"poll-{name}"
            ).start()

    def _loop(self, name: str) -> None:
        from netui.backends.snapshot import snapshot_hosts

        delay = self.interval
        while not self._stop.is_set():
            assert self._hosts is not None
            self._wake[name].clear()  # a rule change from now on asks for another poll
            snap = self._light(name) or snapshot_hosts(self._hosts, [name], timeout=20)[name]
            if not snap.light:
                self._last_full[name] = snap
            if self._stop.is_set():
                return
            self.on_snapshot(snap)
            if snap.ok and snap.variant == "nft" and self.monitor:
                self._follow(name)
            delay = paced(snap, self.interval) if snap.ok else min(delay * 2, MAX_BACKOFF)
            self._wake[name].wait(delay)

    def _light(self, name: str) -> HostSnapshot | None:
        """A light poll when it can be trusted: a monitor follows the host, no rule changed
        since the last full read, and that read is recent."""
        from netui.backends.base import HostError
        from netui.backends.light import light_snapshot

        full = self._last_full.get(name)
        with self._lock:
            followed = name in self._settled and name not in self._dirty
            if not followed:
                self._dirty.discard(name)  # the full read about to happen settles it
        chains = self._chains_for(name)
        if (
            not followed
            or full is None
            or not full.ok
            or chains is None
            or time.time() - full.taken_at > FULL_EVERY
        ):
            return None
        assert self._hosts is not None
        try:
            snap = light_snapshot(self._hosts[name], full, chains)
        except HostError:
            return None
        if snap is not None:
            self.light_polls[name] = self.light_polls.get(name, 0) + 1
            self._last_full[name] = dataclasses.replace(full, nat=snap.nat, filter=snap.filter)
        return snap

    def _follow(self, name: str) -> None:
        """Start `nft monitor rules` on `name` unless one is running already."""
        from netui.backends.base import HostError

        with self._lock:
            if name in self._monitors or self._stop.is_set():
                return
            try:
                assert self._hosts is not None
                stream = self._hosts[name].stream(
                    ["timeout", str(MONITOR_SECONDS), "nft", "monitor", "rules"]
                )
            except HostError:
                return  # polling alone, as on a legacy host
            self._monitors[name] = stream
            self._dirty.add(name)  # what changed before it started is unseen: read all once
        threading.Thread(
            target=self._read_monitor, args=(name, stream), daemon=True, name=f"nft-{name}"
        ).start()
        settle = threading.Timer(MONITOR_SETTLE, self._settle, args=(name, stream))
        settle.daemon = True
        settle.start()

    def _settle(self, name: str, stream: Stream) -> None:
        """The monitor has had time to subscribe: one full read for what it may have missed."""
        with self._lock:
            if self._monitors.get(name) is not stream:
                return  # it ended (or another one started) meanwhile
            self._settled.add(name)
            self._dirty.add(name)
        self._wake[name].set()

    def _read_monitor(self, name: str, stream: Stream) -> None:
        from netui.backends.base import HostError

        try:
            for line in stream.lines():
                if self._stop.is_set():
                    break
                if line.startswith(MONITOR_EVENTS):
                    self.rule_events[name] = self.rule_events.get(name, 0) + 1
                    with self._lock:
                        self._dirty.add(name)  # the next poll reads the whole table
                    self._wake[name].set()
        except HostError:
            pass
        finally:
            stream.cancel()
            with self._lock:
                if self._monitors.get(name) is stream:
                    self._monitors.pop(name)  # the next good poll starts another
                    self._settled.discard(name)

    def following(self, name: str) -> bool:
        """Whether an `nft monitor` follows `name` now (rule changes wake its poll): started,
        settled, and the full read after its settling asked for."""
        with self._lock:
            return name in self._settled

    def refresh(self, name: str | None = None) -> None:
        for n, ev in self._wake.items():
            if name in (None, n):
                ev.set()

    def stop(self) -> None:
        """Stop at once: the polling threads are daemons and see the flag; cancelling monitors
        and closing connections (an SSH connect may still be in progress) happen in the
        background, so quitting never waits on a host."""
        self._stop.set()
        self.refresh()
        with self._lock:
            monitors = list(self._monitors.values())
        hosts = self._hosts if getattr(self, "_owns_hosts", False) else None

        def cleanup() -> None:
            for stream in monitors:
                stream.cancel()
            if hosts is not None:
                hosts.close()

        threading.Thread(target=cleanup, daemon=True, name="poller-stop").start()


def age_text(seconds: float) -> str:
    """How old a snapshot is, as the screens show it: "now" while it is fresher than one poll
    interval can tell apart, then seconds, then minutes (a host that stopped answering)."""
    if seconds < 3:
        return "now"
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m"


SLOW_SECONDS = 2.0  # a snapshot that takes longer marks its host slow


def host_state(snap: HostSnapshot, now: float, interval: float = INTERVAL) -> tuple[str, str]:
    """(state, why) as the operator reads it: unreachable/error from the snapshot itself; stale
    when no fresh snapshot came for several poll rounds (a hung connection, a poll stuck in a
    timeout); slow when the last one took long (a 100k-rule nft host, a long SSH hop); else ok."""
    if not snap.ok:
        return snap.state, snap.reason or ""
    if snap.unreadable:
        from netui.model.snapshot import unreadable_text  # loaded by the poll that made snap

        return "partial", unreadable_text(snap)
    age = now - snap.taken_at
    if age > max(10.0, 3 * (paced(snap, interval) + snap.duration)):
        return "stale", f"no fresh data for {age_text(age)}"
    if snap.duration > SLOW_SECONDS:
        return "slow", f"the last snapshot took {snap.duration:.1f} s"
    return "ok", ""


STATE_MARK = {
    "ok": "● ok",
    "slow": "◐ slow",
    "stale": "◌ stale",
    "partial": "◑ partial",
    "unreachable": "✗ unreachable",
    "error": "✗ error",
}


def state_mark(snap: HostSnapshot, now: float) -> tuple[str, str]:
    """A host's state with its symbol (the symbol carries the meaning without colour), and why."""
    state, why = host_state(snap, now)
    return STATE_MARK.get(state, state), why
