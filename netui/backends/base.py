"""The one small protocol every way of reaching a host speaks.

A backend runs an argument list (never a shell string) with optional stdin and a timeout.
Reading and writing files are built on `run`, so local, netns and SSH hosts behave the same:
a write goes to a temporary file next to the target and is renamed over it (atomic), which
also means a netns host's per-namespace /etc (bind-mounted by `ip netns exec`) is honoured.
"""

from __future__ import annotations

import shlex
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


class HostError(Exception):
    """Something about one host that the operator must read; carries the host name."""

    def __init__(self, host: str, message: str) -> None:
        super().__init__(f"{host}: {message}")
        self.host = host
        self.message = message


class Unreachable(HostError):
    """The host cannot be reached at all (connection refused, timed out, no such namespace)."""


class CommandTimeout(HostError):
    pass


class OutputTooLarge(HostError):
    """A command printed more than the caller would read (Backend.run's `limit`)."""


# What one command's stdout may hold before the read stops (a snapshot's whole output fits:
# backends/snapshot.py caps each section below it); stderr is kept up to ERR_CAP, the rest dropped.
OUTPUT_CAP = 64 * 1024 * 1024
ERR_CAP = 1024 * 1024


def too_large(host: str, argv: Sequence[str], limit: int) -> OutputTooLarge:
    return OutputTooLarge(
        host,
        f"`{shlex.join(argv)[:80]}` printed more than {limit // (1024 * 1024)} MB: "
        "stopped reading (netui caps what one host may send)",
    )


class CommandFailed(HostError):
    def __init__(self, host: str, result: CommandResult) -> None:
        err = (
            result.stderr.decode(errors="replace").strip()
            or result.stdout.decode(errors="replace").strip()
        )
        # one line per host, whatever the command printed over several
        err = " / ".join(line.strip() for line in err.splitlines() if line.strip())
        super().__init__(
            host, f"`{shlex.join(result.argv)}` failed (exit {result.returncode}): {err[:500]}"
        )
        self.result = result


@dataclass(frozen=True)
class CommandResult:
    argv: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def text(self) -> str:
        return self.stdout.decode(errors="replace")

    @property
    def error_text(self) -> str:
        return self.stderr.decode(errors="replace")


# Writes a file atomically. The path and mode travel as positional arguments, never inside the
# script text, so no value is ever interpreted by the shell.
_WRITE_SCRIPT = (
    'set -e; d=$(dirname "$1"); mkdir -p "$d"; '
    't=$(mktemp "$d/.netui.XXXXXX"); trap \'rm -f "$t"\' EXIT; '
    'cat > "$t"; chmod "$2" "$t"; sync "$t" 2>/dev/null || true; mv -f "$t" "$1"; trap - EXIT'
)


class Stream(ABC):
    """A running command whose output is read line by line (traces, `nft monitor`)."""

    @abstractmethod
    def lines(self) -> Iterator[str]: ...

    @abstractmethod
    def cancel(self) -> None: ...


class Backend(ABC):
    """How commands reach one host."""

    #: the host's name in the environment file
    host: str
    #: how it is reached, for people ("local", "netns://x", "ssh://root@...")
    address: str

    @abstractmethod
    def run(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 30.0
    ) -> CommandResult:
        """Run argv on the host; raise Unreachable/CommandTimeout, never hang."""

    def stream(
        self, argv: Sequence[str]
    ) -> Stream:  # pragma: no cover - overridden where supported
        raise HostError(self.host, "this backend cannot stream command output")

    def check(
        self, argv: Sequence[str], *, stdin: bytes | None = None, timeout: float = 30.0
    ) -> CommandResult:
        result = self.run(argv, stdin=stdin, timeout=timeout)
        if not result.ok:
            raise CommandFailed(self.host, result)
        return result

    def run_script(self, script: str, *args: str, timeout: float = 30.0) -> CommandResult:
        """Run a POSIX sh script (given on stdin) with positional arguments."""
        return self.run(["sh", "-s", "--", *args], stdin=script.encode(), timeout=timeout)

    def read_file(self, path: str, *, timeout: float = 15.0) -> bytes:
        return self.check(["cat", "--", path], timeout=timeout).stdout

    def write_file(
        self, path: str, data: bytes, *, mode: int = 0o644, timeout: float = 15.0
    ) -> None:
        self.check(
            ["sh", "-c", _WRITE_SCRIPT, "netui-write", path, f"{mode:o}"],
            stdin=data,
            timeout=timeout,
        )

    def remove_file(self, path: str, *, timeout: float = 15.0) -> None:
        self.check(["rm", "-f", "--", path], timeout=timeout)

    def close(self) -> None:  # noqa: B027 - optional hook
        pass

    def __enter__(self) -> Backend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def timed(start: float) -> float:
    return time.monotonic() - start
