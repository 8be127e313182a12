"""The office's DNS queries let in on a ufw host, in ufw's own terms: `ufw allow proto udp|tcp
from OFFICE to any port 53`, commented as netui's. ufw keeps its rules in /etc/ufw/user.rules
and loads them at boot and on its reloads, so nothing of netui's needs persisting here.

A rule the host had already is left alone, by apply and by undo; undo deletes exactly the rules
this step added (`ufw delete allow …`), which leaves user.rules as it was (tried: byte-identical).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from netui.plan.command import Command, Guard
from netui.plan.step import HostState, Rollback, Script, Step, register

USER_RULES = "/etc/ufw/user.rules"
PORT = "53"
PROTOS = ("udp", "tcp")
COMMENT = "netui: office DNS"

# The Ansible guard: $1 check|run, $2 add|delete, $3 proto, $4 source. Unchanged when ufw's
# own file says the rule is there (add) or not (delete).
GUARD = r"""
mode=$1 op=$2 proto=$3 src=$4
have=no
line="### tuple ### allow $proto 53 0.0.0.0/0 any $src in"
while IFS= read -r l; do
  case "$l" in "$line" | "$line "*) have=yes ;; esac
done 2>/dev/null < /etc/ufw/user.rules
{ [ "$op" = add ] && [ $have = yes ]; } || { [ "$op" = delete ] && [ $have = no ]; } && { echo netui-unchanged; exit 0; }
[ "$mode" = check ] && { echo netui-would-change; exit 0; }
if [ "$op" = add ]; then
  ufw allow proto "$proto" from "$src" to any port 53 comment "netui: office DNS" >/dev/null
else
  ufw delete allow proto "$proto" from "$src" to any port 53 >/dev/null
fi && echo netui-changed
"""


def tuple_line(proto: str, source: str) -> str:
    """How ufw's user.rules records `allow proto PROTO from SOURCE to any port 53`."""
    return f"### tuple ### allow {proto} {PORT} 0.0.0.0/0 any {source} in"


def _has(state: HostState, proto: str, source: str) -> bool:
    text = state.files.get(USER_RULES) or ""
    t = tuple_line(proto, source)  # "... in", not "... in_eth0" (a rule of one interface)
    return any(line == t or line.startswith(t + " ") for line in text.splitlines())


def _allow(proto: str, source: str) -> tuple[str, ...]:
    return ("ufw", "allow", "proto", proto, "from", source, "to", "any", "port", PORT)


@register
@dataclass(frozen=True)
class UfwAllowDns(Step):
    sources: tuple[str, ...]  # the office's ranges

    kind = "ufw-allow-dns"
    rank = 16
    rollback_rank = 9
    topic = "ufw"

    def files(self) -> tuple[str, ...]:
        return (USER_RULES,)

    def label(self) -> str:
        return "ufw: the office's DNS let in"

    def _pairs(self) -> list[tuple[str, str]]:
        return [(proto, src) for src in self.sources for proto in PROTOS]

    def apply(self, live: HostState, out: Script) -> None:
        for proto, src in self._pairs():
            if _has(live, proto, src):
                continue
            out.add(
                Command(
                    f"ufw: allow {proto}/{PORT} from {src}",
                    (*_allow(proto, src), "comment", COMMENT),
                    guards=(Guard(GUARD, ("add", proto, src)),),
                )
            )

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        for proto, src in self._pairs():
            if _has(found, proto, src) or not _has(live, proto, src):
                continue  # the host's own rule, or gone already
            out.add(
                Command(
                    f"ufw: delete the allow of {proto}/{PORT} from {src}",
                    ("ufw", "delete", *_allow(proto, src)[1:]),
                    guards=(Guard(GUARD, ("delete", proto, src)),),
                )
            )

    def rollback(self, found: HostState, out: Rollback) -> None:
        for proto, src in self._pairs():
            if not _has(found, proto, src):
                out.line(
                    shlex.join(("ufw", "delete", *_allow(proto, src)[1:])) + " >/dev/null 2>&1"
                )

    def undo_words(self) -> tuple[str, ...]:
        return tuple(
            f"ufw delete allow proto {p} from {s} to any port {PORT}" for p, s in self._pairs()
        )

    def key(self) -> tuple[Any, ...]:
        return ("ufw-allow-dns",)

    def merge(self, other: Step) -> Step:
        assert isinstance(other, UfwAllowDns)
        return UfwAllowDns(tuple(dict.fromkeys(self.sources + other.sources)))

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> UfwAllowDns:
        return cls(tuple(str(s) for s in fields.get("sources", ())))
