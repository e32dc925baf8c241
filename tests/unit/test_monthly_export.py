"""The monthly return: print sheets, masking, the machine-readable part and its reader.

`month` is November 2026 built by `tests.conftest.build_month` on the fixed clock
(Sunday 2026-11-29 10:00): three visits in the month (one with a follow-up and
the formula-like texts), one withdrawn, one in October, two notes (one edited),
渝馨家园 attendance with a closed day, and a heat-wave event with two checks.
"""

from __future__ import annotations

import json
import re
import sqlite3
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from canxie_tui.domain import codes, ids
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.transit import id_token
from canxie_tui.excel import monthly_return as monthly
from canxie_tui.excel import return_sheets
from canxie_tui.excel.errors import (
    ChecksumError,
    ExportError,
    FormatVersionError,
    NotAWorkbookError,
    NotMonthlyReturnError,
    SchemaMismatchError,
)
from canxie_tui.excel.monthly_return import export_monthly, summarize_month
from canxie_tui.excel.return_format import DATA_TABLES, PRINT_SHEETS
from canxie_tui.excel.return_ids import Tokens
from canxie_tui.excel.return_reader import read_monthly
from canxie_tui.store import daycare, duelist, session, site
from canxie_tui.store.connection import Store
from canxie_tui.store.keys import return_keys
from tests.conftest import INJECTION_TEXTS, OPERATOR, SITE, TODAY, Make, Month, build_month

DATA_SHEETS = [t.sheet for t in DATA_TABLES]


@pytest.fixture
def month(store: Store, make: Make) -> Month:
    return build_month(store, make)


@pytest.fixture
def exported(store: Store, month: Month, tmp_path: Path) -> Path:
    return export_monthly(store, 2026, 11, out=tmp_path / "out" / "m.xlsx")


def _visible_texts(path: Path) -> list[str]:
    wb = load_workbook(path, read_only=True)
    try:
        return [
            str(value)
            for ws in wb.worksheets
            if ws.sheet_state == "visible"
            for row in ws.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
    finally:
        wb.close()


def _db_rows(store: Store, table: str, where: str = "1", params: Any = ()) -> list[dict[str, Any]]:
    return store.query(f"SELECT * FROM {table} WHERE {where} ORDER BY rowid", params)


# -- layout -------------------------------------------------------------------------------
def test_sheets_in_order_and_data_hidden(exported: Path) -> None:
    wb = load_workbook(exported)
    assert wb.sheetnames == [*PRINT_SHEETS, "_元数据", *DATA_SHEETS]
    states = {ws.title: ws.sheet_state for ws in wb.worksheets}
    assert all(states[name] == "visible" for name in PRINT_SHEETS)
    assert all(states[name] == "hidden" for name in ("_元数据", *DATA_SHEETS))
    assert wb.active.title == "汇总"


@pytest.mark.parametrize("name", PRINT_SHEETS)
def test_print_sheets_are_print_ready(exported: Path, name: str) -> None:
    ws = load_workbook(exported)[name]
    title, info = ws["A1"].value, ws["A2"].value
    assert title.startswith("江北区观音桥街道建新东路社区残疾人工作月报（2026年11月）")
    assert title.endswith(name)
    assert ws["A1"].font.b
    assert f"A1:{get_column_letter(ws.max_column)}1" in {str(r) for r in ws.merged_cells}
    assert "填报单位：建新东路社区" in info and f"填报人：{OPERATOR}" in info
    assert "填报日期：2026年11月29日" in info
    setup = ws.page_setup
    assert (setup.orientation, setup.paperSize) == ("landscape", 9)
    assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    header_rows = 2 if name == "汇总" else (4 if name == "渝馨家园考勤" else 3)
    assert ws.print_title_rows == f"$1:${header_rows}"
    frozen_column = "D" if name == "渝馨家园考勤" else "A"
    assert ws.freeze_panes == f"{frozen_column}{header_rows + 1}"
    if name != "汇总":
        assert ws.cell(3, 1).value == "序号" and ws.cell(3, 1).font.b
    # A print area over the table's columns (the 汇总's ends above its chart data).
    last_column = get_column_letter(ws.max_column)
    last_row = ws.max_row
    if name == "汇总":
        last_row = next(
            c.row for c in ws["A"] if isinstance(c.value, str) and c.value.startswith("单位负责人")
        )
    assert ws.print_area == f"'{name}'!$A$1:${last_column}${last_row}"
    # Every number on a print sheet carries a number format of its own.
    numbers = _figure_cells(ws, range(3, ws.max_row + 1))
    assert numbers and all(c.number_format != "General" for c in numbers)


def test_column_widths_fit_chinese_text(exported: Path) -> None:
    ws = load_workbook(exported)["走访明细"]
    widths = {
        ws.cell(3, c).value: ws.column_dimensions[ws.cell(3, c).column_letter].width
        for c in range(1, ws.max_column + 1)
    }
    assert widths["走访日期"] == len("2026-11-03") + 2
    assert widths["身份证号"] == 18 + 2
    assert widths["住址"] == 22  # capped, the long texts wrap
    assert ws["C4"].alignment.wrap_text
    # Sixteen columns stay readable on A4 landscape: narrow enough together.
    assert len(widths) == 16 and sum(widths.values()) <= 260


def test_visit_rows(exported: Path, month: Month) -> None:
    ws = load_workbook(exported)["走访明细"]
    header = [c.value for c in ws[3]]
    rows = [
        dict(zip(header, (c.value for c in row), strict=True)) for row in ws.iter_rows(min_row=4)
    ]
    assert [r["走访日期"] for r in rows] == [
        "2026-11-03",
        "2026-11-10",
        "2026-11-10",
    ]  # not withdrawn
    first = rows[0]
    assert first["序号"] == 1
    assert first["住址"] == "建新东路1号 5栋2单元301"
    assert first["走访对象"] == f"王芳、{INJECTION_TEXTS[0]}"
    assert first["身份证号"] == mask_id(month.wang.id_number)
    assert (first["方式"], first["目的"], first["走访人"]) == ("入户", "常规走访", OPERATOR)
    assert first["发现问题"] == f"生活困难、其他：{INJECTION_TEXTS[0]}"
    assert (first["帮扶措施"], first["转介"]) == ("-1", "民政")
    assert first["跟进事项"] == "协助申请护理补贴（11月17日前，紧急·未完成）"
    assert first["情况记录"] == INJECTION_TEXTS[1]
    # Each person seen with their category and level (李 has no certificate).
    assert first["残疾类别等级"] == "肢体二级\n非持证"
    assert first["六个清楚"] == "未勾选"
    assert rows[1]["方式"] == "电话" and rows[1]["情况记录"] == "@SUM(A1)"
    assert rows[1]["残疾类别等级"] == "精神三级"
    assert rows[2]["目的"] == "节日慰问"
    # Paper 台账 are signed: an empty, bordered column for the person visited.
    assert header[-1] == "被走访人签字"
    assert all(r["被走访人签字"] is None for r in rows)
    assert ws.cell(4, len(header)).border.left.style == "thin"


def test_visit_rows_list_the_six_checks_ticked(store: Store, make: Make, tmp_path: Path) -> None:
    person = make.person(make.household("建新东路8号"), "陈静", category=1, level=1)
    make.visit(date(2026, 11, 5), person, checklist=["address", "phone", "needs"])
    make.visit(date(2026, 11, 6), person, checklist=list(codes.VISIT_CHECKLIST))
    ws = load_workbook(export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx"))["走访明细"]
    header = [c.value for c in ws[3]]
    checks = [row[header.index("六个清楚")] for row in ws.iter_rows(min_row=4, values_only=True)]
    assert checks == ["住址、电话、基本需求", "全部六项"]
    assert [
        row[header.index("残疾类别等级")] for row in ws.iter_rows(min_row=4, values_only=True)
    ] == [
        "视力一级",
        "视力一级",
    ]


def test_formula_like_texts_stay_text(exported: Path) -> None:
    wb = load_workbook(exported)
    found = {
        cell.value: cell
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for cell in row
        if cell.value in INJECTION_TEXTS
    }
    assert set(found) == set(INJECTION_TEXTS)
    for text, cell in found.items():
        assert cell.data_type == "s", text
        if cell.parent.sheet_state == "visible":
            assert cell.quotePrefix, text  # editing in Excel keeps it text


def _lines(ws: Any) -> list[tuple[Any, ...]]:
    return [row for row in ws.iter_rows(min_row=3, values_only=True) if row[0] is not None]


def _after(lines: list[tuple[Any, ...]], label: str) -> tuple[Any, ...]:
    """The row of figures under the header row whose first cell is `label`."""
    return lines[[r[0] for r in lines].index(label) + 1]


def test_summary_sheet(exported: Path) -> None:
    ws = load_workbook(exported)["汇总"]
    lines = _lines(ws)
    rows = {row[0]: row[1:] for row in lines}
    assert lines[0][0] == "一、持证残疾人基本情况（截至11月29日在册）"
    assert not any("户籍情况" in str(r[0]) for r in lines)
    assert rows["在册持证残疾人（人）"][0] == 2
    assert rows["其中：重度（一、二级）（人）"][0] == 1
    assert _after(lines, "性别") == ("人数", 2, 0, 0, 2, None, None)  # 男 女 未登记 合计
    assert _after(lines, "年龄（截至11月29日）") == ("人数", 0, 2, 0, 0, 2, None)
    assert rows["肢体残疾"] == (0, 1, 0, 0, 0, 1)  # 一级..四级 未定级 合计
    assert rows["精神残疾"] == (0, 0, 1, 0, 0, 1)
    assert rows["走访次数（次）"][0] == 3
    assert rows["走访户数（户）"][0] == 2
    assert rows["走访覆盖率"][0] == 1.0
    assert _after(lines, "走访方式") == ("次数", 1, 1, 1, 0, 3, None)  # 入户 电话 微信 见面 合计
    # 常规走访 节日慰问 急难救助 动态更新调查 回访 合计
    assert _after(lines, "走访目的") == ("次数", 2, 1, 0, 0, 0, 3)
    # The tier when visited: B (重度, 精神) except 11-10 at home, A by the urgent follow-up.
    assert _after(lines, "走访时的分级") == ("次数", 1, 2, 0, 0, 3, None)
    assert rows["本月新增（项）"][0] == 1
    assert rows["出勤人天"][0] == 3.5
    assert rows["本月新写（篇）"][0] == 2 and rows["本月修改（篇）"][0] == 1
    assert rows["本月事件（起）"][:2] == (1, "高温橙色预警")
    # 点名人数, then each status, 未联系 last: they add up to the list.
    roll_call = _after(lines, "点名情况")
    assert roll_call == ("人数", 2, 1, 1, 0, 0, 0)
    assert sum(roll_call[2:]) == roll_call[1]
    # Registered in November, nobody the month before: the register being set up.
    assert rows["首次建档登记（人）"][0] == 2
    assert _after(lines, "本月增加") == ("人数", 0, 0, 0, None, None, None)
    signature = next(r[0] for r in lines if str(r[0]).startswith("单位负责人："))
    assert "审核人：" in signature and "填报人：李明" in signature and "联系电话：" in signature
    per_day = lines[[r[0] for r in lines].index("日期（11月）") + 1 :]
    assert [row[:2] for row in per_day][:3] == [(1, 0), (2, 0), (3, 1)]
    assert per_day[9][:2] == (10, 2) and len(per_day) == 30
    assert all(row[2:] == (None,) * 5 for row in per_day)  # a two-column table
    [chart] = ws._charts
    assert chart.tagname == "barChart"


def _figure_cells(ws: Any, rows: range) -> list[Any]:
    return [
        cell
        for row in ws.iter_rows(min_row=rows.start, max_row=rows.stop - 1)
        for cell in row
        if isinstance(cell.value, int | float) and not isinstance(cell.value, bool)
    ]


def test_every_figure_is_a_number_with_a_format(exported: Path) -> None:
    wb = load_workbook(exported)
    summary = wb["汇总"]
    figures = _figure_cells(summary, range(3, summary.max_row + 1))
    assert len(figures) > 100
    assert all(c.number_format != "General" for c in figures)
    # No count hides in a text: every text on the 汇总 outside the headings is a label,
    # a note in words or "—".
    for row in summary.iter_rows(min_row=3):
        for cell in row[1:]:
            if isinstance(cell.value, str):
                assert not re.fullmatch(r"[\d.,%/ ]+", cell.value), cell.coordinate
    labels = {row[0].value: row[1] for row in summary.iter_rows(min_row=3) if row[0].value}
    assert labels["走访覆盖率"].number_format == "0.0%"
    assert labels["出勤人天"].number_format == "0.0"
    assert labels["日均出勤（人天）"].number_format == "0.00"
    assert isinstance(labels["日均出勤（人天）"].value, float)

    grid = wb["渝馨家园考勤"]
    member = [c for c in grid[5]]
    assert member[1].value == "王芳"
    assert [c.value for c in member[-4:]] == [3.5, 1, 0, member[-1].value]
    assert [c.number_format for c in member[-4:]] == ["0.0", "0", "0", "0"]
    totals = [c for c in grid[6]]
    assert totals[1].value == "每日出勤（人天）"
    assert {c.value for c in totals[3:-4] if isinstance(c.value, str)} == {"闭"}
    shown = [c for c in totals[3:-4] if c.value != "闭"]
    assert all(isinstance(c.value, int | float) for c in shown)
    # person-days show a half day when there is one (0.5), whole days as such (1)
    assert all(c.number_format == ("0" if c.value == int(c.value) else "0.0") for c in shown)
    assert {c.value for c in shown} == {0, 1, 0.5}
    assert totals[-4].value == 3.5 and all(isinstance(c.value, int) for c in totals[-3:])
    expected = [c for c in grid[7]]
    assert all(c.number_format == "0" for c in expected[3:-4] if c.value != "闭")
    stats = {
        row[1].value: row[3] for row in grid.iter_rows(min_row=9) if isinstance(row[1].value, str)
    }
    assert stats["出勤人天（半天计0.5）"].value == 3.5
    assert stats["出勤人次"].value == 4 and stats["其中：半天（人次）"].value == 1
    assert all(
        isinstance(cell.value, int | float) and cell.number_format != "General"
        for label, cell in stats.items()
        if label.endswith("）") or label == "出勤人次"
    )


def test_the_sex_and_age_bands_add_up_to_the_register(store: Store, make: Make) -> None:
    home = make.household("建新东路6号")
    make.person(home, "小明", category=5, level=2, birth=date(2012, 6, 1))  # 14
    make.person(home, "刚满十八", category=5, level=3, birth=date(2008, 11, 30))  # 18 on 11-30
    make.person(home, "老周", category=1, level=4, birth=date(1950, 1, 2), male=False)  # 76
    make.person(home, "五十九", category=4, level=4, birth=date(1966, 12, 1))  # 59
    make.person(home, "家属", category=None)  # not certified: not counted
    # In a past month the age is taken on its last day.
    store.clock = lambda: datetime(2026, 12, 5, 10)
    summary = summarize_month(store, 2026, 11)
    assert summary.persons == 4
    assert summary.by_sex == {"男": 3, "女": 1, "": 0}
    assert summary.by_age == {"0-17": 1, "18-59": 2, "60+": 1, "": 0}
    assert sum(summary.by_sex.values()) == sum(summary.by_age.values()) == summary.persons
    assert sum(summary.by_category_level.values()) == summary.persons


def test_summary_figures(store: Store, month: Month) -> None:
    summary = summarize_month(store, 2026, 11)
    assert (summary.households, summary.persons, summary.severe) == (2, 2, 1)
    assert (summary.visits, summary.households_visited, summary.coverage) == (3, 2, 1.0)
    assert summary.by_method == {"home": 1, "phone": 1, "wechat": 1}
    assert sum(summary.per_day) == 3 and len(summary.per_day) == 30
    assert (summary.followups_opened, summary.followups_closed, summary.followups_open) == (1, 0, 1)
    assert summary.followups_overdue == 1  # due 11-17
    assert (summary.notes_written, summary.notes_revised) == (2, 1)
    assert summary.daycare == daycare.month_stats(store, 2026, 11)
    [event] = summary.events
    # Nobody else is on a heat wave's list here: the list is the two people checked.
    assert (event.name, event.listed, event.unreached) == ("高温橙色预警", 2, 0)
    assert event.by_status == {"pending": 0, "safe": 1, "help": 1, "moved": 0, "unreachable": 0}
    # In the current month "overdue at month end" is today's overdue count of the due list.
    assert summary.overdue == duelist.due_counts(store, TODAY)["overdue"]


def test_summary_of_an_earlier_month_counts_the_register_then(store: Store, month: Month) -> None:
    october = summarize_month(store, 2026, 10)
    assert october.persons == 0  # everyone was registered in November
    assert october.visits == 1 and october.households_visited == 0  # not in the register then


def test_daycare_grid_sheet(exported: Path, store: Store, month: Month) -> None:
    ws = load_workbook(exported)["渝馨家园考勤"]
    grid = daycare.month_grid(store, 2026, 11)
    [row] = grid.rows
    sheet_row = [c.value for c in ws[5]]
    assert sheet_row[:3] == [1, "王芳", mask_id(month.wang.id_number)]
    assert [v or "" for v in sheet_row[3:33]] == row.cells
    assert sheet_row[33:] == [3.5, 1, 0, row.unmarked]
    assert [c.value for c in ws[4]][3:10] == [
        "日",
        "一",
        "二",
        "三",
        "四",
        "五",
        "六",
    ]  # 11-01 is a Sunday
    totals = [c.value for c in ws[6]]
    assert totals[1] == "每日出勤（人天）" and "闭" in totals
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(t.startswith("图例：✓ 出勤") for t in texts)
    assert "服务：日间照料（人次）" in texts


def test_notes_sheet_masks_ids_in_text(exported: Path, month: Month) -> None:
    ws = load_workbook(exported)["个案记录"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 2
    first = rows[0]
    assert first[2] == "需求" and first[4] == "王芳" and first[5] == mask_id(month.wang.id_number)
    assert mask_id(month.wang.id_number) in first[6] and month.wang.id_number not in first[6]
    assert first[8] == "本月新写，已修改（1次修订）"
    assert rows[1][4] == "全户" and rows[1][6] == "@SUM(A1)"


def test_indicator_sheet(exported: Path, store: Store) -> None:
    from canxie_tui.store.indicators import indicators

    ws = load_workbook(exported)["指标"]
    header = [c.value for c in ws[3]]
    assert header == [
        "序号",
        "指标",
        "单位",
        "完成数",
        "应覆盖数",
        "完成率",
        "目标",
        "评价",
        "缺口",
    ]
    table = [list(row) for row in ws.iter_rows(min_row=4, max_row=14)]
    # The plan's eleven rows in its order: 1 is the district's own statistics, 2 a count.
    assert [row[0].value for row in table] == list(range(1, 12))
    assert table[0][1].value == "残疾人家庭人均收入年均增长"
    assert table[0][5].value == "由区残联统计" and table[0][3].value == "—"
    assert table[1][1].value == "城乡残疾人职业技能培训人数"
    assert isinstance(table[1][3].value, int) and table[1][5].value == "—"
    assert table[2][1].value == "符合条件的残疾人纳入最低生活保障比例"
    found = {i.key: i for i in indicators(store, TODAY)}
    pension = table[5]
    assert pension[1].value == "残疾人城乡居民基本养老保险参保率"
    assert (pension[3].value, pension[4].value) == (
        found["pension"].numerator,
        found["pension"].denominator,
    )
    assert pension[5].value == found["pension"].rate and pension[5].number_format == "0.0%"
    assert isinstance(pension[8].value, int) and pension[8].value == found["pension"].short
    for row in table[2:]:
        rate = row[5]
        # a number with a percent format, or "—" when nobody is counted (never 0%)
        assert (isinstance(rate.value, int | float) and rate.number_format == "0.0%") or (
            rate.value == "—" and row[4].value == 0
        )
        assert all(isinstance(c.value, int) for c in (row[3], row[4], row[8]))
    # 家庭医生签约 is from the plan's text: below the table, not one of its rows.
    rest = [list(row) for row in ws.iter_rows(min_row=15, values_only=True)]
    [doctor] = [row for row in rest if row[1] == "持证残疾人家庭医生签约服务率"]
    assert doctor[0] is None and isinstance(doctor[4], int)
    assert rest.index(doctor) > 1  # after the table's note and a heading


def test_emergency_sheet(exported: Path) -> None:
    ws = load_workbook(exported)["急难救助"]
    header = [c.value for c in ws[3]]
    assert header[5:] == [
        "点名人数",
        "安全",
        "需要帮助",
        "已转移",
        "联系不上",
        "未联系",
        "统计时点",
    ]
    events = list(ws.iter_rows(min_row=4, values_only=True))
    assert events[0][:6] == (1, "高温橙色预警", "高温", "2026-11-15 08:00", "进行中", 2)
    assert events[0][6:] == (1, 1, 0, 0, 0, "导出时")
    assert events[1][1] == "合计" and events[1][5] == 2
    assert all(c.number_format == "0" for c in ws[4][5:11])


# -- privacy ------------------------------------------------------------------------------
def test_ids_masked_in_every_print_sheet(exported: Path, store: Store, month: Month) -> None:
    texts = "\n".join(_visible_texts(exported))
    numbers = [
        r[0]
        for r in store.db.conn.execute("SELECT id_number FROM persons WHERE id_number IS NOT NULL")
    ]
    assert numbers
    for number in numbers:
        assert number not in texts
    assert mask_id(month.wang.id_number) in texts
    # The data sheets hold tokens under the district's key (the district merges by them).
    data = read_monthly(exported)
    key = return_keys(store).token
    assert {p["id_number"] for p in data.rows("persons")} >= {id_token(key, n) for n in numbers}
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action LIKE '%完整身份证号%'") == 0
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = '导出月报'") == 1


# A full ID number: 17 digits (the first not 0) and a check character (`ids.check_char`).
_ID_SHAPED = re.compile(r"[1-9][0-9]{16}[0-9Xx]")
# Digests a return holds by design: hex digits, among which an 18-digit run with a
# valid check character turns up by chance (about one return in ten), never a number.
_TOKEN = re.compile(r"idt:[0-9a-f]{32}")  # `transit.id_token`, also inside JSON text
_DIGEST = re.compile(r"[0-9a-f]{64}")  # SHA-256 or HMAC-SHA256
_DIGEST_COLUMNS = frozenset({"hash", "prev_hash"})  # an audit entry's chain
_DIGEST_KEYS = frozenset({"audit_hash", "checksum", "mac"})  # _元数据 rows holding one


def full_ids_in(path: Path) -> tuple[list[tuple[str, str]], int]:
    """(sheet, number) of every full ID number in any cell of any sheet (hidden ones
    too) as openpyxl reads them, and how many cells were read.  The cells made to hold
    a digest are checked to hold exactly one and not searched; tokens are taken out
    of the text before it is searched: what is left cannot hold a digest by chance."""
    wb = load_workbook(path, read_only=True)
    found: list[tuple[str, str]] = []
    cells = 0
    try:
        for ws in wb.worksheets:
            digest_columns: set[int] = set()
            for number, row in enumerate(ws.iter_rows(values_only=True)):
                digests = set(digest_columns)
                if number == 0:  # the header: the columns below it holding a digest
                    digest_columns = {i for i, name in enumerate(row) if name in _DIGEST_COLUMNS}
                if ws.title == "_元数据" and row and row[0] in _DIGEST_KEYS:
                    digests.add(1)
                if ws.title == "_元数据" and row and row[0] == "sheet":
                    digests.add(4)  # the sheet's SHA-256
                for column, value in enumerate(row):
                    if value is None:
                        continue
                    cells += 1
                    if column in digests:
                        assert _DIGEST.fullmatch(str(value)), (ws.title, value)
                        continue
                    text = _TOKEN.sub("", str(value))
                    found += [
                        (ws.title, m)
                        for m in _ID_SHAPED.findall(text)
                        if ids.check_char(m[:17]) == m[17].upper()
                    ]
    finally:
        wb.close()
    return found, cells


def test_a_default_return_holds_no_full_id_number_in_any_sheet(
    exported: Path, store: Store, month: Month
) -> None:
    """Opened with openpyxl, every cell of every sheet (hidden ones too): no 18-character ID."""
    found, cells = full_ids_in(exported)
    assert found == []
    assert cells > 500
    # ...yet the data sheets name every person by a token the district can compare.
    data = read_monthly(exported)
    wang = next(p for p in data.rows("persons") if p["id"] == month.wang.id)
    assert wang["id_number"] == id_token(return_keys(store).token, month.wang.id_number)
    assert wang["cert_number"].startswith(wang["id_number"] + "|")
    assert data.meta["id_numbers"] == "token" and data.meta["id_key_issued"] == "1"


def test_the_id_search_tells_numbers_from_digests(
    store: Store, month: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tokens whose hex digits hold a valid ID-shaped run (as a digest may by chance)
    are not taken for numbers; a number the print sheets show in full is found, in
    every sheet it is in, and so is one a data sheet would carry untokenised."""
    from canxie_tui.domain import transit

    shaped = "11010119900307" + "123"  # a made-up number's 17 digits
    shaped += ids.check_char(shaped)
    assert shaped.isdigit()  # hex digits only, as in a digest
    real = transit.id_token

    def token_holding_a_number(key: bytes, id_number: str) -> str:
        return transit.TOKEN_PREFIX + "a" + shaped + real(key, id_number)[4:17]

    monkeypatch.setattr(transit, "id_token", token_holding_a_number)
    path = export_monthly(store, 2026, 11, out=tmp_path / "digits.xlsx")
    persons = load_workbook(path, read_only=True)["_数据_persons"]
    assert any(shaped in str(v) for row in persons.iter_rows(values_only=True) for v in row)
    assert full_ids_in(path)[0] == []
    shown = export_monthly(store, 2026, 11, out=tmp_path / "full.xlsx", full_ids=True)
    found = full_ids_in(shown)[0]
    assert month.wang.id_number in {number for _, number in found}
    assert {sheet for sheet, _ in found} <= set(PRINT_SHEETS)  # shown where asked, only
    monkeypatch.undo()
    monkeypatch.setattr(Tokens, "value", lambda self, column, value: value)  # a bug
    leaked = export_monthly(store, 2026, 11, out=tmp_path / "leaked.xlsx")
    assert ("_数据_persons", month.wang.id_number) in full_ids_in(leaked)[0]


def test_full_ids_are_shown_and_audited(store: Store, month: Month, tmp_path: Path) -> None:
    path = export_monthly(store, 2026, 11, out=tmp_path / "full.xlsx", full_ids=True)
    texts = "\n".join(_visible_texts(path))
    assert month.wang.id_number in texts
    [entry] = store.query("SELECT * FROM audit_log WHERE action = '导出月报（显示完整身份证号）'")
    assert entry["operator_name"] == OPERATOR and entry["table_name"] == "monthly_return"
    after = json.loads(entry["after"])
    assert after["path"] == str(path) and after["full_ids"] is True and after["month"] == "2026-11"
    assert read_monthly(path).full_ids


# -- read back ----------------------------------------------------------------------------
def _sent(store: Store, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`rows` as a return carries them: ID numbers as tokens, masked inside free text."""
    tokens = Tokens(return_keys(store).token)
    return [dict(zip(r, tokens.row(table, list(r), list(r.values())), strict=True)) for r in rows]


def test_round_trip_is_lossless(exported: Path, store: Store, month: Month) -> None:
    data = read_monthly(exported)
    assert (data.year, data.month, data.month_text) == (2026, 11, "2026-11")
    assert data.site == SITE
    assert data.schema_version == store.schema_version
    assert data.operator_name == OPERATOR and data.exported_at == "2026-11-29T10:00:00"
    # Every visit, note, revision and attendance row equals the database, field by field.
    month_visits = _db_rows(
        store, "visits", "visit_date >= '2026-11-01' OR updated_at >= '2026-11-01'"
    )
    assert data.rows("visits") == _sent(store, "visits", month_visits)
    assert {v["id"] for v in month_visits} == {*(v.id for v in month.visits), month.withdrawn.id}
    assert month.earlier.id not in {v["id"] for v in data.rows("visits")}
    for table in (
        "notes",
        "note_revisions",
        "attendance",
        "followups",
        "daycare_members",
        "daycare_closures",
        "households",
        "persons",
        "operators",
        "emergency_events",
        "emergency_checks",
    ):
        assert data.rows(table) == _sent(store, table, _db_rows(store, table)), table
    seen = {(r["visit_id"], r["person_id"]) for r in data.rows("visit_persons")}
    assert (month.visits[0].id, month.li.id) in seen
    assert {r["visit_id"] for r in data.rows("visit_visitors")} == {r["id"] for r in month_visits}


def test_nulls_empty_texts_and_odd_characters_survive(
    exported: Path, store: Store, month: Month
) -> None:
    data = read_monthly(exported)
    li = next(p for p in data.rows("persons") if p["id"] == month.li.id)
    assert li["id_number"] is None and li["category"] is None and li["phone"] == ""
    note = next(n for n in data.rows("notes") if n["id"] == month.note_id)
    assert "\r\n" in note["body"] and "\x07" in note["body"]
    body = store.scalar("SELECT body FROM notes WHERE id = ?", (month.note_id,))
    assert note["body"] == body.replace(month.wang.id_number, ids.mask_id(month.wang.id_number))


def test_a_workbook_saved_again_by_a_spreadsheet_still_reads(
    exported: Path, tmp_path: Path
) -> None:
    wb = load_workbook(exported)  # opened and saved unchanged, as someone printing it might
    again = tmp_path / "again.xlsx"
    wb.save(again)
    assert read_monthly(again).row_counts == read_monthly(exported).row_counts


def _edit(path: Path, sheet: str, cell: str, value: Any) -> Path:
    wb = load_workbook(path)
    wb[sheet][cell] = value
    edited = path.with_name("edited.xlsx")
    wb.save(edited)
    return edited


def test_a_changed_data_cell_is_refused(exported: Path) -> None:
    edited = _edit(exported, "_数据_visits", "P2", "改过的帮扶措施")
    with pytest.raises(ChecksumError) as caught:
        read_monthly(edited)
    assert "“_数据_visits”工作表（走访记录）" in caught.value.message
    assert "校验和不符" in caught.value.message
    assert caught.value.sheet == "_数据_visits"


def test_a_deleted_data_row_is_refused(exported: Path) -> None:
    wb = load_workbook(exported)
    wb["_数据_persons"].delete_rows(3)
    edited = exported.with_name("fewer.xlsx")
    wb.save(edited)
    with pytest.raises(ChecksumError, match="应有 3 行，实有 2 行"):
        read_monthly(edited)


def test_changed_metadata_is_refused(exported: Path) -> None:
    wb = load_workbook(exported, read_only=True)
    row = next(r for r in wb["_元数据"].iter_rows() if r[0].value == "month")
    coordinate = row[1].coordinate
    wb.close()
    with pytest.raises(ChecksumError, match="_元数据"):
        read_monthly(_edit(exported, "_元数据", coordinate, "2026-10"))


def _meta_cell(path: Path, key: str) -> str:
    wb = load_workbook(path, read_only=True)
    try:
        row = next(r for r in wb["_元数据"].iter_rows() if r[0].value == key)
        return str(row[1].coordinate)
    finally:
        wb.close()


def test_another_schema_version_is_refused(exported: Path, store: Store) -> None:
    ours = store.schema_version
    newer = _edit(exported, "_元数据", _meta_cell(exported, "schema_version"), ours + 1)
    with pytest.raises(
        SchemaMismatchError, match=f"数据库结构版本 {ours + 1}，本程序为 {ours}"
    ) as caught:
        read_monthly(newer)
    assert "升级本程序" in caught.value.message
    older = _edit(exported, "_元数据", _meta_cell(exported, "schema_version"), 0)
    with pytest.raises(SchemaMismatchError, match="请对方升级程序后重新导出"):
        read_monthly(older)


def test_a_newer_format_is_refused(exported: Path) -> None:
    edited = _edit(exported, "_元数据", _meta_cell(exported, "format_version"), 99)
    with pytest.raises(FormatVersionError, match="格式版本 99"):
        read_monthly(edited)


def test_a_csv_renamed_xlsx_gets_one_clear_message(tmp_path: Path) -> None:
    fake = tmp_path / "月报.xlsx"
    fake.write_text("姓名,身份证号\n王芳,500105196805120032\n", encoding="utf-8")
    with pytest.raises(NotAWorkbookError) as caught:
        read_monthly(fake)
    assert caught.value.message.startswith("“月报.xlsx”不是 Excel 工作簿（.xlsx），而是文本文件")
    assert "CSV" in caught.value.message


def test_another_workbook_is_not_a_monthly_return(tmp_path: Path) -> None:
    from openpyxl import Workbook

    other = tmp_path / "花名册.xlsx"
    Workbook().save(other)
    with pytest.raises(NotMonthlyReturnError, match="不是残协工作台导出的月报"):
        read_monthly(other)


def test_a_truncated_workbook_is_corrupt(exported: Path) -> None:
    from canxie_tui.excel.errors import CorruptWorkbookError

    cut = exported.with_name("cut.xlsx")
    cut.write_bytes(exported.read_bytes()[: exported.stat().st_size // 2])
    with pytest.raises(CorruptWorkbookError, match="已损坏"):
        read_monthly(cut)


def test_a_missing_data_sheet_is_refused(exported: Path) -> None:
    wb = load_workbook(exported)
    del wb["_数据_notes"]
    edited = exported.with_name("no-notes.xlsx")
    wb.save(edited)
    with pytest.raises(NotMonthlyReturnError, match="缺少数据工作表“_数据_notes”"):
        read_monthly(edited)


# -- paths, months, failures ---------------------------------------------------------------
def test_default_path_in_the_exports_folder(
    store: Store, month: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CANXIE_EXPORTS", raising=False)
    path = export_monthly(store, 2026, 11)
    assert path == Path("exports") / "月报_建新东路社区_2026-11.xlsx"
    assert (tmp_path / path).is_file()
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "elsewhere"))
    assert (
        export_monthly(store, 2026, 10) == tmp_path / "elsewhere" / "月报_建新东路社区_2026-10.xlsx"
    )
    folder = tmp_path / "folder"
    folder.mkdir()
    assert export_monthly(store, 2026, 11, out=folder) == folder / "月报_建新东路社区_2026-11.xlsx"


def test_bad_months_and_names_are_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="还没有到"):
        export_monthly(store, 2026, 12, out=tmp_path / "x.xlsx")
    with pytest.raises(InputError, match="1–12"):
        export_monthly(store, 2026, 13, out=tmp_path / "x.xlsx")
    with pytest.raises(InputError, match=r"\.xlsx 结尾"):
        export_monthly(store, 2026, 11, out=tmp_path / "x.csv")
    assert not list(tmp_path.glob("*.xlsx")) and not list(tmp_path.glob(".*"))


def test_a_site_must_be_set_up(tmp_path: Path) -> None:
    store = session.open_store(tmp_path / "bare.db", clock=lambda: datetime(2026, 11, 29, 10))
    with pytest.raises(ExportError, match="还没有设置本站点"):
        export_monthly(store, 2026, 11, out=tmp_path / "x.xlsx")
    store.close()


def test_an_empty_month_exports_and_reads(store: Store, tmp_path: Path) -> None:
    path = export_monthly(store, 2026, 1, out=tmp_path / "empty.xlsx")
    data = read_monthly(path)
    assert data.rows("visits") == [] and len(data.rows("operators")) == 1
    ws = load_workbook(path)["走访明细"]
    assert ws["A4"].value == "2026年1月没有走访记录。"


def test_a_failure_half_way_leaves_nothing(
    store: Store, month: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl.worksheet import _writer

    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "m.xlsx"
    target.write_bytes(b"the previous export")
    temp_files_before = set(_writer.ALL_TEMP_FILES)

    def broken(*args: Any) -> None:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(return_sheets, "write_indicators", broken)
    with pytest.raises(RuntimeError):
        export_monthly(store, 2026, 11, out=target)
    assert list(folder.iterdir()) == [target]
    assert target.read_bytes() == b"the previous export"
    assert set(_writer.ALL_TEMP_FILES) == temp_files_before
    assert store.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'monthly_return'") == 0
    assert not store.db.conn.in_transaction


def test_a_failed_audit_removes_the_file(
    store: Store, month: Month, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(monthly.records, "write_audit", refuse)
    with pytest.raises(sqlite3.OperationalError):
        export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx", full_ids=True)
    assert not (tmp_path / "m.xlsx").exists()


def test_progress_is_reported_in_chinese(store: Store, month: Month, tmp_path: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx", progress=lambda *a: calls.append(a))
    labels = [label for label, _, _ in calls]
    assert labels[0] == "统计本月数据" and labels[-1] == "完成"
    assert "写入走访明细" in labels and "写入数据表：走访记录" in labels and "保存工作簿" in labels
    assert all(0 <= done <= total for _, done, total in calls)
    assert calls[-1][1] == calls[-1][2]


def test_corrections_of_earlier_months_travel_with_this_month(
    store: Store, make: Make, tmp_path: Path
) -> None:
    from tests.conftest import Clock

    clock = Clock(date(2026, 10, 20))
    store.clock = clock
    person = make.person(make.household("建新东路3号"), "赵敏")
    visit = make.visit(date(2026, 10, 5), person)
    clock.set(datetime(2026, 11, 2, 9))
    from canxie_tui.store import visits

    visits.correct_visit(
        store, visit, make.visit_values(date(2026, 10, 5), [person], method="phone")
    )
    store.clock = lambda: datetime(2026, 11, 29, 10)
    data = read_monthly(export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx"))
    [row] = data.rows("visits")
    assert (row["id"], row["method"], row["version"]) == (visit.id, "phone", 2)
    ws = load_workbook(tmp_path / "m.xlsx")["走访明细"]
    assert ws["A4"].value == "2026年11月没有走访记录。"  # the print sheet lists the month's visits


def test_the_returns_visits_leave_nothing_on_the_connection(
    store: Store, month: Month, tmp_path: Path
) -> None:
    """The visits a return holds are looked up once, into a temporary table of the export
    alone: none is left on the connection, and another export on it holds the same."""
    first = read_monthly(export_monthly(store, 2026, 11, out=tmp_path / "a.xlsx"))
    assert store.scalar("SELECT count(*) FROM sqlite_temp_master") == 0
    second = read_monthly(export_monthly(store, 2026, 11, out=tmp_path / "b.xlsx"))
    for table in ("visits", "visit_visitors", "visit_persons"):
        assert first.rows(table) and first.rows(table) == second.rows(table)


def test_demo_community_month(tmp_path: Path) -> None:
    from canxie_tui.demo.builder import build_demo

    store = session.open_store(tmp_path / "demo.db", clock=lambda: datetime(2026, 11, 29, 10))
    build_demo(store, scale="community", seed=1, today=date(2026, 11, 29))
    path = export_monthly(store, 2026, 10, out=tmp_path / "demo.xlsx")
    data = read_monthly(path)
    assert data.site.community_name == "建新东路社区"
    for table in DATA_TABLES:
        expected = store.scalar(
            f"SELECT count(*) FROM {table.table} WHERE {table.where}",
            {
                "first": "2026-10-01",
                "last": "2026-10-31",
                "next": "2026-11-01",
                "until": "2026-10-31",
            },
        )
        assert len(data.rows(table.table)) == expected, table.key
    visits = {v["id"]: v for v in data.rows("visits")}
    for row in store.query(
        "SELECT * FROM visits WHERE visit_date BETWEEN '2026-10-01' AND '2026-10-31'"
    ):
        assert visits[row["id"]] == row
    ws = load_workbook(path, read_only=True)["走访明细"]
    shown = sum(1 for _ in ws.iter_rows(min_row=4))
    assert shown == store.scalar(
        "SELECT count(*) FROM visits WHERE deleted = 0 AND visit_date BETWEEN '2026-10-01' AND '2026-10-31'"
    )
    store.close()


def test_the_workbook_is_a_real_zip_with_no_formulas(exported: Path) -> None:
    with zipfile.ZipFile(exported) as archive:
        assert archive.testzip() is None
        sheets = [n for n in archive.namelist() if n.startswith("xl/worksheets/sheet")]
        assert sheets
        for name in sheets:
            assert b"<f>" not in archive.read(name)


def test_operator_switch_is_the_reporter(store: Store, month: Month, tmp_path: Path) -> None:
    site.switch_operator(store, site.add_operator(store, "张华"))
    path = export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx")
    assert "填报人：张华" in load_workbook(path)["汇总"]["A2"].value
    assert read_monthly(path).operator_name == "张华"


def test_rows_deleted_in_the_month_travel_as_audit_entries(
    store: Store, month: Month, tmp_path: Path
) -> None:
    day = date(2026, 11, 27)  # a Friday
    daycare.mark(store, month.member_id, day, "absent")
    row_id = store.scalar("SELECT id FROM attendance WHERE day = ?", (day.isoformat(),))
    daycare.unmark(store, month.member_id, day)
    data = read_monthly(export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx"))
    assert row_id not in {r["id"] for r in data.rows("attendance")}
    [deleted] = data.rows("audit_log")
    assert (deleted["action"], deleted["table_name"], deleted["record_id"]) == (
        "撤销考勤",
        "attendance",
        row_id,
    )
    assert json.loads(deleted["before"])["day"] == day.isoformat()


# -- 变动情况 and 急难救助 ------------------------------------------------------------------
def test_the_changes_sheet_lists_who_entered_or_left(
    store: Store, make: Make, tmp_path: Path
) -> None:
    from tests.conftest import Clock
    from tests.unit.test_month_figures import LATER, november_changes, register_people

    clock = Clock(date(2026, 9, 1))
    store.clock = clock
    people = register_people(store, make, clock)
    november_changes(store, make, clock, people)
    clock.set(LATER)
    path = export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx")
    wb = load_workbook(path)
    ws = wb["变动情况"]
    header = [c.value for c in ws[3]]
    assert header == [
        "序号",
        "变动类型",
        "变动日期",
        "姓名",
        "性别",
        "身份证号",
        "残疾类别",
        "残疾等级",
        "发证日期",
        "有效期至",
        "说明",
        "住址",
    ]
    rows = [
        dict(zip(header, row, strict=True))
        for row in ws.iter_rows(min_row=4, max_row=11, values_only=True)
    ]
    assert [(r["序号"], r["变动类型"], r["姓名"], r["变动日期"]) for r in rows] == [
        (1, "新办证", "壬", "2026-11-05"),
        (2, "新办证", "辛", "2026-11-05"),
        (3, "新办证", "庚", "2026-11-14"),
        (4, "迁入", "癸", "2026-11-05"),
        (5, "迁出", "乙", "2026-11-20"),
        (6, "死亡", "甲", "2026-11-09"),
        (7, "类别/等级变更", "丙", "2026-11-12"),
        (8, "证件到期", "丁", "2026-11-25"),
    ]
    by_name = {r["姓名"]: r for r in rows}
    died = by_name["甲"]
    assert died["身份证号"] == mask_id(people["甲"].id_number)
    assert (died["残疾类别"], died["残疾等级"], died["说明"]) == ("肢体", "二级", "病故")
    assert died["住址"] == "建新东路甲号" and died["性别"] == "男"
    assert by_name["丙"]["说明"] == "原为肢体三级，现为肢体二级"
    assert by_name["壬"]["发证日期"] == "未登记" and "发证日期未登记" in by_name["壬"]["说明"]
    assert by_name["癸"]["发证日期"] == "2019-03-01" and "迁入" in by_name["癸"]["说明"]
    assert by_name["庚"]["说明"] == "原为非持证家庭成员，本月登记残疾人证"
    assert by_name["丁"]["有效期至"] == "2026-11-25"
    counts = next(
        row for row in ws.iter_rows(min_row=12, values_only=True) if row[1] == "人数（人）"
    )
    assert counts[2:10] == (3, 1, 1, 1, 0, 1, 1, 8)

    # The 汇总 counts the same people.
    lines = _lines(wb["汇总"])
    assert _after(lines, "本月增加")[:4] == ("人数", 3, 1, 4)
    assert _after(lines, "本月减少")[:5] == ("人数", 1, 1, 0, 2)
    assert _after(lines, "其他变动")[:3] == ("人数", 1, 1)
    assert {row[0]: row[1] for row in lines}["首次建档登记（人）"] == 0
    # Full ID numbers only when asked for (and audited).
    full = load_workbook(export_monthly(store, 2026, 11, out=tmp_path / "f.xlsx", full_ids=True))
    assert people["甲"].id_number in [c.value for c in full["变动情况"]["F"]]


def test_the_roll_call_counts_everyone_on_the_list(
    store: Store, make: Make, tmp_path: Path
) -> None:
    """A power cut: 25 people on the list, 3 marked (one of them 联系不上)."""
    from canxie_tui.store import emergency

    listed = [
        make.person(make.household(f"建新东路{n}号"), f"重度{n}", category=6, level=1)
        for n in range(25)
    ]
    make.person(make.household("建新东路99号"), "轻度", category=4, level=4)  # no risk: not listed
    event = emergency.start_event(store, "power", "11月29日停电")
    assert emergency.progress(store, event).total == 25  # what the worker sees
    for person, status in zip(listed, ("safe", "help", "unreachable"), strict=False):
        emergency.set_status(store, event, person.id, status)

    [totals] = summarize_month(store, 2026, 11).events
    assert (totals.listed, totals.unreached, totals.marked) == (25, 22, 3)
    assert totals.by_status == {"pending": 22, "safe": 1, "help": 1, "moved": 0, "unreachable": 1}
    assert not totals.closed

    wb = load_workbook(export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx"))
    ws = wb["急难救助"]
    header = [c.value for c in ws[3]]
    row = dict(zip(header, (c.value for c in ws[4]), strict=True))
    assert (row["点名人数"], row["未联系"], row["统计时点"]) == (25, 22, "导出时")
    assert (row["安全"], row["需要帮助"], row["联系不上"]) == (1, 1, 1)
    assert _after(_lines(wb["汇总"]), "点名情况") == ("人数", 25, 1, 1, 0, 1, 22)

    # A closed event keeps the list it had when it was closed.
    emergency.close_event(store, event)
    make.person(make.household("建新东路100号"), "后来登记", category=5, level=1)
    [closed] = summarize_month(store, 2026, 11).events
    assert (closed.listed, closed.unreached, closed.closed) == (25, 22, True)


def test_an_event_of_an_unknown_kind_counts_the_people_checked(store: Store, make: Make) -> None:
    from canxie_tui.store import records

    person = make.person(make.household("建新东路5号"), "刘洋", category=6, level=1)
    event_id = records.insert(
        store,
        "emergency_events",
        {"kind": "meteor", "name": "新版本的事件类型", "started_at": "2026-11-20T08:00:00"},
    )
    records.insert(
        store, "emergency_checks", {"event_id": event_id, "person_id": person.id, "status": "safe"}
    )
    [event] = summarize_month(store, 2026, 11).events
    assert (event.listed, event.unreached, event.by_status["safe"]) == (1, 0, 1)
