"""The monthly return's record lists: 走访明细, 渝馨家园考勤 and 个案记录.

One row per record of the month, streamed from an SQLite cursor, ID numbers
shown as the run decides (`ExportRun.id_text` / `free_text`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.daycare import GRID_LEGEND, WEEKDAY_NAMES, format_days
from canxie_tui.excel.return_format import TOUCHED
from canxie_tui.excel.return_sheets import ExportRun
from canxie_tui.excel.table import Column
from canxie_tui.store import daycare

__all__ = ["write_daycare", "write_notes", "write_visits"]


def _visit_columns() -> list[Column]:
    return [
        Column("序号", align="center", max_width=7),
        Column("走访日期", align="center"),
        Column("住址", wrap=True, max_width=26),
        Column("走访对象", wrap=True, max_width=12),
        Column("身份证号", wrap=True, max_width=21),
        Column("方式", align="center", max_width=11),
        Column("目的", align="center", wrap=True, max_width=12),
        Column("走访人", wrap=True, max_width=12),
        Column("发现问题", wrap=True, max_width=24),
        Column("帮扶措施", wrap=True, max_width=24),
        Column("转介", wrap=True, max_width=10),
        Column("跟进事项", wrap=True, max_width=22),
        Column("情况记录", wrap=True, max_width=26),
    ]


def _followup_text(row: dict[str, Any]) -> str:
    due = date.fromisoformat(row["due_date"])
    state = (
        "已完成" if row["status"] == "closed" else ("紧急·未完成" if row["urgent"] else "未完成")
    )
    return f"{row['what']}（{due.month}月{due.day}日前，{state}）"


def write_visits(run: ExportRun) -> None:
    run.steps.start("写入走访明细")
    sheet = run.table("走访明细", _visit_columns())
    month = "FROM visits WHERE deleted = 0 AND visit_date BETWEEN :first AND :last"
    promised: dict[str, list[str]] = {}
    for row in run.rows(
        "SELECT source_id, what, due_date, status, urgent FROM followups WHERE source = 'visit' "
        f"AND source_id IN (SELECT id {month}) ORDER BY pk"
    ):
        promised.setdefault(row["source_id"], []).append(_followup_text(row))
    sql = (
        "SELECT v.id, v.visit_date, v.method, v.purpose, v.problems, v.problem_text, v.help_given, "
        "v.referrals, v.note, h.address, h.building, h.unit, h.room, "
        "(SELECT group_concat(who, char(30)) FROM (SELECT p.name || char(31) || "
        " coalesce(p.id_number, '') AS who FROM visit_persons vp JOIN persons p "
        " ON p.id = vp.person_id WHERE vp.visit_id = v.id ORDER BY p.pk)) AS seen, "
        "(SELECT group_concat(name, '、') FROM (SELECT o.name FROM visit_visitors vv "
        " JOIN operators o ON o.id = vv.operator_id WHERE vv.visit_id = v.id ORDER BY o.pk)) AS visitors "
        "FROM visits v JOIN households h ON h.id = v.household_id "
        "WHERE v.deleted = 0 AND v.visit_date BETWEEN :first AND :last ORDER BY v.visit_date, v.pk"
    )
    labels: dict[tuple[int, str], str] = {}  # JSON code lists -> labels (few distinct ones)

    def listed(table: Mapping[str, str], raw: str) -> str:
        key = (id(table), raw)
        text = labels.get(key)
        if text is None:
            text = labels[key] = codes.labels(table, json.loads(raw))
        return text

    number = 0
    for row in run.rows(sql):
        number += 1
        place = "".join(p for p in (row["building"], row["unit"], row["room"]) if p)
        address = (
            f"{row['address']} {place}".strip()
            if place and place not in row["address"]
            else row["address"]
        )
        problems = listed(codes.VISIT_PROBLEMS, row["problems"])
        if row["problem_text"]:
            problems = f"{problems}：{row['problem_text']}" if problems else row["problem_text"]
        seen = [who.partition("\x1f") for who in (row["seen"] or "").split("\x1e") if who]
        sheet.append(
            [
                number,
                row["visit_date"],
                address,
                "、".join(name for name, _, _ in seen),
                "\n".join(run.id_text(number) for _, _, number in seen if number),
                codes.label(codes.VISIT_METHODS, row["method"], row["method"]),
                codes.label(codes.VISIT_PURPOSES, row["purpose"], row["purpose"]),
                row["visitors"] or "",
                run.free_text(problems),
                run.free_text(row["help_given"]),
                listed(codes.REFERRALS, row["referrals"]),
                "\n".join(promised.get(row["id"], ())),
                run.free_text(row["note"]),
            ]
        )
        run.steps.advance()
    if number == 0:
        sheet.note(f"{run.period.label}没有走访记录。")
    sheet.close()


def write_daycare(run: ExportRun) -> None:
    run.steps.start("写入渝馨家园考勤")
    grid = daycare.month_grid(run.store, run.period.year, run.period.month)
    stats = daycare.month_stats(run.store, run.period.year, run.period.month)
    days = len(grid.days)
    columns = [
        Column("序号", align="center", max_width=6),
        Column("姓名", max_width=12),
        Column("身份证号", max_width=21),
        *(Column(str(d.day), width=3.6, align="center") for d in grid.days),
        Column("出勤人天", align="center", min_width=8),
        Column("请假", align="center", min_width=5),
        Column("缺勤", align="center", min_width=5),
        Column("未登记", align="center", min_width=7),
    ]
    weekdays = ["", "星期", "", *(WEEKDAY_NAMES[d.weekday()] for d in grid.days), "", "", "", ""]
    sheet = run.table("渝馨家园考勤", columns, extra_header=[weekdays], freeze_columns=3)
    numbers = {
        r[0]: r[1]
        for r in run.store.db.conn.execute(
            "SELECT id, id_number FROM persons WHERE id IN (SELECT person_id FROM daycare_members)"
        )
    }
    for index, row in enumerate(grid.rows, start=1):
        sheet.append(
            [
                index,
                row.member.name,
                run.id_text(numbers.get(row.member.person_id)),
                *row.cells,
                format_days(row.person_days),
                row.leave,
                row.absent,
                row.unmarked,
            ]
        )
        run.steps.advance()
    per_day = [
        "闭" if closed else format_days(total)
        for closed, total in zip(grid.closed, grid.day_totals, strict=True)
    ]
    expected = [
        "闭" if closed else n for closed, n in zip(grid.closed, grid.day_expected, strict=True)
    ]
    sheet.append(
        [
            "",
            "每日出勤（人天）",
            "",
            *per_day,
            format_days(grid.total),
            sum(r.leave for r in grid.rows),
            sum(r.absent for r in grid.rows),
            sum(r.unmarked for r in grid.rows),
        ],
        "total",
        merge=((2, 3),),
    )
    sheet.append(["", "应到人数", "", *expected, "", "", "", ""], "total", merge=((2, 3),))
    if not grid.rows:
        sheet.note(f"{run.period.label}没有渝馨家园成员或考勤记录。")
    sheet.note(f"图例：{GRID_LEGEND}  闭 闭馆日")
    sheet.blank()
    sheet.section(f"{run.period.label}月度统计")
    last = 3 + days + 4
    value_end = min(last, 3 + 8)

    def stat(label: str, value: Any) -> None:
        sheet.append(["", label, "", value], merge=((2, 3), (4, value_end)))

    stat("在册成员（人）", stats.members)
    stat("开放天数（天）", stats.open_days)
    stat("出勤人天（半天计½）", format_days(stats.person_days))
    stat("出勤人次", f"{stats.attendances}（其中半天 {stats.half_days}）")
    stat("服务人数（人）", stats.people)
    stat("日均出勤（人天）", f"{stats.average_daily:.2f}")
    stat("应到人次", stats.expected)
    stat("请假（人次）", stats.leave)
    stat("缺勤（人次）", stats.absent)
    stat("未登记（人次）", stats.unmarked)
    stat("用餐（人次）", stats.meals)
    for code, name in codes.DAYCARE_SERVICES.items():
        stat(f"服务：{name}（人次）", stats.services.get(code, 0))
    sheet.close()


def write_notes(run: ExportRun) -> None:
    run.steps.start("写入个案记录")
    columns = [
        Column("序号", align="center", max_width=7),
        Column("记录时间", align="center", max_width=17),
        Column("类别", align="center", max_width=10),
        Column("住址", wrap=True, max_width=24),
        Column("对象", max_width=10),
        Column("身份证号", max_width=21),
        Column("内容", wrap=True, min_width=30, max_width=60),
        Column("记录人", max_width=10),
        Column("本月情况", wrap=True, max_width=18),
    ]
    sheet = run.table("个案记录", columns)
    sql = (
        "SELECT n.id, n.category, n.body, n.author_name, n.created_at, n.updated_at, n.version, "
        "h.address, h.building, h.unit, h.room, p.name AS person_name, p.id_number, "
        "(SELECT count(*) FROM note_revisions r WHERE r.note_id = n.id) AS revisions "
        "FROM notes n JOIN households h ON h.id = n.household_id "
        "LEFT JOIN persons p ON p.id = n.person_id "
        f"WHERE {TOUCHED.replace('created_at', 'n.created_at').replace('updated_at', 'n.updated_at')} "
        "ORDER BY n.created_at, n.pk"
    )
    first, following = run.params["first"], run.params["next"]
    number = 0
    for row in run.rows(sql):
        number += 1
        created_here = first <= row["created_at"] < following
        changed_here = row["version"] > 1 and first <= row["updated_at"] < following
        if created_here and changed_here:
            state = f"本月新写，已修改（{row['revisions']}次修订）"
        elif created_here:
            state = "本月新写"
        else:
            when = row["updated_at"][:16].replace("T", " ")
            state = f"本月修改（{when}，共{row['revisions']}次修订）"
        place = "".join(p for p in (row["building"], row["unit"], row["room"]) if p)
        address = (
            f"{row['address']} {place}".strip()
            if place and place not in row["address"]
            else row["address"]
        )
        sheet.append(
            [
                number,
                row["created_at"][:16].replace("T", " "),
                codes.label(codes.NOTE_CATEGORIES, row["category"], "其他"),
                address,
                row["person_name"] or "全户",
                run.id_text(row["id_number"]),
                run.free_text(row["body"]),
                row["author_name"],
                state,
            ]
        )
        run.steps.advance()
    if number == 0:
        sheet.note(f"{run.period.label}没有新写或修改的个案记录。")
    sheet.close()
