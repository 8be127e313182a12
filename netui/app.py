"""The Textual app. It renders and dispatches; every action calls the same core as the CLI.

First paint comes before paramiko and kubernetes are imported: snapshots and discovery run in
thread workers started after the screen is up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.theme import Theme

from netui.model.envfile import Environment
from netui.screens.commands import NetuiCommands
from netui.themes import load_theme_files

if TYPE_CHECKING:  # the parser behind it loads after the first paint
    from netui.model.snapshot import HostSnapshot


class NetuiApp(App[None]):
    TITLE = "netui"
    # Absolute, so subclasses (the benchmark's, tests') find it wherever they are defined.
    CSS_PATH = str(Path(__file__).parent / "screens" / "netui.tcss")
    COMMANDS = App.COMMANDS | {NetuiCommands}
    BINDINGS = [
        Binding("q", "quit", "Quit", id="quit"),
        Binding("colon", "command_palette", "Command", id="command"),
        Binding("T", "next_theme", "Theme", id="theme"),
        Binding("question_mark", "help", "Help", id="help"),
    ]

    def __init__(
        self,
        env: Environment,
        theme: str | None = None,
        readonly: bool = False,
        poller_factory: Callable[[Environment, Callable[[HostSnapshot], None]], Any] | None = None,
        discover: Callable[[Environment], dict[str, Any]] | None = None,
        gather: Callable[[Environment], Any] | None = None,
    ) -> None:
        super().__init__()
        self.env = env
        self.readonly = readonly
        # Where live data comes from: HostPoller, Kubernetes discovery and the doctor's gather
        # (every host and API at once) unless given; screen tests hand in a fixed world here.
        self.poller_factory = poller_factory
        self.discover = discover
        self.gather = gather
        self.theme_problems: list[str] = []
        self._theme_names: list[str] = []
        self._wanted_theme = theme or "dark"

    def get_default_screen(self) -> Screen[Any]:
        # The overview is the first screen itself, not pushed over an empty default one.
        from netui.screens.overview import OverviewScreen

        return OverviewScreen()

    def on_mount(self) -> None:
        files, self.theme_problems = load_theme_files()
        for tf in files:
            self.register_theme(Theme(**tf.fields))
            self._theme_names.append(tf.fields["name"])
        by_short = {tf.short_name: tf.fields["name"] for tf in files}
        wanted = by_short.get(self._wanted_theme, self._wanted_theme)
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.theme_problems.append(
                f"no theme {self._wanted_theme!r}; themes: {', '.join(sorted(by_short))}"
            )
            self.theme = by_short.get("dark", "textual-dark")
        from netui.keymap import load_keymap

        keymap, key_problems = load_keymap()
        if keymap:
            self.set_keymap(keymap)
        for p in self.theme_problems + key_problems:
            self.notify(p, severity="warning", timeout=8)

    def action_next_theme(self) -> None:
        if not self._theme_names:
            return
        i = self._theme_names.index(self.theme) if self.theme in self._theme_names else -1
        self.theme = self._theme_names[(i + 1) % len(self._theme_names)]
        self.notify(f"theme: {self.theme}", timeout=2)

    def action_help(self) -> None:
        """Help generated from the bindings in force: key, what it does, and its id for keymap.yaml."""
        seen = set()
        lines = []
        for active in self.screen.active_bindings.values():
            b = active.binding
            if not b.description or b.description in seen:
                continue
            seen.add(b.description)
            lines.append(f"{b.key:>8}  {b.description}" + (f"  [{b.id}]" if b.id else ""))
        lines.append("remap: $XDG_CONFIG_HOME/netui/keymap.yaml  (id: key)")
        self.notify("\n".join(lines), title="keys", timeout=12)
