"""netui's part of a firewalld host in firewalld's own terms: policies in its permanent
configuration, so its reloads and the host's boots keep them.

- `netui-office-out` (any zone -> any zone): the office's sources to the clusters' ranges are
  accepted and masqueraded: the forwarding firewalld rejects otherwise, and a masquerade that
  survives the reloads which flush netui's iptables chains.
- `netui-office-dns` (any zone -> the host): the office's DNS queries to the dnsmasq on it.

Policies, not a zone for the office's source: a source-bound zone would take the office's
packets to the host (SSH included) out of the zone that lets them in today — a lock-out.

`firewall-cmd --reload` makes firewalld read them, and flushes every iptables rule not in its
configuration (FlushAllOnReload): it runs last, after netui's restore, and netui's own chains are
put back right after it from /etc/netui/plans (the check mode of netui's restore script, where the
boot unit is installed). kube-proxy re-creates its own chains when they vanish (its canary chain).
Undo removes exactly netui's files (or puts back what was there) and reloads the same way.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from netui.model.bootstate import RESTORE_SCRIPT_PATH
from netui.model.firewall import FIREWALLD_POLICIES, NETUI_DNS_POLICY, NETUI_POLICY
from netui.plan.command import Command
from netui.plan.step import HostState, Rollback, Script, Step, register
from netui.plan.text import carried

RELOAD = ("firewall-cmd", "--reload")
# netui's chains back after the reload flushed them (only what is missing; no armed rollback)
# (true when it is not installed: a host without systemd has no netui chains to put back)
REASSERT = f"[ ! -f {RESTORE_SCRIPT_PATH} ] || sh {RESTORE_SCRIPT_PATH} check"
# After the reload: firewalld knows each policy netui wrote ($@). Policies came with firewalld
# 0.9 (RHEL 8's first releases and CentOS 7 ship older ones): there the files are ignored, the
# office stays rejected, and the host is rolled back with this reason instead of "applied".
VERIFY = r"""
for p in "$@"; do
  firewall-cmd --info-policy="$p" >/dev/null 2>&1 && continue
  echo "firewalld did not load policy $p ($(firewall-cmd --version 2>/dev/null || echo '?')): policies need firewalld 0.9 or later; let the office through its zones by hand" >&2
  exit 6
done
"""


def policy_path(name: str) -> str:
    return f"{FIREWALLD_POLICIES}/{name}.xml"


def out_policy(sources: tuple[str, ...], destinations: tuple[str, ...]) -> str:
    rules = "".join(
        f'  <rule family="ipv4"><source address="{s}"/><destination address="{d}"/>{what}</rule>\n'
        for s in sources
        for d in destinations
        for what in ("<masquerade/>", "<accept/>")
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<policy target="CONTINUE" priority="-100">\n'
        f"  <short>{NETUI_POLICY}</short>\n"
        "  <description>written by netui: the office reaches the clusters; netui undo "
        "removes it</description>\n"
        '  <ingress-zone name="ANY"/>\n'
        '  <egress-zone name="ANY"/>\n'
        f"{rules}"
        "</policy>\n"
    )


def dns_policy(sources: tuple[str, ...]) -> str:
    rules = "".join(
        f'  <rule family="ipv4"><source address="{s}"/><service name="dns"/><accept/></rule>\n'
        for s in sources
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<policy target="CONTINUE" priority="-100">\n'
        f"  <short>{NETUI_DNS_POLICY}</short>\n"
        "  <description>written by netui: the office's DNS queries to this host; netui undo "
        "removes it</description>\n"
        '  <ingress-zone name="ANY"/>\n'
        '  <egress-zone name="HOST"/>\n'
        f"{rules}"
        "</policy>\n"
    )


@register
@dataclass(frozen=True)
class FirewalldPolicies(Step):
    sources: tuple[str, ...]  # the office's ranges
    destinations: tuple[str, ...] = ()  # the clusters' ranges this host forwards to
    dns: bool = False  # the host answers the office's DNS

    kind = "firewalld-policies"
    rank = 100  # after netui's restore and the boot files: the reload flushes iptables
    rollback_rank = 99
    topic = "firewalld"

    def policies(self) -> dict[str, str | None]:
        """Each of netui's policies by name and what its file must read (None: not this plan's)."""
        return {
            NETUI_POLICY: out_policy(self.sources, self.destinations)
            if self.destinations
            else None,
            NETUI_DNS_POLICY: dns_policy(self.sources) if self.dns else None,
        }

    def wanted(self) -> dict[str, str | None]:
        """The same by file path."""
        return {policy_path(name): text for name, text in self.policies().items()}

    def files(self) -> tuple[str, ...]:
        return (policy_path(NETUI_POLICY), policy_path(NETUI_DNS_POLICY))

    def label(self) -> str:
        parts = (["forwarding"] if self.destinations else []) + (["DNS"] if self.dns else [])
        return "firewalld: " + " and ".join(parts)

    def apply(self, live: HostState, out: Script) -> None:
        changed = False
        for path, text in self.wanted().items():
            if text is not None and live.files.get(path) != text:
                out.late(
                    Command(f"firewalld's permanent configuration: {path}", write=(path, text))
                )
                changed = True
        if changed:
            self._reload(out)
            names = [name for name, text in self.policies().items() if text]
            out.late(
                Command(
                    f"check firewalld loaded {', '.join(names)}",
                    ("sh", "-c", VERIFY, "netui-firewalld-verify", *names),
                    shown=" && ".join(f"firewall-cmd --info-policy={n}" for n in names),
                    role="verify",
                )
            )

    def undo(self, live: HostState, found: HostState, out: Script) -> None:
        changed = False
        for path, text in self.wanted().items():
            now, before = live.files.get(path), found.files.get(path)
            if text is None or now != text or now == before:
                continue  # not this plan's, someone rewrote it since, or it was there already
            if before is None:
                out.late(Command(f"remove {path}", remove=path))
            else:
                out.late(Command(f"put back {path}", write=(path, before)))
            changed = True
        if changed:
            self._reload(out)

    def _reload(self, out: Script) -> None:
        out.late(
            Command(
                "firewalld reads its permanent configuration (a reload: it flushes iptables "
                "rules not in its configuration)",
                RELOAD,
                role="reload",
            )
        )
        out.late(
            Command(
                "netui's chains back after the reload (netui's restore script, where installed)",
                ("sh", "-c", REASSERT),
                shown=f"sh {RESTORE_SCRIPT_PATH} check   # if installed",
                role="reload",
            )
        )

    def rollback(self, found: HostState, out: Rollback) -> None:
        changed = False
        for path, text in self.wanted().items():
            before, q = found.files.get(path), shlex.quote(path)
            if text is None or before == text:
                continue  # not this plan's, or there already: apply wrote nothing
            wrote = f'[ "$(cat {q} 2>/dev/null)" = {shlex.quote(text.rstrip(chr(10)))} ]'
            if before is None:
                out.line(f"{wrote} && rm -f {q}")
            else:
                out.line(f"{wrote} && {carried(before)} > {q}")
            changed = True
        if changed:  # as apply: no reload (it flushes iptables) where no file changed
            out.run(*RELOAD)
            out.line(f"{{ {REASSERT}; }} >/dev/null 2>&1")

    def key(self) -> tuple[Any, ...]:
        return ("firewalld-policies",)

    def merge(self, other: Step) -> Step:
        assert isinstance(other, FirewalldPolicies)
        return FirewalldPolicies(
            tuple(dict.fromkeys(self.sources + other.sources)),
            tuple(dict.fromkeys(self.destinations + other.destinations)),
            self.dns or other.dns,
        )

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> FirewalldPolicies:
        return cls(
            tuple(str(s) for s in fields.get("sources", ())),
            tuple(str(d) for d in fields.get("destinations", ())),
            bool(fields.get("dns", False)),
        )
