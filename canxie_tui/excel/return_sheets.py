"""The monthly return's figure sheets: 汇总, 指标 and 急难救助.

They lay out figures counted elsewhere: 汇总 (`store.monthly.MonthlySummary`), 指标
(`store.indicators`) and 急难救助 (`store.monthly.EventTotals`), each written
through an `excel.return_run.ExportRun`; the record lists are in
`excel.return_lists`.  Every figure is a number cell with a number format (see
`excel.return_run`: `INT`, `DAYS`, `AVERAGE`, `RATE`, and `NO_RATE` "—" where
there is no figure); a figure the register cannot give says so in words (指标 1:
由区残联统计).

The 汇总's chart is printed, the table of its data below the signature line is
not (`PrintSheet.print_until`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.tiers import TIERS, interval_label
from canxie_tui.excel.return_run import (
    AVERAGE,
    DAYS,
    INT,
    NO_RATE,
    RATE,
    ExportRun,
    PrintSheet,
    _rate,
)
from canxie_tui.excel.table import Column
from canxie_tui.store import tiers
from canxie_tui.store.indicators import indicators
from canxie_tui.store.monthly import AGE_BANDS, SEXES, UNKNOWN, EventTotals, MonthlySummary
from canxie_tui.store.register_changes import CHANGE_KINDS

__all__ = ["write_emergencies", "write_indicators", "write_summary"]


# -- 汇总 ----------------------------------------------------------------------------------
_SUMMARY_WIDTH = 7  # the label and six figures


def _figure(sheet: PrintSheet, label: str, value: Any, fmt: str = INT, note: str = "") -> int:
    """One figure: its label, the number, and a note in words (never a figure)."""
    return sheet.figures(
        [label, value, note], ["", fmt, *[""] * (sheet.width - 2)], merge=((3, sheet.width),)
    )


def _breakdown(
    sheet: PrintSheet,
    title: str,
    labels: Sequence[str],
    row_label: str,
    values: Sequence[Any],
    fmt: str = INT,
) -> None:
    """A small table: a header of `labels`, then one row of figures (a total last if wanted)."""
    width = len(labels) + 1
    sheet.append([title, *labels], "header", columns=width)
    sheet.figures([row_label, *values], ["", *[fmt] * len(values)])


def write_summary(run: ExportRun, summary: MonthlySummary) -> None:
    from openpyxl.chart import BarChart, Reference

    run.steps.start("写入汇总")
    columns = [Column("项目", width=30, wrap=True)] + [
        Column("", width=12, align="center", wrap=True) for _ in range(_SUMMARY_WIDTH - 1)
    ]
    sheet = run.table("汇总", columns, header=False)
    until = summary.until
    as_of = f"截至{until.month}月{until.day}日"

    sheet.section(f"一、持证残疾人基本情况（{as_of}在册）")
    _figure(sheet, "在册持证残疾人（人）", summary.persons)
    _figure(sheet, "其中：重度（一、二级）（人）", summary.severe)
    _figure(sheet, "涉及户数（户）", summary.households)
    sexes = [summary.by_sex.get(s, 0) for s in (*SEXES, UNKNOWN)]
    _breakdown(sheet, "性别", [*SEXES, "未登记", "合计"], "人数", [*sexes, sum(sexes)])
    ages = [summary.by_age.get(band, 0) for band in (*AGE_BANDS, UNKNOWN)]
    _breakdown(
        sheet,
        f"年龄（{as_of}）",
        [*AGE_BANDS.values(), "未登记", "合计"],
        "人数",
        [*ages, sum(ages)],
    )
    levels = [*codes.LEVELS, 0]
    sheet.append(["残疾类别", *codes.LEVELS.values(), "未定级", "合计"], "header")
    for category, name in codes.CATEGORIES.items():
        counts = [summary.by_category_level.get((category, level), 0) for level in levels]
        sheet.figures([f"{name}残疾", *counts, sum(counts)], ["", *[INT] * 6])
    totals = [
        sum(summary.by_category_level.get((c, lv), 0) for c in codes.CATEGORIES) for lv in levels
    ]
    sheet.figures(["合计", *totals, sum(totals)], ["", *[INT] * 6], bold=True)

    changes = summary.change_counts
    sheet.section("二、本月人员变动（名单见“变动情况”表）")
    entries = [changes[k] for k in ("new_cert", "moved_in")]
    _breakdown(
        sheet,
        "本月增加",
        [CHANGE_KINDS["new_cert"], CHANGE_KINDS["moved_in"], "合计"],
        "人数",
        [*entries, sum(entries)],
    )
    exits = [changes[k] for k in ("moved", "deceased", "cancelled")]
    _breakdown(
        sheet,
        "本月减少",
        [*(CHANGE_KINDS[k] for k in ("moved", "deceased", "cancelled")), "合计"],
        "人数",
        [*exits, sum(exits)],
    )
    _breakdown(
        sheet,
        "其他变动",
        [CHANGE_KINDS["reclassified"], CHANGE_KINDS["expiring"]],
        "人数",
        [changes["reclassified"], changes["expiring"]],
    )
    _figure(
        sheet,
        "首次建档登记（人）",
        summary.changes.founded(),
        note="上月末没有在册人员时，本月登记的是建立名册，不计入新办证、迁入",
    )

    sheet.section("三、走访探视")
    _figure(sheet, "走访次数（次）", summary.visits)
    _figure(sheet, "走访户数（户）", summary.households_visited)
    _figure(
        sheet,
        "走访覆盖率",
        _rate(summary.coverage),
        RATE,
        "走访户数 ÷ 在册户数（没有在册户时记“—”）",
    )
    _figure(sheet, f"{as_of}逾期未走访（人）", summary.overdue, note="按走访分级的间隔计算")
    methods = [summary.by_method.get(m, 0) for m in codes.VISIT_METHODS]
    _breakdown(
        sheet, "走访方式", [*codes.VISIT_METHODS.values(), "合计"], "次数", [*methods, sum(methods)]
    )
    purposes = [summary.by_purpose.get(p, 0) for p in codes.VISIT_PURPOSES]
    _breakdown(
        sheet,
        "走访目的",
        [*codes.VISIT_PURPOSES.values(), "合计"],
        "次数",
        [*purposes, summary.visits],
    )
    intervals = tiers.get_settings(run.store).intervals
    tier_names = list(TIERS)
    other = summary.visits - sum(summary.by_tier.get(t, 0) for t in tier_names)
    _breakdown(
        sheet,
        "走访时的分级",
        [*(f"{t}级（{interval_label(intervals[t])}）" for t in tier_names), "未分级", "合计"],
        "次数",
        [*(summary.by_tier.get(t, 0) for t in tier_names), other, summary.visits],
    )

    sheet.section("四、跟进事项")
    _figure(sheet, "本月新增（项）", summary.followups_opened)
    _figure(sheet, "本月完成（项）", summary.followups_closed)
    _figure(sheet, f"{as_of}未完成（项）", summary.followups_open)
    _figure(sheet, "其中：已逾期（项）", summary.followups_overdue)

    stats = summary.daycare
    sheet.section("五、渝馨家园")
    _figure(sheet, "在册成员（人）", stats.members)
    _figure(sheet, "开放天数（天）", stats.open_days)
    _figure(sheet, "出勤人天", stats.person_days, DAYS, "半天计 0.5 人天")
    _figure(sheet, "出勤人次", stats.attendances)
    _figure(sheet, "其中：半天（人次）", stats.half_days)
    _figure(sheet, "服务人数（人）", stats.people)
    _figure(sheet, "日均出勤（人天）", stats.average_daily, AVERAGE, "出勤人天 ÷ 开放天数")
    _figure(sheet, "应到（人次）", stats.expected)
    _figure(sheet, "请假（人次）", stats.leave)
    _figure(sheet, "缺勤（人次）", stats.absent)
    _figure(sheet, "未登记（人次）", stats.unmarked)
    _figure(sheet, "用餐（人次）", stats.meals)
    services = [
        (name, stats.services.get(code, 0)) for code, name in codes.DAYCARE_SERVICES.items()
    ]
    half = (len(services) + 1) // 2
    _breakdown(
        sheet,
        "服务（人次）",
        [name for name, _ in services[:half]],
        "人次",
        [n for _, n in services[:half]],
    )
    _breakdown(
        sheet,
        "服务（人次，续）",
        [*(name for name, _ in services[half:]), "合计"],
        "人次",
        [*(n for _, n in services[half:]), sum(n for _, n in services)],
    )

    sheet.section("六、个案记录")
    _figure(sheet, "本月新写（篇）", summary.notes_written)
    _figure(sheet, "本月修改（篇）", summary.notes_revised)
    by_category = [summary.notes_by_category.get(c, 0) for c in codes.NOTE_CATEGORIES]
    _breakdown(
        sheet,
        "新写按类别",
        [*codes.NOTE_CATEGORIES.values(), "合计"],
        "篇数",
        [*by_category, summary.notes_written],
    )

    events = summary.events
    sheet.section("七、急难救助（各事件见“急难救助”表）")
    _figure(sheet, "本月事件（起）", len(events), note="，".join(e.name for e in events))
    statuses = [code for code in codes.ROLL_CALL_STATUSES if code != "pending"]
    _breakdown(
        sheet,
        "点名情况",
        [
            "点名人数",
            *(codes.ROLL_CALL_STATUSES[c] for c in statuses),
            codes.ROLL_CALL_STATUSES["pending"],
        ],
        "人数",
        [
            sum(e.listed for e in events),
            *(sum(e.by_status.get(c, 0) for e in events) for c in statuses),
            sum(e.unreached for e in events),
        ],
    )

    sheet.section(f"八、每日走访次数（{summary.label}）")
    anchor = sheet.next_row
    for _ in range(18):  # room for the chart
        sheet.blank()
    sheet.print_until = run.signature(sheet)

    # The chart's data: on the sheet (the chart reads it) but outside the print area.
    sheet.blank()
    sheet.section("图表数据：每日走访次数（不打印）")
    header_row = sheet.append([f"日期（{summary.month}月）", "走访次数"], "header", columns=2)
    for day, count in enumerate(summary.per_day, start=1):
        sheet.figures([day, count], [INT, INT])
    last_row = sheet.next_row - 1
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{summary.label}每日走访次数"
    chart.y_axis.title = "次"
    chart.x_axis.title = "日期"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    chart.width = 19  # cm: about the width of columns A-G
    chart.height = 8.5
    data = Reference(sheet.ws, min_col=2, min_row=header_row, max_row=last_row)
    categories = Reference(sheet.ws, min_col=1, min_row=header_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    sheet.add_chart(chart, f"A{anchor}")
    sheet.close()


# -- 指标 ----------------------------------------------------------------------------------
def write_indicators(run: ExportRun) -> None:
    run.steps.start("写入指标")
    columns = [
        Column("序号", align="center", max_width=6, number_format=INT),
        Column("指标", max_width=40, wrap=True),
        Column("单位", align="center", max_width=6),
        Column("完成数", align="center", min_width=8, number_format=INT),
        Column("应覆盖数", align="center", min_width=9, number_format=INT),
        Column("完成率", align="center", min_width=9, number_format=RATE),
        Column("目标", align="center", min_width=10, max_width=24, wrap=True),
        Column("评价", align="center", min_width=8),
        Column("缺口", align="center", min_width=7, number_format=INT),
    ]
    sheet = run.table("指标", columns)
    until = run.period.until
    found = indicators(run.store, until)

    def row(item: Any, number: Any) -> list[Any]:
        if item.kind == "external":
            return [number, item.name, "", NO_RATE, NO_RATE, item.rate_text, item.target_text]
        if item.kind == "count":
            shown = [item.numerator, NO_RATE, NO_RATE]
            return [number, item.name, item.unit, *shown, item.target_text, NO_RATE, NO_RATE]
        rate = item.rate
        return [
            number,
            item.name,
            item.unit,
            item.numerator,
            item.denominator,
            _rate(rate),
            item.target_text,
            NO_RATE if rate is None else ("达标" if item.met else "未达标"),
            item.short,
        ]

    for item in found:
        if item.in_table:
            values = row(item, item.number)
            sheet.append(values + [NO_RATE] * (len(columns) - len(values)))
    sheet.note(
        "完成率 = 完成数 ÷ 应覆盖数（显示为百分数，单元格中是小数）；没有应覆盖的人时记“—”，不是 0%。"
        "序号 2 是本年参加职业技能培训的人数，序号 1 由区残联统计。"
    )
    extra = [item for item in found if not item.in_table]
    if extra:
        sheet.section("规划正文中的其他指标（不在专栏1内）")
        for item in extra:
            sheet.append(row(item, ""))
    sheet.note(
        "统计对象：导出时在册的持证残疾人（户籍、补贴和服务情况以导出时的记录为准），"
        f"年龄按{until.year}年{until.month}月{until.day}日计算。"
        "缺口是应覆盖而未覆盖的人数（无障碍改造为户数），名单可在残协工作台的“指标”页或 "
        "canxie indicators 中查看。"
    )
    sheet.close()


# -- 急难救助 --------------------------------------------------------------------------------
def write_emergencies(run: ExportRun, events: list[EventTotals]) -> None:
    run.steps.start("写入急难救助")
    contacted = [code for code in codes.ROLL_CALL_STATUSES if code != "pending"]
    columns = [
        Column("序号", align="center", max_width=6, number_format=INT),
        Column("事件", wrap=True, max_width=24),
        Column("类型", align="center", max_width=12, wrap=True),
        Column("开始时间", align="center", max_width=17),
        Column("结束时间", align="center", max_width=17),
        Column("点名人数", align="center", min_width=8, number_format=INT),
        *(
            Column(codes.ROLL_CALL_STATUSES[code], align="center", min_width=8, number_format=INT)
            for code in contacted
        ),
        Column("未联系", align="center", min_width=8, number_format=INT),
        Column("统计时点", align="center", min_width=8),
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
                event.listed,
                *(event.by_status.get(code, 0) for code in contacted),
                event.unreached,
                "结束时" if event.closed else "导出时",
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
                sum(e.listed for e in events),
                *(sum(e.by_status.get(code, 0) for e in events) for code in contacted),
                sum(e.unreached for e in events),
                "",
            ],
            "total",
        )
        sheet.note(
            "点名人数：事件优先名单上的人数（按事件范围和风险因素列出的人，加上已点名的人），"
            "已结束的事件按结束时的名单，进行中的按导出时的名单。"
            "未联系：名单上还没有登记点名结果的人数（点名人数减去已登记其他状态的人数）。"
            "各状态人数相加等于点名人数。"
        )
    else:
        sheet.note(f"{run.period.label}没有突发公共事件。")
    sheet.close()
