"""The roll call's table: the columns that fit a width, and a table that can act once painted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.cells import cell_len
from textual.geometry import Region
from textual.strip import Strip

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import Priority
from canxie_tui.ui.widgets.tables import PlainTable
from canxie_tui.ui.widgets.text import fit

COLUMNS = ("序", "姓名", "状态", "年龄", "情况", "楼栋", "电话")
NAME_WIDTH = 8
REASONS_WIDTH = (4, 40)  # (least, most) cells of 情况 and of 楼栋
PLACE_WIDTH = (4, 24)
STATUS_WIDTH = max(cell_len(label) for label in codes.ROLL_CALL_STATUSES.values())


class RollCallTable(PlainTable):
    """The roll call's table, which can run something once it has painted its rows."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.after_paint: Callable[[], object] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        lines = super().render_lines(crop)
        if self.after_paint is not None and self.row_count:
            self.call_later(self.after_paint)
            self.after_paint = None
        return lines


def layout(
    width: int, count: int, phone_cells: int, place_cells: int
) -> tuple[tuple[str, ...], int, int]:
    """The columns that fit in `width` cells for `count` rows whose phones take up to
    `phone_cells` and places up to `place_cells`, and the widths of 情况 and 楼栋.

    The phone is the number the worker dials: it always shows whole.  楼栋 takes
    what its longest place needs, 情况 what is left (the detail pane says it all);
    when both would be narrower than their headings, 年龄 goes (the detail pane says
    the age too)."""
    fixed = {
        "序": max(cell_len("序"), len(str(count))),
        "姓名": NAME_WIDTH,
        "状态": STATUS_WIDTH,
        "年龄": cell_len("年龄"),
        "电话": max(cell_len("电话"), phone_cells),
    }
    columns: tuple[str, ...] = COLUMNS
    spare = width - sum(fixed.values()) - 2 * len(columns)  # 1 cell padding each side
    if spare < REASONS_WIDTH[0] + PLACE_WIDTH[0]:
        columns = tuple(c for c in COLUMNS if c != "年龄")
        spare += fixed["年龄"] + 2
    needed = max(PLACE_WIDTH[0], place_cells)
    place = max(PLACE_WIDTH[0], min(needed, PLACE_WIDTH[1], spare - 2 * REASONS_WIDTH[0]))
    reasons = max(REASONS_WIDTH[0], min(REASONS_WIDTH[1], spare - place))
    return columns, reasons, place


def place_text(p: Priority, grid_label: str = "") -> str:
    """楼栋单元房号; grouped by grid, the grid first."""
    place = p.person.place
    return f"{grid_label}·{place}" if grid_label else place


def row_cells(
    p: Priority, rank: int, place: str, columns: tuple[str, ...], widths: tuple[int, int]
) -> list[str]:
    """The cells of a row in `columns`, 情况 and 楼栋 cut to `widths`; `place` is the
    row's 楼栋 (`place_text`: in grouped order it leads with the group)."""
    person = p.person
    cells = {
        "序": str(rank),
        "姓名": fit(person.name, NAME_WIDTH),
        "状态": p.status_label,
        "年龄": str(person.age or ""),
        "情况": fit(p.reasons_text, widths[0]),
        "楼栋": fit(place, widths[1]),
        "电话": person.phone,
    }
    return [cells[c] for c in columns]
