"""Commands on this machine, and inside a network namespace of it (`ip netns exec`)."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence

from netui.backends.base import (
    ERR_CAP,
    OUTPUT_CAP,
    Backend,
    CommandResult,
    CommandTimeout,
    Stream,
    Unreachable,
    too_large,
)

# a line of a stream (traceroute, nft monitor) past this is cut: the rest is never kept
LINE_CAP = 64 * 1024


class _Overflow(Exception):
    pass


def _communicate(
    proc: subprocess.Popen[bytes], stdin: bytes | None, deadline: float, limit: int
) -> tuple[bytes, bytes]:
    """communicate() with a deadline that holds however fast the process prints, at most
    `limit` bytes of stdout (_Overflow past it) and ERR_CAP of stderr (the rest dropped)."""
    out, err = bytearray(), bytearray()
    sel = selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, out)
    sel.register(proc.stderr, selectors.EVENT_READ, err)
    pending = memoryview(stdin or b"")
    if proc.stdin is not None:
        if pending:
            os.set_blocking(proc.stdin.fileno(), False)
            sel.register(proc.stdin, selectors.EVENT_WRITE)
        else:
            proc.stdin.close()
    try:
        while sel.get_map():
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            for key, _ in sel.select(min(left, 0.5)):
                if key.fileobj is proc.stdin:
                    try:
                        pending = pending[os.write(key.fd, pending[:65536]) :]
                    except BrokenPipeError:
                        pending = pending[:0]
                    if not pending:
                        sel.unregister(proc.stdin)
                        proc.stdin.close()
                    continue
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf: bytearray = key.data
                if buf is out and len(out) + len(chunk) > limit:
                    raise _Overflow
                if buf is out or len(err) < ERR_CAP:
                    buf += chunk
    finally:
        sel.close()
    try:  # its output closed; a process that lives on past the deadline is killed all the same
        proc.wait(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        raise TimeoutError from None
    return bytes(out), bytes(err)


class _ProcessStream(Stream):
    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        self.proc = proc

    def lines(self) -> Iterator[str]:
        out = self.proc.stdout
        assert out is not None
        for raw in iter(lambda: out.readline(LINE_CAP), b""):
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
        self,
        argv: Sequence[str],
        *,
        stdin: bytes | None = None,
        timeout: float = 30.0,
        limit: int = OUTPUT_CAP,
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
            out, err = _communicate(proc, stdin, start + timeout, limit)
        except (TimeoutError, _Overflow) as e:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
            for f in (proc.stdin, proc.stdout, proc.stderr):
                if f is not None:
                    f.close()
            if isinstance(e, _Overflow):
                raise too_large(self.host, argv, limit) from None
            raise CommandTimeout(
                self.host, f"`{' '.join(argv)[:80]}` did not finish within {timeout:g} s"
            ) from None
        for f in (proc.stdout, proc.stderr):
            if f is not None:
                f.close()
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
