"""Where data enters the TUI's rendering: cells, statics, titles and toasts built from text a
host or API wrote are shown as text — never parsed as markup, every control and bidi character
escaped (model/safe_text). Screens use these instead of passing strings to Textual, which reads
a str as markup (`[link=…]` in a comment raised MarkupError) and sends ESC on to the terminal.
"""

from __future__ import annotations

from collections import UserString
from typing import Any

from rich.console import RenderableType
from rich.text import Span, Text
from textual.widgets import Static

from netui.model.safe_text import clean, clean_block, is_clean


class Cell(UserString):
    """A table cell: compares and reads like its str (tests, `get_cell(...) == "ok"`), renders
    as plain text. DataTable parses a str cell as markup; this is no str."""

    def __init__(self, value: object) -> None:
        super().__init__(clean(value))

    def __rich__(self) -> Text:
        return Text(self.data, no_wrap=True, end="")


def safe_text(content: object) -> Text:
    """Text that shows `content` as it is: a str escaped (newlines kept), a Text with its
    styles kept and its characters escaped. Nothing becomes markup."""
    if isinstance(content, Text):
        if is_clean(content.plain):
            return content
        cuts = sorted({i for s in content.spans for i in (s.start, s.end)})
        out = Text(style=content.style, end=content.end, no_wrap=content.no_wrap)
        for part in content.divide(cuts):
            piece = clean_block(part.plain)
            out.append_text(Text(piece, spans=[Span(0, len(piece), s.style) for s in part.spans]))
        return out
    return Text(clean_block(content if isinstance(content, str) else str(content)))


def _visual(content: Any) -> Any:
    if isinstance(content, str | Text):
        return safe_text(content)
    return content  # a widget's own renderable (a table of netui's values)


class Plain(Static):
    """A Static for anything that may hold outside text: no markup, controls escaped."""

    def __init__(self, content: RenderableType = "", **kwargs: Any) -> None:
        kwargs.setdefault("markup", False)
        super().__init__(_visual(content), **kwargs)

    def update(self, content: Any = "", *, layout: bool = True) -> None:
        super().update(_visual(content), layout=layout)


def cells(*values: object) -> list[Cell]:
    """A DataTable row of outside values: `table.add_row(*cells(a, b), key=k)`."""
    return [Cell(v) for v in values]
