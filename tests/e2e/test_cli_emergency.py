"""`canxie emergency list|events|sheet|report`: real files, exit codes, Chinese errors.

The subcommands are in `canxie_tui.cli.emergency`.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from canxie_tui.store import connection, emergency
from tests.conftest import Make, open_store
from tests.e2e.test_cli import run


def _register(path: Path) -> dict[str, str]:
    store = open_store(path)
    make = Make(store)
    wang = make.person(
        make.household("建新东路12号 3栋1单元201", building="3栋", grid="第1网格", flags=["alone"]),
        "王芳",
        birth=date(1939, 5, 1),
        care_flags=["powered_device"],
        device_kind="制氧机",
    )
    li = make.person(
        make.household("建新东路12号 13栋2单元301", building="13栋", grid="第2网格"),
        "李强",
        care_flags=["deaf_text", "evac_help"],
    )
    make.person(make.household("北城三路8号"), "张伟", level=3)
    store.close()
    return {"wang": wang.id, "li": li.id}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "canxie.db"
    _register(path)
    return path


@pytest.fixture
def event_db(db: Path) -> tuple[Path, str]:
    store = open_store(db)
    event = emergency.start_event(store, "flood", "11月暴雨")
    wang = store.scalar("SELECT id FROM persons WHERE name = '王芳'")
    emergency.set_status(store, event, wang, "help", "需要转移")
    store.close()
    return db, event.id


def test_list_needs_an_event_or_a_kind(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", str(db), "emergency", "list")
    assert code == 1 and out == ""
    assert "当前没有进行中的急难事件" in err and "--kind" in err and "Traceback" not in err


def test_list_hypothetical_kind_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "--db", str(db), "emergency", "list", "--kind", "停电", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["hypothetical"] is True and data["event"] is None
    assert (data["kind"], data["kind_label"], data["total"]) == ("power", "停电", 2)
    first, second = data["results"]
    assert first["name"] == "王芳" and first["reasons"][:2] == ["依赖制氧机", "独居"]
    assert first["rank"] == 1 and first["status"] == "pending"
    assert second["contact_advice"] == "发短信/微信文字，不要打电话；无手机号，请上门或经联系人转达"
    assert "id_number" not in first


def test_list_answers_while_an_import_holds_the_database(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change another tool wrote (committed, its profiles not computed yet) and a
    roster import holding the write lock: the list still answers, ranked as once
    the profiles are stored."""
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 200)  # a wait would be refused
    tool = sqlite3.connect(db, isolation_level=None)
    tool.execute(
        'UPDATE persons SET care_flags = \'["powered_device", "bedridden"]\', '
        "device_kind = '呼吸机' WHERE name = '张伟'"
    )
    assert tool.execute("SELECT count(*) FROM risk_dirty").fetchone() == (1,)
    argv = ("--db", str(db), "emergency", "list", "--kind", "停电", "--json")
    try:
        tool.execute("BEGIN IMMEDIATE")  # what an import's transaction holds
        code, out, err = run(capsys, *argv)
    finally:
        tool.execute("ROLLBACK")
    assert code == 0, err
    during = json.loads(out)
    assert [r["name"] for r in during["results"]] == ["王芳", "张伟", "李强"]
    assert during["results"][1]["reasons"][:2] == ["依赖呼吸机", "卧床"]
    store = open_store(db)
    with store.transaction():  # the next write stores the profiles
        pass
    assert store.scalar("SELECT count(*) FROM risk_dirty") == 0
    store.close()
    tool.close()
    code, out, err = run(capsys, *argv)
    assert code == 0 and json.loads(out) == during


def test_list_current_event_table_and_filters(
    event_db: tuple[Path, str], capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = event_db
    code, out, _ = run(capsys, "emergency", "list", "--db", str(db))
    assert code == 0
    assert "11月暴雨（汛期/暴雨）" in out and "已联系 1/2" in out and "需要帮助" in out
    code, out, _ = run(capsys, "--db", str(db), "emergency", "list", "-q", "3栋", "--json")
    assert [r["name"] for r in json.loads(out)["results"]] == ["王芳"]
    code, out, _ = run(capsys, "--db", str(db), "emergency", "list", "--status", "未联系", "--json")
    data = json.loads(out)
    assert [r["name"] for r in data["results"]] == ["李强"]
    assert data["progress"]["text"] == "已联系 1/2 · 安全 0 · 需要帮助 1 · 已转移 0 · 联系不上 0"
    code, out, _ = run(capsys, "--db", str(db), "emergency", "list", "--query", "诸葛亮")
    assert code == 0 and "没有符合条件的人员" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["list", "--kind", "雷电"], "未知的事件类型“雷电”"),
        (["list", "--status", "很好"], "未知的点名状态“很好”"),
        (["list", "--limit", "0"], "--limit 须为正整数"),
        (["list", "--kind", "停电", "--status", "安全"], "假设名单没有点名记录"),
    ],
)
def test_bad_input_is_a_usage_error(
    db: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, "--db", str(db), "emergency", *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


def test_events(event_db: tuple[Path, str], capsys: pytest.CaptureFixture[str]) -> None:
    db, event_id = event_db
    code, out, _ = run(capsys, "--db", str(db), "emergency", "events")
    assert code == 0 and event_id[:8] in out and "11月暴雨" in out and "当前" in out
    code, out, _ = run(capsys, "--db", str(db), "emergency", "events", "--json")
    [event] = json.loads(out)["events"]
    assert (event["id"], event["kind"], event["is_current"]) == (event_id, "flood", True)


def test_report_writes_the_workbook(
    event_db: tuple[Path, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, event_id = event_db
    out_file = tmp_path / "报告" / "street.xlsx"
    code, out, err = run(
        capsys,
        "--db",
        str(db),
        "emergency",
        "report",
        "--event",
        event_id[:8],
        "--out",
        str(out_file),
    )
    assert code == 0, err
    assert out.strip() == str(out_file)
    wb = openpyxl.load_workbook(out_file)
    assert wb.sheetnames == ["汇总", "需帮助及联系不上"]
    people = [row[1] for row in wb["需帮助及联系不上"].iter_rows(min_row=4, values_only=True)]
    assert people == ["王芳"]
    # A folder: the dated default name inside it.
    code, out, _ = run(capsys, "--db", str(db), "emergency", "report", "--out", str(tmp_path))
    written = Path(out.strip())
    assert code == 0 and written.parent == tmp_path
    assert written.name.startswith("急难救助_情况报告_11月暴雨_") and written.exists()


def test_report_and_sheet_errors(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", str(db), "emergency", "report")
    assert code == 1 and "当前没有进行中的急难事件" in err
    code, _, err = run(capsys, "--db", str(db), "emergency", "report", "--event", "abcdef12")
    assert code == 1 and "找不到编号为“abcdef12”的急难事件" in err
    code, _, err = run(capsys, "--db", str(db), "emergency", "sheet")
    assert code == 1 and "--kind" in err
    code, _, err = run(capsys, "--db", str(db), "emergency")
    assert code == 2 and "缺少参数" in err


def test_sheet_hypothetical_into_exports(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "exports"))
    code, out, err = run(
        capsys, "--db", str(db), "emergency", "sheet", "--kind", "停电", "--show-ids"
    )
    assert code == 0, err
    path = Path(out.strip())
    assert path.parent == tmp_path / "exports" and path.name.startswith("急难救助_呼叫单_预案停电_")
    rows = list(openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True))
    assert rows[2][2] == "身份证号" and "********" in rows[4][2]


def test_missing_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "none.db"
    code, _, err = run(capsys, "--db", str(missing), "emergency", "list", "--kind", "停电")
    assert code == 1 and "找不到数据库文件" in err and not missing.exists()
