"""Every view netui opens, registered once (k9s's registrar): its name (the `:` command), what it
shows, its key on the clusters & hosts screen with the binding id keymap.yaml remaps, what it
needs (a host, a cluster or nothing) and how to build it. The overview's keys, the `:` palette,
`?` (through the bindings), the every-key test and the snapshot list are read from here, so a new
view is one entry. The screens are imported only when a view opens (first paint stays light)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from textual.binding import Binding, BindingType
from textual.screen import Screen

Needs = Literal["host", "cluster"] | None


@dataclass(frozen=True)
class View:
    name: str
    help: str  # what the `:` palette says about it
    build: Callable[[str | None], Screen[Any]]  # its screen, given the host or cluster it needs
    key: str | None = None  # its key on the clusters & hosts screen
    label: str = ""  # the key's word in the footer and in `?`
    binding_id: str = ""  # the id keymap.yaml remaps (the name when not given)
    needs: Needs = None
    command: bool = True  # offered by the `:` palette (with a host's name when it needs one)
    # what it shows comes from the hosts of an environment file: with the kubeconfig alone
    # (no file) it does not open, and one line says so
    from_hosts: bool = True

    @property
    def ident(self) -> str:
        return self.binding_id or self.name

    def binding(self) -> Binding:
        return Binding(self.key or "", f"open_view('{self.name}')", self.label, id=self.ident)


def _nat(host: str | None) -> Screen[Any]:
    from netui.screens.nat import NatScreen

    assert host is not None
    return NatScreen(host)


def _host(host: str | None) -> Screen[Any]:
    from netui.screens.host import HostScreen

    assert host is not None
    return HostScreen(host)


def _nodes(cluster: str | None) -> Screen[Any]:
    from netui.screens.nodes import NodesScreen

    assert cluster is not None
    return NodesScreen(cluster)


def _findings(host: str | None) -> Screen[Any]:
    from netui.screens.findings import FindingsScreen

    return FindingsScreen(host)


def _plan(_: str | None) -> Screen[Any]:
    from netui.screens.plan import PlanScreen

    return PlanScreen()


def _history(_: str | None) -> Screen[Any]:
    from netui.screens.plan import HistoryScreen

    return HistoryScreen()


def _dns(_: str | None) -> Screen[Any]:
    from netui.screens.dns import DnsScreen

    return DnsScreen()


def _traces(_: str | None) -> Screen[Any]:
    from netui.screens.verify import TraceScreen

    return TraceScreen()


def _probes(_: str | None) -> Screen[Any]:
    from netui.screens.verify import ProbeScreen

    return ProbeScreen()


def _hot(_: str | None) -> Screen[Any]:
    from netui.screens.hot import HotRulesScreen

    return HotRulesScreen()


def _migrate(_: str | None) -> Screen[Any]:
    from netui.screens.migrate import MigrateScreen

    return MigrateScreen()


def _staged(_: str | None) -> Screen[Any]:
    from netui.screens.staged import StagedScreen

    return StagedScreen()


# In the order of the overview's footer and of `:` (the order operators learnt them in).
VIEWS = (
    View("nat", "the nat table, live", _nat, "enter", "Open host", "open_host", "host"),
    View(
        "host", "forwarding, addresses, routes", _host, "i", "Host & routes", "host_detail", "host"
    ),
    View(
        "nodes",
        "a cluster's nodes and services",
        _nodes,
        needs="cluster",
        command=False,
        from_hosts=False,
    ),
    View("doctor", "the doctor's findings, worst first", _findings, "d", "Doctor"),
    View("plan", "the plan: exact commands per host", _plan, "p", "Plan"),
    View("traces", "trace panes from the office", _traces, "t", "Traces"),
    View("probes", "the probe grid: office -> every cluster", _probes, "o", "Probes"),
    View(
        "dns",
        "cluster domains, resolve box, migration switch",
        _dns,
        "n",
        "DNS",
        from_hosts=False,
    ),
    View("hot", "the nat rules hit hardest right now", _hot, "k", "Hot rules", "hot_rules"),
    View("history", "applied plans, with undo", _history, "h", "History"),
    View(
        "migrate",
        "the migration cockpit: traffic per cluster, DNS switch, timeline",
        _migrate,
        "m",
        "Migrate",
    ),
    # `S` works on every screen: the app's own binding opens it
    View("staged", "every staged edit, its before/after, applied as one plan", _staged),
)
BY_NAME = {v.name: v for v in VIEWS}


def view(name: str) -> View:
    return BY_NAME[name]


def overview_bindings(own: dict[str, list[Binding]]) -> list[BindingType]:
    """The keys of the clusters & hosts screen: every view that has one, with the screen's own
    keys (`own`: binding id of the view they come before -> them) in their place in the footer."""
    out: list[BindingType] = []
    for v in VIEWS:
        if v.key:
            out += [*own.get(v.ident, []), v.binding()]
    return out


def command_lines(hosts: list[str], themes: list[str]) -> list[tuple[str, str]]:
    """Every command the `:` palette offers, with its help text."""
    out = [("hosts", "clusters & hosts (the first screen)")]
    out += [(v.name, v.help) for v in VIEWS if v.command and v.needs is None]
    for h in hosts:
        out += [
            (f"{v.name} {h}", f"{h}: {v.help}") for v in VIEWS if v.command and v.needs == "host"
        ]
    return out + [(f"theme {t}", f"switch to the {t} theme") for t in themes]
