"""The home screen: today's work, this month so far, and the plan's indicators."""

from __future__ import annotations

from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Header, Label, Sparkline, Static

from canxie_tui.domain import codes
from canxie_tui.domain.indicators import SHORT_NAMES, Indicator
from canxie_tui.store.dashboard import Dashboard, dashboard
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.tables import add_keyed_columns, cursor_key, keep_cursor

BAR_WIDTH = 10


def bar(rate: float | None, width: int = BAR_WIDTH) -> str:
    """A text progress bar; the figure beside it says the same in numbers."""
    if rate is None:
        return "·" * width
    filled = round(min(max(rate, 0.0), 1.0) * width)
    return "█" * filled + "░" * (width - filled)


def indicator_row(ind: Indicator) -> tuple[str, ...]:
    verdict = "—" if ind.rate is None else ("达标" if ind.met else "未达标")
    short = f"缺{ind.short}{ind.unit}" if ind.short else "—"
    return (
        SHORT_NAMES.get(ind.key, ind.name),
        f"{ind.numerator}/{ind.denominator}",
        f"{bar(ind.rate)} {ind.rate_text}",
        ind.target_text,
        verdict,
        short,
    )


class DashboardScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash,ctrl+f", "search", "查找", id="search", tooltip="查找人员或户"),
        Binding("d", "due", "到期走访", id="due", tooltip="今天要走访或电话的人"),
        Binding("f", "followups", "跟进", id="followups", tooltip="未完成的跟进事项"),
        Binding("y", "daycare", "渝馨家园", id="daycare", tooltip="渝馨家园今日考勤"),
        Binding("j", "emergency", "急难点名", id="emergency", tooltip="突发事件优先名单和点名"),
        Binding("e", "export", "导出月报", id="export", tooltip="导出本月月报工作簿"),
        Binding("enter", "shortfall", "缺口名单", id="shortfall", tooltip="所选指标的缺口名单"),
        Binding("ctrl+n", "app.new_household", "新建户", id="new", tooltip="登记新的一户"),
        Binding("ctrl+r", "refresh", "刷新", id="refresh", tooltip="重新统计"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: Dashboard | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static("正在统计…", id="today")
        yield Static("", id="month")
        with Horizontal(id="spark-row"):
            yield Label("本月每日走访", id="spark-label")
            yield Sparkline([], id="spark")
        table: DataTable[str] = DataTable(id="indicators", cursor_type="row")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#indicators", DataTable)
        add_keyed_columns(
            table, ("专栏1指标", "分子/分母", "完成率", "目标", "评价", "缺口（回车看名单）")
        )
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    @work(exclusive=True, group="dashboard", exit_on_error=False)
    @reported
    async def reload(self) -> None:
        self.data = await self.canxie.db(dashboard)
        self._render_data(self.data)

    def _render_data(self, data: Dashboard) -> None:
        attendance = (
            f"实到 {data.attendance['present']}/应到 {data.attendance['expected']}（y）"
            if data.attendance
            else "—"
        )
        self.query_one("#today", Static).update(
            f"今日 {data.today.isoformat()}　到期走访：逾期 {data.overdue} 人 · 今天到期 "
            f"{data.due_today} 人（d）\n"
            f"　　跟进：未完成 {data.followups_open} 件 · 逾期 {data.followups_overdue} 件（f）"
            f"　渝馨家园出勤：{attendance}"
            + (f"\n　　突发事件 {data.emergency}（j）" if data.emergency else "")
        )
        m = data.month
        coverage = f"{m.households_visited / m.households_total:.0%}" if m.households_total else "—"
        methods = " ".join(
            f"{label}{m.by_method.get(code, 0)}" for code, label in codes.VISIT_METHODS.items()
        )
        tiers = " ".join(f"{t}级{m.by_tier.get(t, 0)}" for t in "ABC")
        self.query_one("#month", Static).update(
            f"本月　走访 {m.visits} 次，覆盖 {m.households_visited}/{m.households_total} 户"
            f"（{coverage}）\n　　　{methods}　{tiers}"
        )
        self.query_one("#spark", Sparkline).data = m.per_day or [0]
        table = self.query_one("#indicators", DataTable)
        row = table.cursor_row
        table.clear()
        for ind in data.indicators:
            table.add_row(*indicator_row(ind), key=ind.key)
        keep_cursor(table, row)

    # -- actions -------------------------------------------------------------------
    def action_search(self) -> None:
        self.canxie.show_search()

    def action_due(self) -> None:
        self.canxie.show_due()

    def action_followups(self) -> None:
        self.canxie.show_followups()

    def action_daycare(self) -> None:
        self.canxie.show_daycare()

    def action_emergency(self) -> None:
        self.canxie.show_emergency()

    def action_export(self) -> None:
        self.canxie.show_export()

    @on(DataTable.RowSelected, "#indicators")
    def action_shortfall(self) -> None:
        from canxie_tui.ui.screens.shortfall import ShortfallScreen

        key = cursor_key(self.query_one("#indicators", DataTable))
        if key:
            self.app.push_screen(ShortfallScreen(key))

    def action_refresh(self) -> None:
        self.reload()
