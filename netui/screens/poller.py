"""Live host state for the screens: one polling thread per host that reschedules itself only
after its previous poll finished (no pile-up on a slow host) and backs off while a host is down."""

from __future__ import annotations

import threading
from collections.abc import Callable

from netui.model.envfile import Environment
from netui.model.snapshot import HostSnapshot

INTERVAL, MAX_BACKOFF = 2.0, 15.0


class HostPoller:
    def __init__(self, env: Environment, on_snapshot: Callable[[HostSnapshot], None]) -> None:
        self.env = env
        self.on_snapshot = on_snapshot
        self._wake: dict[str, threading.Event] = {}
        self._stop = threading.Event()
        self._hosts = None

    def start(self) -> None:
        from netui.backends import Hosts  # paramiko loads here, after the first paint

        self._hosts = Hosts(self.env)
        for name in self.env.hosts:
            self._wake[name] = threading.Event()
            threading.Thread(
                target=self._loop, args=(name,), daemon=True, name=f"poll-{name}"
            ).start()

    def _loop(self, name: str) -> None:
        from netui.backends.snapshot import snapshot_hosts

        delay = INTERVAL
        while not self._stop.is_set():
            assert self._hosts is not None
            snap = snapshot_hosts(self._hosts, [name], timeout=20)[name]
            if self._stop.is_set():
                return
            self.on_snapshot(snap)
            delay = INTERVAL if snap.ok else min(delay * 2, MAX_BACKOFF)
            self._wake[name].wait(delay)
            self._wake[name].clear()

    def refresh(self, name: str | None = None) -> None:
        for n, ev in self._wake.items():
            if name in (None, n):
                ev.set()

    def stop(self) -> None:
        self._stop.set()
        self.refresh()
        if self._hosts is not None:
            self._hosts.close()


def age_text(seconds: float) -> str:
    """How old a snapshot is, as the screens show it: "now" while it is fresher than one poll
    interval can tell apart, then seconds, then minutes (a host that stopped answering)."""
    if seconds < 3:
        return "now"
    if seconds < 120:
        return f"{seconds:.0f}s"
    return f"{seconds / 60:.0f}m"
