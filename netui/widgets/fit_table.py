"""A DataTable that fits its terminal: low-value columns leave first on a narrow screen, and one
column (the long free text, such as why a host is down) is cut with `…` to the room that is
left instead of pushing the table sideways. The full text belongs in a detail line the screen
shows for the highlighted row."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from netui.model.safe_text import clean
from netui.widgets.safe import Cell

PADDING = 2  # DataTable's cell padding, both sides


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    min_screen: int = 0  # shown only on screens at least this wide
    fill: bool = False  # takes the room left, cut with "…"
    # a fixed width, for a column whose values arrive after the rows (the doctor's counts): the
    # table does not jump when they come, and a longer value is cut with "…"
    width: int = 0


class FitTable(DataTable[Cell]):
    """Cells hold outside text (names, reasons, CIDRs from an API): each value is escaped when
    it is put (model/safe_text) and shown as a Cell, never as markup."""

    def __init__(self, columns: list[Column], **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.spec = columns
        self.data: dict[str, dict[str, str]] = {}
        self.shown: list[Column] = []
        self._room_was: int | None = None  # the fill column's room at its last fill

    def _wanted(self) -> list[Column]:
        width = self.app.size.width
        return [c for c in self.spec if width >= c.min_screen]

    def on_mount(self) -> None:
        self._rebuild()

    def on_resize(self) -> None:
        if [c.key for c in self._wanted()] != [c.key for c in self.shown]:
            self._rebuild()
        else:
            self._refill()

    def put_row(self, key: str, values: dict[str, str]) -> None:
        """Add a row, or change the given cells of an existing one."""
        if key in self.data:
            for col, value in values.items():
                self.put(key, col, value)
            return
        self.data[key] = {c.key: clean(values.get(c.key, "")) for c in self.spec}
        if self.shown:
            self.add_row(*(self._cell(key, c) for c in self.shown), key=key)

    def put(self, key: str, col: str, value: str) -> None:
        value = clean(value)
        if self.data.get(key, {}).get(col) == value:
            return
        self.data.setdefault(key, {})[col] = value
        if key in self.rows and any(c.key == col for c in self.shown):
            column = next(c for c in self.shown if c.key == col)
            cell = self._cell(key, column)
            if self.get_cell(key, col) != cell:
                self.update_cell(key, col, cell, update_width=True)
            if not column.fill and self._room() != self._room_was:
                self._refill()

    def clear_rows(self) -> None:
        self.data.clear()
        self.clear()

    def value(self, key: str, col: str) -> str:
        """The whole text of a cell, however much of it the table shows."""
        return self.data.get(key, {}).get(col, "")

    def _room(self) -> int:
        """How many characters the fill column may have."""
        fixed = sum(
            (
                c.width
                or max([len(c.label), *(len(row.get(c.key, "")) for row in self.data.values())])
            )
            + PADDING
            for c in self.shown
            if not c.fill
        )
        return max(12, self.app.size.width - fixed - PADDING - 2)

    def _cell(self, key: str, column: Column) -> Cell:
        text = self.data.get(key, {}).get(column.key, "")
        room = self._room() if column.fill else column.width
        if room and len(text) > room:
            return Cell(text[: room - 1] + "…")
        return Cell(text)

    def _refill(self) -> None:
        self._room_was = self._room()
        for c in self.shown:
            if c.fill:
                for key in self.data:
                    cell = self._cell(key, c)
                    if key in self.rows and self.get_cell(key, c.key) != cell:
                        self.update_cell(key, c.key, cell, update_width=True)

    def _rebuild(self) -> None:
        row = self.cursor_row
        self.clear(columns=True)
        self.shown = self._wanted()
        for c in self.shown:
            # a Text, not a str: DataTable would parse a str label as markup (and load rich's
            # emoji table for it, before the first paint)
            self.add_column(Text(c.label), key=c.key, width=c.width or None)
        for key in self.data:
            self.add_row(*(self._cell(key, c) for c in self.shown), key=key)
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))

    def key_at_cursor(self) -> str | None:
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)
