"""The migration cockpit: one live screen for the projector while the office moves from one
cluster to another. Per cluster side by side (stacked below 100 columns): its forwarder, the
office's new connections per second through it with a sparkline, the router's routes to it,
its probes; the shared domains and where they resolve (`s` switches, with the usual preview);
a timeline of every change, exportable as the migration's record (`e`)."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Header, Static

from netui.core.migration import ClusterLive, Migration
from netui.core.verify import sparkline
from netui.screens.netui_app import keep_showing, netui_app
from netui.widgets.footer import KeyFooter
from netui.widgets.safe import Plain, safe_text

PROBE_EVERY = 6.0  # seconds between probe rounds (and DNS checks)


class ClusterLane(Plain):
    def __init__(self, name: str) -> None:
        super().__init__(classes="lane")
        self.cluster = name
        self.border_title = safe_text(f"cluster {name}")

    def show(self, c: ClusterLive, resolving: list[str], compact: bool) -> None:
        state = {True: "✓", False: f"✗ {c.why}", None: "… waiting"}[c.reachable]
        spark = sparkline(list(c.history)[-40:], floor=0) if c.history else ""
        routes = {True: "✓", False: "✗", None: "?"}[c.routes_ok]
        lines = [
            f"forwarder {c.forwarder or '(none)'} {state} · forwarding {c.forwarding} · "
            f"netui rules {c.netui_rules}",
            f"office → {c.name}: {c.connections_text} {spark}".rstrip(),
        ]
        if not compact:
            lines.append(f"  {c.bytes_text}")
        lines.append(f"router {routes} " + ("; ".join(c.routes) if c.routes else "?"))
        if resolving:
            lines.append(
                "DNS: "
                + ", ".join(resolving)
                + (" resolves" if len(resolving) == 1 else " resolve")
                + " here"
            )
        if c.probes:
            ok = sum(r.ok is True for r in c.probes)
            bad = [r for r in c.probes if r.ok is False]
            age = f" ({time.time() - c.probed_at:.0f} s ago)" if c.probed_at else ""
            head = f"probes {ok}/{len(c.probes)} ✓{age}"
            if bad:
                head += f" · ✗ {', '.join(r.target.label for r in bad[:3])}"
            lines.append(head)
            if not compact:
                for r in c.probes[:8]:
                    ms = f" {r.ms} ms" if r.ms is not None else ""
                    lines.append(f"  {r.mark} {r.target.kind:7} {r.target.label[:34]}{ms}")
        elif c.probed_at is None:
            lines.append("probes: probing…")
        else:
            lines.append("probes: nothing to probe (no API answer, no DNS IP in the file)")
        self.update("\n".join(lines))


class MigrateScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="back"),
        Binding("s", "switch", "Switch DNS", id="migrate_switch"),
        Binding("e", "export", "Export record", id="migrate_export"),
        Binding("r", "probe_now", "Probe now", id="migrate_probe"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.migration: Migration | None = None
        self.dns_ips: dict[str, str] = {}
        self.last_export: str | None = None
        self._stop = False

    def compose(self) -> ComposeResult:
        yield Header()
        with Container(id="lanes"):
            for name in netui_app(self).env.clusters:
                yield ClusterLane(name)
        yield Plain("", id="migrate-dns")
        yield Plain("", id="timeline")
        yield KeyFooter()

    def on_mount(self) -> None:
        session = netui_app(self).session
        self.title = "netui — migration"
        self.migration = Migration(netui_app(self).env, session.changes)
        self.migration.note("cockpit opened" + (" (read-only)" if netui_app(self).readonly else ""))
        self._layout()
        keep_showing(self, self._refresh_view)
        self.run_worker(self._watch, thread=True, group="migrate-probe")

    def on_unmount(self) -> None:
        self._stop = True

    def on_resize(self) -> None:
        self._layout()

    def _layout(self) -> None:
        # side by side on a wide screen, stacked on 80 columns: every lane stays readable
        self.query_one("#lanes").set_class(self.app.size.width < 100, "stacked")

    def _refresh_view(self) -> None:
        m = self.migration
        if m is None:
            return
        inventory = netui_app(self).inventory or {}
        for name, inv in inventory.items():
            m.learn_ranges(name, (*inv.pod_cidr_values, *inv.service_cidr_values))
            if inv.dns_ip:
                self.dns_ips[name] = inv.dns_ip.value
        m.observe_all(dict(netui_app(self).snapshots))
        for c in netui_app(self).env.clusters.values():
            if c.dns_ip:
                self.dns_ips.setdefault(c.name, c.dns_ip)
        for lane in self.query(ClusterLane):
            here = [d for d, c in m.domains.items() if c == lane.cluster]
            lane.show(m.clusters[lane.cluster], here, compact=self.app.size.width < 100)
        dns = self.query_one("#migrate-dns", Static)
        if netui_app(self).env.dns is None:
            dns.update("DNS: the environment file has no dns: section — nothing to switch")
        elif m.domains:
            parts = [f"{d} → {c or 'no cluster'}" for d, c in sorted(m.domains.items())]
            dns.update(
                "DNS now: "
                + ", ".join(parts)
                + "   (s: switch a shared domain to the next cluster)"
            )
        else:
            dns.update("DNS: asking the office's resolver…")
        lines = [
            f"{time.strftime('%H:%M:%S', time.localtime(at))} {text}"
            for at, text in sorted(m.timeline, reverse=True)[:8]  # newest first, in order
        ]
        self.query_one("#timeline", Static).update("\n".join(lines))
        ready = sum(c.reachable is True for c in m.clusters.values())
        self.sub_title = f"{ready}/{len(m.clusters)} forwarders reachable"

    # --- probes and DNS, in the background --------------------------------------------------

    def _watch(self) -> None:
        while not self._stop:
            self._probe_round()
            for _ in range(int(PROBE_EVERY * 10)):
                if self._stop:
                    return
                time.sleep(0.1)

    def _probe_round(self) -> None:
        from netui.core.dns import resolving_cluster
        from netui.core.errors import HostError, UserError
        from netui.core.verify import probe_plan, run_probes

        m = self.migration
        session = netui_app(self).session
        env = netui_app(self).env
        if m is None:
            return
        if env.dns is not None and env.dns.listen:
            now: dict[str, str | None] = {}
            for domain in sorted({c.domain for c in env.clusters.values()}):
                try:
                    now[domain], _answer = resolving_cluster(session, domain, dict(self.dns_ips))
                except (UserError, HostError):
                    continue
            if now:
                self.app.call_from_thread(m.observe_dns, now)
        # every cluster's targets in one probe script: one round trip to the office host
        try:
            plan = probe_plan(session, inventory=netui_app(self).inventory)
            results = run_probes(session, plan, timeout=2.0)
        except (UserError, HostError) as e:
            self.app.call_from_thread(m.note, f"cannot probe: {e}")
            return
        if self._stop:
            return
        for name in env.clusters:
            mine = [r for r in results if r.target.cluster == name]
            self.app.call_from_thread(m.observe_probes, name, mine)
        self.app.call_from_thread(self._refresh_view)

    def action_probe_now(self) -> None:
        self.run_worker(self._probe_round, thread=True, group="migrate-probe-now", exclusive=True)
        self.notify("probing every cluster now", timeout=2)

    # --- the switch ------------------------------------------------------------------------

    def action_switch(self) -> None:
        """Send a shared domain to the next cluster that uses it: planned by the core, then the
        same preview-ask-apply as every write."""
        from netui.screens.apply_flow import offer_switch

        if netui_app(self).readonly:
            self.notify("read-only: netui changes nothing in this session", severity="warning")
            return
        env = netui_app(self).env
        if env.dns is None:
            self.notify("the environment file has no dns: section", severity="warning")
            return
        m = self.migration
        assert m is not None
        shared: dict[str, list[str]] = {}
        for c in env.clusters.values():
            shared.setdefault(c.domain, []).append(c.name)
        choices = {d: names for d, names in shared.items() if len(names) > 1} or shared
        domain = sorted(choices)[0]
        users = choices[domain]
        now = m.domains.get(domain)
        target = users[(users.index(now) + 1) % len(users)] if now in users else users[0]
        offer_switch(
            self,
            domain,
            target,
            lambda text: self.notify(text, timeout=6),
            lambda outcome, status: (
                self.action_probe_now()
            ),  # its DNS check shows the move in seconds
        )

    # --- the record --------------------------------------------------------------------------

    def action_export(self) -> None:
        assert self.migration is not None
        try:
            path = self.migration.save_report()
        except OSError as e:
            self.notify(f"✗ cannot write the record: {e}", severity="error", timeout=8)
            return
        self.last_export = path
        self.migration.note(f"record exported to {path}")
        self.notify(f"the migration's record: {path}", timeout=8)
