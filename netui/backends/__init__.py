"""How commands reach hosts: local, netns and SSH, behind one small protocol (base.Backend).

paramiko is imported only when an SSH host is opened, so `netui --help` and local work stay fast.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from netui.backends.base import (
    Backend,
    CommandFailed,
    CommandResult,
    CommandTimeout,
    HostError,
    Unreachable,
)
from netui.model.envfile import Environment, HostAddress, SshSettings

__all__ = [
    "Backend",
    "CommandFailed",
    "CommandResult",
    "CommandTimeout",
    "HostError",
    "Hosts",
    "Unreachable",
    "open_backend",
]


def open_backend(address: HostAddress, ssh: SshSettings | None = None) -> Backend:
    if address.scheme == "local":
        from netui.backends.local import LocalBackend

        return LocalBackend(address.name, address.uri)
    if address.scheme == "netns":
        from netui.backends.local import NetnsBackend

        assert address.netns is not None
        return NetnsBackend(address.name, address.netns)
    if address.scheme == "ssh":
        from netui.backends.ssh import SshBackend

        return SshBackend(address, ssh or SshSettings())
    raise HostError(address.name, f"unknown scheme {address.scheme!r}")


class Hosts:
    """The backends of one environment, opened on first use and kept (one connection per host)."""

    def __init__(self, env: Environment) -> None:
        self.env = env
        self._open: dict[str, Backend] = {}
        self._lock = threading.Lock()

    def __getitem__(self, name: str) -> Backend:
        with self._lock:
            b = self._open.get(name)
            if b is None:
                b = self._open[name] = open_backend(self.env.host(name), self.env.ssh)
            return b

    def names(self) -> Iterable[str]:
        return self.env.hosts.keys()

    def close(self) -> None:
        with self._lock:
            for b in self._open.values():
                b.close()
            self._open.clear()

    def __enter__(self) -> Hosts:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
