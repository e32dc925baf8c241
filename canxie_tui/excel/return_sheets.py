"""The monthly return's figure sheets, and what every print sheet is written with.

`ExportRun` carries one export: the store, the month, the workbook, the 填报
heading, progress (`Steps`) and how ID numbers are shown (masked 前6后4, also
inside free text, unless `full_ids`).  The sheets here lay out figures counted
elsewhere: 汇总 (`store.monthly.MonthlySummary`), 指标 (`store.indicators`) and
急难救助 (the month's events); the record lists are in `excel.return_lists`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.daycare import format_days
from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.tiers import TIERS, interval_label
from canxie_tui.excel.book import Book
from canxie_tui.excel.files import Progress
from canxie_tui.excel.table import Column, Heading, TableSheet
from canxie_tui.store import tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.indicators import indicators
from canxie_tui.store.monthly import EventTotals, MonthlySummary, Period
from canxie_tui.store.site import get_site

__all__ = [
    "REPORT_TITLE",
    "ExportRun",
    "Steps",
    "mask_in_text",
    "write_emergencies",
    "write_indicators",
    "write_summary",
]

REPORT_TITLE = "残疾人工作月报"

# 18-character ID numbers inside free text (also the ID part of a 残疾人证号).
_ID_IN_TEXT = re.compile(
    r"(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?=[0-9]{2}|(?![0-9]))"
)


def mask_in_text(text: str) -> str:
    return _ID_IN_TEXT.sub(lambda m: m[1] + "*" * 8 + m[2], text) if text else text


# -- progress -------------------------------------------------------------------------------
class Steps:
    """Reports (label, done, total) to the caller now and then, never too often."""

    EVERY = 500

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = max(total, 1)
        self.done = 0
        self.label = ""

    def start(self, label: str) -> None:
        self.label = label
        self._report()

    def advance(self, n: int = 1) -> None:
        before = self.done
        self.done = min(self.total, self.done + n)
        if self.done // self.EVERY != before // self.EVERY:
            self._report()

    def finish(self) -> None:
        self.done = self.total
        self.start("完成")

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.label, self.done, self.total)


# -- the run ------------------------------------------------------------------------------
class ExportRun:
    """One export run: the store, the month, the book and how IDs are shown."""

    def __init__(
        self, store: Store, period: Period, full_ids: bool, steps: Steps, book: Book
    ) -> None:
        self.store = store
        self.period = period
        self.full_ids = full_ids
        self.steps = steps
        self.book = book
        self.site = get_site(store)
        self.params = period.params
        today = store.today()
        self.heading = Heading(
            divisions=self.site.full_name(),
            title=REPORT_TITLE,
            period=period.label,
            unit=self.site.name,
            reporter=store.operator_name,
            date=f"{today.year}年{today.month}月{today.day}日",
        )

    # shown values
    def id_text(self, number: str | None) -> str:
        if not number:
            return ""
        return number if self.full_ids else mask_id(number)

    def free_text(self, text: str) -> str:
        return text if self.full_ids else mask_in_text(text)

    def table(self, title: str, columns: Sequence[Column], **kwargs: Any) -> TableSheet:
        return self.book.table(title, columns, heading=self.heading, **kwargs)

    def rows(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:
        cursor = self.store.db.conn.execute(sql, self.params if params is None else params)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            yield dict(zip(names, values, strict=True))


def _label_value(sheet: TableSheet, label: str, value: Any, note: str = "") -> None:
    sheet.append([label, value, note], merge=((3, sheet.width),))


def write_summary(run: ExportRun, summary: MonthlySummary) -> None:
    from openpyxl.chart import BarChart, Reference

    run.steps.start("写入汇总")
    columns = [Column("项目", width=30, wrap=True)] + [
        Column("", width=13, align="center", wrap=True) for _ in range(5)
    ]
    sheet = run.table("汇总", columns, header=False)
    until = summary.until
    as_of = f"截至{until.month}月{until.day}日"

    sheet.section(f"一、户籍情况（{as_of}在册持证残疾人）")
    _label_value(
        sheet, "在册持证残疾人（人）", summary.persons, f"其中重度（一、二级）{summary.severe}人"
    )
    _label_value(sheet, "涉及户数（户）", summary.households)
    sheet.append(["残疾类别", *codes.LEVELS.values(), "合计"], "header")
    for category, name in codes.CATEGORIES.items():
        counts = [summary.by_category_level.get((category, level), 0) for level in codes.LEVELS]
        sheet.append([f"{name}残疾", *counts, sum(counts)])
    totals = [
        sum(summary.by_category_level.get((c, lv), 0) for c in codes.CATEGORIES)
        for lv in codes.LEVELS
    ]
    sheet.append(["合计", *totals, sum(totals)], "total")

    sheet.section("二、走访探视")
    _label_value(sheet, "走访次数（次）", summary.visits)
    _label_value(
        sheet, "走访户数（户）", summary.households_visited, f"在册户数 {summary.households} 户"
    )
    coverage = summary.coverage
    _label_value(
        sheet,
        "走访覆盖率",
        "—" if coverage is None else f"{coverage * 100:.1f}%",
        "走访户数 ÷ 在册户数",
    )
    _label_value(sheet, f"{as_of}逾期未走访（人）", summary.overdue, "按走访分级的间隔计算")
    methods = list(codes.VISIT_METHODS)
    sheet.append(["走访方式", *codes.VISIT_METHODS.values(), "合计"], "header")
    sheet.append(["次数", *(summary.by_method.get(m, 0) for m in methods), summary.visits])
    intervals = tiers.get_settings(run.store).intervals
    tier_names = list(TIERS)
    other = summary.visits - sum(summary.by_tier.get(t, 0) for t in tier_names)
    tier_labels = [f"{t}级（{interval_label(intervals[t])}）" for t in tier_names]
    sheet.append(["走访时的分级", *tier_labels, "未分级", "合计"], "header")
    sheet.append(["次数", *(summary.by_tier.get(t, 0) for t in tier_names), other, summary.visits])

    sheet.section("三、跟进事项")
    _label_value(sheet, "本月新增（项）", summary.followups_opened)
    _label_value(sheet, "本月完成（项）", summary.followups_closed)
    _label_value(
        sheet,
        f"{as_of}未完成（项）",
        summary.followups_open,
        f"其中已逾期 {summary.followups_overdue} 项",
    )

    stats = summary.daycare
    sheet.section("四、渝馨家园")
    _label_value(sheet, "在册成员（人）", stats.members)
    _label_value(sheet, "开放天数（天）", stats.open_days)
    _label_value(sheet, "出勤人天", format_days(stats.person_days), "半天计 ½")
    _label_value(sheet, "出勤人次", stats.attendances, f"其中半天 {stats.half_days} 次")
    _label_value(sheet, "服务人数（人）", stats.people)
    _label_value(sheet, "日均出勤（人天）", f"{stats.average_daily:.2f}")
    _label_value(
        sheet, "请假 / 缺勤 / 未登记（人次）", f"{stats.leave} / {stats.absent} / {stats.unmarked}"
    )
    _label_value(sheet, "用餐（人次）", stats.meals)
    services = [
        f"{name} {stats.services.get(code, 0)}" for code, name in codes.DAYCARE_SERVICES.items()
    ]
    _label_value(sheet, "服务人次", sum(stats.services.values()), "，".join(services))

    sheet.section("五、个案记录")
    _label_value(sheet, "本月新写（篇）", summary.notes_written)
    _label_value(sheet, "本月修改（篇）", summary.notes_revised)
    by_category = [
        f"{name} {summary.notes_by_category.get(code, 0)}"
        for code, name in codes.NOTE_CATEGORIES.items()
    ]
    _label_value(sheet, "新写按类别", "", "，".join(by_category))

    sheet.section("六、急难救助")
    _label_value(
        sheet, "本月事件（起）", len(summary.events), "，".join(e.name for e in summary.events)
    )
    _label_value(sheet, "点名人数（人）", sum(e.total for e in summary.events))
    _label_value(sheet, "需要帮助（人次）", sum(e.by_status.get("help", 0) for e in summary.events))
    _label_value(
        sheet, "联系不上（人次）", sum(e.by_status.get("unreachable", 0) for e in summary.events)
    )

    sheet.section(f"七、每日走访次数（{summary.label}）")
    anchor = sheet.next_row
    chart_rows = 18
    for _ in range(chart_rows):
        sheet.blank()
    header_row = sheet.append([f"日期（{summary.month}月）", "走访次数"], "header", columns=2)
    for day, count in enumerate(summary.per_day, start=1):
        sheet.append([day, count], columns=2)
    last_row = sheet.next_row - 1
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{summary.label}每日走访次数"
    chart.y_axis.title = "次"
    chart.x_axis.title = "日期"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    chart.width = 18  # cm: about the width of columns A-F
    chart.height = 8.5
    data = Reference(sheet.ws, min_col=2, min_row=header_row, max_row=last_row)
    categories = Reference(sheet.ws, min_col=1, min_row=header_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    sheet.add_chart(chart, f"A{anchor}")
    sheet.close()


def write_indicators(run: ExportRun) -> None:
    run.steps.start("写入指标")
    columns = [
        Column("序号", align="center", max_width=6),
        Column("指标", max_width=40),
        Column("分子", align="center", min_width=7),
        Column("分母", align="center", min_width=7),
        Column("完成率", align="center", min_width=9, number_format="0.0%"),
        Column("目标", align="center", min_width=9),
        Column("评价", align="center", min_width=8),
        Column("缺口", align="center", min_width=8),
    ]
    sheet = run.table("指标", columns)
    until = run.period.until
    for index, item in enumerate(indicators(run.store, until), start=1):
        rate = item.rate
        sheet.append(
            [
                index,
                item.name,
                item.numerator,
                item.denominator,
                "—" if rate is None else rate,
                item.target_text,
                "—" if rate is None else ("达标" if item.met else "未达标"),
                f"{item.short}{item.unit}" if item.short else "—",
            ]
        )
    sheet.note(
        "统计对象：导出时在册的持证残疾人（户籍、补贴和服务情况以导出时的记录为准），"
        f"年龄按{until.year}年{until.month}月{until.day}日计算。"
        "缺口名单可在残协工作台的“指标”页或 canxie indicators 中查看。"
    )
    sheet.close()


def write_emergencies(run: ExportRun, events: list[EventTotals]) -> None:
    run.steps.start("写入急难救助")
    statuses = list(codes.ROLL_CALL_STATUSES.items())
    columns = [
        Column("序号", align="center", max_width=6),
        Column("事件", wrap=True, max_width=24),
        Column("类型", align="center", max_width=10),
        Column("开始时间", align="center", max_width=17),
        Column("结束时间", align="center", max_width=17),
        Column("点名人数", align="center", min_width=8),
        *(Column(label, align="center", min_width=8) for _, label in statuses),
    ]
    sheet = run.table("急难救助", columns)
    for index, event in enumerate(events, start=1):
        sheet.append(
            [
                index,
                event.name,
                codes.label(codes.EMERGENCY_KINDS, event.kind, event.kind),
                event.started_at[:16].replace("T", " "),
                event.ended_at[:16].replace("T", " ") if event.ended_at else "进行中",
                event.total,
                *(event.by_status.get(code, 0) for code, _ in statuses),
            ]
        )
    if events:
        sheet.append(
            [
                "",
                "合计",
                "",
                "",
                "",
                sum(e.total for e in events),
                *(sum(e.by_status.get(code, 0) for e in events) for code, _ in statuses),
            ],
            "total",
        )
    else:
        sheet.note(f"{run.period.label}没有突发公共事件。")
    sheet.close()
