"""The home screen: today's work, this month so far, and the plan's indicators."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, ClassVar

from rich.cells import cell_len
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Label, Sparkline, Static

from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.tables import PlainTable, add_keyed_columns, cursor_key, keep_cursor
from canxie_tui.ui.widgets.text import fit
from canxie_tui.ui.widgets.titleline import TitleLine

if TYPE_CHECKING:  # the data modules load in the worker, after the first paint
    from canxie_tui.domain.indicators import Indicator
    from canxie_tui.domain.models import Followup
    from canxie_tui.store.dashboard import Dashboard
    from canxie_tui.store.duelist import DueItem

BAR_WIDTH = 10


def bar(rate: float | None, width: int = BAR_WIDTH) -> str:
    """A text progress bar; the figure beside it says the same in numbers."""
    if rate is None:
        return "·" * width
    filled = round(min(max(rate, 0.0), 1.0) * width)
    return "█" * filled + "░" * (width - filled)


# Targets too long for an 80-column row; the full words are said on Enter and at 120+.
NARROW_TARGETS = {"income": "与GDP同步", "training": "全区0.2万人"}
WIDE = 120  # from this width the table shows the plan's full words
COLUMNS = ("指标", "分子/分母", "完成率", "目标", "评价", "缺口")
AGENDA_HEIGHT = 34  # from this height the due people and follow-ups get a panel each


def verdict(ind: Indicator) -> str:
    """达标 / 未达标 in words; — for a count, a figure kept elsewhere, or nobody counted."""
    if ind.kind != "rate" or ind.rate is None:
        return "—"
    return "达标" if ind.met else "未达标"


def short_text(ind: Indicator) -> str:
    return f"缺{ind.short}{ind.unit}" if ind.short else "—"


def indicator_row(ind: Indicator, *, wide: bool = False) -> tuple[str, ...]:
    """One row of 专栏1: 序号 and name, 分子/分母, rate, target, verdict, shortfall."""
    from canxie_tui.domain.indicators import SHORT_NAMES

    name = ind.name if wide else SHORT_NAMES.get(ind.key, ind.name)
    target = ind.target_text if wide else NARROW_TARGETS.get(ind.key, ind.target_text)
    if ind.kind == "external":
        figures, rate = "—", ind.rate_text
    elif ind.kind == "count":
        figures, rate = "—", f"今年{ind.rate_text}"
    else:
        figures, rate = f"{ind.numerator}/{ind.denominator}", f"{bar(ind.rate)} {ind.rate_text}"
    return (f"{ind.number:>2} {name}", figures, rate, target, verdict(ind), short_text(ind))


def beside_table(ind: Indicator, *, wide: bool = False) -> str:
    """An indicator from the plan's text (not a row of 专栏1), as one line under the table."""
    from canxie_tui.domain.indicators import SHORT_NAMES

    name = ind.name if wide else SHORT_NAMES.get(ind.key, ind.name)
    figures = f"{ind.numerator}/{ind.denominator} {ind.rate_text}" if ind.denominator else "—"
    return (
        f"专栏1之外·{name}：{figures}，目标{ind.target_text}，{verdict(ind)}，"
        f"{short_text(ind)}（s 看名单）"
    )


def visit_first_line(items: list[DueItem], total: int, width: int) -> str:
    """今天先走访：张三（逾期12天）、李四（今天到期）… cut at a name, never inside one."""
    lead = "　　今天先走访："
    if not items:
        return lead + "没有逾期或今天到期的人"
    names = [f"{i.name}（{i.due_text}）" for i in items]
    shown: list[str] = []
    for name in names:
        text = lead + "、".join([*shown, name])
        more = "…" if len(shown) + 1 < total else ""
        if shown and cell_len(text + more) > width:
            break
        shown.append(name)
    return lead + "、".join(shown) + ("…" if len(shown) < total else "")


def due_lines(items: list[DueItem]) -> str:
    if not items:
        return "没有逾期或今天到期的人"
    return "\n".join(f"{i.name}　{i.due_text}　{i.tier}级　{i.place or i.address}" for i in items)


def followup_lines(items: list[Followup], today: date, width: int) -> str:
    """One line each in `width` cells: what is to be done gives way, the date stays."""
    if not items:
        return "没有未完成的跟进事项"
    lines = []
    for f in items:
        who = f"{'急 ' if f.urgent else ''}{f.person_name or f.address}："
        when = f"　{f.due_date}{'（逾期）' if f.is_overdue(today) else ''}"
        lines.append(who + fit(f.what, width - cell_len(who) - cell_len(when)) + when)
    return "\n".join(lines)


def no_list_reason(ind: Indicator) -> str:
    """Why a row of 专栏1 has no shortfall list (said when Enter is pressed on it)."""
    if ind.kind == "external":
        return (
            f"“{ind.name}”（目标：{ind.target_text}）{ind.rate_text}："
            "登记册中没有家庭收入，所以没有缺口名单。"
        )
    return (
        f"“{ind.name}”是人数，不是比率（今年已培训 {ind.numerator} 人，目标 {ind.target_text}），"
        "所以没有缺口名单。成员信息中填“最近一次职业技能培训日期”，"
        "或渝馨家园登记“技能培训”服务，即计入当年人数。"
    )


TODAY_LINES = 4  # the lines of today's work the 80x24 layout has room for


def subsidy_line(counts: dict[str, int]) -> str:
    """两项补贴: what this month's check found (nothing when no rule set is in force)."""
    if not counts:
        return ""
    return f"两项补贴：应停未停 {counts['stop']} · 应享未享 {counts['start']}（b）"


def add_where_it_fits(lines: list[str], segment: str, width: int, order: Sequence[int]) -> None:
    """`segment` at the end of the first of `lines` (tried in `order`) it fits on within
    `width` cells, else on a line of its own: at 80 columns a wrapped line would push
    the last indicator row off the screen."""
    if not segment:
        return
    for index in order:
        if cell_len(lines[index]) + 2 + cell_len(segment) <= width:
            lines[index] += f"　{segment}"
            return
    lines.append(f"　　{segment}")


class DashboardScreen(CanxieScreen[None]):
    IS_HOME: ClassVar[bool] = True  # the app's Home key is off here (see CanxieApp.check_action)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash,ctrl+f", "search", "查找", id="search", tooltip="查找人员或户"),
        Binding("d", "due", "走访", id="due", tooltip="今天要走访或电话的人"),
        Binding("f", "followups", "跟进", id="followups", tooltip="未完成的跟进事项"),
        Binding("y", "daycare", "渝馨", id="daycare", tooltip="渝馨家园今日考勤"),
        Binding("j", "emergency", "点名", id="emergency", tooltip="突发事件优先名单和点名"),
        Binding(
            "c",
            "certificates",
            "证件到期",
            id="certificates",
            tooltip="残疾人证90天内到期或已过期的人",
            show=False,  # the footer fits 80 columns; said on the screen as （c） and in F1
        ),
        Binding(
            "b",
            "subsidies",
            "两项补贴",
            id="subsidies",
            tooltip="两项补贴核对：应停未停、应享未享、变更",
            show=False,  # said on the screen as （b） and in F1
        ),
        Binding("e", "export", "导出月报", id="export", tooltip="导出本月月报工作簿", show=False),
        Binding(
            "enter",
            "shortfall",
            "缺口名单",
            id="shortfall",
            tooltip="所选指标的缺口名单",
            show=False,  # the table's title says 回车看缺口名单
        ),
        Binding(
            "s",
            "family_doctor",
            "家庭医生缺口",
            id="family-doctor",
            tooltip="未签约家庭医生的持证残疾人（表下一行的指标）",
            show=False,
        ),
        Binding(
            "ctrl+n",
            "app.new_household",
            "新建户",
            id="new",
            tooltip="登记新的一户",
            show=False,
        ),
        Binding(
            "v",
            "survey",
            "基本状况调查",
            id="survey",
            tooltip="持证残疾人基本状况调查：进度和未调查名单",
            show=False,
        ),
        Binding("ctrl+r", "refresh", "刷新", id="refresh", tooltip="重新统计", show=False),
        # The app's keys that other footers leave out; priority, as the app's Ctrl+Q is,
        # so that this one is the one the footer shows.
        Binding("ctrl+q", "app.quit", "退出", tooltip="退出残协工作台", priority=True),
        Binding("f2", "app.switch_operator", "操作员", tooltip="切换当前操作员"),
        Binding(
            "m", "district", "区里合并", id="district", tooltip="区里：合并各社区月报", show=False
        ),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.data: Dashboard | None = None
        self._wide: bool | None = None  # the table's words: full (120+ columns) or short

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Static("正在统计…", id="today", markup=False)
        yield Static("", id="month")
        with Horizontal(id="spark-row"):
            yield Label("本月每日走访", id="spark-label")
            yield Sparkline([], id="spark")
            yield Label("", id="spark-max")
        table = PlainTable(id="indicators", cursor_type="row")
        table.border_title = "“十四五”专栏1指标（回车看缺口名单）"
        yield table
        with Horizontal(id="agenda"):
            due = Static("", id="agenda-due", markup=False)
            due.border_title = "今天要走访（d 看全部）"
            yield due
            follow = Static("", id="agenda-followups", markup=False)
            follow.border_title = "未完成的跟进（f 看全部）"
            yield follow
        yield Static("", id="beside-table")
        yield KeyLine()

    def on_mount(self) -> None:
        table = self.query_one("#indicators", DataTable)
        add_keyed_columns(table, COLUMNS)
        table.focus()

    def on_screen_resume(self) -> None:
        self.reload()

    def on_resize(self) -> None:
        self.set_class(self.size.height >= AGENDA_HEIGHT, "-agenda")
        if self.data is not None:
            self._render_today(self.data)
        if self.data is not None and self._wide != (self.size.width >= WIDE):
            self._render_indicators(self.data)

    @work(exclusive=True, group="dashboard", exit_on_error=False)
    @reported
    async def reload(self) -> None:
        try:
            data = await self._figures()
        except asyncio.CancelledError:
            raise
        except Exception:
            self.call_after_refresh(self.canxie.start_upkeep)  # today's backup all the same
            raise
        self.data = data
        self._render_data(data)
        # Today's backup and such once the figures are painted: started with the
        # refresh that paints them, its threads slowed that paint.
        self.call_after_refresh(self.canxie.start_upkeep)

    async def _figures(self) -> Dashboard:
        first = self.canxie.first_figures()
        if first is None:
            from canxie_tui.store.dashboard import dashboard

            return await self.canxie.db(dashboard)
        # Started with the app (imported there, not here: no wait).  Shielded, and given
        # up only once shown or failed: a reload that replaces this one (exclusive) waits
        # for the same figures instead of cancelling them and counting all anew, and
        # the reload after a failure counts anew.
        try:
            data: Dashboard = await asyncio.shield(asyncio.wrap_future(first))
        except asyncio.CancelledError:
            raise
        except Exception:
            self.canxie.first_figures_shown(first)
            raise
        self.canxie.first_figures_shown(first)
        # The first frame never waits for them: figures that came before it (a small
        # register) are shown in the next one.
        await self.canxie.first_paint()
        return data

    def _render_data(self, data: Dashboard) -> None:
        from canxie_tui.domain import codes

        self._render_today(data)
        self.query_one("#agenda-due", Static).update(due_lines(data.due_first))
        self.query_one("#agenda-followups", Static).update(
            followup_lines(data.followups_first, data.today, self.size.width // 2 - 2)
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
        self.query_one("#spark-max", Label).update(f" 最多 {max(m.per_day, default=0)} 次/日")
        self._render_indicators(data)

    def _render_today(self, data: Dashboard) -> None:
        """Today's counts, and by name the first people to visit (as many as fit a line)."""
        attendance = (
            f"实到 {data.attendance['present']}/应到 {data.attendance['expected']}（y）"
            if data.attendance
            else "—"
        )
        width = self.size.width - 2
        lines = [
            f"今日 {data.today.isoformat()}　到期走访：逾期 {data.overdue} 人 · 今天到期 "
            f"{data.due_today} 人（d）",
            visit_first_line(data.due_first, data.overdue + data.due_today, width),
            f"　　跟进：未完成 {data.followups_open} 件 · 逾期 {data.followups_overdue} 件（f）"
            f"　证件到期提醒 {data.certificates_expiring} 人（c）",
            f"　　渝馨家园出勤：{attendance}",
        ]
        add_where_it_fits(lines, subsidy_line(data.subsidies), width, (3, 2, 0))
        add_where_it_fits(lines, f"{data.survey}（v）" if data.survey else "", width, (3, 0, 2))
        if data.emergency:
            lines.append(f"　　突发事件 {data.emergency}（j）")
        self.query_one("#today", Static).update("\n".join(lines))
        # At 24 rows each line above the table costs an indicator row: the daily
        # sparkline gives way to a fifth line of today's work.
        roomy = len(lines) <= TODAY_LINES or self.size.height > 24
        self.query_one("#spark-row").display = roomy

    def _render_indicators(self, data: Dashboard) -> None:
        """The 专栏1 rows in the plan's order; one from the plan's text under the table."""
        wide = self.size.width >= WIDE
        table = self.query_one("#indicators", DataTable)
        row = table.cursor_row
        if self._wide is not None and wide != self._wide:
            table.clear(columns=True)  # columns keep their widest content: narrow them again
            add_keyed_columns(table, COLUMNS)
        else:
            table.clear()
        self._wide = wide
        for ind in data.indicators:
            if ind.in_table:
                table.add_row(*indicator_row(ind, wide=wide), key=ind.key)
        keep_cursor(table, row)
        self.query_one("#beside-table", Static).update(
            "\n".join(beside_table(i, wide=wide) for i in data.indicators if not i.in_table)
        )

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

    def action_certificates(self) -> None:
        self.canxie.show_certificates()

    def action_subsidies(self) -> None:
        self.canxie.show_subsidy_check()

    def action_export(self) -> None:
        self.canxie.show_export()

    def action_survey(self) -> None:
        self.canxie.show_survey()

    def action_district(self) -> None:
        self.canxie.show_district()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """m (区里合并) only where returns are merged: a district's database."""
        return action != "district" or self.canxie.site.merges_returns

    def _indicator(self, key: str | None) -> Indicator | None:
        if self.data is None:
            return None
        return next((i for i in self.data.indicators if i.key == key), None)

    @on(DataTable.RowSelected, "#indicators")
    def action_shortfall(self) -> None:
        """Enter: the shortfall list of a rate; on a count or the district's figure, why not."""
        key = cursor_key(self.query_one("#indicators", DataTable))
        ind = self._indicator(key)
        if ind is not None and ind.kind != "rate":
            self.canxie.notify(no_list_reason(ind), title="没有缺口名单", timeout=10)
        elif key:
            self.canxie.show_shortfall(key)

    def action_family_doctor(self) -> None:
        self.canxie.show_shortfall("family_doctor")

    def action_refresh(self) -> None:
        self.reload()
