"""Run traceroute / tracepath on a host through its backend and parse hops as lines arrive.

`traceroute -n -q 1 -w 1` (UDP, no root needed) gives one probe per hop with a 1 s wait, so a
black hole prints `*` after a second instead of stalling; `-T -p PORT` sends TCP SYNs to the port
the target serves instead (a Service's ClusterIP is translated only for its own protocol and
port: a UDP trace to it dies behind the node that should translate it). `tracepath -n` adds the
path MTU. Parsing is per line, so a pane shows each hop the moment it is known.

`TraceRun` repeats the trace round after round and keeps per-hop statistics, as mtr and trippy
do: loss, last/avg/best/worst and a latency sparkline.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

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


def traceroute_argv(
    target: str, max_hops: int = 15, wait: float = 1.0, tcp_port: int | None = None
) -> list[str]:
    # `-w MAX,HERE,NEAR`: by default traceroute stops waiting for a hop after 10x the RTT of a
    # later hop's answer (NEAR); on a fast LAN that is a fraction of a millisecond, and a hop
    # that answers a little late shows as `*`. HERE=0,NEAR=0 waits the full MAX for each hop.
    method = ["-T", "-p", str(tcp_port)] if tcp_port else []
    return [
        "traceroute",
        "-n",
        *method,
        "-q",
        "1",
        "-w",
        f"{wait:g},0,0",
        "-m",
        str(max_hops),
        target,
    ]


class Trace:
    """A running trace: iterate `hops()`; `cancel()` stops the process on the host."""

    def __init__(
        self,
        backend: Backend,
        target: str,
        max_hops: int = 15,
        wait: float = 1.0,
        tcp_port: int | None = None,
    ) -> None:
        self.target = target
        self.stream: Stream = backend.stream(traceroute_argv(target, max_hops, wait, tcp_port))
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


_BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], floor: float | None = None) -> str:
    """One character per value, low to high between the smallest (or `floor`) and the largest;
    `·` a value that is missing (a lost probe)."""
    seen = [v for v in values if v is not None]
    if not seen:
        return "·" * len(values)
    low, high = (min(seen) if floor is None else floor), max(seen)
    span = high - low
    out = []
    for v in values:
        if v is None:
            out.append("·")
        else:
            level = 0 if span <= 0 else round((v - low) / span * (len(_BLOCKS) - 1))
            out.append(_BLOCKS[level])
    return "".join(out)


@dataclass
class HopStats:
    """One TTL across rounds."""

    ttl: int
    ips: list[str] = field(default_factory=list)  # every address that answered, first seen first
    sent: int = 0
    received: int = 0
    last: float | None = None
    best: float | None = None
    worst: float | None = None
    total: float = 0.0
    history: deque[float | None] = field(default_factory=lambda: deque(maxlen=40))
    flag: str | None = None

    def add(self, hop: Hop) -> None:
        self.sent += 1
        if hop.ip is not None:  # a silent round keeps what the hop said when it answered
            self.flag = hop.flag
        if hop.ip is not None and hop.ip not in self.ips:
            self.ips.append(hop.ip)
        if hop.ip is None or hop.rtt_ms is None:
            self.history.append(None)
            if hop.ip is not None:
                self.received += 1
            return
        self.received += 1
        self.last = hop.rtt_ms
        self.best = hop.rtt_ms if self.best is None else min(self.best, hop.rtt_ms)
        self.worst = hop.rtt_ms if self.worst is None else max(self.worst, hop.rtt_ms)
        self.total += hop.rtt_ms
        self.history.append(hop.rtt_ms)

    @property
    def loss(self) -> float:
        return 100.0 * (self.sent - self.received) / self.sent if self.sent else 0.0

    @property
    def avg(self) -> float | None:
        timed = sum(1 for v in self.history if v is not None)
        return self.total / timed if timed and self.received else None


@dataclass
class PathStats:
    """Per-TTL statistics of every round of a trace (what mtr shows)."""

    hops: dict[int, HopStats] = field(default_factory=dict)
    rounds: int = 0
    depth: int = 0  # TTLs the last finished round reached
    reached: int = 0  # TTL the round in progress has reached

    def add(self, hop: Hop) -> None:
        self.hops.setdefault(hop.ttl, HopStats(hop.ttl)).add(hop)
        self.reached = hop.ttl

    def end_round(self, hops: list[Hop]) -> None:
        self.rounds += 1
        self.depth = max((h.ttl for h in hops), default=0)
        self.reached = 0

    def path(self) -> list[Hop]:
        """The path as every round so far saw it: a TTL that answered in any round answers here
        (its latest address), so a verdict drawn from it does not flip with each round's loss."""
        return [
            Hop(h.ttl, h.ips[-1] if h.ips else None, h.last, h.flag if h.ips else None)
            for h in self.rows()
        ]

    def rows(self) -> list[HopStats]:
        """The TTLs of the path as the last round saw it, and as far as this round has come (a
        path that got shorter drops its old tail)."""
        deepest = max(self.depth, self.reached)
        return [self.hops[t] for t in sorted(self.hops) if t <= deepest]


class TraceRun:
    """Traces to one target, round after round, with statistics. A TCP trace (`tcp_port`) needs
    raw sockets: where the host refuses them (no root, no sudo) the run falls back to UDP and
    says so in `note`."""

    def __init__(
        self,
        backend: Backend,
        target: str,
        tcp_port: int | None = None,
        max_hops: int = 15,
        wait: float = 1.0,
    ) -> None:
        self.backend = backend
        self.target = target
        self.tcp_port = tcp_port
        self.max_hops = max_hops
        self.wait = wait
        self.stats = PathStats()
        self.last_hops: list[Hop] = []
        self.note: str | None = None
        self.raw: list[str] = []
        self._current: Trace | None = None
        self._cancelled = threading.Event()

    @property
    def method(self) -> str:
        return f"tcp/{self.tcp_port}" if self.tcp_port else "udp"

    def round(self, on_hop: Callable[[Hop], None] = lambda hop: None) -> list[Hop]:
        """One traceroute; each hop is counted and handed to `on_hop` as it arrives."""
        trace = Trace(self.backend, self.target, self.max_hops, self.wait, self.tcp_port)
        self._current = trace
        if self._cancelled.is_set():
            trace.cancel()
            return []
        hops: list[Hop] = []
        for hop in trace.hops():
            if self._cancelled.is_set():
                trace.cancel()
                break
            hops.append(hop)
            self.stats.add(hop)
            on_hop(hop)
        self.raw = trace.raw
        if not hops and not self._cancelled.is_set():
            said = " ".join(trace.raw).strip()
            if self.tcp_port and ("privilege" in said or "not permitted" in said):
                self.note = (
                    f"{self.backend.host} does not let netui send TCP probes ({said}); traced "
                    f"with UDP, which a Service's address does not translate"
                )
                self.tcp_port = None
                return self.round(on_hop)
            self.note = f"traceroute on {self.backend.host}: {said or 'printed nothing'}"
        if not self._cancelled.is_set():
            self.stats.end_round(hops)
            self.last_hops = hops
        return hops

    def repeat(
        self,
        on_hop: Callable[[Hop], None],
        on_round: Callable[[list[Hop]], None],
        interval: float = 1.0,
        rounds: int | None = None,
    ) -> None:
        """Round after round, one starting at most every `interval` s, until cancelled (or
        `rounds` are done)."""
        import time

        done = 0
        while not self._cancelled.is_set() and (rounds is None or done < rounds):
            started = time.monotonic()
            hops = self.round(on_hop)
            done += 1
            if self._cancelled.is_set():
                return
            on_round(hops)
            if rounds is None or done < rounds:
                self.pause(max(0.0, interval - (time.monotonic() - started)))

    def pause(self, seconds: float) -> bool:
        """Wait between rounds; False when cancelled meanwhile."""
        return not self._cancelled.wait(seconds)

    def cancel(self) -> None:
        self._cancelled.set()
        if self._current is not None:
            self._current.cancel()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()


def _ms(v: float | None) -> str:
    return "-" if v is None else f"{v:.2f}" if v < 100 else f"{v:.0f}"


# (key, heading, width); the order they are given room in when the pane is narrow
_COLUMNS = (
    ("ttl", "TTL", 3),
    ("host", "HOST", 15),
    ("loss", "LOSS", 4),
    ("avg", "AVG", 6),
    ("name", "NAME", 12),
    ("history", "HISTORY", 8),
    ("last", "LAST", 6),
    ("sent", "SNT", 4),
    ("best", "BEST", 6),
    ("worst", "WRST", 6),
)
_SHOWN_ORDER = ("ttl", "host", "name", "loss", "sent", "last", "avg", "best", "worst", "history")


def stats_table(stats: PathStats, width: int, name: Callable[[str | None], str]) -> list[str]:
    """The statistics as text lines at most `width` wide: the columns that matter most first
    (host, loss, average, the sparkline), names in the room that is left."""
    rows = stats.rows()
    host_width = max(
        [len(h.ips[-1] if h.ips else "*") + len(f" {h.flag}" if h.flag else "") for h in rows] + [4]
    )
    chosen: dict[str, int] = {}
    used = 0
    for key, _heading, w in _COLUMNS:
        w = min(w, host_width) if key == "host" else w
        # the last three only where the names keep room to be read (24 characters)
        spare = 16 if key in ("sent", "best", "worst") and "name" in chosen else 0
        if used + w + 1 + spare <= width + 1:
            chosen[key] = w
            used += w + 1
    if "name" in chosen:
        chosen["name"] += max(0, width - used)
    headings = {key: heading for key, heading, _w in _COLUMNS}

    def line(cells: dict[str, str]) -> str:
        parts = []
        for key in _SHOWN_ORDER:
            if key not in chosen:
                continue
            w = chosen[key]
            text = cells.get(key, "")
            if len(text) > w:
                text = text[: w - 1] + "…"
            right = key in ("ttl", "loss", "sent", "last", "avg", "best", "worst")
            parts.append(text.rjust(w) if right else text.ljust(w))
        return " ".join(parts).rstrip()

    out = [line(headings)]
    for h in rows:
        ip = h.ips[-1] if h.ips else None
        more = f" +{len(h.ips) - 1}" if len(h.ips) > 1 else ""
        history = sparkline(list(h.history))[-chosen.get("history", 8) :]
        out.append(
            line(
                {
                    "ttl": str(h.ttl),
                    "host": (ip or "*") + (f" {h.flag}" if h.flag else ""),
                    "name": (name(ip) if ip else "no answer") + more,
                    "loss": f"{h.loss:.0f}%",
                    "sent": str(h.sent),
                    "last": _ms(h.last),
                    "avg": _ms(h.avg),
                    "best": _ms(h.best),
                    "worst": _ms(h.worst),
                    "history": history,
                }
            )
        )
    return out
