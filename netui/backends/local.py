"""Commands on this machine, and inside a network namespace of it (`ip netns exec`)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence

from netui.backends.base import Backend, CommandResult, CommandTimeout, Stream, Unreachable


class _ProcessStream(Stream):
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def lines(self) -> Iterator[str]:
        assert self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            yield raw.decode(errors="replace").rstrip("\n")
        self.proc.wait()

    def cancel(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class LocalBackend(Backend):
    def __init__(self, host: str = "local", address: str = "local") -> None:
        self.host = host
        self.address = address

    def _argv(self, argv: Sequence[str]) -> list[str]:
        return list(argv)

    def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 30.0
    ) -> CommandResult:
        full = self._argv(argv)
        start = time.monotonic()
        try:
            # A new session, so a timeout kills the whole process group, not just its leader.
            proc = subprocess.Popen(
                full,
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except FileNotFoundError:
            return CommandResult(
                tuple(argv), 127, b"", f"{full[0]}: command not found".encode(), 0.0
            )
        try:
            out, err = proc.communicate(stdin, timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.communicate()
            raise CommandTimeout(
                self.host, f"`{' '.join(argv)[:80]}` did not finish within {timeout:g} s"
            ) from None
        result = CommandResult(tuple(argv), proc.returncode, out, err, time.monotonic() - start)
        self._check_reachable(result)
        return result

    def _check_reachable(self, result: CommandResult) -> None:
        pass

    def stream(self, argv: Sequence[str]) -> Stream:
        proc = subprocess.Popen(
            self._argv(argv),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return _ProcessStream(proc)


class NetnsBackend(LocalBackend):
    """A host that is a network namespace on this machine. `ip netns exec` also bind-mounts
    /etc/netns/NAME/* over /etc, so each namespace has its own sysctl.d, dnsmasq.d, resolv.conf."""

    def __init__(self, host: str, netns: str) -> None:
        super().__init__(host, f"netns://{netns}")
        self.netns = netns

    def _argv(self, argv: Sequence[str]) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *argv]

    def _check_reachable(self, result: CommandResult) -> None:
        if result.returncode != 0 and b"Cannot open network namespace" in result.stderr:
            raise Unreachable(
                self.host,
                f"network namespace {self.netns!r} does not exist (is the lab up? `netui lab status`)",
            )
