"""渝馨家园 month: members × days, one symbol a cell, totals per member and per day."""

from __future__ import annotations

from typing import ClassVar

from rich.cells import cell_len
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from canxie_tui.domain.daycare import MonthGrid, MonthStats
from canxie_tui.store import daycare
from canxie_tui.store.connection import Store
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.tables import PlainTable
from canxie_tui.ui.widgets.text import pad
from canxie_tui.ui.widgets.titleline import TitleLine


def load(store: Store, year: int, month: int) -> tuple[MonthGrid, MonthStats]:
    return daycare.month_grid(store, year, month), daycare.month_stats(store, year, month)


CELL = 3  # cells per day column: room for 假 (two cells wide) and a total like 17½


def cell(text: str) -> str:
    """CELL terminal cells, every mark starting in the same column under its day:
    " ✓ ", " 假" (wide), " 1 ", " 10", "17½"."""
    width = cell_len(text)
    left = max((CELL - width + 1) // 2, 0)
    return " " * left + text + " " * max(CELL - width - left, 0)


def days_text(value: float) -> str:
    """Person-days with ½ (one form on the whole grid): 17, 17½, 307½; 3 cells up to 99½."""
    whole = int(value)
    return f"{whole if whole else ''}{'½' if value != whole else ''}" or "0"


class MonthGridScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="back", tooltip="返回考勤表"),
        Binding("left_square_bracket", "month(-1)", "上月", id="prev", tooltip="上个月"),
        Binding("right_square_bracket", "month(1)", "下月", id="next", tooltip="下个月"),
    ]

    def __init__(self, year: int, month: int) -> None:
        super().__init__()
        self.year, self.month = year, month

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Static("", id="grid-head")
        yield PlainTable(id="grid", cursor_type="row", fixed_columns=1, cell_padding=0)
        yield KeyLine()

    def on_mount(self) -> None:
        self.query_one("#grid", DataTable).focus()
        self.reload()

    @work(exclusive=True, group="grid", exit_on_error=False)
    @reported
    async def reload(self) -> None:
        grid, stats = await self.canxie.db(load, self.year, self.month)
        self.query_one("#grid-head", Static).update(
            f"{stats.label}　人天 {days_text(stats.person_days)} · 服务 {stats.people} 人 · "
            f"开放 {stats.open_days} 天 · 日均 {stats.average_daily:.1f} 人 · 用餐 {stats.meals}"
            f"\n{grid.legend}　最下一行为每日人天"
        )
        table = self.query_one("#grid", DataTable)
        table.clear(columns=True)
        table.add_column(pad("学员", 10), key="name")
        for i, day in enumerate(grid.days):
            mark = "闭" if grid.closed[i] else str(day.day)
            table.add_column(cell(mark), key=str(day.day))
        table.add_column(" 合计", key="total")
        for row in grid.rows:
            table.add_row(
                pad(row.member.name, 10),
                *(cell(s) for s in row.cells),
                " " + days_text(row.person_days),
                key=row.member.id,
            )
        table.add_row(
            pad("每日合计", 10),
            *(cell(days_text(t)) if t else cell("") for t in grid.day_totals),
            " " + days_text(grid.total),
            key="totals",
        )

    def action_month(self, delta: int) -> None:
        month = self.month + delta
        self.year, self.month = self.year + (month - 1) // 12, (month - 1) % 12 + 1
        self.reload()
