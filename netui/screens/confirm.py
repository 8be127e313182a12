"""A yes/no dialog that shows exactly what will run. Cancel has the focus: Enter cancels."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from netui.widgets.safe import Plain


class ConfirmScreen(ModalScreen[bool]):
    # The arrows scroll the commands at once, whatever has the focus (a button takes none).
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="cancel_dialog"),
        Binding("down", "scroll_body('down')", "Scroll down", id="dialog_down", show=False),
        Binding("up", "scroll_body('up')", "Scroll up", id="dialog_up", show=False),
        Binding("pagedown", "scroll_body('page_down')", "Page down", id="dialog_pgdn", show=False),
        Binding("pageup", "scroll_body('page_up')", "Page up", id="dialog_pgup", show=False),
    ]

    def __init__(self, title: str, body: str, ok_label: str = "Apply") -> None:
        super().__init__()
        self.title_text = title
        self.body = body
        self.ok_label = ok_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Plain(self.title_text, classes="title")
            with VerticalScroll(id="dialog-body"):
                yield Plain(self.body)
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(self.ok_label, id="ok", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "ok")

    def action_cancel(self) -> None:
        self.dismiss(False)

    def action_scroll_body(self, how: str) -> None:
        body = self.query_one("#dialog-body", VerticalScroll)
        getattr(body, f"scroll_{how}")(animate=False)


class ConfirmTimedScreen(ConfirmScreen):
    """Apply with a rollback armed on every host: the dialog says what the timer does and lets
    the operator pick the seconds (+/- by 30 s, or type them). Dismisses with the seconds, or
    None for Cancel."""

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="dialog-cancel-timed"),
        Binding("plus", "more", "+30 s", id="confirm-more"),
        Binding("minus", "less", "-30 s", id="confirm-less"),
    ]

    def __init__(self, title: str, body: str, seconds: int = 60) -> None:
        super().__init__(title, body, "Apply with rollback")
        self.seconds = seconds
        self._typed = False  # a digit went to the box: the next ones add to it

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Plain(self.title_text, classes="title")
            with VerticalScroll(id="dialog-body"):
                yield Plain(self.body)
            yield Plain(self._timer_text(), id="timer-text")
            with Horizontal(id="dialog-buttons"):
                # A fixed width: an Input is 100% wide by default and pushed the buttons out.
                yield Input(str(self.seconds), id="seconds", type="integer", max_length=5)
                yield Button("Cancel", id="cancel", variant="primary")
                yield Button(self.ok_label, id="ok", variant="error")

    def _timer_text(self) -> str:
        return (
            f"A rollback is armed on every host before it changes: unless you press y (anywhere "
            f"in netui) within {self.seconds} s of the apply finishing, each host undoes this plan "
            "by itself — also if netui or your SSH session dies. Seconds: +/- by 30, or type them "
            "and press Enter to apply (Enter on Cancel cancels):"
        )

    def _set(self, seconds: int) -> None:
        self.seconds = max(10, min(3600, seconds))
        self.query_one("#seconds", Input).value = str(self.seconds)
        self.query_one("#timer-text", Static).update(self._timer_text())

    def action_more(self) -> None:
        self._set(self.seconds + 30)

    def action_less(self) -> None:
        self._set(self.seconds - 30)

    def on_key(self, event: events.Key) -> None:
        """A digit typed anywhere in the dialog goes to the seconds box (the first one replaces
        what it held): the dialog asks to type them, and Cancel keeps the focus until then, so
        a blind Enter still cancels."""
        box = self.query_one("#seconds", Input)
        if event.character is None or not event.character.isdigit() or box.has_focus:
            return
        event.stop()
        event.prevent_default()
        # the focus moves on the next turn of the loop: digits typed before it lands append
        box.value = (box.value if self._typed else "") + event.character
        box.cursor_position = len(box.value)
        self._typed = True
        box.select_on_focus = False  # what was typed stays as typed, not selected to replace
        box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value.isdigit():
            self.seconds = max(10, min(3600, int(event.value)))
            self.query_one("#timer-text", Static).update(self._timer_text())

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the seconds box applies with the seconds typed (the box has the focus
        only because the operator put it there; Cancel keeps the default focus)."""
        event.stop()
        if event.value.isdigit():
            self.seconds = max(10, min(3600, int(event.value)))
        self._answer(self.seconds)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.prevent_default()  # not also ConfirmScreen's handler (Textual runs the whole MRO)
        self._answer(self.seconds if event.button.id == "ok" else None)

    def action_cancel(self) -> None:
        self._answer(None)

    def _answer(self, seconds: int | None) -> None:
        # this dialog answers with the seconds (None: cancelled), not its base class's bool
        self.dismiss(seconds)  # type: ignore[arg-type]
