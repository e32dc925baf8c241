"""渝馨家园 daily sign-in sheet: expected members first, one key per mark."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Label, Static

from canxie_tui.domain import codes
from canxie_tui.domain.daycare import PRESENT, SheetRow, next_status
from canxie_tui.store import daycare
from canxie_tui.store.connection import Store
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.screens.help import left_out_keys
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.tables import PlainTable, add_keyed_columns, keep_cursor
from canxie_tui.ui.widgets.text import fit
from canxie_tui.ui.widgets.titleline import TitleLine


def load_sheet(store: Store, day: date) -> tuple[list[SheetRow], dict[str, int], str | None]:
    return (
        daycare.day_sheet(store, day),
        daycare.counts(store, day),
        daycare.closure_reason(store, day),
    )


def cycle(store: Store, row: SheetRow) -> SheetRow:
    """未登记 → 出勤 → 请假 → 缺勤 → 未登记; streak follow-ups wait until the day is left."""
    status = next_status(row.status)
    if not status:
        return daycare.unmark(store, row.member.id, row.day)
    return daycare.mark(
        store,
        row.member.id,
        row.day,
        status,
        expected_version=row.version or None,
        raise_followups=False,
    )


def toggle_half(store: Store, row: SheetRow) -> SheetRow:
    half = not (row.mark.half_day if row.mark else False)
    return daycare.mark(store, row.member.id, row.day, PRESENT, half_day=half)


class DaycareScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "返回", id="back", tooltip="返回首页"),
        Binding("space", "cycle", "改状态", id="cycle", tooltip="未登记→出勤→请假→缺勤"),
        Binding("a", "all_present", "应到全出勤", id="all", tooltip="应到且未登记的全部记为出勤"),
        Binding("m", "meal", "用餐", id="meal", tooltip="切换是否用餐（记为出勤）"),
        Binding("h", "half", "半天", id="half", tooltip="切换半天/全天（记为出勤）", show=False),
        Binding("s", "services", "服务", id="services", tooltip="选择今天接受的服务", show=False),
        Binding("left_square_bracket", "day(-1)", "前一天", id="prev", tooltip="前一天"),
        Binding("right_square_bracket", "day(1)", "后一天", id="next", tooltip="后一天"),
        Binding("t", "today", "今天", id="today", tooltip="回到今天", show=False),
        Binding("g", "grid", "月表", id="grid", tooltip="本月考勤表", show=False),
        Binding("e", "enrol", "登记学员", id="enrol", tooltip="登记新的渝馨家园学员", show=False),
        Binding("n", "note", "备注", id="note", tooltip="为所选学员写当天备注", show=False),
        Binding(
            "x", "end_enrolment", "退出学员", id="end", tooltip="所选学员退出渝馨家园", show=False
        ),
        Binding(
            "c", "toggle_closed", "闭馆", id="closed", tooltip="当天设为闭馆 / 取消闭馆", show=False
        ),
    ]

    def __init__(self, day: date | None = None) -> None:
        super().__init__()
        self.day = day
        self.rows: list[SheetRow] = []
        self.changed_days: set[date] = set()

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Static("", id="sheet-head", markup=False)
        # The keys the footer has no room for at 80 columns (F1 lists them all).
        yield Label(left_out_keys(self.BINDINGS), id="more-keys")
        yield PlainTable(id="sheet", cursor_type="row", zebra_stripes=True)
        yield KeyLine()

    def on_mount(self) -> None:
        self.day = self.day or self.canxie.store.today()
        table = self.query_one("#sheet", DataTable)
        add_keyed_columns(table, ("姓名", "应到", "状态", "半天", "用餐", "服务", "到达", "备注"))
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    @work(exclusive=True, group="sheet", exit_on_error=False)
    @reported
    async def reload(self) -> None:
        assert self.day is not None
        rows, counts, closed = await self.canxie.db(load_sheet, self.day)
        self.rows = rows
        weekday = "一二三四五六日"[self.day.weekday()]
        head = f"{self.day.isoformat()} 星期{weekday}　"
        if closed is not None:
            head += f"闭馆：{closed or '休息日'}（不计缺勤）"
        else:
            head += (
                f"应到 {counts['expected']} · 实到 {counts['present']} · 请假 {counts['leave']}"
                f" · 缺勤 {counts['absent']} · 未登记 {counts['unmarked']}"
            )
        if not rows:
            head += "\n还没有学员：按 e 登记"
        self.query_one("#sheet-head", Static).update(head)
        self._render_rows()

    def _render_rows(self) -> None:
        table = self.query_one("#sheet", DataTable)
        row_index = table.cursor_row
        table.clear()
        for r in self.rows:
            mark = r.mark
            table.add_row(
                fit(r.member.name, 10),
                "应到" if r.expected else "临时",
                r.status_label,
                "半天" if mark and mark.half_day else "",
                "用餐" if mark and mark.meal else "",
                fit(codes.labels(codes.DAYCARE_SERVICES, mark.services) if mark else "", 20),
                mark.arrival_time if mark else "",
                fit(mark.note if mark else "", 12),
                key=r.member.id,
            )
        keep_cursor(table, row_index)

    def _selected(self) -> SheetRow | None:
        table = self.query_one("#sheet", DataTable)
        if not table.row_count or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    @reported
    async def _apply(self, fn: Callable[[Store, SheetRow], SheetRow]) -> None:
        """Change the selected row with `fn(store, row)` in a worker, then redraw."""
        row = self._selected()
        if row is None:
            return
        await self.canxie.db(fn, row)
        self.changed_days.add(row.day)
        self.reload()

    # -- actions ---------------------------------------------------------------------
    async def action_cycle(self) -> None:
        await self._apply(cycle)

    async def action_half(self) -> None:
        await self._apply(toggle_half)

    async def action_meal(self) -> None:
        await self._apply(lambda store, r: daycare.toggle_meal(store, r.member.id, r.day))

    @reported
    async def action_all_present(self) -> None:
        assert self.day is not None
        count = await self.canxie.db(daycare.mark_all_expected_present, self.day)
        self.changed_days.add(self.day)
        self.canxie.notify(f"已将 {count} 位应到学员记为出勤")
        self.reload()

    def action_services(self) -> None:
        from canxie_tui.ui.screens.pick import PickScreen

        row = self._selected()
        if row is None:
            return
        chosen = row.mark.services if row.mark else row.member.services

        async def picked(services: list[str] | None) -> None:
            if services is not None:
                await self._apply(
                    lambda store, r: daycare.mark(
                        store, r.member.id, r.day, PRESENT, services=services
                    )
                )

        self.app.push_screen(
            PickScreen(f"{row.member.name} 今天接受的服务", codes.DAYCARE_SERVICES, chosen), picked
        )

    async def _leave_day(self) -> None:
        """Absence streaks are checked once the day's marks are settled."""
        for day in sorted(self.changed_days):
            created = await self.canxie.db(daycare.check_streaks, day)
            for followup in created:
                self.canxie.notify(f"已生成跟进：{followup.what}", timeout=8)
        self.changed_days.clear()

    @reported
    async def action_day(self, delta: int) -> None:
        assert self.day is not None
        target = self.day + timedelta(days=delta)
        if target > self.canxie.store.today():
            self.canxie.notify("不能登记未来日期的考勤", severity="warning")
            return
        await self._leave_day()
        self.day = target
        self.reload()

    @reported
    async def action_today(self) -> None:
        await self._leave_day()
        self.day = self.canxie.store.today()
        self.reload()

    def action_grid(self) -> None:
        from canxie_tui.ui.screens.month_grid import MonthGridScreen

        assert self.day is not None
        self.app.push_screen(MonthGridScreen(self.day.year, self.day.month))

    def action_enrol(self) -> None:
        from canxie_tui.ui.screens.enrol_form import EnrolForm

        self.app.push_screen(
            EnrolForm(), self.reload_when_saved(lambda member: f"已登记学员 {member.name}")
        )

    def action_note(self) -> None:
        from canxie_tui.ui.screens.text_form import TextForm

        row = self._selected()
        if row is None:
            return
        if row.mark is None:
            self.canxie.notify("请先登记出勤、请假或缺勤，再写备注", severity="warning")
            return
        status = row.mark.status

        async def save(values: dict[str, str]) -> bool:
            await self._apply(
                lambda store, r: daycare.mark(
                    store, r.member.id, r.day, status, note=values["note"]
                )
            )
            return True

        self.app.push_screen(
            TextForm(
                f"{row.member.name} {row.day.isoformat()} 备注",
                [("note", "备注", row.mark.note, "")],
                save,
            )
        )

    def action_end_enrolment(self) -> None:
        from canxie_tui.domain.errors import InputError
        from canxie_tui.ui.screens.text_form import TextForm

        row = self._selected()
        if row is None:
            return
        member = row.member

        def check(values: dict[str, str]) -> None:
            if not values["reason"].strip():
                raise InputError("请写明退出原因", "reason")

        async def save(values: dict[str, str]) -> object:
            return await self.canxie.db(
                daycare.end_enrolment, member, values["end"], values["reason"]
            )

        self.app.push_screen(
            TextForm(
                f"{member.name} 退出渝馨家园",
                [
                    (
                        "end",
                        "退出日期（当天起不再到园）",
                        self.canxie.store.today().isoformat(),
                        "",
                    ),
                    ("reason", "原因", "", "如：入住养老机构、迁出本社区"),
                ],
                save,
                check,
            ),
            self.reload_when_saved(lambda _: f"{member.name} 已退出渝馨家园"),
        )

    @reported
    async def action_toggle_closed(self) -> None:
        from canxie_tui.ui.screens.text_form import TextForm

        day = self.day
        assert day is not None
        if await self.canxie.db(daycare.reopen, day):
            self.canxie.notify(f"{day.isoformat()} 已取消闭馆")
            self.reload()
            return

        async def save(values: dict[str, str]) -> int:
            return await self.canxie.db(daycare.set_closed, day, values["reason"])

        self.app.push_screen(
            TextForm(
                f"{day.isoformat()} 闭馆", [("reason", "原因", "", "如：国庆节、临时闭馆")], save
            ),
            self.reload_when_saved(lambda _: f"{day.isoformat()} 闭馆，不计缺勤"),
        )

    @reported
    async def action_leave(self) -> None:
        await self._leave_day()
        self.app.pop_screen()
