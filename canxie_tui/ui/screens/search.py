"""The home screen: find a person or household as you type."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, ClassVar

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import DataTable, Input, Select, Static

from canxie_tui.domain import codes
from canxie_tui.domain.dates import age_on
from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.models import SearchResult, address_with_place
from canxie_tui.store.connection import Store
from canxie_tui.store.search import Filters, search
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.field import chosen, select
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.tables import PlainTable, cursor_key
from canxie_tui.ui.widgets.text import fit
from canxie_tui.ui.widgets.titleline import TitleLine

PAGE = 200
_MIN_ADDRESS = 8  # cells: below this the address runs past the screen edge
COLUMNS = (
    ("姓名", "name"),
    ("性别", "sex"),
    ("年龄", "age"),
    ("残疾", "disability"),
    ("身份证号", "id"),
    ("电话", "phone"),
    ("状态", "status"),
    ("住址", "address"),
)
# Left out, in this order, while the address would get fewer cells than this (at 80
# columns): building and room tell two 王娜 apart, 性别 does not; a status other than
# 在册 then leads the address.
_WANT_ADDRESS = 20
_DROPPABLE = ("sex", "status")


def address_cell(address: str, place: str, width: int, matched: str = "") -> str:
    """The 住址 cell in `width` cells: the address with building/unit/room, the
    building first when it all does not fit (the street is the same for many);
    after why the row matched when no other column shows it (同户电话 …0657)."""
    why = f"（{matched}）" if matched else ""
    full = why + address_with_place(address, place)
    if cell_len(full) <= width or not place:
        return fit(full, width)
    street = address.replace(place, "").strip() if place in address else address
    return fit(f"{why}{place} {street}".strip(), width)


_FLAGS = {**codes.HOUSEHOLD_FLAGS, **codes.CARE_FLAGS}


class SearchScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+f", "focus_query", "查找", id="find", tooltip="回到查找框"),
        Binding("ctrl+n", "app.new_household", "新建户", id="new", tooltip="登记新的一户"),
        Binding("enter", "open", "打开", id="open", tooltip="打开所选人员的户", show=False),
        Binding("escape", "clear", "清空/返回", id="clear", tooltip="清空查找内容；已空时返回首页"),
    ]

    @dataclass
    class Results(Message):
        result: SearchResult
        filters: Filters

    def __init__(self) -> None:
        super().__init__()
        self._result: SearchResult | None = None
        self._search_store: Store | None = None
        self._search_lock = threading.Lock()

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Input(
            placeholder="查找：姓名 / 拼音首字母 / 身份证后4位 / 证号 / 电话 / 地址 楼栋",
            id="query",
        )
        with Horizontal(id="filters"):
            yield select(codes.CATEGORIES, blank="全部类别", id="f-category")
            yield select(codes.LEVELS, blank="全部等级", id="f-level")
            yield select(codes.PERSON_STATUSES, blank="全部状态", id="f-status")
            yield select(_FLAGS, blank="全部情况", id="f-flag")
        yield Static("", id="count", markup=False)
        table = PlainTable(id="results", cursor_type="row", zebra_stripes=True)
        yield table
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one("#results", DataTable)
        for label, key in COLUMNS:
            table.add_column(label, key=key)
        self.focus_query()

    def on_screen_resume(self) -> None:
        self.run_search()  # a household may have been edited meanwhile

    def focus_query(self) -> None:
        self.query_one("#query", Input).focus()

    # -- searching in a worker -------------------------------------------------
    def _filters(self) -> Filters:
        def value(widget_id: str) -> Any:
            return chosen(self.query_one(widget_id, Select))

        flag = value("#f-flag")
        return Filters(
            category=value("#f-category"),
            level=value("#f-level"),
            status=value("#f-status"),
            flags=frozenset({flag} if flag else ()),
        )

    @on(Input.Changed, "#query")
    @on(Select.Changed)
    def run_search(self) -> None:
        self._search(self.query_one("#query", Input).value, self._filters())

    @work(thread=True, exclusive=True, group="search", exit_on_error=False)
    def _search(self, query: str, filters: Filters) -> None:
        with self._search_lock:
            if self._search_store is None:
                self._search_store = self.canxie.store.clone()
            result = search(self._search_store, query, limit=PAGE, filters=filters)
        self.post_message(self.Results(result, filters))

    @on(Results)
    def _show(self, message: Results) -> None:
        if message.result.query != self.query_one("#query", Input).value:
            return  # typed on since: a newer search is coming
        if message.filters != self._filters():
            return
        self._result = message.result
        self._fill(message.result)
        self.query_one("#count", Static).update(self._count_text(message.result))

    def _fill(self, result: SearchResult, *, keep_cursor: bool = False) -> None:
        """The rows; the address gets every cell the other columns leave free."""
        table = self.query_one("#results", DataTable)
        cursor = table.cursor_row if keep_cursor else 0
        today = self.canxie.store.today()
        rows: list[dict[str, str]] = []
        for hit in result.hits:
            age = ""
            if hit.birth_date:
                age = str(age_on(hit.birth_date, today))
            disability = (
                f"{codes.label(codes.CATEGORIES, hit.category)}{codes.label(codes.LEVELS, hit.level)}"
                if hit.category
                else "非持证"
            )
            rows.append(
                {
                    "name": fit(hit.name, 10),
                    "sex": hit.sex,
                    "age": age,
                    "disability": disability,
                    "id": mask_id(hit.id_number),
                    "phone": hit.phone,
                    "status": codes.label(codes.PERSON_STATUSES, hit.status),
                }
            )
        keys = [key for _, key in COLUMNS[:-1]]
        width = self._address_width(table, rows, keys)
        for dropped in _DROPPABLE:
            if width >= _WANT_ADDRESS:
                break
            keys.remove(dropped)
            width = self._address_width(table, rows, keys)
        table.clear(columns=True)  # as wide as these rows, not the last ones
        for label, key in COLUMNS:
            if key in keys or key == "address":
                table.add_column(label, key=key)
        for hit, cells in zip(result.hits, rows, strict=True):
            status = (
                "" if "status" in keys or hit.status == codes.ACTIVE else f"［{cells['status']}］"
            )
            address = status + address_cell(hit.address, hit.place, width, hit.matched)
            table.add_row(*(cells[key] for key in keys), fit(address, width), key=hit.person_id)
        if result.hits and cursor:
            table.move_cursor(row=min(cursor, len(result.hits) - 1))

    @staticmethod
    def _address_width(table: DataTable[str], rows: list[dict[str, str]], keys: list[str]) -> int:
        """Cells left for 住址 once the `keys` columns are as wide as their contents."""
        labels = {key: label for label, key in COLUMNS}
        used = 0
        for key in keys:
            widest = max((cell_len(r[key]) for r in rows), default=0)
            used += max(widest, cell_len(labels[key])) + 2 * table.cell_padding
        spare = table.scrollable_content_region.width or table.size.width
        if len(rows) > table.size.height - 1:
            spare -= table.styles.scrollbar_size_vertical
        return max(spare - used - 2 * table.cell_padding, _MIN_ADDRESS)

    def on_resize(self) -> None:
        if self._result is not None:
            self._fill(self._result, keep_cursor=True)

    @staticmethod
    def _count_text(result: SearchResult) -> str:
        total = f"{result.total}{'+' if result.total_is_capped else ''}"
        shown = len(result.hits)
        if not result.query.strip():
            return (
                f"共 {total} 人（输入内容开始查找）"
                if shown == result.total
                else (f"前 {shown} 条，共 {total} 人（输入内容缩小范围）")
            )
        if not shown:
            return f"没有找到“{result.query.strip()}”"
        if shown < result.total:
            return f"前 {shown} 条，共 {total} 条"
        return f"共 {total} 条"

    # -- actions ---------------------------------------------------------------------
    @on(Input.Submitted, "#query")
    def _submitted(self) -> None:
        table = self.query_one("#results", DataTable)
        if table.row_count:
            table.focus()
            if table.row_count == 1:
                self.action_open()

    def on_key(self, event: Any) -> None:
        if event.key == "down" and self.focused is self.query_one("#query", Input):
            self.query_one("#results", DataTable).focus()
            event.stop()

    @on(DataTable.RowSelected, "#results")
    def action_open(self) -> None:
        person_id = cursor_key(self.query_one("#results", DataTable))
        if not self._result or person_id is None:
            return
        hit = next((h for h in self._result.hits if h.person_id == person_id), None)
        if hit is not None:
            from canxie_tui.ui.screens.household import HouseholdScreen

            self.app.push_screen(HouseholdScreen(hit.household_id, focus_person=hit.person_id))

    def action_focus_query(self) -> None:
        self.focus_query()

    def action_clear(self) -> None:
        query = self.query_one("#query", Input)
        if not query.value and self._filters() == Filters():
            self.app.pop_screen()
            return
        query.value = ""
        for widget in self.query(Select):
            widget.clear()
        self.focus_query()

    def on_unmount(self) -> None:
        if self._search_store is not None:
            self._search_store.close()
