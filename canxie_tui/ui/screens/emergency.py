"""突发事件点名: the priority list of the current event, one key per roll-call status."""

from __future__ import annotations

import sys
from functools import partial
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from rich.cells import cell_len
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import EmergencyEvent, Priority
from canxie_tui.store import emergency
from canxie_tui.store.emergency import View
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.screens.help import left_out_keys
from canxie_tui.ui.widgets.field import chosen, select
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.paging import PAGE, page_end, paging_note, rows_to_keep, wants_next_page
from canxie_tui.ui.widgets.roll_call import (
    COLUMNS,
    PLACE_WIDTH,
    REASONS_WIDTH,
    RollCallTable,
    layout,
    place_text,
    row_cells,
)
from canxie_tui.ui.widgets.tables import add_keyed_columns, keep_cursor
from canxie_tui.ui.widgets.text import WrappedStatic
from canxie_tui.ui.widgets.titleline import TitleLine

STATUS_KEYS = {"1": "pending", "2": "safe", "3": "help", "4": "moved", "5": "unreachable"}


GROUPINGS = ("", "grid", "building")  # g cycles: risk order, by grid, by building
GROUPING_LABELS = {"": "按风险排序", "grid": "按网格分组", "building": "按楼栋分组"}


# The filter (text, status) of each app's roll call, kept when the screen is left.
_FILTERS: WeakKeyDictionary[App[Any], tuple[str, str | None]] = WeakKeyDictionary()


class EmergencyScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "escape",
            "back",
            "返回",
            id="back",
            tooltip="返回首页（在筛选框里：清空筛选，回到名单）",
        ),
        Binding("2", "status('safe')", "安全", id="safe", tooltip="已联系，安全"),
        Binding("3", "status('help')", "需帮助", id="help", tooltip="需要帮助（生成紧急跟进）"),
        Binding("4", "status('moved')", "已转移", id="moved", tooltip="已转移安置到安全处"),
        Binding(
            "5",
            "status('unreachable')",
            "联系不上",
            id="unreachable",
            tooltip="联系不上→需上门（生成跟进）",
        ),
        Binding(
            "1", "status('pending')", "改回未联系", id="pending", tooltip="改回未联系", show=False
        ),
        Binding("n", "note", "备注", id="note", tooltip="为所选的人写一句情况"),
        Binding("slash", "focus_filter", "筛选", id="filter", tooltip="按楼栋或姓名缩小名单"),
        Binding(
            "g", "grouping", "分组", id="group", tooltip="按风险 / 按网格 / 按楼栋排列", show=False
        ),
        Binding(
            "p",
            "call_sheet",
            "呼叫单",
            id="sheet",
            tooltip="导出可打印的呼叫单（Excel）",
            show=False,
        ),
        Binding(
            "r", "report", "报告", id="report", tooltip="导出当前进展报告（Excel）", show=False
        ),
        Binding(
            "e", "start_event", "新事件", id="start", tooltip="开始一个新的突发事件", show=False
        ),
        Binding(
            "x",
            "close_event",
            "结束事件",
            id="close",
            tooltip="结束当前事件（保留记录）",
            show=False,
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.event: EmergencyEvent | None = None
        self.view: View | None = None  # everyone in the current view, in table order
        self.rows: list[Priority] = []  # the rows loaded into the table, in its order
        self.heading = ""  # event line and progress, without the paging note
        self.grouping = ""
        self.columns: tuple[str, ...] = ()
        self.widths = (REASONS_WIDTH[1], PLACE_WIDTH[1])  # 情况, 楼栋
        self.fitted = (0, 0, 0, 0)  # what the columns are fitted to (see `_fit`)
        self._opening = False  # read at mount, not again when first shown
        self._ahead: tuple[View, int, list[Priority]] | None = None  # the next page, read

    def compose(self) -> ComposeResult:
        text, _ = _FILTERS.get(self.app, ("", None))
        yield TitleLine()
        yield Static("正在读取…", id="event-head", markup=False)
        with Horizontal(id="filters"):
            yield Input(text, placeholder="楼栋或姓名，如 3栋", id="e-query")
            yield select(codes.ROLL_CALL_STATUSES, blank="全部状态", id="e-status")
        # The keys the footer has no room for at 80 columns (F1 lists them all).
        yield Label(left_out_keys(self.BINDINGS), id="more-keys")
        yield RollCallTable(id="rollcall", cursor_type="row", zebra_stripes=True)
        yield WrappedStatic("", id="person-detail")  # phones never split
        yield KeyLine()

    def on_mount(self) -> None:
        _, status = _FILTERS.get(self.app, ("", None))
        if status is not None:
            self.query_one("#e-status", Select).value = status
        table = self.query_one("#rollcall", DataTable)
        self.columns = COLUMNS
        add_keyed_columns(table, COLUMNS)  # fitted to the width once the list is read
        table.focus()
        self.reload()  # now: the list is read while the screen is laid out
        self._opening = True

    def on_screen_resume(self) -> None:
        if self._opening:  # the first showing: already being read
            self._opening = False
            return
        self.reload()

    def on_resize(self) -> None:
        if self.event is not None:  # the columns are fitted to the width, once it is laid out
            self.call_after_refresh(self.reload)

    # -- loading -------------------------------------------------------------------
    def _filter(self) -> tuple[str, str | None]:
        return (
            self.query_one("#e-query", Input).value.strip(),
            chosen(self.query_one("#e-status", Select)),
        )

    @on(Input.Changed, "#e-query")
    @on(Select.Changed, "#e-status")
    def _filters_changed(self) -> None:
        _FILTERS[self.app] = self._filter()
        self.reload(first_page=True)

    @work(exclusive=True, group="rollcall", exit_on_error=False)
    @reported
    async def reload(self, first_page: bool = False) -> None:
        """Read the list again; `first_page` starts over at the top with one page,
        otherwise the cursor and as many rows as were loaded stay.  Only the rows
        loaded are read: the list itself is everyone's place in it."""
        query, status = self._filter()
        table = self.query_one("#rollcall", DataTable)
        keep = PAGE if first_page else rows_to_keep(table)
        view = await self.canxie.db(
            emergency.view,
            status=status,
            query=query or None,
            grouping=self.grouping,
            first=page_end(0, sys.maxsize, keep),
        )
        old, self.view = self.view, view
        self.event = view.event if view is not None else None
        if view is None:
            self.rows = []
            table.clear()
            self.query_one("#person-detail", WrappedStatic).show("")
            self.query_one("#event-head", Static).update(
                "当前没有突发事件。按 e 开始一个事件（停电、暴雨、高温、寒潮…）。"
            )
            return
        event = view.event
        scope = f"　范围：{event.scope_text}" if event.scope else ""
        kind = "" if event.kind_label in event.name else f"（{event.kind_label}）"
        self.heading = (
            f"{event.name}{kind}　开始 {event.started_at.replace('T', ' ')[:16]}{scope}\n"
            f"{view.progress.text}　共 {view.total} 人"
            + (f"，筛选后 {len(view)} 人" if len(view) != view.total else "")
        )
        if first_page or not self._refresh_in_place(table, old, view):
            self._show(table, view.rows, 0 if first_page else table.cursor_row)
        self._show_detail()

    def _show(self, table: DataTable[str], rows: list[Priority], cursor_row: int) -> None:
        """The table made again with `rows`, the view's first ones, its columns fitted
        to them; the cursor on `cursor_row`.  Near the top, the rows beyond the first
        screenful follow after the first frame: the table measures every cell it is
        given before it shows any."""
        self._fit_columns(table, self._fit(rows))
        self.rows = []
        screenful = table.size.height or self.app.size.height
        first = len(rows) if cursor_row >= screenful else screenful
        self._add_rows(table, rows[:first])
        keep_cursor(table, cursor_row)
        if first < len(rows) and isinstance(table, RollCallTable):
            table.after_paint = partial(self._add_rest, self.view, rows[first:], first)

    def _add_rest(self, view: View | None, rows: list[Priority], start: int) -> None:
        if self.view is view and len(self.rows) == start:  # nothing came between
            self._add_rows(self.query_one("#rollcall", DataTable), rows)

    def _refresh_in_place(self, table: DataTable[str], old: View | None, view: View) -> bool:
        """The rows read again where they are (after a mark: its row, the heading), when
        the same people show in the same places and columns; False when not."""
        loaded = len(self.rows)
        if (
            old is None
            or len(view.rows) < loaded
            or self._fit(view.rows) != self.fitted
            or view.pks[:loaded] != old.pks[:loaded]
            or list(view.ranks[:loaded]) != list(old.ranks[:loaded])
            or list(view.groups[:loaded]) != list(old.groups[:loaded])
        ):
            return False
        for i, (was, now) in enumerate(zip(self.rows, view.rows[:loaded], strict=True)):
            if was != now:
                self.rows[i] = now
                key = now.person.person_id
                for column, cell in zip(self.columns, self._cells(now, i), strict=True):
                    table.update_cell(key, column, cell)
        self._add_rows(table, view.rows[loaded:])  # whole pages, and the heading
        return True

    def _fit(self, rows: list[Priority], start: int = 0) -> tuple[int, int, int, int]:
        """What the columns are fitted to: the table's width, the view's length, and
        the cells the phones and places of `rows` (the view's from `start`) take."""
        table = self.query_one("#rollcall", DataTable)
        view = self.view
        assert view is not None
        width = (table.size.width or self.app.size.width) - table.styles.scrollbar_size_vertical
        phone = max((cell_len(p.person.phone) for p in rows), default=0)
        place = max(
            (cell_len(self._place(p, view.groups[i])) for i, p in enumerate(rows, start)),
            default=0,
        )
        return width, len(view), phone, place

    def _fit_columns(self, table: DataTable[str], fit: tuple[int, int, int, int]) -> None:
        """Columns for `fit` (see `_fit`), made again: a column never narrows by itself."""
        width, count, phone, place = self.fitted = fit
        columns, *widths = layout(width, count, phone, place)
        self.widths = (widths[0], widths[1])
        self.columns = columns
        table.clear(columns=True)
        add_keyed_columns(table, columns)

    def _add_rows(self, table: DataTable[str], rows: list[Priority]) -> None:
        """Append `rows`, the view's next ones, and say how many show."""
        view = self.view
        assert view is not None
        start = len(self.rows)
        self.rows.extend(rows)
        for i, p in enumerate(rows, start):
            table.add_row(*self._cells(p, i), key=p.person.person_id)
        note = paging_note(len(self.rows), len(view))
        more = f"\n{note}（光标移到最后一行时载入更多）" if note else ""
        self.query_one("#event-head", Static).update(self.heading + more)
        if note and len(self.rows) % PAGE == 0 and isinstance(table, RollCallTable):
            # A whole page: the next one is read once this one is painted.
            table.after_paint = partial(self.read_ahead, view, len(self.rows))

    def _cells(self, p: Priority, index: int) -> list[str]:
        """The cells of the view's row `index` (see `roll_call.row_cells`)."""
        assert self.view is not None
        place = self._place(p, self.view.groups[index])
        return row_cells(p, self.view.ranks[index], place, self.columns, self.widths)

    def _place(self, p: Priority, group_label: str) -> str:
        return place_text(p, group_label if self.grouping == "grid" else "")

    @work(exclusive=True, group="rollcall-ahead", exit_on_error=False)
    async def read_ahead(self, view: View, start: int) -> None:
        """The page after the rows shown, read before the cursor gets there (and
        forgotten when the list is read again: a mark, a filter)."""
        rows = await self._read_page(view, start)
        if self._showing(view, start):
            self._ahead = (view, start, rows)

    async def _read_page(self, view: View, start: int) -> list[Priority]:
        pks = view.pks[start : page_end(start, len(view))]
        return await self.canxie.db(emergency.page, view.event, pks)

    def _showing(self, view: View, start: int) -> bool:
        """Whether `view` is the list shown with `start` rows loaded: a page of it read
        from `start` is the next one (not after a reload, nor a page come another way)."""
        return self.view is view and len(self.rows) == start

    @work(exclusive=True, group="rollcall-page", exit_on_error=False)
    @reported
    async def load_more(self) -> None:
        await self._next_page()

    async def _next_page(self) -> None:
        """At the last loaded row with more to show: the next page appended, as read
        ahead or read now."""
        view, table = self.view, self.query_one("#rollcall", DataTable)
        if view is None or not wants_next_page(table, len(view)) or self._append_ahead(table):
            return
        start = len(self.rows)
        self._take_page(table, view, start, await self._read_page(view, start))

    def _append_ahead(self, table: DataTable[str]) -> bool:
        """The page read ahead taken, if it is the next one of the list shown."""
        ahead, self._ahead = self._ahead, None
        return ahead is not None and self._take_page(table, *ahead)

    def _take_page(
        self, table: DataTable[str], view: View, start: int, rows: list[Priority]
    ) -> bool:
        """`rows`, read from `start` of `view`, appended if they are the next page of the
        list shown; a page short of someone who left the register since the list was
        read has the list read again instead.  False: not the next page."""
        if not self._showing(view, start):
            return False
        if len(rows) < page_end(start, len(view)) - start:  # someone left the register
            self.reload()
        else:
            self._append(table, rows)
        return True

    def _append(self, table: DataTable[str], rows: list[Priority]) -> None:
        """The next page appended, the columns fitted again first if its phones or
        places are wider."""
        width, count, phone, place = self._fit(rows, len(self.rows))
        fitted = self.fitted
        if (width, count, max(phone, fitted[2]), max(place, fitted[3])) != fitted:
            self._show(table, self.rows + rows, table.cursor_row)
        else:
            self._add_rows(table, rows)

    def selected(self) -> Priority | None:
        table = self.query_one("#rollcall", DataTable)
        if not table.row_count or table.cursor_row >= min(len(self.rows), table.row_count):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#rollcall")
    def _row_highlighted(self) -> None:
        table = self.query_one("#rollcall", DataTable)
        if (
            self.view is not None
            and wants_next_page(table, len(self.view))
            and not self._append_ahead(table)
        ):
            self.load_more()
        self._show_detail()

    def _show_detail(self) -> None:
        p = self.selected()
        detail = self.query_one("#person-detail", WrappedStatic)
        if p is None:
            detail.show("")
            return
        note = f"　备注：{p.note}" if p.note else ""
        age = f"（{p.person.age}岁）" if p.person.age and "年龄" not in self.columns else ""
        detail.show(
            f"{p.person.name}{age}：{p.reasons_text}\n联系：{p.contact}　{p.person.contacts}\n"
            f"检查：{p.checks_text}{note}"
        )

    # -- roll call -------------------------------------------------------------------
    @reported
    async def action_status(self, status: str) -> None:
        p = self.selected()
        if p is None or self.event is None:
            return
        check = await self.canxie.db(emergency.set_status, self.event, p.person.person_id, status)
        if status in ("help", "unreachable"):
            self.canxie.notify(f"{p.person.name}：{codes.ROLL_CALL_STATUSES[status]}，已生成跟进")
        table = self.query_one("#rollcall", DataTable)
        self._show_mark(table, p._replace(status=check.status, note=check.note))
        await self._next_page()  # on the last loaded person, the next page first
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)  # on to the next person
        self.reload()

    def _show_mark(self, table: DataTable[str], p: Priority) -> None:
        """The new status in its row at once (the list is read again after)."""
        key = p.person.person_id
        if key in table.rows and "状态" in self.columns:
            index = table.get_row_index(key)
            if index < len(self.rows):
                self.rows[index] = p
                table.update_cell(key, "状态", p.status_label)

    def action_note(self) -> None:
        from canxie_tui.ui.screens.text_form import TextForm

        p = self.selected()
        event = self.event
        if p is None or event is None:
            return

        async def save(values: dict[str, Any]) -> object:
            return await self.canxie.db(
                emergency.set_status, event, p.person.person_id, p.status, values["note"]
            )

        self.app.push_screen(
            TextForm(
                f"{p.person.name} 的情况", [("note", "备注", p.note, "如：已送药、家属在场")], save
            )
        )

    def action_grouping(self) -> None:
        self.grouping = GROUPINGS[(GROUPINGS.index(self.grouping) + 1) % len(GROUPINGS)]
        self.canxie.notify(GROUPING_LABELS[self.grouping])
        self.reload(first_page=True)

    def action_focus_filter(self) -> None:
        self.query_one("#e-query", Input).focus()

    @on(Input.Submitted, "#e-query")
    def _to_list(self) -> None:
        self.query_one("#rollcall", DataTable).focus()

    def on_key(self, event: events.Key) -> None:
        if event.key == "down" and self.focused is self.query_one("#e-query", Input):
            self._to_list()
            event.stop()

    def action_back(self) -> None:
        """Esc: in the filter, clear it and go to the list; elsewhere back home."""
        query = self.query_one("#e-query", Input)
        if self.focused is query:
            query.value = ""
            self._to_list()
            return
        self.app.pop_screen()

    # -- exports -----------------------------------------------------------------------
    @reported
    async def _export(self, what: str) -> None:
        from canxie_tui.excel import emergency_sheets

        if self.event is None:
            self.canxie.notify("当前没有突发事件", severity="warning")
            return
        writer = (
            emergency_sheets.write_call_sheet
            if what == "sheet"
            else emergency_sheets.write_status_report
        )
        self.canxie.notify("正在导出…")
        if what == "sheet":  # what is on screen: the filter narrows the sheet too
            query, status = self._filter()
            path = await self.canxie.db(writer, self.event, status=status, query=query or None)
        else:
            path = await self.canxie.db(writer, self.event)
        self.canxie.notify(f"已导出：{path}", timeout=10)

    async def action_call_sheet(self) -> None:
        await self._export("sheet")

    async def action_report(self) -> None:
        await self._export("report")

    # -- events ------------------------------------------------------------------------
    def action_start_event(self) -> None:
        from canxie_tui.ui.screens.event_form import EventForm

        self.app.push_screen(
            EventForm(), self.reload_when_saved(lambda event: f"已开始：{event.name}")
        )

    async def action_close_event(self) -> None:
        from canxie_tui.ui.screens.confirm import ConfirmScreen

        event = self.event
        if event is None:
            return

        async def confirmed(yes: bool | None) -> None:
            if not yes:
                return
            summary = await self.canxie.db(emergency.close_event, event)
            self.canxie.notify(f"已结束：{event.name}。{summary.progress.text}", timeout=10)
            self.reload()

        self.app.push_screen(
            ConfirmScreen(f"结束“{event.name}”？结束后名单和统计保留，供月报使用。"), confirmed
        )
