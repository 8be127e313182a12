"""A rule table that renders only the lines on screen (Textual's Line API).

Textual's DataTable builds every row: 100,000 kube-proxy rules froze it for ~17 s. Here rows are
plain tuples and `render_line` formats just the visible ones, so a chain of any length paints in
the same time, and a filter only changes which tuples are shown.
"""

from __future__ import annotations

from typing import NamedTuple

from rich.segment import Segment
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from netui.model.iptables import Rule
from netui.model.owners import rule_owner
from netui.model.safe_text import clean


class RuleRow(NamedTuple):
    """One line of the list. Owner and counters are read from the rule when the line is drawn,
    so building the rows of a 20,000-rule chain costs one small tuple each, nothing more."""

    key: str  # stable identity: chain + rule text + occurrence
    rule: Rule
    rate: float = 0.0

    @property
    def position(self) -> int:
        return self.rule.position

    @property
    def packets(self) -> int:
        return self.rule.packets

    @property
    def owner(self) -> str:
        return rule_owner(self.rule)

    @property
    def text(self) -> str:
        return self.rule.text


HEADER = f"{'#':>4} {'PKTS':>6} {'RATE':>8} {'OWNER':<10} RULE"
PREFIX = len(HEADER) - len("RULE")


def compact(n: int) -> str:
    """A counter in at most 6 columns (the exact value is in the raw line below the list)."""
    if n < 10_000:
        return str(n)
    for divisor, suffix in ((10**12, "T"), (10**9, "G"), (10**6, "M"), (10**3, "k")):
        if n >= divisor:
            v = n / divisor
            return f"{v:.1f}{suffix}" if v < 100 else f"{v:.0f}{suffix}"
    return str(n)


class RuleList(ScrollView, can_focus=True):
    BINDINGS = [
        Binding("up", "cursor(-1)", show=False),
        Binding("down", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "jump(0)", show=False),
        Binding("end", "jump(-1)", show=False),
        Binding("enter", "select", show=False),
    ]
    COMPONENT_CLASSES = {
        "rule-list--cursor",
        "rule-list--hot",
        "rule-list--netui",
        "rule-list--header",
        "rule-list--staged",
    }
    DEFAULT_CSS = """
    RuleList { height: 1fr; }
    RuleList > .rule-list--cursor { background: $accent 40%; }
    RuleList > .rule-list--hot { color: $warning; text-style: bold; }
    RuleList > .rule-list--netui { color: $success; }
    RuleList > .rule-list--header { color: $text-muted; text-style: bold; }
    RuleList > .rule-list--staged { color: $error; text-style: italic; }
    """

    cursor = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, row: RuleRow | None) -> None:
            super().__init__()
            self.row = row

    class Selected(Message):
        def __init__(self, row: RuleRow) -> None:
            super().__init__()
            self.row = row

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[RuleRow] = []
        self.marks: dict[str, str] = {}  # rule text -> "del"/"move": a change staged for it

    # --- data ---------------------------------------------------------------------------------

    def set_marks(self, marks: dict[str, str]) -> None:
        """Mark the rules a staged change deletes or moves (their OWNER reads "staged:del")."""
        if marks != self.marks:
            self.marks = marks
            self.refresh()

    def set_rows(self, rows: list[RuleRow], keep: str | None = None) -> None:
        """Replace the rows; the cursor stays on the row with key `keep` (or the current one)."""
        keep = keep if keep is not None else (self.current.key if self.current else None)
        self.rows = rows
        self.virtual_size = Size(
            max(len(HEADER), max((len(r.text) for r in rows[:2000]), default=0) + PREFIX),
            len(rows) + 1,
        )
        index = (
            next((i for i, r in enumerate(rows) if r.key == keep), None)
            if keep is not None
            else None
        )
        self.cursor = index if index is not None else min(self.cursor, max(len(rows) - 1, 0))
        self.refresh()

    @property
    def current(self) -> RuleRow | None:
        return self.rows[self.cursor] if 0 <= self.cursor < len(self.rows) else None

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def move_to(self, index: int) -> None:
        self.cursor = max(0, min(index, len(self.rows) - 1))

    # --- rendering ----------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.size.width
        if y == 0:
            style = self.get_component_rich_style("rule-list--header")
            return Strip([Segment(HEADER, style)]).crop(scroll_x, scroll_x + width)
        index = scroll_y + y - 1
        if index >= len(self.rows):
            return Strip.blank(width, self.rich_style)
        r = self.rows[index]
        hot = f"▲{compact(round(r.rate))}/s" if r.rate > 0 else ""
        owner = r.owner
        staged = self.marks.get(r.text)
        # the rule's text is the host's (a comment may hold ESC or bidi controls): escaped
        shown = f"staged:{staged}" if staged else owner[:10]
        text = clean(f"{r.position:>4} {compact(r.packets):>6} {hot:>8} {shown:<10} {r.text}")
        style = self.rich_style
        if owner == "netui":
            style = style + self.get_component_rich_style("rule-list--netui")
        if staged:
            style = style + self.get_component_rich_style("rule-list--staged")
        if r.rate > 0:
            style = style + self.get_component_rich_style("rule-list--hot")
        if index == self.cursor:
            style = style + self.get_component_rich_style("rule-list--cursor")
        return Strip([Segment(text.ljust(scroll_x + width), style)]).crop(
            scroll_x, scroll_x + width
        )

    def watch_cursor(self, old: int, new: int) -> None:
        self._scroll_cursor_into_view()
        self.refresh()
        self.post_message(self.Highlighted(self.current))

    def _scroll_cursor_into_view(self) -> None:
        visible = max(self.size.height - 1, 1)
        top = self.scroll_offset.y
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False)

    # --- keys ---------------------------------------------------------------------------------

    def action_cursor(self, delta: int) -> None:
        self.move_to(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.move_to(self.cursor + direction * max(self.size.height - 2, 1))

    def action_jump(self, where: int) -> None:
        self.move_to(len(self.rows) - 1 if where < 0 else 0)

    def action_select(self) -> None:
        if self.current is not None:
            self.post_message(self.Selected(self.current))

    def on_click(self, event: object) -> None:
        y = getattr(event, "y", None)
        if isinstance(y, int) and y > 0:
            self.move_to(self.scroll_offset.y + y - 1)
