"""Benchmarks run inside the same private namespaces as the tests (re-exec under unshare)."""

from __future__ import annotations

import os
import sys


def ensure_isolated() -> None:
    if os.environ.get("NETUI_ISOLATED") == "1":
        return
    if os.geteuid() != 0:
        sys.exit("bench: needs root (network namespaces, iptables)")
    script = (
        "set -e; mount --make-rprivate /; mkdir -p /run/netns /etc/netns /run/netui-lab; "
        "mount -t tmpfs tmpfs /run/netns; mount -t tmpfs tmpfs /etc/netns; mount -t tmpfs tmpfs /run/netui-lab; "
        'ip link set lo up; export NETUI_ISOLATED=1; exec "$0" "$@"'
    )
    os.execvp(
        "unshare",
        ["unshare", "--net", "--mount", "--", "sh", "-c", script, sys.executable, *sys.argv],
    )
