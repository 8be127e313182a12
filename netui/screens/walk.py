"""A packet's walk through a host, step by step (the core's walk, as `netui walk` prints it):
why is it (not) let through, (not) masqueraded?"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from netui.model.snapshot import HostSnapshot
from netui.screens.netui_app import netui_app
from netui.widgets.safe import Plain


class WalkScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape", "app.pop_screen", "Close", id="close_walk")]

    def __init__(self, snap: HostSnapshot, example_source: str = "10.1.3.10") -> None:
        super().__init__()
        self.snap = snap
        self.example_source = example_source.strip() or "10.1.3.10"

    def compose(self) -> ComposeResult:
        # An example, never a value: typing over pre-filled text garbled the addresses.
        yield Input(
            placeholder=f"SRC DST [tcp|udp] [PORT], e.g. {self.example_source} 10.200.1.3 tcp 80",
            id="packet",
        )
        with VerticalScroll():
            yield Plain("", id="steps")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._walk(event.value)

    def _walk(self, text: str) -> None:
        from netui.core.errors import UserError
        from netui.core.inventory import network_map
        from netui.core.walk import PacketQuery, walk_packet

        out = self.query_one("#steps", Static)
        problem = packet_problem(text)
        if problem or self.snap.nat is None:
            out.update(problem or "this host has no nat table")
            return
        app = netui_app(self)
        networks = network_map(app.env, app.inventory or {})
        try:
            result = walk_packet(self.snap, PacketQuery.parse(text), networks)
        except UserError as e:
            out.update(str(e))
            return
        out.update("\n".join(result.lines()))


PROTOCOLS = ("tcp", "udp", "sctp", "icmp")


def _ipv4(word: str) -> bool:
    parts = word.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def packet_problem(text: str) -> str | None:
    """What is wrong with `SRC DST [PROTO] [PORT]` as typed, in one line, or None."""
    parts = text.split()
    if len(parts) < 2:
        return "give a source and a destination address: SRC DST [tcp|udp] [PORT]"
    if len(parts) > 4:
        return f"too many words ({len(parts)}): SRC DST [tcp|udp] [PORT]"
    bad = [w for w in parts[:2] if not _ipv4(w)]
    if bad:
        return f"not an IPv4 address: {bad[0][:40]!r}"
    if len(parts) > 2 and parts[2] not in PROTOCOLS:
        return (
            f"{parts[2][:40]!r} is not a protocol ({', '.join(PROTOCOLS)}); "
            "one source and one destination only"
        )
    if len(parts) > 3 and not (parts[3].isdigit() and 0 < int(parts[3]) < 65536):
        return f"not a port (1-65535): {parts[3][:40]!r}"
    return None
