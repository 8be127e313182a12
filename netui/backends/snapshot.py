"""Read a host's whole state in one round trip: a single batched sh script per host.

Over SSH one command costs ~130 ms on a reused connection, so a snapshot that ran ten commands
would spend a second and a half on round trips; the script prints every section at once.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from netui.backends import Backend, HostError, Hosts
from netui.model.frames import FrameError, read_frames
from netui.model.snapshot import HostSnapshot, parse_snapshot, unreachable

# Positional arguments: $1 the section cap in bytes, then paths of extra files or directories
# to read. Shared with the light poll (backends/light.py): the framing, forwarding, routes.
# Nothing secret travels on argv or in the environment: the framing is by length (see
# model/frames.py), so a program the script runs cannot print a section that passes for another.
SECTIONS = r"""
LC_ALL=C; export LC_ALL
L=$1; shift
NL='
'
# x NAME CMD...: run CMD (no stdin, stderr dropped), capture all it prints (at most $L bytes),
# then print it as one frame: "F <name bytes> <output bytes> <exit status|big>\n<name><output>\n".
# ${#var} counts bytes under LC_ALL=C. CMD never holds the script's own output.
x() {
  _n=$1; shift
  _o=$( { "$@" </dev/null 2>/dev/null; printf '\n%d' "$?"; } | head -c "$L"; echo x)
  _o=${_o%x}
  if [ "${#_o}" -ge "$L" ]; then _o=; _r=big
  else _r=${_o##*"$NL"}; _o=${_o%"$NL"*}; fi
  printf 'F %d %d %s\n%s%s\n' "${#_n}" "${#_o}" "$_r" "$_n" "$_o"
}
printf 'netui-frames 1\n'
"""
FORWARDING = r"""
x ip_forward cat /proc/sys/net/ipv4/ip_forward
"""
ROUTING = r"""
x routes ip -j -4 route show table main
x addresses ip -j -4 addr
"""
# The rest of the firewall (model/firewall.py, model/nftables.py): native nft tables one by one
# (the tables iptables-nft manages were read by iptables-save above; listing them again as JSON
# would double the cost on a 100k-rule kube-proxy host), the managers' files, rp_filter, IPVS.
FIREWALL = r"""
if command -v nft >/dev/null 2>&1; then
  case "$(iptables -V 2>/dev/null)" in *nf_tables*) xt=1 ;; *) xt=0 ;; esac
  _nft_tables() { nft list tables | head -n 500; }
  x nft-tables _nft_tables
  printf '%s\n' "$_o" | while read -r kw fam name; do
    [ "$kw" = table ] || continue
    case "$xt:$fam:$name" in
      1:ip:filter|1:ip:nat|1:ip:mangle|1:ip:raw|1:ip:security) continue ;;
      1:ip6:filter|1:ip6:nat|1:ip6:mangle|1:ip6:raw|1:ip6:security) continue ;;
    esac
    x "nft:$fam $name" nft -j list table "$fam" "$name"
  done
fi
for f in /etc/firewalld/firewalld.conf /etc/ufw/ufw.conf /etc/default/ufw /etc/nftables.conf \
         /etc/firewalld/zones/*.xml /etc/firewalld/policies/*.xml; do
  [ -f "$f" ] && x "fw:$f" head -c 262144 -- "$f"
done
_nft_wants() { ls -d /etc/systemd/system/*.wants/nftables.service; }
x nftables-enabled _nft_wants
_rp_filter() {
  for f in /proc/sys/net/ipv4/conf/*/rp_filter; do
    [ -r "$f" ] && { i=${f%/rp_filter}; printf '%s %s\n' "${i##*/}" "$(cat "$f")"; }
  done
}
x rp_filter _rp_filter
[ -r /proc/net/ip_vs ] && x ip_vs head -c 1048576 /proc/net/ip_vs
"""
END = r"""
x end true
"""
# What the next boot brings back (model/bootstate.py, model/netconfig.py): netui's own files
# and unit, and the network configuration that holds routes; each file capped at 64 KiB.
BOOT_FILES = (
    "/etc/netui/restore.sh /etc/netui/restore.log /etc/netui/plans/*.conf "
    "/etc/systemd/system/netui-restore.service /etc/systemd/network/*.network "
    "/etc/netplan/*.yaml /etc/netplan/*.yml /etc/NetworkManager/system-connections/*.nmconnection "
    "/etc/network/interfaces /etc/network/interfaces.d/* "
    "/etc/sysconfig/network-scripts/route-* /etc/sysconfig/network-scripts/ifcfg-*"
)
BOOT_NAMES = (
    "/etc/systemd/system/multi-user.target.wants/netui-restore.service "
    "/etc/systemd/system/timers.target.wants/netui-restore-check.timer /etc/netui/armed/*"
)
BOOT_READS = f"""
_boot_init() {{
  if [ -d /run/systemd/system ]; then echo running; elif [ -d /etc/systemd/system ]; then echo installed; fi
}}
x boot-init _boot_init
for f in {BOOT_FILES}; do
  [ -f "$f" ] && x "boot:$f" head -c 65536 -- "$f"
done
for f in {BOOT_NAMES}; do
  [ -e "$f" ] && x "boot-name:$f" true
done
"""
SNAPSHOT_SCRIPT = (
    SECTIONS
    + r"""
x hostname cat /proc/sys/kernel/hostname
"""
    + FORWARDING
    + r"""
x iptables-version iptables -V
_save_error() { iptables-save -c 2>&1 >/dev/null; }
_other_count() {
  case "$(iptables -V 2>/dev/null)" in
    *legacy*) other=iptables-nft-save ;;
    *) other=iptables-legacy-save ;;
  esac
  if command -v "$other" >/dev/null 2>&1; then "$other" 2>/dev/null | grep -c '^-A'; else echo 0; fi
}
if command -v iptables-save >/dev/null 2>&1; then
  # One save of every table: on nft each iptables-save call fetches the whole ruleset, so
  # separate nat and filter calls would cost twice. (Tables not in use are not printed.)
  x tables iptables-save -c
  [ "$_r" = 0 ] || x tables.err _save_error
  x other-variant _other_count
fi
"""
    + FIREWALL
    + ROUTING
    + r"""
for d in /etc/sysctl.d /run/sysctl.d /usr/local/lib/sysctl.d /usr/lib/sysctl.d /lib/sysctl.d; do
  for f in "$d"/*; do
    [ -f "$f" ] && x "sysctl:$f" cat -- "$f"
  done
done
[ -f /etc/sysctl.conf ] && x "sysctl:/etc/sysctl.conf" cat /etc/sysctl.conf
"""
    + BOOT_READS
    + r"""
for p in "$@"; do
  if [ -d "$p" ]; then
    for f in "$p"/*; do [ -f "$f" ] && x "file:$f" cat -- "$f"; done
  elif [ -f "$p" ]; then
    x "file:$p" cat -- "$p"
  fi
done
"""
    + END
)
# One section (an iptables-save, a file) past this is left out and named unreadable; the whole
# output past HOST_CAP stops the read (backends cap what they read at it).
SECTION_CAP = 32 * 1024 * 1024
HOST_CAP = 64 * 1024 * 1024


def take_snapshot(
    backend: Backend, extra_paths: Iterable[str] = (), timeout: float = 60.0
) -> HostSnapshot:
    """Snapshot one host; a host that cannot be reached gives an `unreachable` snapshot, not an error."""
    start = time.monotonic()
    try:
        result = backend.run_script(
            SNAPSHOT_SCRIPT, str(SECTION_CAP), *extra_paths, timeout=timeout
        )
    except HostError as e:
        return unreachable(backend.host, e.message, time.monotonic() - start)
    duration = time.monotonic() - start
    try:
        sections = read_frames(result.stdout)
    except FrameError as e:
        reason = result.error_text.strip() or (
            f"the snapshot script stopped early (exit {result.returncode}): {e}"
        )
        return unreachable(backend.host, reason[:300], duration)
    return parse_snapshot(backend.host, sections, duration)


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
