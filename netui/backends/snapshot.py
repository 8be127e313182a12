"""Read a host's whole state in one round trip: a single batched sh script per host.

Over SSH one command costs ~130 ms on a reused connection, so a snapshot that ran ten commands
would spend a second and a half on round trips; the script prints every section at once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from netui.backends import Backend, HostError, Hosts
from netui.model.snapshot import HostSnapshot, parse_snapshot, unreachable

# Positional arguments: $1 the section marker, then paths of extra files or directories to read.
# Shared with the light poll (backends/light.py): the marker function, forwarding, routes.
SECTIONS = r"""
M="$1"; shift
s() { printf '%s:%s@@\n' "$M" "$1"; }
"""
FORWARDING = r"""
s ip_forward; cat /proc/sys/net/ipv4/ip_forward 2>/dev/null
"""
ROUTING = r"""
s routes; ip -j -4 route show table main 2>/dev/null || echo '[]'
s addresses; ip -j -4 addr 2>/dev/null || echo '[]'
"""
SNAPSHOT_SCRIPT = (
    SECTIONS
    + r"""
s hostname; cat /proc/sys/kernel/hostname 2>/dev/null
"""
    + FORWARDING
    + r"""
s iptables-version; iptables -V 2>/dev/null
if command -v iptables-save >/dev/null 2>&1; then
  # One save of every table: on nft each iptables-save call fetches the whole ruleset, so
  # separate nat and filter calls would cost twice. (Tables not in use are not printed.)
  s tables; { err=$(iptables-save -c 2>&1 >&3 3>&-); rc=$?; } 3>&1
  s tables.rc; echo $rc
  s tables.err; printf '%s\n' "$err"
  case "$(iptables -V 2>/dev/null)" in
    *legacy*) other=iptables-nft-save ;;
    *) other=iptables-legacy-save ;;
  esac
  s other-variant
  if command -v "$other" >/dev/null 2>&1; then "$other" 2>/dev/null | grep -c '^-A' ; else echo 0; fi
fi
"""
    + ROUTING
    + r"""
for d in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
  for f in "$d"/*; do
    [ -f "$f" ] && { s "sysctl:$f"; cat "$f"; echo; }
  done
done
[ -f /etc/sysctl.conf ] && { s "sysctl:/etc/sysctl.conf"; cat /etc/sysctl.conf; echo; }
for p in "$@"; do
  if [ -d "$p" ]; then
    for f in "$p"/*; do [ -f "$f" ] && { s "file:$f"; cat "$f"; echo; }; done
  elif [ -f "$p" ]; then
    s "file:$p"; cat "$p"; echo
  fi
done
s end
"""
)


def take_snapshot(
    backend: Backend, extra_paths: Iterable[str] = (), timeout: float = 60.0
) -> HostSnapshot:
    """Snapshot one host; a host that cannot be reached gives an `unreachable` snapshot, not an error."""
    marker = "@@netui-" + secrets.token_hex(6)
    start = time.monotonic()
    try:
        result = backend.run_script(SNAPSHOT_SCRIPT, marker, *extra_paths, timeout=timeout)
    except HostError as e:
        return unreachable(backend.host, e.message, time.monotonic() - start)
    duration = time.monotonic() - start
    if marker + ":end@@" not in result.text:
        reason = (
            result.error_text.strip()
            or f"the snapshot script stopped early (exit {result.returncode})"
        )
        return unreachable(backend.host, reason[:300], duration)
    return parse_snapshot(backend.host, result.text, marker, duration)


def snapshot_hosts(
    hosts: Hosts,
    names: Iterable[str],
    extra_paths: dict[str, list[str]] | None = None,
    timeout: float = 60.0,
) -> dict[str, HostSnapshot]:
    """Snapshot several hosts in parallel; a slow or dead host never holds up the others
    beyond its own timeout."""
    names = list(names)
    extra_paths = extra_paths or {}
    if not names:
        return {}

    def one(name: str) -> HostSnapshot:
        try:
            backend = hosts[name]
        except HostError as e:
            return unreachable(name, e.message)
        return take_snapshot(backend, extra_paths.get(name, ()), timeout)

    with ThreadPoolExecutor(max_workers=min(16, len(names))) as pool:
        return dict(zip(names, pool.map(one, names), strict=True))
