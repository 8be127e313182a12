"""A Footer that rebuilds itself at most once per refresh.

Textual's Footer schedules a full recompose (one widget per key) on every bindings change, and
a screen's start publishes several (focus, keymap, theme, cursor): about ten rebuilds of a
dozen keys, 0.4 s of a 2-core machine's start-up. Changes that arrive while a rebuild is pending
are folded into it; the footer shows the same keys, just once.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

# Keys a person must always find, whatever the width: they come first.
ALWAYS = ("help", "command")
# Keys that change hosts: not offered in read-only mode (the actions refuse them anyway).
WRITES = {
    "apply",
    "apply_confirmed",
    "undo",
    "fix_finding",
    "fix_all",
    "delete_rule",
    "move_rule",
    "dns_switch",
    "toggle_taint",
    "stage_fix",
    "stage_delete",
    "stage_move",
    "staged_apply",
    "migrate_switch",
}


class KeyFooter(Footer):
    _rebuild_pending = False

    def bindings_changed(self, screen: Screen[Any]) -> None:
        self._bindings_ready = True  # what Footer itself records before rebuilding
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._rebuild_pending:
            self._rebuild_pending = True
            self.call_after_refresh(self._rebuild)

    async def _rebuild(self) -> None:
        self._rebuild_pending = False
        await self.recompose()

    def compose(self) -> ComposeResult:
        """Footer's keys, with `?` and `:` first (on 80 columns the tail is cut off) and no write
        keys in read-only mode."""
        if not self._bindings_ready:
            return
        readonly = bool(getattr(self.app, "readonly", False))
        seen: set[str] = set()
        keys = []
        for active in self.screen.active_bindings.values():
            b = active.binding
            if not b.show or b.action in seen or (readonly and b.id in WRITES):
                continue
            seen.add(b.action)
            keys.append((b, active.enabled, active.tooltip))
        keys.sort(key=lambda k: ALWAYS.index(k[0].id) if k[0].id in ALWAYS else len(ALWAYS))
        self.styles.grid_size_columns = len(keys)
        for b, enabled, tooltip in keys:
            yield FooterKey(
                b.key,
                self.app.get_key_display(b),
                b.description,
                b.action,
                disabled=not enabled,
                tooltip=tooltip,
            ).data_bind(compact=Footer.compact)
