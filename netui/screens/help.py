"""`?`: the keys in force, k9s-style — this screen's own, then those that work everywhere — each
with its binding id for keymap.yaml. Built from the bindings, so a new key shows up by itself."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def key_groups(screen: Screen[Any]) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """[(group title, [(keys, what it does, id)])] for the bindings in force on `screen`."""
    app = screen.app
    app_ids = {b.id for b in app.BINDINGS if isinstance(b, Binding)}
    own: dict[str, tuple[list[str], str, str]] = {}
    everywhere: dict[str, tuple[list[str], str, str]] = {}
    for key, active in screen.active_bindings.items():
        b = active.binding
        if not b.id:  # a widget's own keys (cursor movement, copy): not netui's to explain
            continue
        group = everywhere if active.node is app or b.id in app_ids else own
        ident = b.id or b.action
        if ident in group:
            group[ident][0].append(app.get_key_display(b) if key == b.key else key)
        else:
            group[ident] = ([app.get_key_display(b)], b.description or b.action, b.id or "")
    title = screen.title or screen.__class__.__name__.removesuffix("Screen")
    return [
        (title, [(" ".join(dict.fromkeys(k)), d, i) for k, d, i in own.values()]),
        ("everywhere", [(" ".join(dict.fromkeys(k)), d, i) for k, d, i in everywhere.values()]),
        ("moving around", list(MOVING)),
    ]


# The widgets' own keys (no binding id, so not listed above) that every screen relies on.
MOVING = (
    ("enter", "open the highlighted row; in a box: submit", ""),
    ("tab", "next pane, box or button (shift+tab: back)", ""),
    ("escape", "back or close (clears a filter first)", ""),
    ("↑↓ pgup", "move in a list (pgdn home end too)", ""),
)


def keymap_shown() -> str:
    """Where keymap.yaml lives, as the operator would type it."""
    import os

    base = "$XDG_CONFIG_HOME" if os.environ.get("XDG_CONFIG_HOME") else "~/.config"
    return f"{base}/netui/keymap.yaml"


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help-close"),
        Binding("question_mark", "dismiss", "Close", show=False, id="help-close-again"),
        Binding("q", "dismiss", "Close", show=False, id="help-close-q"),
    ]

    def __init__(self, below: Screen[Any]) -> None:
        super().__init__()
        self.groups = key_groups(below)

    def compose(self) -> ComposeResult:
        from rich.markup import escape  # a key such as `[` or a path would read as markup

        lines: list[str] = []
        for title, keys in self.groups:
            if not keys:
                continue
            lines.append(f"[b]{escape(title)}[/b]")
            width = max(len(k) for k, _, _ in keys)
            for k, what, ident in keys:
                lines.append(
                    f"  {escape(f'{k:>{width}}')}  {escape(what)}"
                    + (f"  [dim]{escape(ident)}[/dim]" if ident else "")
                )
            lines.append("")
        lines.append(f"[dim]remap by id in {escape(keymap_shown())} (id: key) · Esc closes[/dim]")
        with VerticalScroll(id="help-box"):
            yield Static("\n".join(lines), id="help-text", markup=True)

    async def action_dismiss(self, result: None = None) -> None:
        self.dismiss(result)
