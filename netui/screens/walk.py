"""A packet's walk through a host's nat table, step by step: why is it (not) masqueraded?"""

from __future__ import annotations

from dataclasses import replace

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from netui.model.snapshot import HostSnapshot


class WalkScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close", id="close_walk")]

    def __init__(self, snap: HostSnapshot, default: str = "") -> None:
        super().__init__()
        self.snap = snap
        self.default = default

    def compose(self) -> ComposeResult:
        yield Input(
            value=self.default,
            placeholder="SRC DST [tcp|udp] [PORT], e.g. 10.1.3.10 10.200.1.3 tcp 80",
            id="packet",
        )
        with VerticalScroll():
            yield Static("", id="steps")

    def on_mount(self) -> None:
        field = self.query_one(Input)
        field.focus()
        field.cursor_position = len(field.value)  # type after the pre-filled source
        if self.default:
            self._walk(self.default)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._walk(event.value)

    def _walk(self, text: str) -> None:
        from netui.doctor.masquerade import office_packet
        from netui.doctor.walk import masquerade_path

        parts = text.split()
        out = self.query_one("#steps", Static)
        if len(parts) < 2 or self.snap.nat is None:
            out.update("give a source and a destination address")
            return
        try:
            packet = office_packet(self.snap, parts[0], parts[1])
            proto = parts[2] if len(parts) > 2 else "tcp"
            port = int(parts[3]) if len(parts) > 3 else 80
            packet = replace(packet, proto=proto, dport=port)
            pre, post = masquerade_path(self.snap.nat, packet)
        except ValueError as e:
            out.update(f"not an IPv4 address or port: {e}")
            return
        lines = (pre.lines() if pre else []) + post.lines()
        verdict = "masqueraded" if post.nat_applied else "NOT masqueraded"
        out.update("\n".join(lines) + f"\n\n{verdict} ({post.verdict})")
