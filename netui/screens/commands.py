"""`:` command mode (k9s-style) on Textual's command palette: type a view (`doctor`, `plan`,
`dns` …), a host (`nat a-master`, `host router`) or a theme, and go there from any screen.

Views open from the clusters & hosts screen, as its own keys do: the stack is unwound to it first,
so `:` never piles screens up, and each command reuses that screen's action (one code path)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

# (command, what it opens, the overview action that opens it)
VIEWS = (
    ("hosts", "clusters & hosts (the first screen)", None),
    ("doctor", "the doctor's findings, worst first", "doctor"),
    ("plan", "the plan: exact commands per host", "plan"),
    ("history", "applied plans, with undo", "history"),
    ("dns", "cluster domains, resolve box, migration switch", "dns"),
    ("traces", "trace panes from the office", "traces"),
    ("probes", "the probe grid: office -> every cluster", "probes"),
    ("hot", "the nat rules hit hardest right now", "hot"),
    ("migrate", "the migration cockpit: traffic per cluster, DNS switch, timeline", "migrate"),
)


def command_lines(hosts: list[str], themes: list[str]) -> list[tuple[str, str]]:
    """Every command the palette offers, with its help text."""
    out = [(name, help_text) for name, help_text, _ in VIEWS]
    for h in hosts:
        out.append((f"nat {h}", f"{h}: the nat table, live"))
        out.append((f"host {h}", f"{h}: forwarding, addresses, routes"))
    out += [(f"theme {t}", f"switch to the {t} theme") for t in themes]
    return out


def unknown_target(query: str, hosts: list[str]) -> str | None:
    """`nat nosuch` / `host nosuch`: the line that says there is no such host, or None."""
    verb, _, arg = query.strip().partition(" ")
    arg = arg.strip()
    if verb not in ("nat", "host") or not arg or arg in hosts:
        return None
    if any(h.startswith(arg) for h in hosts):
        return None  # still being typed
    return f"no host {arg[:40]!r} in the environment; hosts: {', '.join(hosts)}"


class NetuiCommands(Provider):
    def _commands(self) -> Iterator[tuple[str, str, Callable[[], None]]]:
        app = self.app
        hosts = list(app.env.hosts)  # type: ignore[attr-defined]
        themes = list(getattr(app, "_theme_names", []))
        for name, help_text in command_lines(hosts, themes):
            yield name, help_text, partial(self._run, name)

    def _run(self, command: str) -> None:
        from netui.screens.host import HostScreen
        from netui.screens.nat import NatScreen

        app = self.app
        verb, _, arg = command.partition(" ")
        if verb == "theme":
            app.theme = arg
            return
        while len(app.screen_stack) > 1:
            app.pop_screen()
        overview = app.screen_stack[0]
        if verb == "nat":
            app.push_screen(NatScreen(arg))
        elif verb == "host":
            app.push_screen(HostScreen(arg))
        else:
            action = next(a for n, _, a in VIEWS if n == verb)
            if action:
                getattr(overview, f"action_{action}")()

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        unknown = unknown_target(query, list(self.app.env.hosts))  # type: ignore[attr-defined]
        if unknown:  # said, not silently nothing
            yield Hit(1.0, unknown, partial(self.app.notify, unknown, severity="warning"))
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
