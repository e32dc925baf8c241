"""The district merge and the district report.

Communities are built with `tests.conftest.build_month` (November 2026, on the
fixed clock) or the community demo, exported with `export_monthly`, and merged
into an empty district database whose site is 江北区 500105.  Two copies of one
community database edited apart stand for "two communities edited the same
household differently".
"""

from __future__ import annotations

import itertools
import shutil
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from canxie_tui.domain.models import Site
from canxie_tui.excel.district import report
from canxie_tui.excel.district.merge import FileResult, MergeError, merge
from canxie_tui.excel.monthly_return import DATA_TABLES, export_monthly, summarize_month
from canxie_tui.excel.return_reader import read_monthly
from canxie_tui.store import records, register, session, site
from canxie_tui.store.connection import Store
from canxie_tui.store.district import conflicts
from canxie_tui.store.district.content import RECORD_TABLES
from canxie_tui.store.indicators import indicators
from tests.conftest import (
    SITE,
    Make,
    build_month,
    fixed_clock,
    give_key,
    open_store,
)

# Children without a UUID: compared by what identifies them.
KEYS = {
    "visit_visitors": ("visit_id", "operator_id"),
    "visit_persons": ("visit_id", "person_id"),
    "note_revisions": ("note_id", "revision"),
}
OTHER_COMMUNITY = Site("江北区", "500105", "观音桥街道", "500105006", "洋河路社区", "500105006002")
OTHER_DISTRICT = Site("渝北区", "500112", "龙溪街道", "500112001", "松牌路社区", "500112001001")


def _community(path: Path, where: Site = SITE, first_id: int = 1) -> Store:
    """A community database holding `build_month`; its ID numbers start at `first_id`."""
    store = open_store(path)
    if where != SITE:
        site.save_site(store, where)
        give_key(store, where.community_code)  # the key its district issued to it
    make = Make(store)
    make._seq = itertools.count(first_id)
    build_month(store, make)
    return store


def _export(store: Store, out: Path) -> Path:
    return export_monthly(store, 2026, 11, out=out)


def _key(table: str, row: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(row[c] for c in KEYS[table]) if table in KEYS else (row["id"],)


def _without_pk(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "pk"}


def _assert_merged_equals_source(dist: Store, path: Path) -> int:
    """Every exported row is in the district database, field by field; returns the rows."""
    data = read_monthly(path)
    compared = 0
    for table in DATA_TABLES:
        if table.table == "audit_log":
            continue
        rows = data.rows(table.table)
        merged = {_key(table.table, r): r for r in dist.query(f"SELECT * FROM {table.table}")}
        for row in rows:
            here = merged.get(_key(table.table, row))
            assert here is not None, (table.table, row)
            assert _without_pk(here) == _without_pk(row), table.table
            compared += 1
    return compared


def _counts(store: Store) -> dict[str, int]:
    tables = [t.table for t in DATA_TABLES] + ["merge_state", "merge_conflicts", "search_terms"]
    return {t: store.scalar(f"SELECT count(*) FROM {t}") for t in tables}


def _audit_count(store: Store) -> int:
    return int(store.scalar("SELECT count(*) FROM audit_log"))


def _only(results: list[FileResult]) -> FileResult:
    assert len(results) == 1
    return results[0]


# -- round trip and idempotence ------------------------------------------------------------
def test_demo_month_round_trip_then_merging_again_changes_nothing(
    tmp_path: Path, dist: Store
) -> None:
    from canxie_tui.demo.builder import build_demo

    community = session.open_store(tmp_path / "demo.db", clock=lambda: datetime(2026, 11, 29, 10))
    build_demo(community, scale="community", seed=1, today=date(2026, 11, 29))
    path = _export(community, tmp_path / "demo.xlsx")

    first = _only(merge(dist, [path]))
    assert not first.refused, first.reason
    data = read_monthly(path)
    records = sum(len(data.rows(t)) for t in RECORD_TABLES)
    assert (first.new, first.updated, first.conflicts) == (records, 0, 0)
    assert _assert_merged_equals_source(dist, path) > 1000
    # The merged people can be found and carry their tier.
    from canxie_tui.store.search import search

    someone = data.rows("persons")[0]
    assert someone["id"] in {h.person_id for h in search(dist, someone["name"]).hits}

    counts, audit = _counts(dist), _audit_count(dist)
    again = _only(merge(dist, [path]))
    assert (again.new, again.updated, again.conflicts, again.deleted) == (0, 0, 0, 0)
    assert again.unchanged == records
    assert _counts(dist) == counts
    assert _audit_count(dist) == audit
    assert _assert_merged_equals_source(dist, path)
    # The roll-up of the merged month agrees with the community's own monthly return.
    summary = summarize_month(community, 2026, 11)
    row = next(r for r in report.district_rows(dist, 2026, 11) if r.level == "community")
    assert (row.persons, row.households, row.visits) == (
        summary.persons,
        summary.households,
        summary.visits,
    )
    assert (row.households_visited, row.overdue) == (summary.households_visited, summary.overdue)
    assert row.person_days == summary.daycare.person_days
    # ... and its indicators with the community's own (the demo has every register fact).
    shown = [(i.key, i.numerator, i.denominator) for i in row.indicators]
    assert shown == [
        (i.key, i.numerator, i.denominator) for i in indicators(community, date(2026, 11, 29))
    ]
    assert all(d for k, _, d in shown if k in ("pension", "medical", "care_subsidy"))
    community.close()


def test_built_month_round_trip_keeps_nulls_texts_events_and_children(
    tmp_path: Path, dist: Store
) -> None:
    community = _community(tmp_path / "c.db")
    path = _export(community, tmp_path / "c.xlsx")
    result = _only(merge(dist, [path]))
    assert not result.refused and result.conflicts == 0
    _assert_merged_equals_source(dist, path)
    for table in ("emergency_events", "emergency_checks", "note_revisions", "visit_persons"):
        assert dist.scalar(f"SELECT count(*) FROM {table}"), table
    # A backup was taken before the merge, and the merge is in the audit log.
    assert list((tmp_path / "backups").glob("district-*-before-merge.db"))
    assert dist.scalar("SELECT count(*) FROM audit_log WHERE action = '合并月报'") == 1
    assert dist.scalar("SELECT count(*) FROM audit_log WHERE action = '合并新增'") == result.new
    community.close()


def test_the_store_merges_plain_rows_without_a_workbook(tmp_path: Path, dist: Store) -> None:
    """`store.district.merge.merge_rows` takes rows as dicts: the workbook is the Excel side's."""
    from canxie_tui.store.district.apply import MergeCounts
    from canxie_tui.store.district.content import CHILD_TABLES
    from canxie_tui.store.district.merge import Incoming, InconsistentRowsError, merge_rows

    community = _community(tmp_path / "c.db")
    tables = {t: community.query(f"SELECT * FROM {t}") for t in (*RECORD_TABLES, *CHILD_TABLES)}
    incoming = Incoming("c.db", SITE, "2026-11", tables=tables)
    first = MergeCounts()
    merge_rows(dist, incoming, first)
    assert (first.new, first.updated, first.conflicts) == (
        sum(len(tables[t]) for t in RECORD_TABLES),
        0,
        0,
    )
    for table, rows in tables.items():
        merged = {_key(table, r): _without_pk(r) for r in dist.query(f"SELECT * FROM {table}")}
        assert all(merged[_key(table, r)] == _without_pk(r) for r in rows), table
    audit = _audit_count(dist)
    again = MergeCounts()
    merge_rows(dist, incoming, again)
    assert (again.new, again.unchanged, again.changed) == (0, first.new, False)
    assert _audit_count(dist) == audit and not records.verify_audit_chain(dist)
    # A person of no household of the community: refused and named, nothing written.
    orphan = {**tables["persons"][0], "id": "orphan", "id_number": None, "household_id": "x"}
    refused = MergeCounts()
    merge_rows(dist, Incoming("x.db", SITE, "2026-11", tables={"persons": [orphan]}), refused)
    assert refused.foreign and "不是本社区的" in refused.foreign[0]
    # Rows the database cannot hold (a visit by an unknown visitor): nothing of them written.
    visit = {**tables["visits"][0], "id": "orphan-visit"}
    by = [{"visit_id": "orphan-visit", "operator_id": "x"}]
    broken = Incoming("x.db", SITE, "2026-11", tables={"visits": [visit], "visit_visitors": by})
    with pytest.raises(InconsistentRowsError, match="没有合并"):
        merge_rows(dist, broken, again)
    assert _audit_count(dist) == audit and not dist.query(
        "SELECT 1 FROM persons WHERE id = 'orphan'"
    )
    community.close()


# -- conflicts and later edits -----------------------------------------------------------------
def _copies(tmp_path: Path) -> tuple[Store, Store, Path]:
    """One community database and a copy of it, both holding the month; the export before."""
    a = _community(tmp_path / "a.db")
    base = _export(a, tmp_path / "base.xlsx")
    a.close()
    shutil.copy(tmp_path / "a.db", tmp_path / "b.db")
    return open_store(tmp_path / "a.db"), open_store(tmp_path / "b.db"), base


def _home(store: Store) -> Any:
    hid = store.scalar("SELECT id FROM households WHERE address = '建新东路1号'")
    return register.get_household(store, hid)


def _edit_home(store: Store, **changes: Any) -> Any:
    """Change the household 建新东路1号 through the store's write path (versioned, audited)."""
    from canxie_tui.store import records

    home = _home(store)
    return records.update(store, "households", home.id, changes, expected_version=home.version)


def test_the_same_household_edited_differently_is_one_conflict_with_both_versions(
    tmp_path: Path, dist: Store
) -> None:
    a, b, base = _copies(tmp_path)
    assert _only(merge(dist, [base])).new
    _edit_home(a, phone="13800000001")
    _edit_home(b, phone="13900000002")
    from_a = _export(a, tmp_path / "from_a.xlsx")
    from_b = _export(b, tmp_path / "from_b.xlsx")

    first, second = merge(dist, [from_a, from_b])
    assert (first.updated, first.conflicts) == (1, 0)
    assert first.by_table["households"]["updated"] == 1
    assert all("updated" not in c for t, c in first.by_table.items() if t != "households")
    assert (second.updated, second.conflicts) == (0, 1)
    home = _home(a).id
    assert second.conflict_records == [("households", home)]
    # The district keeps its version; the other one waits in merge_conflicts.
    assert dist.scalar("SELECT phone FROM households WHERE id = ?", (home,)) == "13800000001"
    (conflict,) = conflicts.list_conflicts(dist)
    assert (conflict["table_name"], conflict["record_id"]) == ("households", home)
    assert conflict["district_version"]["phone"] == "13800000001"
    assert conflict["incoming_version"]["phone"] == "13900000002"
    assert conflict["source_file"] == "from_b.xlsx" and conflict["detected_at"]

    # The same workbook again: the conflict is reported again, but not listed twice.
    audit = _audit_count(dist)
    again = _only(merge(dist, [from_b]))
    assert (again.conflicts, again.new, again.updated) == (1, 0, 0)
    assert len(conflicts.list_conflicts(dist)) == 1
    assert _audit_count(dist) == audit
    a.close()
    b.close()


def test_two_exports_edited_apart_without_a_common_merge_conflict(
    tmp_path: Path, dist: Store
) -> None:
    a, b, _ = _copies(tmp_path)
    _edit_home(a, note="独居")
    _edit_home(b, note="与女儿同住")
    first, second = merge(dist, [_export(a, tmp_path / "a.xlsx"), _export(b, tmp_path / "b.xlsx")])
    assert first.conflicts == 0 and second.conflicts == 1
    assert second.conflict_records == [("households", _home(a).id)]
    a.close()
    b.close()


def test_a_later_edit_on_one_side_only_is_an_update(tmp_path: Path, dist: Store) -> None:
    a, b, base = _copies(tmp_path)
    merge(dist, [base])
    _edit_home(a, phone="13800000001")
    merge(dist, [_export(a, tmp_path / "a1.xlsx")])
    home = _home(a)
    _edit_home(a, phone="13800000003")
    later = _only(merge(dist, [_export(a, tmp_path / "a2.xlsx")]))
    assert (later.updated, later.conflicts) == (1, 0)
    assert dist.scalar("SELECT phone FROM households WHERE id = ?", (home.id,)) == "13800000003"
    assert dist.scalar("SELECT version FROM households WHERE id = ?", (home.id,)) == 3
    # An older workbook merged after a newer one changes nothing back.
    stale = _only(merge(dist, [tmp_path / "a1.xlsx"]))
    assert (stale.updated, stale.conflicts) == (0, 0)
    assert dist.scalar("SELECT phone FROM households WHERE id = ?", (home.id,)) == "13800000003"
    assert conflicts.list_conflicts(dist) == []
    a.close()
    b.close()


def test_a_change_made_at_the_district_is_kept_and_then_conflicts(
    tmp_path: Path, dist: Store
) -> None:
    a, b, base = _copies(tmp_path)
    merge(dist, [base])
    _edit_home(dist, grid="第9网格")
    unchanged = _only(merge(dist, [base]))  # the workbook brings nothing new
    assert (unchanged.updated, unchanged.conflicts) == (0, 0)
    assert _home(dist).grid == "第9网格"
    _edit_home(a, grid="第4网格")
    both = _only(merge(dist, [_export(a, tmp_path / "a.xlsx")]))
    assert both.conflicts == 1 and _home(dist).grid == "第9网格"
    a.close()
    b.close()


def test_an_edited_visit_replaces_its_people(tmp_path: Path, dist: Store) -> None:
    from canxie_tui.store import visits

    a, b, base = _copies(tmp_path)
    merge(dist, [base])
    first = a.query("SELECT id FROM visits WHERE visit_date = '2026-11-03'")[0]["id"]
    visit = visits.get_visit(a, first)
    wang = visit.persons_seen[0]
    assert len(visit.persons_seen) == 2
    values = {
        "visit_date": visit.visit_date,
        "method": visit.method,
        "visitors": list(visit.visitor_ids),
        "persons_seen": [wang],
        "note": "改过",
    }
    visits.correct_visit(a, visit, values)
    result = _only(merge(dist, [_export(a, tmp_path / "a.xlsx")]))
    assert result.by_table["visits"] == {"updated": 1, "unchanged": 3}
    assert [
        r[0]
        for r in dist.db.conn.execute(
            "SELECT person_id FROM visit_persons WHERE visit_id = ?", (first,)
        )
    ] == [wang]
    a.close()
    b.close()


# -- refusals --------------------------------------------------------------------------------
def test_a_workbook_from_another_district_is_refused_and_the_others_merge(
    tmp_path: Path, dist: Store
) -> None:
    ours = _community(tmp_path / "ours.db")
    theirs = _community(tmp_path / "theirs.db", OTHER_DISTRICT)
    good = _export(ours, tmp_path / "ours.xlsx")
    foreign = _export(theirs, tmp_path / "theirs.xlsx")
    refused, merged = merge(dist, [foreign, good])
    assert refused.refused and refused.site_code == "500112001001"
    assert "500112001001" in refused.reason and "不属于" in refused.reason
    assert refused.new == 0
    assert not merged.refused and merged.new > 0
    assert dist.scalar("SELECT count(*) FROM households WHERE division_code LIKE '500112%'") == 0
    ours.close()
    theirs.close()


def test_a_corrupt_file_is_refused_and_the_others_merge(tmp_path: Path, dist: Store) -> None:
    ours = _community(tmp_path / "ours.db")
    good = _export(ours, tmp_path / "ours.xlsx")
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[:4000])
    text = tmp_path / "renamed.xlsx"
    text.write_text("姓名,身份证号\n王芳,1\n", encoding="utf-8")
    results = merge(dist, [broken, good, text, tmp_path / "missing.xlsx"])
    assert [r.refused for r in results] == [True, False, True, True]
    assert "损坏" in results[0].reason
    assert "文本文件" in results[2].reason
    assert "找不到" in results[3].reason
    assert results[1].new > 0
    _assert_merged_equals_source(dist, good)
    ours.close()


def test_every_file_refused_changes_nothing(tmp_path: Path, dist: Store) -> None:
    theirs = _community(tmp_path / "theirs.db", OTHER_DISTRICT)
    counts, audit = _counts_safe(dist), _audit_count(dist)
    results = merge(dist, [_export(theirs, tmp_path / "theirs.xlsx")])
    assert all(r.refused for r in results)
    assert _counts_safe(dist) == counts and _audit_count(dist) == audit
    assert not (tmp_path / "backups").exists() or not list(
        (tmp_path / "backups").glob("district-*-before-merge.db")
    )
    theirs.close()


def _counts_safe(store: Store) -> dict[str, int]:
    return {t.table: store.scalar(f"SELECT count(*) FROM {t.table}") for t in DATA_TABLES}


def test_a_community_database_cannot_be_the_district(tmp_path: Path) -> None:
    ours = _community(tmp_path / "ours.db")
    path = _export(ours, tmp_path / "ours.xlsx")
    with pytest.raises(MergeError, match="社区"):
        merge(ours, [path])
    blank = session.open_store(tmp_path / "blank.db", clock=fixed_clock)
    with pytest.raises(MergeError, match="区县"):
        merge(blank, [path])
    blank.close()
    ours.close()


# -- the district report ---------------------------------------------------------------------
def test_district_report_one_row_per_community_with_totals(tmp_path: Path, dist: Store) -> None:
    one = _community(tmp_path / "one.db")
    two = _community(tmp_path / "two.db", OTHER_COMMUNITY, first_id=100)
    # The second community has one more visit and one more household, in 低保, whose
    # member has register facts the indicators read.
    make = Make(two)
    make._seq = itertools.count(200)
    extra = make.person(
        make.household("洋河一路8号", flags=["dibao"]),
        "赵敏",
        category=1,
        level=1,
        pension_scheme="employee",
        medical_scheme="resident",
        benefits=["care_subsidy", "family_doctor"],
        trained_on="2026-05-06",
    )
    make.visit(date(2026, 11, 20), extra)
    results = merge(
        dist, [_export(one, tmp_path / "one.xlsx"), _export(two, tmp_path / "two.xlsx")]
    )
    assert [r.refused for r in results] == [False, False]
    assert sum(r.conflicts for r in results) == 0

    out = report.district_report(dist, 2026, 11, out=tmp_path / "report.xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["汇总", "指标", "两项补贴", "基本状况调查"]
    # 两项补贴: each community's payroll as its own return counts it, summed up.
    sub = wb["两项补贴"]
    sub_header = [c.value for c in sub[3]]
    sub_rows = {
        row[2].value or row[1].value: dict(zip(sub_header, (c.value for c in row), strict=True))
        for row in sub.iter_rows(min_row=4)
        if row[1].value is not None
    }
    assert sub_rows["洋河路社区"]["护理补贴人数"] == 1  # 赵敏, 一级: 110 元
    assert sub_rows["洋河路社区"]["护理补贴金额（元）"] == 110
    assert sub_rows["全区合计"]["两项补贴金额合计（元）"] == sum(
        sub_rows[n]["两项补贴金额合计（元）"] for n in ("建新东路社区", "洋河路社区")
    )
    ws = wb["汇总"]
    assert ws["A1"].value.startswith("江北区残疾人工作月报区汇总（2026年11月）")
    assert "填报单位：江北区" in ws["A2"].value and "填报人：区残联张敏" in ws["A2"].value
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$1:$3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    header = [c.value for c in ws[3]]
    assert ws.cell(3, 1).font.b
    table = [
        dict(zip(header, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=4)
        if row[1].value is not None
    ]
    communities = [r for r in table if isinstance(r["序号"], int)]
    assert [r["村/社区"] for r in communities] == ["建新东路社区", "洋河路社区"]  # by code
    assert [r["序号"] for r in communities] == [1, 2]  # subtotal and total rows unnumbered
    by_name = {r["村/社区"]: r for r in communities}
    for store, name in ((one, "建新东路社区"), (two, "洋河路社区")):
        summary = summarize_month(store, 2026, 11)
        row = by_name[name]
        assert row["在册人数"] == summary.persons
        assert row["在册户数"] == summary.households
        assert row["走访次数"] == summary.visits
        assert row["走访户数"] == summary.households_visited
        assert row["渝馨家园出勤人天"] == summary.daycare.person_days
    assert by_name["洋河路社区"]["走访次数"] == by_name["建新东路社区"]["走访次数"] + 1
    (total,) = [r for r in table if r["街道/镇"] == "全区合计"]
    (street,) = [r for r in table if r["村/社区"] == "小计"]
    assert street["街道/镇"] == "观音桥街道"
    for column in ("在册人数", "在册户数", "走访次数", "走访户数", "月末逾期未走访（人）"):
        assert total[column] == sum(r[column] for r in communities) == street[column]
    assert total["走访覆盖率"] == pytest.approx(total["走访户数"] / total["在册户数"])

    # Every figure on 汇总 is a number cell with a number format, never a text.
    for cells in ws.iter_rows(min_row=4):
        if isinstance(cells[0].value, int) or cells[1].value == "全区合计":
            for cell in cells[4:]:
                assert isinstance(cell.value, int | float), (cell.coordinate, cell.value)
                assert cell.number_format in ("0", "0.0", "0.0%"), cell.coordinate
    assert {c.number_format for c in ws[4][4:]} == {"0", "0.0", "0.0%"}

    # 指标: the 专栏1 rows by their plan numbers and short names, training as a count,
    # 家庭医生签约 after them; 1 (income) only in the note.
    sheet = wb["指标"]
    head = [c.value for c in sheet[3]]
    assert head[:4] == ["序号", "街道/镇", "村/社区", "区划代码"]
    assert head[4] == "2 技能培训\n人数（本年）"
    assert head[5:8] == ["3 纳入低保\n完成数", "3 纳入低保\n应覆盖数", "3 纳入低保\n完成率"]
    numbers = [h.split()[0] for h in head[5:-3:3]]
    assert numbers == [str(n) for n in range(3, 12)]
    assert head[-3:] == ["家庭医生签约\n完成数", "家庭医生签约\n应覆盖数", "家庭医生签约\n完成率"]
    assert len(head) == 4 + 1 + 3 * 9 + 3
    assert sheet.freeze_panes == "E4"
    rows = list(sheet.iter_rows(min_row=4))
    note = next(r[0].value for r in rows if r[0].value and "由区残联统计" in str(r[0].value))
    assert "残疾人家庭人均收入年均增长" in note
    values = {
        (r[2].value or r[1].value): [c.value for c in r]  # 村/社区, 小计 or 全区合计
        for r in rows
        if isinstance(r[0].value, int) or r[2].value == "小计" or r[1].value == "全区合计"
    }
    # A community's row is what its own dashboard counts (the same rules, the same day).
    for store, name in ((one, "建新东路社区"), (two, "洋河路社区")):
        expected = [i for i in indicators(store, date(2026, 11, 29)) if i.kind != "external"]
        row = values[name]
        assert row[4] == expected[0].numerator  # 技能培训 (a count)
        for item, col in zip(expected[1:], range(5, len(head), 3), strict=True):
            assert row[col : col + 2] == [item.numerator, item.denominator], (name, item.key)
            if item.rate is None:
                assert row[col + 2] is None  # an empty cell, not a text
            else:
                assert row[col + 2] == pytest.approx(item.rate)
    assert values["洋河路社区"][4] == 1  # 赵敏 trained this year
    # Subtotal and total add numerators and denominators up; rates are recomputed.
    body = [v for k, v in values.items() if k not in ("小计", "全区合计")]
    for key in ("小计", "全区合计"):
        for col in range(4, len(head)):
            if head[col].endswith("完成率"):
                num, den = values[key][col - 2], values[key][col - 1]
                assert values[key][col] == (pytest.approx(num / den) if den else None)
            else:
                assert values[key][col] == sum(r[col] for r in body), (key, head[col])
    # Read back: every indicator cell is a number (or empty) with a number format.
    for cells in rows:
        if isinstance(cells[0].value, int) or cells[1].value == "全区合计":
            for cell, title in zip(cells[4:], head[4:], strict=True):
                assert cell.value is None or isinstance(cell.value, int | float), cell.coordinate
                assert cell.value is not None or title.endswith("完成率")
                assert cell.number_format == ("0.0%" if title.endswith("完成率") else "0")
    one.close()
    two.close()


def test_report_default_path_and_bad_month(
    tmp_path: Path, dist: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canxie_tui.domain.errors import InputError

    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "exports"))
    path = report.district_report(dist, 2026, 10)
    assert path == tmp_path / "exports" / "区汇总_江北区_2026-10.xlsx" and path.is_file()
    with pytest.raises(InputError):
        report.district_report(dist, 2027, 1)
    with pytest.raises(InputError):
        report.district_report(dist, 2026, 11, out=tmp_path / "x.csv")


def test_an_attendance_mark_undone_in_the_community_is_deleted(tmp_path: Path, dist: Store) -> None:
    from canxie_tui.store import daycare

    a, b, base = _copies(tmp_path)
    merge(dist, [base])
    member = a.scalar("SELECT id FROM daycare_members")
    day = a.scalar("SELECT day FROM attendance WHERE status = 'present' ORDER BY day LIMIT 1")
    gone = a.scalar("SELECT id FROM attendance WHERE member_id = ? AND day = ?", (member, day))
    daycare.unmark(a, member, date.fromisoformat(day))
    result = _only(merge(dist, [_export(a, tmp_path / "a.xlsx")]))
    assert result.deleted == 1
    assert dist.scalar("SELECT count(*) FROM attendance WHERE id = ?", (gone,)) == 0
    assert _only(merge(dist, [tmp_path / "a.xlsx"])).deleted == 0
    a.close()
    b.close()


# -- resolving conflicts ---------------------------------------------------------------------
def _conflicted(tmp_path: Path, dist: Store) -> tuple[Store, Store, Path, dict[str, Any]]:
    """The household 建新东路1号 edited apart in two copies: merged a's, b's conflicts."""
    a, b, base = _copies(tmp_path)
    merge(dist, [base])
    _edit_home(a, phone="13800000001")
    _edit_home(b, phone="13900000002", note="与女儿同住")
    from_b = _export(b, tmp_path / "from_b.xlsx")
    merge(dist, [_export(a, tmp_path / "from_a.xlsx")])
    assert _only(merge(dist, [from_b])).conflicts == 1
    (conflict,) = conflicts.list_conflicts(dist)
    return a, b, from_b, conflict


def test_resolving_with_the_incoming_version_writes_it_and_merging_again_is_quiet(
    tmp_path: Path, dist: Store
) -> None:
    a, b, from_b, conflict = _conflicted(tmp_path, dist)
    changes = {k: (old, new) for k, old, new in conflicts.conflict_changes(conflict)}
    assert changes["phone"] == ("13800000001", "13900000002")
    assert changes["note"][1] == "与女儿同住" and "version" not in changes
    audit = _audit_count(dist)

    done = conflicts.resolve_conflict(dist, conflict["id"][:8], "incoming")
    assert (done["status"], done["resolution"]) == ("resolved", "incoming")
    assert done["resolved_by"] == "区残联张敏" and done["resolved_at"]
    home = _home(b)
    row = dist.query("SELECT * FROM households WHERE id = ?", (home.id,))[0]
    assert _without_pk(row) == _without_pk(
        b.query("SELECT * FROM households WHERE id = ?", (home.id,))[0]
    )
    assert conflicts.list_conflicts(dist) == []
    assert [c["status"] for c in conflicts.list_conflicts(dist, status=None)] == ["resolved"]
    actions = [
        r[0] for r in dist.db.conn.execute("SELECT action FROM audit_log WHERE seq > ?", (audit,))
    ]
    assert actions == ["合并更新", "处理合并冲突"]
    assert not records.verify_audit_chain(dist)

    again = _only(merge(dist, [from_b]))
    assert (again.conflicts, again.updated, again.new) == (0, 0, 0)
    assert conflicts.list_conflicts(dist) == []
    a.close()
    b.close()


def test_resolving_with_the_district_version_keeps_the_row(tmp_path: Path, dist: Store) -> None:
    a, b, from_b, conflict = _conflicted(tmp_path, dist)
    home = _home(a).id
    before = dist.query("SELECT * FROM households WHERE id = ?", (home,))[0]

    done = conflicts.resolve_conflict(dist, conflict["id"], "district")
    assert (done["status"], done["resolution"]) == ("resolved", "district")
    assert dist.query("SELECT * FROM households WHERE id = ?", (home,))[0] == before
    assert (
        dist.scalar(
            "SELECT row_hash FROM merge_state WHERE table_name = 'households' AND record_id = ?",
            (home,),
        )
        == conflict["incoming_hash"]
    )
    assert dist.scalar("SELECT action FROM audit_log ORDER BY seq DESC LIMIT 1") == "处理合并冲突"

    again = _only(merge(dist, [from_b]))
    assert (again.conflicts, again.updated) == (0, 0)
    assert dist.query("SELECT * FROM households WHERE id = ?", (home,))[0] == before
    assert conflicts.list_conflicts(dist) == []
    a.close()
    b.close()


def test_unknown_short_and_resolved_conflicts_are_refused(tmp_path: Path, dist: Store) -> None:
    from canxie_tui.domain.errors import InputError

    a, b, _, conflict = _conflicted(tmp_path, dist)
    with pytest.raises(InputError, match="没有编号"):
        conflicts.resolve_conflict(dist, "00000000-0000", "incoming")
    with pytest.raises(InputError, match="至少"):
        conflicts.resolve_conflict(dist, conflict["id"][:4], "incoming")
    with pytest.raises(InputError, match="district"):
        conflicts.resolve_conflict(dist, conflict["id"], "both")
    conflicts.resolve_conflict(dist, conflict["id"], "district")
    audit = _audit_count(dist)
    with pytest.raises(InputError, match=r"已于.*处理过"):
        conflicts.resolve_conflict(dist, conflict["id"], "incoming")
    assert _audit_count(dist) == audit
    assert _home(dist).phone == "13800000001"
    a.close()
    b.close()


def test_incoming_is_refused_when_the_district_row_changed_since(
    tmp_path: Path, dist: Store
) -> None:
    from canxie_tui.domain.errors import InputError

    a, b, _, conflict = _conflicted(tmp_path, dist)
    _edit_home(dist, grid="第9网格")
    audit = _audit_count(dist)
    with pytest.raises(InputError, match="又被修改过"):
        conflicts.resolve_conflict(dist, conflict["id"], "incoming")
    assert _audit_count(dist) == audit and len(conflicts.list_conflicts(dist)) == 1
    assert _home(dist).grid == "第9网格"
    a.close()
    b.close()
