"""Entering a network namespace from Python (for sockets that must live inside one).

A socket belongs to the namespace its thread was in when it was created, so one process can
listen in many namespaces: each listener thread enters its namespace first. Python 3.11 has no
os.setns, hence ctypes.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def _setns(fd: int) -> None:
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        err = ctypes.get_errno()
        raise OSError(err, os.strerror(err))


def enter(name: str) -> None:
    """Move the calling thread into network namespace `name` for good."""
    fd = os.open(f"/run/netns/{name}", os.O_RDONLY)
    try:
        _setns(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def inside(name: str) -> Iterator[None]:
    """Run a block in namespace `name` and come back (sockets made inside stay there)."""
    back = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        enter(name)
        yield
    finally:
        _setns(back)
        os.close(back)
