"""突发事件点名: the priority list of the current event, one key per roll-call status."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any, ClassVar
from weakref import WeakKeyDictionary

from rich.cells import cell_len
from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Select, Static

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import EmergencyEvent, Priority, group
from canxie_tui.store import emergency
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency import RollCall
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.screens.help import left_out_keys
from canxie_tui.ui.widgets.field import chosen, select
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.paging import PAGE, page_end, paging_note, rows_to_keep, wants_next_page
from canxie_tui.ui.widgets.tables import add_keyed_columns, keep_cursor
from canxie_tui.ui.widgets.text import WrappedStatic, fit
from canxie_tui.ui.widgets.titleline import TitleLine

STATUS_KEYS = {"1": "pending", "2": "safe", "3": "help", "4": "moved", "5": "unreachable"}


def load(
    store: Store, status: str | None, query: str
) -> tuple[EmergencyEvent | None, RollCall | None]:
    event = emergency.current_event(store)
    if event is None:
        return None, None
    emergency.preload(store, event)
    call = emergency.roll_call(store, event, status=status, query=query or None)
    # The screen fits its columns to every row's phone and place: build them here,
    # in the worker, not when the screen reads them.
    return event, replace(call, rows=list(call.rows))


GROUPINGS = ("", "grid", "building")  # g cycles: risk order, by grid, by building
GROUPING_LABELS = {"": "按风险排序", "grid": "按网格分组", "building": "按楼栋分组"}

COLUMNS = ("序", "姓名", "状态", "年龄", "情况", "楼栋", "电话")
NAME_WIDTH = 8
REASONS_WIDTH = (4, 40)  # (least, most) cells of 情况 and of 楼栋
PLACE_WIDTH = (4, 24)
STATUS_WIDTH = max(cell_len(label) for label in codes.ROLL_CALL_STATUSES.values())

# The filter (text, status) of each app's roll call, kept when the screen is left.
_FILTERS: WeakKeyDictionary[App[Any], tuple[str, str | None]] = WeakKeyDictionary()


def layout(
    width: int, count: int, phones: Sequence[str], places: Sequence[str]
) -> tuple[tuple[str, ...], int, int]:
    """The columns that fit in `width` cells for `count` rows, and the widths of 情况
    and 楼栋.

    The phone is the number the worker dials: it always shows whole.  楼栋 takes
    what its longest place needs, 情况 what is left (the detail pane says it all);
    when both would be narrower than their headings, 年龄 goes (the detail pane says
    the age too)."""
    fixed = {
        "序": max(cell_len("序"), len(str(count))),
        "姓名": NAME_WIDTH,
        "状态": STATUS_WIDTH,
        "年龄": cell_len("年龄"),
        "电话": max([cell_len("电话"), *map(cell_len, phones)]),
    }
    columns: tuple[str, ...] = COLUMNS
    spare = width - sum(fixed.values()) - 2 * len(columns)  # 1 cell padding each side
    if spare < REASONS_WIDTH[0] + PLACE_WIDTH[0]:
        columns = tuple(c for c in COLUMNS if c != "年龄")
        spare += fixed["年龄"] + 2
    needed = max([PLACE_WIDTH[0], *map(cell_len, places)])
    place = max(PLACE_WIDTH[0], min(needed, PLACE_WIDTH[1], spare - 2 * REASONS_WIDTH[0]))
    reasons = max(REASONS_WIDTH[0], min(REASONS_WIDTH[1], spare - place))
    return columns, reasons, place


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
        self.rows: list[Priority] = []  # the whole current view, in table order
        self.group_labels: list[str] = []  # each row's group ("" in risk order)
        self.rank: dict[str, int] = {}  # person id -> place in risk order
        self.heading = ""  # event line and progress, without the paging note
        self.grouping = ""
        self.columns: tuple[str, ...] = ()
        self.widths = (REASONS_WIDTH[1], PLACE_WIDTH[1])  # 情况, 楼栋

    def compose(self) -> ComposeResult:
        text, _ = _FILTERS.get(self.app, ("", None))
        yield TitleLine()
        yield Static("正在读取…", id="event-head")
        with Horizontal(id="filters"):
            yield Input(text, placeholder="楼栋或姓名，如 3栋", id="e-query")
            yield select(codes.ROLL_CALL_STATUSES, blank="全部状态", id="e-status")
        # The keys the footer has no room for at 80 columns (F1 lists them all).
        yield Label(left_out_keys(self.BINDINGS), id="more-keys")
        yield DataTable(id="rollcall", cursor_type="row", zebra_stripes=True)
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

    def on_screen_resume(self) -> None:
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
        otherwise the cursor and as many rows as were loaded stay."""
        query, status = self._filter()
        event, call = await self.canxie.db(load, status, query)
        self.event = event
        head = self.query_one("#event-head", Static)
        table = self.query_one("#rollcall", DataTable)
        if event is None or call is None:
            self.rows = []
            table.clear()
            self.query_one("#person-detail", WrappedStatic).show("")
            head.update("当前没有突发事件。按 e 开始一个事件（停电、暴雨、高温、寒潮…）。")
            return
        scope = f"　范围：{event.scope_text}" if event.scope else ""
        kind = "" if event.kind_label in event.name else f"（{event.kind_label}）"
        self.heading = (
            f"{event.name}{kind}　开始 {event.started_at.replace('T', ' ')[:16]}{scope}\n"
            f"{call.progress.text}　共 {call.total} 人"
            + (f"，筛选后 {len(call.rows)} 人" if len(call.rows) != call.total else "")
        )
        groups = group(call.rows, self.grouping) if self.grouping else [("", call.rows)]
        self.rows = [p for _, rows in groups for p in rows]
        self.group_labels = [label for label, rows in groups for _ in rows]
        self.rank = {p.person.person_id: i for i, p in enumerate(call.rows, 1)}
        row_index = 0 if first_page else table.cursor_row
        loaded = PAGE if first_page else rows_to_keep(table)
        self._fit_columns(table)
        self._add_rows(table, loaded)
        keep_cursor(table, row_index)
        self._show_detail()

    def _fit_columns(self, table: DataTable[str]) -> None:
        """Columns for the screen's width, made again: a column never narrows by itself."""
        width = (table.size.width or self.app.size.width) - table.styles.scrollbar_size_vertical
        places = [
            self._place(p, label) for p, label in zip(self.rows, self.group_labels, strict=True)
        ]
        phones = [p.person.phone for p in self.rows]
        columns, *widths = layout(width, len(self.rows), phones, places)
        self.widths = (widths[0], widths[1])
        self.columns = columns
        table.clear(columns=True)
        add_keyed_columns(table, columns)

    def _add_rows(self, table: DataTable[str], count: int = PAGE) -> None:
        """Append the next `count` rows of the view (whole pages) and say how many show."""
        start = table.row_count
        end = page_end(start, len(self.rows), count)
        for p, label in zip(self.rows[start:end], self.group_labels[start:end], strict=True):
            self._add_row(table, p, self.rank[p.person.person_id], label)
        note = paging_note(end, len(self.rows))
        more = f"\n{note}（光标移到最后一行时载入更多）" if note else ""
        self.query_one("#event-head", Static).update(self.heading + more)

    def _add_row(self, table: DataTable[str], p: Priority, rank: int, group_label: str) -> None:
        """One person; in grouped order the place column leads with the group."""
        person = p.person
        place = self._place(p, group_label)
        cells = {
            "序": str(rank),
            "姓名": fit(person.name, NAME_WIDTH),
            "状态": p.status_label,
            "年龄": str(person.age or ""),
            "情况": fit(p.reasons_text, self.widths[0]),
            "楼栋": fit(place, self.widths[1]),
            "电话": person.phone,
        }
        table.add_row(*(cells[c] for c in self.columns), key=person.person_id)

    def _place(self, p: Priority, group_label: str) -> str:
        """楼栋单元房号; grouped by grid, the grid first."""
        place = p.person.place
        return f"{group_label}·{place}" if group_label and self.grouping == "grid" else place

    def _load_more(self) -> bool:
        """At the last loaded row with more to show: append the next page."""
        table = self.query_one("#rollcall", DataTable)
        if not wants_next_page(table, len(self.rows)):
            return False
        self._add_rows(table)
        return True

    def selected(self) -> Priority | None:
        table = self.query_one("#rollcall", DataTable)
        if not table.row_count or table.cursor_row >= min(len(self.rows), table.row_count):
            return None
        return self.rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#rollcall")
    def _row_highlighted(self) -> None:
        self._load_more()
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
        await self.canxie.db(emergency.set_status, self.event, p.person.person_id, status)
        if status in ("help", "unreachable"):
            self.canxie.notify(f"{p.person.name}：{codes.ROLL_CALL_STATUSES[status]}，已生成跟进")
        table = self.query_one("#rollcall", DataTable)
        self._load_more()  # on the last loaded person, the next page first
        if table.cursor_row < table.row_count - 1:
            table.move_cursor(row=table.cursor_row + 1)  # on to the next person
        self.reload()

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
