"""Pick a cluster's forwarder among its nodes (for this session's plans)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from netui.widgets.safe import Plain, safe_text


class ForwarderScreen(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_pick")]

    def __init__(
        self, cluster: str, nodes: list[tuple[str, str, bool]], current: str | None
    ) -> None:
        super().__init__()
        self.cluster = cluster
        self.nodes = nodes  # (name, description, is an environment host)
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Plain(
                f"Forwarder of cluster {self.cluster} (now: {self.current or 'none'})",
                classes="title",
            )
            yield OptionList(
                *[
                    Option(
                        safe_text(
                            f"{'★ ' if n == self.current else '  '}{n}  {d}"
                            + ("" if ok else "  (no host entry: add it under hosts:)")
                        ),
                        id=n,
                        disabled=not ok,
                    )
                    for n, d, ok in self.nodes
                ],
                id="nodes",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        # the cursor starts on the forwarder there is now: the choice to keep or to move from
        names = [n for n, _, _ in self.nodes]
        if self.current in names:
            options.highlighted = names.index(self.current)
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def pick_forwarder(app: Any, cluster: str, picked: Callable[[str], None]) -> None:
    """Ask the operator for `cluster`'s forwarder among its discovered nodes; the choice holds
    for this session's plans (the environment file is not rewritten)."""
    env = app.env
    inventory = getattr(app, "inventory", None)
    if inventory is None or cluster not in inventory:
        app.notify("clusters are still being discovered", timeout=2)
        return
    nodes = [
        (
            n.name,
            f"{n.internal_ip or '?'}  {','.join(n.roles)}  {' '.join(n.taints)}",
            n.name in env.hosts,
        )
        for n in inventory[cluster].nodes
    ]

    def chosen(node: str | None) -> None:
        if not node:
            return
        clusters = dict(app.env.clusters)
        clusters[cluster] = dataclasses.replace(clusters[cluster], forwarder=node)
        app.env = dataclasses.replace(app.env, clusters=clusters)
        picked(node)
        app.notify(f"cluster {cluster}: forwarder {node} for this session's plans (p)", timeout=4)

    app.push_screen(ForwarderScreen(cluster, nodes, env.clusters[cluster].forwarder), chosen)
