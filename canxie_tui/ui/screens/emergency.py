"""突发事件点名: the priority list of the current event, one key per roll-call status."""

from __future__ import annotations

from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Input, Select, Static

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import EmergencyEvent, Priority, group
from canxie_tui.store import emergency
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency import RollCall
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.field import chosen, select
from canxie_tui.ui.widgets.paging import PAGE, page_end, paging_note, rows_to_keep, wants_next_page
from canxie_tui.ui.widgets.tables import add_keyed_columns, keep_cursor
from canxie_tui.ui.widgets.text import fit

STATUS_KEYS = {"1": "pending", "2": "safe", "3": "help", "4": "moved", "5": "unreachable"}


def load(
    store: Store, status: str | None, query: str
) -> tuple[EmergencyEvent | None, RollCall | None]:
    event = emergency.current_event(store)
    if event is None:
        return None, None
    emergency.preload(store, event)
    return event, emergency.roll_call(store, event, status=status, query=query or None)


GROUPINGS = ("", "grid", "building")  # g cycles: risk order, by grid, by building
GROUPING_LABELS = {"": "按风险排序", "grid": "按网格分组", "building": "按楼栋分组"}


class EmergencyScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="back", tooltip="返回首页"),
        Binding("2", "status('safe')", "安全", id="safe", tooltip="已联系·安全"),
        Binding("3", "status('help')", "需帮助", id="help", tooltip="需要帮助（生成紧急跟进）"),
        Binding("4", "status('moved')", "已转移", id="moved", tooltip="已转移安置"),
        Binding(
            "5",
            "status('unreachable')",
            "联系不上",
            id="unreachable",
            tooltip="联系不上→需上门（生成跟进）",
        ),
        Binding("1", "status('pending')", "未联系", id="pending", tooltip="改回未联系"),
        Binding("n", "note", "备注", id="note", tooltip="为所选的人写一句情况"),
        Binding("slash", "focus_filter", "筛选", id="filter", tooltip="按楼栋或姓名缩小名单"),
        Binding("g", "grouping", "分组", id="group", tooltip="按风险 / 按网格 / 按楼栋排列"),
        Binding("p", "call_sheet", "呼叫单", id="sheet", tooltip="导出可打印的呼叫单（Excel）"),
        Binding("r", "report", "报告", id="report", tooltip="导出当前进展报告（Excel）"),
        Binding("e", "start_event", "新事件", id="start", tooltip="开始一个新的突发事件"),
        Binding("x", "close_event", "结束事件", id="close", tooltip="结束当前事件（保留记录）"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.event: EmergencyEvent | None = None
        self.rows: list[Priority] = []  # the whole current view, in table order
        self.group_labels: list[str] = []  # each row's group ("" in risk order)
        self.rank: dict[str, int] = {}  # person id -> place in risk order
        self.heading = ""  # event line and progress, without the paging note
        self.grouping = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("正在读取…", id="event-head")
        with Horizontal(id="filters"):
            yield Input(placeholder="楼栋或姓名，如 3栋", id="e-query")
            yield select(codes.ROLL_CALL_STATUSES, blank="全部状态", id="e-status")
        yield DataTable(id="rollcall", cursor_type="row", zebra_stripes=True)
        yield Static("", id="person-detail")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#rollcall", DataTable)
        add_keyed_columns(table, ("序", "姓名", "状态", "年龄", "情况", "楼栋", "电话"))
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    # -- loading -------------------------------------------------------------------
    @on(Input.Changed, "#e-query")
    @on(Select.Changed, "#e-status")
    def _filters_changed(self) -> None:
        self.reload(first_page=True)

    @work(exclusive=True, group="rollcall", exit_on_error=False)
    @reported
    async def reload(self, first_page: bool = False) -> None:
        """Read the list again; `first_page` starts over at the top with one page,
        otherwise the cursor and as many rows as were loaded stay."""
        status = chosen(self.query_one("#e-status", Select))
        query = self.query_one("#e-query", Input).value.strip()
        event, call = await self.canxie.db(load, status, query)
        self.event = event
        head = self.query_one("#event-head", Static)
        table = self.query_one("#rollcall", DataTable)
        if event is None or call is None:
            self.rows = []
            table.clear()
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
        table.clear()
        self._add_rows(table, loaded)
        keep_cursor(table, row_index)
        self._show_detail()

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
        place = (
            f"{group_label}·{person.place}"
            if group_label and self.grouping == "grid"
            else person.place
        )
        table.add_row(
            str(rank),
            fit(person.name, 8),
            p.status_label,
            str(person.age or ""),
            fit(p.reasons_text, 20),
            fit(place, 18),
            person.phone,
            key=person.person_id,
        )

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
        detail = self.query_one("#person-detail", Static)
        if p is None:
            detail.update("")
            return
        note = f"　备注：{p.note}" if p.note else ""
        detail.update(
            f"{p.person.name}：{p.reasons_text}\n联系：{p.contact}　{p.person.contacts}\n"
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
