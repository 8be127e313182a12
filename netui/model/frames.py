"""The snapshot scripts' output, cut into sections by length, never by a marker.

The script (backends/snapshot.py) captures each command's whole output before it prints a
byte of it, then prints one frame:

    F <name bytes> <output bytes> <status>\\n<name><output>\\n

where status is the command's exit status, or `big` when its output passed the section cap
(the output is then left out). A host's programs cannot forge a section: nothing they can
read says how the frames are cut, and whatever they print is counted inside their own frame.
A frame that appears twice (something wrote into the script's own output) or a stream that
ends inside a frame is refused. Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAGIC = b"netui-frames 1\n"
END = "end"
_HEADER = re.compile(rb"F (\d{1,12}) (\d{1,12}) (\d{1,3}|big)\n")
_MAX_NAME = 4096  # a path; PATH_MAX


class FrameError(ValueError):
    """The output is not a whole, well-formed stream of frames."""


@dataclass(frozen=True)
class Section:
    """One command's output as the host printed it."""

    text: str
    status: str  # exit status digits, or "big"

    @property
    def too_large(self) -> bool:
        return self.status == "big"

    @property
    def rc(self) -> int | None:
        return int(self.status) if self.status.isdigit() else None


def read_frames(data: bytes) -> dict[str, Section]:
    """{name: Section} of a framed output, in the script's order; FrameError when the stream is
    cut short, malformed, or holds a section twice. Bytes before the first frame line (a login
    banner) are skipped."""
    start = 0 if data.startswith(MAGIC) else data.find(b"\n" + MAGIC)
    if start < 0:
        raise FrameError("the output holds no netui frames")
    pos = data.index(MAGIC, start) + len(MAGIC)
    out: dict[str, Section] = {}
    while pos < len(data):
        m = _HEADER.match(data, pos)
        if m is None:
            raise FrameError(f"a malformed frame header at byte {pos}")
        name_len, body_len, status = int(m.group(1)), int(m.group(2)), m.group(3).decode()
        if name_len > _MAX_NAME:
            raise FrameError(f"a frame name of {name_len} bytes at byte {pos}")
        name_at = m.end()
        body_at = name_at + name_len
        end = body_at + body_len
        if end + 1 > len(data):
            raise FrameError(f"the output ends inside a frame (at byte {len(data)})")
        if data[end : end + 1] != b"\n":
            raise FrameError(f"a frame at byte {pos} is longer than it says")
        name = data[name_at:body_at].decode(errors="replace")
        if name in out:
            raise FrameError(f"section {name!r} appears twice: something wrote into the output")
        out[name] = Section(data[body_at:end].decode(errors="replace"), status)
        pos = end + 1
        if name == END:
            return out
    raise FrameError("the output ends before its last section")


def frame(name: str, text: str | bytes, status: str = "0") -> bytes:
    """One frame as the script prints it (tests and fuzzing build outputs with it)."""
    body = text.encode() if isinstance(text, str) else text
    raw = name.encode()
    return b"F %d %d %s\n" % (len(raw), len(body), status.encode()) + raw + body + b"\n"


def frames(sections: dict[str, str]) -> bytes:
    """A whole output: the opening line, each section (exit 0), the end frame."""
    return MAGIC + b"".join(frame(k, v) for k, v in sections.items()) + frame(END, "")
