"""netui's dnsmasq drop-in on the DNS host (server=/domain/ip per cluster): checked on a copy
with `dnsmasq --test` before it is written, dnsmasq reloaded, then each name must resolve.
Undo puts the previous drop-in back (or removes netui's) — unless someone rewrote it since."""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from netui.plan.command import Command
from netui.plan.step import HostState, Rollback, Script, Step, register
from netui.plan.text import carried

# $1 conf dir, $2 file name; the would-be file on stdin. Refuses when something other than
# dnsmasq holds port 53 (systemd-resolved's stub, another resolver), then checks the whole
# would-be configuration with `dnsmasq --test` on a copy: nothing live is touched.
DNS_TEST_SCRIPT = r"""
held=$( (ss -Hlnup 'sport = :53'; ss -Hlntp 'sport = :53') 2>/dev/null )
if [ -n "$held" ] && ! printf '%s' "$held" | grep -q dnsmasq; then
  echo "port 53 is held by something other than dnsmasq: $(printf '%s' "$held" | head -n 1)" >&2; exit 3
fi
command -v dnsmasq >/dev/null 2>&1 || { echo "dnsmasq is not installed on this host" >&2; exit 4; }
d=$(mktemp -d); trap 'rm -rf "$d"' EXIT
[ -d "$1" ] && cp -a "$1"/. "$d"/ 2>/dev/null
cat > "$d/$2"
main=/dev/null; [ -f /etc/dnsmasq.conf ] && main=/etc/dnsmasq.conf
dnsmasq --test --conf-file="$main" --conf-dir="$d,*.conf"
"""

# Arguments in threes: name server expected-address. Retries for ~5 s: a restart takes a moment.
DNS_VERIFY_SCRIPT = r"""
while [ $# -ge 3 ]; do
  ok=""; i=0
  while [ $i -lt 10 ]; do
    got=$(dig +short +time=1 +tries=1 "@$2" "$1" 2>/dev/null | grep -v '^;' | head -n 1)
    [ "$got" = "$3" ] && { ok=1; break; }
    i=$((i+1)); sleep 0.5
  done
  [ -n "$ok" ] || { echo "dnsmasq does not answer $1 with $3 (got '${got:-nothing}') at $2" >&2; exit 5; }
  shift 3
done
"""


@dataclass(frozen=True)
class DnsCheck:
    """After a reload, `name` must resolve to `expect` through `server`."""

    name: str
    server: str
    expect: str


@register
@dataclass(frozen=True)
class DnsDropIn(Step):
    path: str  # netui's drop-in, e.g. /etc/dnsmasq.d/netui.conf
    content: str
    reload: str  # the operator's reload command, from the environment file
    checks: tuple[DnsCheck, ...] = ()

    kind = "dns-drop-in"
    rank = 50
    rollback_rank = 8

    def label(self) -> str:
        return "DNS " + ", ".join(sorted(set(_domains(self.content))))

    def files(self) -> tuple[str, ...]:
        return (self.path,)

    def apply(self, live: HostState, out: Script) -> None:
        folder, _, name = self.path.rpartition("/")
        out.add(
            Command(
                "check port 53 and the would-be dnsmasq configuration (dnsmasq --test)",
                ("sh", "-c", DNS_TEST_SCRIPT, "netui-dns-test", folder, name),
                self.content,
                shown=f"refuse if port 53 is held by anything but dnsmasq; `dnsmasq --test` on a copy of {folder}/ with the new {name}",
                role="check",
            )
        )
        out.add(Command(f"write {self.path}", write=(self.path, self.content)))
        out.reload(self.reload, now=True)
        if self.checks:
            args = [v for c in self.checks for v in (c.name, c.server, c.expect)]
            names = ", ".join(f"{c.name} -> {c.expect} @{c.server}" for c in self.checks)
            out.add(
                Command(
                    f"check {len(self.checks)} name(s) resolve through dnsmasq",
                    ("sh", "-c", DNS_VERIFY_SCRIPT, "netui-dns-verify", *args),
                    shown=f"dig until these answer (5 s at most): {names}",
                    role="verify",
                )
            )

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        now, previous = live.files.get(self.path), found.files.get(self.path)
        # the file is back already but the reload that makes dnsmasq read it failed: still owed
        if f"reload dnsmasq: {self.reload}" in out.retry_of and now == previous:
            out.reload(self.reload, now=True)
            return
        if now is not None and now != self.content:
            return  # someone rewrote it since: theirs now
        if now is None and previous is None:
            return
        if previous is None:
            out.add(Command(f"remove {self.path}", remove=self.path))
        else:
            out.add(Command(f"put back {self.path}", write=(self.path, previous)))
        out.reload(self.reload, now=True)

    def rollback(self, found: HostState, out: Rollback) -> None:
        previous = found.files.get(self.path)
        if previous is None:
            out.run("rm", "-f", self.path)
        else:
            out.line(f"{carried(previous)} > {shlex.quote(self.path)}")
        out.line(f"sh -c {shlex.quote(self.reload)} 2>/dev/null")

    def key(self) -> tuple[Any, ...]:
        return ("dns-drop-in",)

    def conflict(self, other: Step) -> str:
        return "two different DNS drop-ins staged; keep one"

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> DnsDropIn:
        checks = tuple(DnsCheck(**c) for c in fields.pop("checks", ()))
        return cls(**fields, checks=checks)


def _domains(dnsmasq_conf: str) -> list[str]:
    """The domains a dnsmasq drop-in forwards: server=/DOMAIN/IP lines."""
    return [
        line.split("/")[1] + " → " + line.split("/")[2]
        for line in dnsmasq_conf.splitlines()
        if line.startswith("server=/") and line.count("/") >= 2
    ]
