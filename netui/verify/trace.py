"""Run traceroute / tracepath on a host through its backend and parse hops as lines arrive.

`traceroute -n -q 1 -w 1` (UDP, no root needed) gives one probe per hop with a 1 s wait, so a
black hole prints `*` after a second instead of stalling; `tracepath -n` adds the path MTU.
Parsing is per line, so a pane shows each hop the moment it is known.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from netui.backends.base import Backend, Stream

_TRACEROUTE = re.compile(
    r"^\s*(\d+)\s+(?:(\*)|(\d{1,3}(?:\.\d{1,3}){3})\s+([\d.]+)\s*ms(?:\s+(![A-Za-z0-9]*))?)"
)
_TRACEPATH_HOP = re.compile(
    r"^\s*(\d+)[?:]*:?\s+(\d{1,3}(?:\.\d{1,3}){3}|no reply)\s*(?:([\d.]+)ms)?"
)
_PMTU = re.compile(r"pmtu (\d+)")


@dataclass(frozen=True)
class Hop:
    ttl: int
    ip: str | None  # None: no answer within the wait (`*`)
    rtt_ms: float | None = None
    flag: str | None = None  # "!N" network unreachable, "!H" host unreachable, "!X" prohibited

    @property
    def answered(self) -> bool:
        return self.ip is not None


def parse_traceroute_line(line: str) -> Hop | None:
    m = _TRACEROUTE.match(line)
    if not m:
        return None
    ttl = int(m.group(1))
    if m.group(2):
        return Hop(ttl, None)
    return Hop(ttl, m.group(3), float(m.group(4)), m.group(5))


def parse_tracepath_pmtu(lines: list[str]) -> int | None:
    """The path MTU tracepath reports (its `Resume:` line, else the last `pmtu` it saw)."""
    pmtu = None
    for line in lines:
        m = _PMTU.search(line)
        if m:
            pmtu = int(m.group(1))
    return pmtu


def detect_tools(backend: Backend) -> set[str]:
    result = backend.run(
        [
            "sh",
            "-c",
            "for t in traceroute tracepath mtr; do command -v $t >/dev/null 2>&1 && echo $t; done",
        ],
        timeout=10,
    )
    return set(result.text.split())


def traceroute_argv(target: str, max_hops: int = 15, wait: float = 1.0) -> list[str]:
    # `-w MAX,HERE,NEAR`: by default traceroute stops waiting for a hop after 10x the RTT of a
    # later hop's answer (NEAR); on a fast LAN that is a fraction of a millisecond, and a hop
    # that answers a little late shows as `*`. HERE=0,NEAR=0 waits the full MAX for each hop.
    return ["traceroute", "-n", "-q", "1", "-w", f"{wait:g},0,0", "-m", str(max_hops), target]


class Trace:
    """A running trace: iterate `hops()`; `cancel()` stops the process on the host."""

    def __init__(
        self, backend: Backend, target: str, max_hops: int = 15, wait: float = 1.0
    ) -> None:
        self.target = target
        self.stream: Stream = backend.stream(traceroute_argv(target, max_hops, wait))
        self.raw: list[str] = []
        self.give_up_after = 3  # silent hops in a row
        self.stopped_early = False

    def hops(self) -> Iterator[Hop]:
        silent = 0
        for line in self.stream.lines():
            self.raw.append(line)
            hop = parse_traceroute_line(line)
            if hop is None:
                continue
            yield hop
            silent = 0 if hop.answered else silent + 1
            if silent >= self.give_up_after:
                # a black hole: the rest would only be stars, one wait each
                self.stopped_early = True
                self.cancel()
                return
            if hop.ip == self.target or (hop.flag and hop.flag.startswith("!")):
                # traceroute stops by itself here; reading to its end is cheaper than a kill
                for line in self.stream.lines():
                    self.raw.append(line)
                return

    def cancel(self) -> None:
        self.stream.cancel()


def path_mtu(backend: Backend, target: str, timeout: float = 20) -> int | None:
    result = backend.run(["tracepath", "-n", "-m", "10", target], timeout=timeout)
    return parse_tracepath_pmtu(result.text.splitlines())
