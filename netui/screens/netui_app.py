"""The running app, typed, for every screen: its session, environment, snapshots and inventory,
and the two signals by which new snapshots and the inventory reach the screens that show them.
(Only the type is imported from netui.app: the app imports the screens, not the other way.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from textual.app import App
from textual.css.query import NoMatches
from textual.dom import DOMNode

if TYPE_CHECKING:
    from netui.app import NetuiApp

T = TypeVar("T")


class InApp(Protocol):
    """A screen, a widget, a command provider: whatever runs inside the app."""

    @property
    def app(self) -> App[Any]: ...


def netui_app(node: InApp) -> NetuiApp:
    """The NetuiApp `node` runs in (every netui screen runs in one, or in a test's subclass)."""
    return cast("NetuiApp", node.app)


def follow_snapshots(node: DOMNode, shown: Callable[[str], None]) -> None:
    """`shown(host)` each time a new snapshot of `host` reached the app (a poll, the monitor),
    as long as `node` is mounted; the snapshot itself is in `netui_app(node).snapshots`."""
    netui_app(node).snapshot_arrived.subscribe(node, _quietly(shown), immediate=True)


def keep_showing(node: DOMNode, update: Callable[[], None], host: str | None = None) -> None:
    """`update()` now, every second (ages and staleness change between polls) and at once
    when a new snapshot of `host` (of any host: None) reached the app, not at the next look."""
    node.set_interval(1.0, update)
    follow_snapshots(node, lambda h: update() if host in (None, h) else None)
    update()


def follow_inventory(node: DOMNode, shown: Callable[[None], None]) -> None:
    """`shown(None)` once discovery's inventory reached the app (`netui_app(node).inventory`)."""
    netui_app(node).inventory_arrived.subscribe(node, _quietly(shown), immediate=True)


def _quietly(shown: Callable[[T], None]) -> Callable[[T], None]:
    def call(data: T) -> None:
        try:
            shown(data)
        except NoMatches:
            pass  # the screen is closing: its widgets are gone, nothing to show it on

    return call
