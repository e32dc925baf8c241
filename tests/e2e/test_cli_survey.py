"""`canxie survey`: start, progress (--json), left, sheet, export, merge into a district."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canxie_tui.store import session
from tests.app.conftest import WANG_FANG_ID
from tests.conftest import district_store, give_key
from tests.e2e.conftest import run

PROGRESS_KEYS = {
    "year", "ref_date", "apart_where", "apart_elsewhere", "name", "due", "surveyed", "home",
    "meet", "phone", "lost", "in_progress", "left", "home_rate", "completion", "lost_reasons",
    "grids", "buildings",
}  # fmt: skip


def test_start_progress_and_bad_input(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", str(db), "survey", "progress")
    assert code == 1 and "还没有开始" in err
    code, out, _ = run(capsys, "--db", str(db), "survey", "start", "--year", "2026")
    assert code == 0 and "2026年度持证残疾人基本状况调查" in out and "调查时点 2026-11-29" in out
    code, _, err = run(capsys, "--db", str(db), "survey", "start", "--year", "2026")
    assert code == 2 and "已经开始" in err
    code, _, err = run(capsys, "--db", str(db), "survey", "start", "--year", "2031")
    assert code == 2 and "调查年度" in err
    code, out, _ = run(capsys, "--db", str(db), "survey", "progress", "--json")
    data = json.loads(out)
    assert set(data) == PROGRESS_KEYS
    assert data["year"] == 2026 and data["due"] == data["left"] > 0 and data["home_rate"] == 0
    assert data["buildings"][0]["grid"] and "name" in data["grids"][0]
    code, out, _ = run(capsys, "--db", str(db), "survey", "left", "--json")
    left = json.loads(out)
    assert left["total"] == data["due"] and {r["name"] for r in left["results"]} >= {"王芳"}
    code, out, _ = run(capsys, "--db", str(db), "survey", "progress")
    line = next(line for line in out.splitlines() if "合计" in line)
    cells = [c.strip() for c in line.split("│") if c.strip()]
    due = str(data["due"])
    assert code == 0 and cells == ["合计", due, "0", "0", "0", "0", due, "0.0%", "0.0%"]
    grid = data["buildings"][0]["grid"]
    code, out, _ = run(capsys, "--db", str(db), "survey", "left", "--grid", grid, "--json")
    assert code == 0 and json.loads(out)["total"] > 0


def test_left_refuses_a_place_not_on_the_list_as_sheet_does(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo is not a place where nobody is left: refused, naming the places there are."""
    run(capsys, "--db", str(db), "survey", "start", "--year", "2026")
    code, out, _ = run(capsys, "--db", str(db), "survey", "progress", "--json")
    first = json.loads(out)["buildings"][0]
    grid, building = first["grid"], first["name"]
    buildings = "、".join(b["name"] for b in json.loads(out)["buildings"] if b["grid"] == grid)
    for command in ("left", "sheet"):
        code, out, err = run(
            capsys, "--db", str(db), "survey", command, "--grid", grid, "--building", "99栋"
        )
        assert code == 2 and out == "", command
        assert f"{grid}里没有楼栋“99栋”。已有楼栋：{buildings}" in err, command
        code, out, err = run(capsys, "--db", str(db), "survey", command, "--grid", "第9网格")
        assert code == 2 and "的名单里没有网格“第9网格”。已有网格：" in err, command
    code, out, err = run(capsys, "--db", str(db), "survey", "left", "--building", "99栋")
    assert code == 2 and "名单里没有楼栋“99栋”。已有楼栋：" in err and building in err
    code, out, _ = run(capsys, "--db", str(db), "survey", "left", "--building", building)
    assert code == 0 and "还没调查" in out


def test_sheet_and_export_then_district_merge(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run(capsys, "--db", str(db), "survey", "start", "--year", "2026")
    code, out, _ = run(capsys, "--db", str(db), "survey", "progress", "--json")
    grid = json.loads(out)["grids"][0]["name"]
    sheet = tmp_path / "sheet.xlsx"
    code, out, _ = run(
        capsys, "--db", str(db), "survey", "sheet", "--grid", grid, "--out", str(sheet)
    )
    assert code == 0 and sheet.exists()
    code, _, err = run(capsys, "--db", str(db), "survey", "sheet", "--grid", "没有的网格")
    assert code == 2 and "没有网格" in err
    book = tmp_path / "results.xlsx"
    code, out, _ = run(capsys, "--db", str(db), "survey", "export", "--out", str(book))
    assert code == 0 and str(book) in out
    ids = [c for row in load_workbook(book)["调查结果"].iter_rows(values_only=True) for c in row]
    assert WANG_FANG_ID not in ids and any(WANG_FANG_ID[:6] + "*" in str(c) for c in ids)
    keyed = session.open_store(db)
    give_key(keyed)  # the key its district issued: its returns are signed
    keyed.close()
    monthly = tmp_path / "m.xlsx"
    export = ("export", "monthly", "--month", "2026-11", "--out", str(monthly))
    code, _, err = run(capsys, "--db", str(db), *export)
    assert code == 0, err
    district = tmp_path / "district.db"
    district_store(district).close()  # the district that issued the community its key
    assert run(capsys, "--db", str(district), "district", "merge", str(monthly))[0] == 0
    code, out, _ = run(capsys, "--db", str(district), "survey", "merge", str(book), "--json")
    first = json.loads(out)["files"][0]
    assert code == 0 and first["new"] > 0 and not first["refused"]
    code, out, _ = run(capsys, "--db", str(district), "survey", "merge", str(book), "--json")
    again = json.loads(out)["files"][0]
    assert (again["new"], again["updated"], again["conflicts"]) == (0, 0, 0)
    code, out, err = run(capsys, "--db", str(district), "survey", "merge", str(monthly))
    assert code == 1 and "不是残协工作台导出的调查结果" in out


def test_close_ends_the_round(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "--db", str(db), "survey", "start", "--year", "2026")
    code, out, _ = run(capsys, "--db", str(db), "survey", "close")
    assert code == 0 and "已结束2026年度" in out
    code, _, err = run(capsys, "--db", str(db), "survey", "close")
    assert code == 2 and "已于 2026-11-29 结束" in err
    code, out, _ = run(capsys, "--db", str(db), "survey", "progress", "--json")
    assert code == 0 and json.loads(out)["year"] == 2026  # a closed round still reports
