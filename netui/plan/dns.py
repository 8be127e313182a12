"""The dnsmasq drop-in netui owns on the DNS host, as pure functions.

netui writes one file, `<conf_dir>/netui.conf`, with a `server=/<domain>/<cluster DNS IP>` line
per forwarded domain (and `listen-address` when the environment gives one). A drop-in rather
than a `servers-file`: it can carry the listen address too, and a reload (which dnsmasq needs for
conf files; SIGHUP re-reads only servers/hosts/resolv files) is one configured command.

When two clusters call themselves by the same domain (an old and a new cluster during a
migration), only one can be forwarded: the choice in the live file is kept, the first cluster in
the environment is the default, and `netui dns switch DOMAIN CLUSTER` changes it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

NETUI_CONF = "netui.conf"
_SERVER = re.compile(r"^server=/([^/]+)/([0-9.]+)\s*$")


@dataclass(frozen=True)
class Forward:
    domain: str
    cluster: str
    dns_ip: str


def conf_path(conf_dir: str) -> str:
    return conf_dir.rstrip("/") + "/" + NETUI_CONF


def current_choices(text: str | None) -> dict[str, str]:
    """domain -> DNS IP, as the live netui.conf forwards it."""
    out = {}
    for line in (text or "").splitlines():
        m = _SERVER.match(line.strip())
        if m:
            out[m.group(1)] = m.group(2)
    return out


def choose(
    clusters: list[tuple[str, str, str | None]],
    current: dict[str, str],
    switch: dict[str, str] | None = None,
) -> tuple[list[Forward], list[str]]:
    """(cluster, domain, dns ip) in environment order -> the forwards and notes on what was
    left out. `switch` (domain -> cluster) overrides the live choice."""
    by_domain: dict[str, list[tuple[str, str]]] = {}
    for name, domain, ip in clusters:
        if ip:
            by_domain.setdefault(domain, []).append((name, ip))
    forwards, notes = [], []
    for domain, options in by_domain.items():
        pick = options[0]
        wanted = (switch or {}).get(domain)
        if wanted is not None:
            pick = next((o for o in options if o[0] == wanted), pick)
        elif domain in current:
            pick = next((o for o in options if o[1] == current[domain]), pick)
        forwards.append(Forward(domain, pick[0], pick[1]))
        others = [o[0] for o in options if o != pick]
        if others:
            notes.append(
                f"{domain}: forwarded to cluster {pick[0]} ({pick[1]}); cluster {', '.join(others)} also use{'s' if len(others) == 1 else ''} it and stay{'s' if len(others) == 1 else ''} unresolvable from the office (`netui dns switch {domain} CLUSTER`)"
            )
    return forwards, notes


class ForwardedCluster(Protocol):
    """What the choice reads of a cluster (the doctor's ClusterFacts has it)."""

    @property
    def name(self) -> str: ...
    @property
    def domain(self) -> str: ...
    @property
    def dns_ip(self) -> str | None: ...


def netui_forwards(
    clusters: Iterable[ForwardedCluster], live: str | None, switch: dict[str, str] | None = None
) -> tuple[list[Forward], list[str]]:
    """The one place netui decides its drop-in's forwards: the clusters in environment order
    against the live netui.conf text. The planner writes this
    choice; the doctor judges others' lines against it."""
    entries = [(c.name, c.domain, c.dns_ip) for c in clusters]
    return choose(entries, current_choices(live), switch)


def render_conf(forwards: list[Forward], listen: str | None, plan_id: str) -> str:
    lines = [
        f"# written by netui (plan {plan_id}); `netui undo` puts the previous file back",
        "# cluster domains, forwarded to each cluster's DNS (kube-dns)",
    ]
    if listen:
        lines.append(f"listen-address={listen}")
    # dnsmasq has no trailing comments: the cluster's name goes on a line of its own below
    for f in forwards:
        lines += [f"server=/{f.domain}/{f.dns_ip}", f"# ^ cluster {f.cluster}"]
    return "\n".join(lines) + "\n"


def same_forwards(live: str | None, forwards: list[Forward], listen: str | None) -> bool:
    """Whether the live file already says what we would write (ignoring comments)."""
    if live is None:
        return False

    def meaning(text: str) -> set[str]:
        return {
            line.strip()
            for line in text.splitlines()
            if line.strip() and not line.strip().startswith("#")
        }

    return meaning(live) == meaning(render_conf(forwards, listen, "x"))
