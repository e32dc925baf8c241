"""The monthly return's record lists: 变动情况, 走访明细, 渝馨家园考勤 and 个案记录.

One row per record of the month, streamed from an SQLite cursor, ID numbers
shown as the run decides (`ExportRun.id_text` / `free_text`).  Counts and
person-days are number cells with a number format (see `excel.return_run`).

- 变动情况: who entered or left the register in the month and why
  (`store.register_changes`), then the count of each kind;
- 走访明细: one row per visit, with the people seen, their disability category
  and level, the 六个清楚 ticked, and an empty 被走访人签字 column (paper 台账
  are signed);
- 渝馨家园考勤: members × days with the TUI's symbols, per member and per day
  totals, and the month's statistics;
- 个案记录: notes written or revised in the month.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.daycare import GRID_LEGEND, WEEKDAY_NAMES
from canxie_tui.excel.return_format import TOUCHED
from canxie_tui.excel.return_run import (
    AVERAGE,
    DAYS,
    INT,
    ExportRun,
    category_level,
)
from canxie_tui.excel.table import Column
from canxie_tui.store import daycare
from canxie_tui.store.register_changes import CHANGE_KINDS, RegisterChange, RegisterChanges

__all__ = ["write_changes", "write_daycare", "write_notes", "write_visits"]

# 六个清楚 as a visit row lists them: 住址、电话、生活状况 ...
_CHECKLIST_SHORT = {code: text.removesuffix("清楚") for code, text in codes.VISIT_CHECKLIST.items()}
_ALL_CHECKED = "全部六项"
_NONE_CHECKED = "未勾选"


# -- 变动情况 --------------------------------------------------------------------------------
def _change_note(change: RegisterChange) -> str:
    """What a 变动情况 row says beside the dates, in words."""
    kind = change.kind
    if kind == "new_cert":
        if change.before is not None:
            return "原为非持证家庭成员，本月登记残疾人证"
        return "" if change.cert_issued else "发证日期未登记，按新办证计"
    if kind == "moved_in":
        return "持证迁入（发证日期早于本月）"
    if kind == "reclassified" and change.before is not None:
        was = category_level(*change.before)
        return f"原为{was}，现为{category_level(change.category, change.level)}"
    if kind == "expiring":
        return "证件有效期至本月，请提醒换证"
    return change.reason


def write_changes(run: ExportRun, changes: RegisterChanges) -> None:
    """变动情况: who entered or left the register and why (rules: store.register_changes)."""
    run.steps.start("写入变动情况")
    columns = [
        Column("序号", align="center", max_width=6, number_format=INT),
        Column("变动类型", align="center", min_width=10, max_width=14),
        Column("变动日期", align="center"),
        Column("姓名", max_width=12),
        Column("性别", align="center", max_width=6),
        Column("身份证号", max_width=21),
        Column("残疾类别", align="center", min_width=8, max_width=10),
        Column("残疾等级", align="center", min_width=8, max_width=10),
        Column("发证日期", align="center", min_width=10),
        Column("有效期至", align="center", min_width=10),
        Column("说明", wrap=True, min_width=16, max_width=28),
        Column("住址", wrap=True, max_width=26),
    ]
    sheet = run.table("变动情况", columns)
    for number, change in enumerate(changes.rows, start=1):
        sheet.append(
            [
                number,
                change.label,
                change.day,
                change.name,
                change.sex,
                run.id_text(change.id_number),
                codes.label(codes.CATEGORIES, change.category, "非持证"),
                codes.label(codes.LEVELS, change.level),
                change.cert_issued or "未登记",
                change.cert_valid_until or "未登记",
                run.free_text(_change_note(change)),
                change.address,
            ]
        )
    if not changes.rows:
        sheet.note(f"{run.period.label}没有人员变动。")
    founded = changes.founded()
    if founded:
        sheet.note(
            "本月为首次建档（上月末没有在册人员）：本月登记的人员是建立名册，"
            "不列为新办证或迁入，人数见“汇总”表。"
        )
    counts = changes.counts()
    kinds = list(CHANGE_KINDS)
    sheet.blank()
    sheet.append(["", "变动类型", *CHANGE_KINDS.values(), "合计"], "header", columns=len(kinds) + 3)
    sheet.figures(
        ["", "人数（人）", *(counts[k] for k in kinds), sum(counts.values())],
        ["", "", *[INT] * (len(kinds) + 1)],
        bold=True,
    )
    sheet.note(
        "新办证：本月登记、发证日期在本月或未登记；迁入：本月登记、发证日期早于本月；"
        "迁出/死亡/注销：状态日期在本月；类别/等级变更：本月改动了残疾类别或等级；"
        "证件到期：在册且残疾人证有效期至本月。"
    )
    run.signature(sheet)
    sheet.close()


def _visit_columns() -> list[Column]:
    # Sixteen columns on A4 landscape: long texts wrap within narrow columns.
    return [
        Column("序号", align="center", max_width=7, number_format=INT),
        Column("走访日期", align="center"),
        Column("住址", wrap=True, max_width=22),
        Column("走访对象", wrap=True, max_width=12),
        Column("身份证号", wrap=True, max_width=21),
        Column("残疾类别等级", align="center", wrap=True, min_width=8, max_width=10),
        Column("方式", align="center", max_width=11),
        Column("目的", align="center", wrap=True, max_width=10),
        Column("走访人", wrap=True, max_width=10),
        Column("六个清楚", wrap=True, min_width=10, max_width=14),
        Column("发现问题", wrap=True, max_width=20),
        Column("帮扶措施", wrap=True, max_width=20),
        Column("转介", wrap=True, max_width=8),
        Column("跟进事项", wrap=True, max_width=18),
        Column("情况记录", wrap=True, max_width=22),
        Column("被走访人签字", width=12),
    ]


def _checklist_text(checked: list[str]) -> str:
    """The 六个清楚 ticked on a visit, in the list's order."""
    ticked = [short for code, short in _CHECKLIST_SHORT.items() if code in checked]
    if len(ticked) == len(_CHECKLIST_SHORT):
        return _ALL_CHECKED
    return "、".join(ticked) or _NONE_CHECKED


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
        "SELECT v.id, v.visit_date, v.method, v.purpose, v.checklist, v.problems, v.problem_text, "
        "v.help_given, v.referrals, v.note, h.address, h.building, h.unit, h.room, "
        "(SELECT group_concat(who, char(30)) FROM (SELECT p.name || char(31) || "
        " coalesce(p.id_number, '') || char(31) || coalesce(p.category, '') || char(31) || "
        " coalesce(p.level, '') AS who FROM visit_persons vp JOIN persons p "
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

    checklists: dict[str, str] = {}

    def checklist(raw: str) -> str:
        text = checklists.get(raw)
        if text is None:
            text = checklists[raw] = _checklist_text(json.loads(raw or "[]"))
        return text

    kinds: dict[tuple[str, str], str] = {}  # (category, level) as SQL text -> 肢体二级

    def disability(category: str, level: str) -> str:
        text = kinds.get((category, level))
        if text is None:
            text = kinds[(category, level)] = category_level(
                int(category) if category else None, int(level) if level else None
            )
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
        seen = [who.split("\x1f") for who in (row["seen"] or "").split("\x1e") if who]
        sheet.append(
            [
                number,
                row["visit_date"],
                address,
                "、".join(who[0] for who in seen),
                "\n".join(run.id_text(who[1]) for who in seen if who[1]),
                "\n".join(disability(who[2], who[3]) for who in seen),
                codes.label(codes.VISIT_METHODS, row["method"], row["method"]),
                codes.label(codes.VISIT_PURPOSES, row["purpose"], row["purpose"]),
                row["visitors"] or "",
                checklist(row["checklist"]),
                run.free_text(problems),
                run.free_text(row["help_given"]),
                listed(codes.REFERRALS, row["referrals"]),
                "\n".join(promised.get(row["id"], ())),
                run.free_text(row["note"]),
                None,  # 被走访人签字: signed on paper
            ]
        )
        run.steps.advance()
    if number == 0:
        sheet.note(f"{run.period.label}没有走访记录。")
    sheet.close()


def _number_width(value: float, fmt: str) -> float:
    """The column width (in digits) a number needs as `fmt` shows it, padding included."""
    text = f"{value:.1f}" if fmt == DAYS else str(int(value))
    return sum(0.5 if ch in ".-" else 1.0 for ch in text) + 0.8


def write_daycare(run: ExportRun) -> None:
    run.steps.start("写入渝馨家园考勤")
    grid = daycare.month_grid(run.store, run.period.year, run.period.month)
    stats = daycare.month_stats(run.store, run.period.year, run.period.month)
    days = len(grid.days)
    # A day column holds a symbol per member, then the day's person-days and the members
    # expected: numbers, shown whole (INT) or with their half day (DAYS), in a column
    # wide enough for the widest (else a spreadsheet shows ###).
    per_day = [
        "闭" if closed else total
        for closed, total in zip(grid.closed, grid.day_totals, strict=True)
    ]
    per_day_formats = [
        "" if isinstance(v, str) else (INT if v == int(v) else DAYS) for v in per_day
    ]
    expected = [
        "闭" if closed else n for closed, n in zip(grid.closed, grid.day_expected, strict=True)
    ]
    day_width = max(
        [3.6]
        + [
            _number_width(v, f)
            for v, f in zip(per_day, per_day_formats, strict=True)
            if not isinstance(v, str)
        ]
        + [_number_width(n, INT) for n in expected if not isinstance(n, str)]
    )
    columns = [
        Column("序号", align="center", max_width=6, number_format=INT),
        Column("姓名", max_width=12),
        Column("身份证号", max_width=21),
        *(Column(str(d.day), width=day_width, align="center") for d in grid.days),
        Column("出勤人天", align="center", min_width=8, number_format=DAYS),
        Column("请假", align="center", min_width=5, number_format=INT),
        Column("缺勤", align="center", min_width=5, number_format=INT),
        Column("未登记", align="center", min_width=7, number_format=INT),
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
                row.person_days,
                row.leave,
                row.absent,
                row.unmarked,
            ]
        )
        run.steps.advance()
    sheet.figures(
        [
            "",
            "每日出勤（人天）",
            "",
            *per_day,
            grid.total,
            sum(r.leave for r in grid.rows),
            sum(r.absent for r in grid.rows),
            sum(r.unmarked for r in grid.rows),
        ],
        ["", "", "", *per_day_formats, DAYS, INT, INT, INT],
        bold=True,
        merge=((2, 3),),
    )
    sheet.figures(
        [
            "",
            "应到人数",
            "",
            *expected,
        ],
        ["", "", "", *[INT] * days, "", "", "", ""],
        bold=True,
        merge=((2, 3),),
    )
    if not grid.rows:
        sheet.note(f"{run.period.label}没有渝馨家园成员或考勤记录。")
    sheet.note(f"图例：{GRID_LEGEND}  闭 闭馆日；出勤人天中半天计 0.5")
    sheet.blank()
    sheet.section(f"{run.period.label}月度统计")
    last = 3 + days + 4
    value_end = min(last, 3 + 8)
    formats = ["", "", ""] + [""] * (value_end - 3)

    def stat(label: str, value: Any, fmt: str = INT) -> None:
        formats[3] = fmt
        sheet.figures(["", label, "", value], formats, merge=((2, 3), (4, value_end)))

    stat("在册成员（人）", stats.members)
    stat("开放天数（天）", stats.open_days)
    stat("出勤人天（半天计0.5）", stats.person_days, DAYS)
    stat("出勤人次", stats.attendances)
    stat("其中：半天（人次）", stats.half_days)
    stat("服务人数（人）", stats.people)
    stat("日均出勤（人天）", stats.average_daily, AVERAGE)
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
        Column("序号", align="center", max_width=7, number_format=INT),
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
