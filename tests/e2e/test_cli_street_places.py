"""At a street 第1网格 and 8栋 of two communities are two places (issue 17).

One database holding two communities with the same grid and building names (a
street install, or a district): the survey's progress lines, left list, CLI filters
and 一览表, and `canxie emergency list` and `canxie visits due`, name each
community's place, and a bare name both use is refused with the choices (exit 2).
A single community's names stay as they were (tests/unit/test_survey and others).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canxie_tui.domain.errors import InputError
from canxie_tui.store import emergency, integrity, recode, survey, survey_files
from canxie_tui.store.connection import Store
from canxie_tui.store.district.content import content
from tests.conftest import EAST, WEST, Make
from tests.e2e.conftest import run


def _street(store: Store, make: Make) -> survey.Round:
    """Two communities, each with 第1网格·8栋 (2 and 1 people) and the east with 第2网格."""
    for community, people in ((EAST, ("甲一", "乙二")), (WEST, ("丙三",))):
        home = make.community_home(community, f"{community[1]}8号", grid="第1网格", building="8栋")
        for person in people:
            make.person(home, person)
    other = make.community_home(EAST, "建新东路9号", grid="第2网格", building="9栋")
    make.person(other, "丁四")
    return survey.start_round(store, 2026, "2026-11-29")[0]


def test_progress_and_left_list_keep_communities_apart(store: Store, make: Make) -> None:
    round = _street(store, make)
    found = survey.progress(store, round)
    assert [(g.name, g.due) for g in found.grids] == [
        ("建新东路社区·第1网格", 2),
        ("建新东路社区·第2网格", 1),
        ("建新西路社区·第1网格", 1),
    ]
    assert [(b.grid, b.name, b.due) for b in found.buildings] == [
        ("建新东路社区·第1网格", "8栋", 2),
        ("建新东路社区·第2网格", "9栋", 1),
        ("建新西路社区·第1网格", "8栋", 1),
    ]
    assert found.to_json()["grids"][2]["community"] == "建新西路社区"
    assert found.grid_places["建新西路社区·第1网格"] == (WEST[0], "第1网格")
    rows, total = survey.left_to_survey(store, round)
    assert total == 4 and [(r["community"], r["name"]) for r in rows] == [
        ("建新东路社区", "乙二"),  # same room: by name
        ("建新东路社区", "甲一"),
        ("建新东路社区", "丁四"),
        ("建新西路社区", "丙三"),
    ]
    rows, total = survey.left_to_survey(store, round, grid="第1网格", community=WEST[0])
    assert total == 1 and [r["name"] for r in rows] == ["丙三"]


def test_a_household_recoded_takes_its_entries_along(store: Store, make: Make) -> None:
    round = _street(store, make)
    recode.recode(store, WEST[0], "500105006003", "新社区")
    grids = [g.name for g in survey.progress(store, round).grids]
    assert "新社区·第1网格" in grids and "建新西路社区·第1网格" not in grids
    # The entry's community is derived, not an edit: the audit check finds nothing
    # changed behind the log's back, and a merge compares the entry without it.
    assert integrity.drifted_records(store.db.conn) == []
    entry = store.query("SELECT * FROM survey_entries WHERE division_code = '500105006003'")[0]
    assert "division_code" not in content("survey_entries", entry)


def test_typed_places_name_one_community_or_are_refused(store: Store, make: Make) -> None:
    round = _street(store, make)
    with pytest.raises(InputError) as refused:
        survey_files.known_place(store, round, "第1网格", None)
    assert (
        "“第1网格”在多个社区都有，请写明社区，如：建新东路社区·第1网格、建新西路社区·第1网格"
        in (str(refused.value))
    )
    assert survey_files.known_place(store, round, "建新西路社区·第1网格", "8栋") == (
        WEST[0],
        "第1网格",
        "8栋",
    )
    # A building of another community than the grid's: refused, naming the grid's.
    with pytest.raises(InputError, match=r"第1网格里没有楼栋“建新东路社区·8栋”。已有楼栋：.+8栋"):
        survey_files.known_place(store, round, "建新西路社区·第1网格", "建新东路社区·8栋")
    # A bare name only one community has is that community's.
    assert survey_files.known_place(store, round, "第2网格", None) == (EAST[0], "第2网格", None)
    with pytest.raises(InputError, match="“8栋”在多个社区都有"):
        survey_files.known_place(store, round, None, "8栋")
    with pytest.raises(
        InputError, match="没有社区“观音桥社区”。已有社区：建新东路社区、建新西路社区"
    ):
        survey_files.known_place(store, round, "观音桥社区·第1网格", None)


def _closed_street(store: Store, make: Make) -> str:
    """The street's database, closed for the command line."""
    _street(store, make)
    store.close()
    return str(store.path)


def test_cli_left_and_sheet_at_a_street(
    store: Store, make: Make, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _closed_street(store, make)
    code, _, err = run(capsys, "--db", db, "survey", "left", "--grid", "第1网格")
    assert code == 2 and "建新东路社区·第1网格、建新西路社区·第1网格" in err
    code, out, _ = run(capsys, "--db", db, "survey", "left", "--grid", "建新东路社区·第1网格")
    assert code == 0 and "甲一" in out and "丙三" not in out and "建新东路社区·第1网格" in out
    code, out, _ = run(
        capsys, "--db", db, "survey", "left", "--grid", "建新西路社区·第1网格", "--json"
    )
    found = json.loads(out)
    assert code == 0 and found["total"] == 1
    assert found["results"][0]["community"] == "建新西路社区"
    assert found["results"][0]["grid"] == "第1网格"
    out_path = tmp_path / "sheet.xlsx"
    code, out, _ = run(
        capsys, "--db", db, "survey", "sheet", "--grid", "建新西路社区·第1网格",
        "--building", "8栋", "--out", str(out_path),
    )  # fmt: skip
    assert code == 0 and "1 人" in out
    rows = load_workbook(out_path).active.iter_rows(values_only=True)
    text = "\n".join(str(c) for row in rows for c in row if c)
    assert "1. 丙三" in text and "甲一" not in text
    assert "一览表（建新西路社区·第1网格8栋）" in text


def test_cli_emergency_list_and_visits_due_at_a_street(
    store: Store, make: Make, capsys: pytest.CaptureFixture[str]
) -> None:
    _street(store, make)
    emergency.start_event(store, "power")
    db = str(store.path)
    store.close()
    base = ("--db", db, "emergency", "list", "--all")
    code, _, err = run(capsys, *base, "--query", "8栋")
    assert (
        code == 2
        and "“8栋”在多个社区都有，请写明社区，如：建新东路社区·8栋、建新西路社区·8栋" in err
    )
    code, out, _ = run(capsys, *base, "--query", "建新西路社区·8栋")
    assert code == 0 and "丙三" in out and "甲一" not in out and "建新西路社区·第1网格" in out
    code, out, _ = run(capsys, *base, "--json")
    rows = {r["name"]: r for r in json.loads(out)["results"]}
    assert (rows["丙三"]["community"], rows["丙三"]["grid"]) == ("建新西路社区", "第1网格")
    code, out, _ = run(capsys, "--db", db, "visits", "due", "--json")
    due = {r["name"]: r for r in json.loads(out)["results"]}
    assert due["丙三"]["community"] == "建新西路社区" and due["丙三"]["grid"] == "第1网格"
    code, out, _ = run(capsys, "--db", db, "visits", "due")
    assert "建新西路社区·第1网格" in out


def test_results_workbook_names_each_communitys_grid(
    store: Store, make: Make, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = _closed_street(store, make)
    book = tmp_path / "results.xlsx"
    code, _, err = run(capsys, "--db", db, "survey", "export", "--out", str(book))
    assert code == 0, err
    wb = load_workbook(book)
    results = [r for r in wb["调查结果"].iter_rows(values_only=True) if isinstance(r[0], int)]
    shown = [(r[1], r[2], r[5]) for r in results]  # 甲一 and 乙二 share a room: either first
    assert sorted(shown[:2]) == [("建新东路社区·第1网格", "8栋", n) for n in ("乙二", "甲一")]
    assert shown[2:] == [
        ("建新东路社区·第2网格", "9栋", "丁四"),
        ("建新西路社区·第1网格", "8栋", "丙三"),
    ]
    lines = [r[:2] for r in wb["进度"].iter_rows(values_only=True) if r[1] and r[1] != "楼栋"]
    assert lines == [
        ("建新东路社区·第1网格", "8栋"),
        ("建新东路社区·第2网格", "9栋"),
        ("建新西路社区·第1网格", "8栋"),
    ]
    code, out, _ = run(capsys, "--db", db, "survey", "progress")
    assert code == 0 and "建新西路社区·第1网格" in out
