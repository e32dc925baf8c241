"""`canxie daycare stats`: the month's figures from a small database, and bad input.

The data is in March 2024 (a month wholly in the past for the real clock the CLI
uses): 1 Mar is a Friday, 8 Mar the centre is closed; 21 weekdays minus that one.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import pytest

from canxie_tui.store import daycare
from tests.conftest import Clock, Make, open_store
from tests.e2e.test_cli import run


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "canxie.db"
    store = open_store(path, clock=Clock(datetime(2024, 3, 31, 17, 0)))
    make = Make(store)
    wang = make.person(name="王芳")
    zhang = make.person(make.household("建新东路9号"), "张强")
    a = daycare.enrol(store, wang.id, ["day_care"], "12345", "2024-03-01")
    b = daycare.enrol(store, zhang.id, ["rehab"], "135", "2024-03-01")
    daycare.set_closed(store, date(2024, 3, 8), "妇女节活动外出")
    daycare.mark(store, a.id, date(2024, 3, 1), "present", meal=True)
    daycare.mark(store, a.id, date(2024, 3, 4), "present", half_day=True)
    daycare.mark(store, a.id, date(2024, 3, 5), "absent")
    daycare.mark(store, b.id, date(2024, 3, 4), "present")
    store.close()
    return path


def test_stats_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        capsys, "--db", str(db), "daycare", "stats", "--month", "2024-03", "--json"
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["month"] == "2024-03"
    assert data["person_days"] == 2.5
    assert (data["attendances"], data["half_days"], data["people"]) == (3, 1, 2)
    assert data["open_days"] == 20
    assert data["average_daily"] == round(2.5 / 20, 2)
    assert (data["meals"], data["leave"], data["absent"], data["members"]) == (1, 0, 1, 2)
    services = {s["name"]: s["count"] for s in data["services"]}
    assert services["日间照料"] == 2 and services["社区康复"] == 1 and services["心理咨询"] == 0


def test_stats_table_and_a_month_without_data(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "daycare", "stats", "--month", "2024年3月", "--db", str(db))
    assert code == 0
    assert "2024年3月" in out and "出勤人天" in out and "2.5" in out and "日间照料" in out
    code, out, _ = run(capsys, "--db", str(db), "daycare", "stats", "--month", "2023-12", "--json")
    assert code == 0
    assert json.loads(out)["person_days"] == 0


@pytest.mark.parametrize(
    ("month", "message"),
    [("2024-13", "月份“2024-13”不对：月应在 1–12 之间"), ("三月", "请按 2026-11 的格式填写")],
)
def test_bad_month(db: Path, capsys: pytest.CaptureFixture[str], month: str, message: str) -> None:
    code, out, err = run(capsys, "--db", str(db), "daycare", "stats", "--month", month)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_missing_subcommand_and_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "daycare")
    assert code == 2 and "缺少参数" in err
    missing = tmp_path / "none.db"
    code, _, err = run(capsys, "--db", str(missing), "daycare", "stats", "--month", "2024-03")
    assert code == 1 and "找不到数据库文件" in err and not missing.exists()
