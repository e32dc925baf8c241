"""The survey's paper and files: the 一览表, the results workbook read back, the district merge."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canxie_tui.domain import survey_form as form
from canxie_tui.domain.errors import InputError
from canxie_tui.excel.district import report
from canxie_tui.excel.district.survey import merge_survey
from canxie_tui.excel.errors import ChecksumError
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.excel.survey_book import export_survey, read_survey
from canxie_tui.excel.survey_sheets import write_sheet
from canxie_tui.store import survey
from canxie_tui.store.connection import Store
from canxie_tui.store.survey_merge import survey_by_division
from tests.conftest import Make, district_store, open_store


def _answer_all(entry: survey.Entry, given: dict) -> dict:
    full = dict(given)
    for _ in range(3):
        for item in form.applicable(entry.subject, full):
            if item.key not in full:
                first = next(iter(item.choices))
                full[item.key] = [first] if item.multi else first
    return full


def _round(store: Store, make: Make) -> dict[str, survey.Entry]:
    home = make.household("建新东路1号", building="5栋", grid="第1网格", flags=["dibao"])
    adult = make.person(home, "王芳", benefits=["device_fitted"], medical_scheme="resident")
    child = make.person(home, "王小", birth=date(2021, 3, 1), relation="子女", level=3)
    other = make.person(make.household("建新东路2号", building="6栋", grid="第1网格"), "张强")
    survey.start_round(store, 2026)
    entries = {p.name: survey.entry_for_person(store, p.id) for p in (adult, child, other)}
    first = entries["王芳"]
    answers = _answer_all(first, survey.starting_answers(store, first)[0] | {"hukou_type": "2"})
    entries["王芳"] = survey.finish(store, first, answers, "home", "2026-11-20")
    entries["张强"] = survey.mark_lost(store, entries["张强"], "away", "2026-11-21")
    return entries


def test_sheet_is_pre_filled_with_boxes_for_the_unknown_and_a_signature_line(
    store: Store, make: Make, tmp_path: Path
) -> None:
    _round(store, make)
    path, people = write_sheet(store, "第1网格", out=tmp_path / "s.xlsx")
    assert people == 1  # 王芳 surveyed, 张强 lost: only the child left
    cells = [c for row in load_workbook(path).active.iter_rows(values_only=True) for c in row if c]
    text = "\n".join(str(c) for c in cells)
    assert "王小" in text and "王芳" not in text
    assert "1.最低生活保障" in text and "档案" in text  # the household's 低保 from the register
    assert "□1.农业  □2.非农业" in text  # nothing known: boxes to tick
    assert "是否就业" not in text and "婚姻状况" not in text  # a five-year-old is not asked
    assert "被调查人（监护人）签字" in text
    with pytest.raises(InputError, match="没有网格"):
        write_sheet(store, "第9网格", out=tmp_path / "x.xlsx")


def test_sheet_of_a_building_not_in_the_grid_is_refused_not_written_empty(
    store: Store, make: Make, tmp_path: Path
) -> None:
    _round(store, make)
    out = tmp_path / "b.xlsx"
    with pytest.raises(InputError, match="第1网格里没有楼栋“9栋”。已有楼栋：5栋、6栋"):
        write_sheet(store, "第1网格", building="9栋", out=out)
    assert not out.exists()
    assert write_sheet(store, "第1网格", building="5栋", out=out) == (out, 1)


def test_results_workbook_reads_back_with_codes_labels_and_masked_ids(
    store: Store, make: Make, tmp_path: Path
) -> None:
    entries = _round(store, make)
    path = export_survey(store, out=tmp_path / "r.xlsx")
    ws = load_workbook(path)["调查结果"]
    rows = list(ws.iter_rows(values_only=True))
    header = next(r for r in rows if r[0] == "序号")
    by_name = {r[5]: dict(zip(header, r, strict=True)) for r in rows if r[0] not in (None, "序号")}
    wang = by_name["王芳"]
    assert wang["R3.户口性质"] == "2.非农业" and wang["调查方式"] == "入户"
    assert "********" in wang["身份证号"]
    assert by_name["王小"]["R17.是否就业"] == "不适用"
    assert by_name["张强"]["失访原因"] == "外出" and by_name["张强"]["R3.户口性质"] in ("", None)
    data = read_survey(path)
    assert data.year == 2026 and data.site.community_code == "500105006001"
    assert len(data.tables["survey_entries"]) == 3
    saved = {r["id"]: r for r in data.tables["survey_entries"]}
    assert saved[entries["王芳"].id]["status"] == "done"


def test_a_changed_results_workbook_is_refused(store: Store, make: Make, tmp_path: Path) -> None:
    _round(store, make)
    path = export_survey(store, out=tmp_path / "r.xlsx")
    wb = load_workbook(path)
    ws = wb["_数据_survey_entries"]
    ws.cell(row=2, column=[c.value for c in ws[1]].index("status") + 1).value = "lost"
    wb.save(path)
    with pytest.raises(ChecksumError, match=r"校验和|导出后被修改"):
        read_survey(path)


def _district(path: Path) -> Store:
    """The district that issued the test community its key (its returns are signed)."""
    return district_store(path)


def test_merged_twice_into_the_district_changes_nothing_the_second_time(
    store: Store, make: Make, tmp_path: Path
) -> None:
    entries = _round(store, make)
    results = export_survey(store, out=tmp_path / "r.xlsx")
    monthly = export_monthly(store, 2026, 11, out=tmp_path / "m.xlsx")
    dist = _district(tmp_path / "district.db")
    try:
        early = merge_survey(dist, [results])[0]
        assert not early.refused and early.skipped  # people not in the district yet
        from canxie_tui.excel.district.merge import merge

        merge(dist, [monthly])
        first = merge_survey(dist, [results])[0]
        assert first.new == 3 and first.by_table["survey_entries"]["new"] == 3
        audit = dist.scalar("SELECT count(*) FROM audit_log")
        second = merge_survey(dist, [results])[0]
        assert (second.new, second.updated, second.conflicts) == (0, 0, 0)
        assert second.unchanged == 4
        assert dist.scalar("SELECT count(*) FROM audit_log") == audit
        assert dist.scalar("SELECT count(*) FROM survey_entries WHERE status = 'done'") == 1
        # The survey goes on in the community: the next export updates what changed.
        child = entries["王小"]
        answers = _answer_all(child, survey.starting_answers(store, child)[0])
        survey.finish(store, child, answers, "meet", "2026-11-25")
        later = export_survey(store, out=tmp_path / "r2.xlsx")
        third = merge_survey(dist, [later])[0]
        assert (third.new, third.updated, third.conflicts) == (0, 1, 0)
        assert dist.scalar("SELECT count(*) FROM survey_entries WHERE status = 'done'") == 2
        out = report.district_report(dist, 2026, 11, out=tmp_path / "d.xlsx")
        sheet = load_workbook(out)["基本状况调查"]
        rows = [r for r in sheet.iter_rows(values_only=True) if r[2] == "建新东路社区"]
        due, home, lost = rows[0][4], rows[0][5], rows[0][8]
        assert (due, home, lost) == (3, 1, 1)
        assert rows[0][6] == 1  # 见面: the child, merged from the later export
        assert rows[0][10] == pytest.approx(1 / 3) and rows[0][11] == 1
    finally:
        dist.close()


def test_a_rebuilt_database_s_survey_lands_on_the_district_s_own_records(tmp_path: Path) -> None:
    """A new laptop (new record ids, the same people): the district linked them at the
    monthly merge (store.district.identity), and the survey follows those links."""
    from canxie_tui.excel.district.merge import merge

    dist = _district(tmp_path / "district.db")
    try:
        for name in ("old", "new"):
            community = open_store(tmp_path / f"{name}.db")
            _round(community, Make(community))
            monthly = export_monthly(community, 2026, 11, out=tmp_path / f"{name}-m.xlsx")
            results = export_survey(community, out=tmp_path / f"{name}-r.xlsx")
            community.close()
            [merged] = merge(dist, [monthly])
            assert not merged.refused, merged.reason
            [surveyed] = merge_survey(dist, [results])
            assert not surveyed.refused and not surveyed.skipped, surveyed.skipped
        # One entry per person of the district, none waiting for a person it does not hold.
        assert dist.scalar("SELECT count(DISTINCT person_id) FROM survey_entries") == 3
        # Each person counted once in the report, though both databases sent a round.
        progress = survey_by_division(dist, 2026)["500105006001"]
        assert (progress.due, progress.home, progress.lost) == (3, 1, 1)
    finally:
        dist.close()
