"""`:` command mode (k9s-style) on Textual's command palette: type a view (`doctor`, `plan`,
`dns` …), a host (`nat a-master`, `host router`) or a theme, and go there from any screen.

Views open from the clusters & hosts screen, as its own keys do: the stack is unwound to it first,
so `:` never piles screens up; the commands are the registered views (screens/views.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from netui.screens.netui_app import netui_app
from netui.screens.views import command_lines


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
        hosts = list(netui_app(self).env.hosts)
        themes = list(getattr(app, "_theme_names", []))
        for name, help_text in command_lines(hosts, themes):
            yield name, help_text, partial(self._run, name)

    def _run(self, command: str) -> None:
        app = netui_app(self)
        verb, _, arg = command.partition(" ")
        if verb == "theme":
            app.theme = arg
            return
        while len(app.screen_stack) > 1:
            app.pop_screen()
        if verb != "hosts":
            app.open_view(verb, arg or None)

    async def discover(self) -> Hits:
        for name, help_text, run in self._commands():
            yield DiscoveryHit(name, run, help=help_text)

    async def search(self, query: str) -> Hits:
        unknown = unknown_target(query, list(netui_app(self).env.hosts))
        if unknown:  # said, not silently nothing
            yield Hit(1.0, unknown, partial(self.app.notify, unknown, severity="warning"))
        matcher = self.matcher(query)
        for name, help_text, run in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), run, help=help_text)
