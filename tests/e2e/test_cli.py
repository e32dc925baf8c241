"""The `canxie` command line: real files, real exit codes, Chinese messages."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.cells import cell_len

from tests.app.conftest import SHAN_LI_ID, WANG_FANG_ID
from tests.e2e.conftest import run


def test_search_json_masks_ids(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(db), "search", "wf", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["total"] == 1
    [row] = data["results"]
    assert row["name"] == "王芳"
    assert row["id_number"] == f"{WANG_FANG_ID[:6]}********{WANG_FANG_ID[-4:]}"
    assert row["disability"] == "肢体二级"


def test_search_full_ids_is_audited(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(db), "search", SHAN_LI_ID[-4:], "--json", "--full-ids")
    assert code == 0
    assert json.loads(out)["results"][0]["id_number"] == SHAN_LI_ID
    from canxie_tui.store import session

    store = session.open_store(db)
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action LIKE '显示完整身份证号%'") == 1


def test_search_table_output(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "search", "单丽", "--db", str(db))
    assert code == 0
    assert "单丽" in out and SHAN_LI_ID not in out and "共 1 条" in out


def test_search_no_match(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(db), "search", "诸葛亮")
    assert (code, out.strip()) == (0, "没有找到“诸葛亮”。")


def test_missing_database_is_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.db"
    code, _, err = run(capsys, "--db", str(missing), "search", "王")
    assert code == 1
    assert "找不到数据库文件" in err and "Traceback" not in err
    assert not missing.exists()


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda p: p.mkdir(), "是一个文件夹"),
        (lambda p: p.write_text("姓名,身份证号\n", encoding="utf-8"), "不是 SQLite 格式"),
    ],
)
def test_wrong_kind_of_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make, expected
) -> None:  # type: ignore[no-untyped-def]
    target = tmp_path / "x.db"
    make(target)
    before = target.read_bytes() if target.is_file() else None
    code, _, err = run(capsys, "--db", str(target), "search", "王")
    assert code == 1 and expected in err
    if before is not None:
        assert target.read_bytes() == before


def test_foreign_sqlite_database_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    before = other.read_bytes()
    code, _, err = run(capsys, "--db", str(other), "search", "王")
    assert code == 1 and "其他程序的 SQLite 数据库" in err
    assert other.read_bytes() == before


def test_bad_arguments_in_chinese(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--db", str(db), "search")
    assert code == 2 and "参数错误" in err and "缺少参数：查找内容" in err and "query" not in err
    code, _, err = run(capsys, "--db", str(db), "visits", "due", "--tier", "D")
    assert code == 2 and "无效的选项：'D'（可选：'A', 'B', 'C'）" in err
    assert "(" not in err and ")" not in err and "argument" not in err
    code, _, err = run(capsys, "--db", str(db), "search", "王", "--limit", "0")
    assert code == 2 and "--limit" in err
    code, _, err = run(capsys, "frobnicate")
    assert code == 2 and "无效的选项" in err


def test_python_dash_m_entry_point(db: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "canxie_tui", "--db", str(db), "search", "王芳", "--json"],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"][0]["name"] == "王芳"


def test_visits_due_json_and_filters(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(db), "visits", "due", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["date"] == "2026-11-29"
    assert {r["name"]: r["tier"] for r in data["results"]} == {"王芳": "A", "单丽": "C"}
    assert all(r["due_text"] == "今天到期" for r in data["results"])
    code, out, _ = run(capsys, "--db", str(db), "visits", "due", "--json", "--tier", "A")
    assert [r["name"] for r in json.loads(out)["results"]] == ["王芳"]
    code, out, _ = run(capsys, "--db", str(db), "visits", "due", "--overdue", "--json")
    assert json.loads(out)["total"] == 0
    code, _, err = run(capsys, "--db", str(db), "visits", "due", "--tier", "D")
    assert code == 2 and "无效的选项" in err


PLAN_KEYS = [
    "income",
    "training",
    "dibao_coverage",
    "living_subsidy",
    "care_subsidy",
    "pension",
    "medical",
    "rehab",
    "device",
    "barrier_free",
    "education",
]


def test_indicators_json(db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(db), "indicators", "--json")
    assert code == 0
    found = json.loads(out)["indicators"]
    # The eleven rows of 专栏1 in the plan's order, then 家庭医生签约 from the plan's text.
    assert [r["key"] for r in found] == [*PLAN_KEYS, "family_doctor"]
    assert [r["number"] for r in found] == [*range(1, 12), 0]
    for row in found:
        assert {
            "number", "key", "name", "kind", "numerator", "denominator", "rate", "target",
            "target_text", "met", "shortfall", "unit", "source",
        } <= set(row)  # fmt: skip
    rows = {r["key"]: r for r in found}
    assert (rows["income"]["kind"], rows["income"]["rate_text"]) == ("external", "由区残联统计")
    assert rows["income"]["target_text"] == "与全区地区生产总值增长基本同步"
    assert (rows["training"]["kind"], rows["training"]["numerator"]) == ("count", 0)
    assert rows["pension"]["target_text"] == "＞90%"
    assert rows["living_subsidy"]["source"].startswith("渝民发〔2021〕15号")
    # 王芳 (二级, 低保) has 护理补贴 but not 生活补贴.
    assert (rows["care_subsidy"]["numerator"], rows["care_subsidy"]["denominator"]) == (1, 1)
    assert (rows["living_subsidy"]["numerator"], rows["living_subsidy"]["shortfall"]) == (0, 1)
    assert rows["living_subsidy"]["met"] is False and rows["income"]["met"] is None


def test_indicators_table_in_the_plans_words(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "160")
    code, out, _ = run(capsys, "--db", str(db), "indicators")
    assert code == 0
    for header in ("序号", "指标", "目标", "现状", "缺口"):
        assert header in out
    assert "符合条件的残疾人纳入最低生活保障比例" in out and "与全区地区生产总值增长基本同步" in out
    assert "由区残联统计" in out and "今年0人" in out and "0/1 0.0% 未达标" in out
    lines = out.splitlines()
    at = [next(i for i, line in enumerate(lines) if word in line) for word in (
        "残疾人家庭人均收入年均增长", "重度残疾人护理补贴覆盖率", "残疾儿童少年义务教育入学率",
        "持证残疾人家庭医生签约服务率（规划正文，非专栏1）",
    )]  # fmt: skip
    assert at == sorted(at)


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _on_terminal(monkeypatch: pytest.MonkeyPatch, columns: int) -> None:
    """rich treats stdout as a terminal `columns` wide."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")
    monkeypatch.setenv("COLUMNS", str(columns))


def test_indicators_table_folds_long_words_at_80_columns(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _on_terminal(monkeypatch, 80)
    code, out, _ = run(capsys, "--db", str(db), "indicators")
    out = ANSI.sub("", out)
    assert code == 0
    assert "…" not in out  # folded onto a second line, never cut short
    assert max(cell_len(line) for line in out.splitlines()) <= 80


def _digit_runs(text: str) -> set[str]:
    return set(re.findall(r"[0-9]+", text))


@pytest.mark.parametrize("columns", [80, 50])
def test_terminal_tables_never_cut_a_number(
    columns: int, db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "--db", str(db), "visits", "due", "--json")
    due = json.loads(out)["results"]
    code, out, _ = run(capsys, "--db", str(db), "search", "王", "--json")
    found = json.loads(out)["results"]
    assert due and found
    _on_terminal(monkeypatch, columns)
    code, out, _ = run(capsys, "--db", str(db), "visits", "due")
    out = ANSI.sub("", out)
    assert code == 0 and "…" not in out
    runs = set().union(*(_digit_runs(line) for line in out.splitlines()))
    for item in due:
        assert item["phone"] in out  # "023880…" was a phone cut short
        assert str(abs(item["overdue_days"] or 0)) in runs or "今天" in item["due_text"]
    code, out, _ = run(capsys, "--db", str(db), "search", "王")
    out = ANSI.sub("", out)
    for person in found:
        assert person["phone"] in out and person["id_number"] in out


def test_piped_tables_print_whole_rows(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, out, _ = run(capsys, "--db", str(db), "search", "王", "--json")
    found = json.loads(out)["results"]
    monkeypatch.setenv("COLUMNS", "40")  # not a terminal: the width does not matter
    code, out, _ = run(capsys, "--db", str(db), "search", "王")
    assert code == 0
    lines = out.splitlines()
    for person in found:
        whole = (person["name"], person["id_number"], person["phone"], person["address"])
        assert any(all(value in line for value in whole) for line in lines), whole


def test_closed_pipe_ends_quietly(db: Path) -> None:
    """`canxie search 王 | head`: no "Broken pipe" line once the reader has gone."""
    for argv in (("search", "王"), ("search", "王", "--json")):
        read_end, write_end = os.pipe()
        os.close(read_end)  # the reader (head) has already gone
        try:
            done = subprocess.run(
                [sys.executable, "-m", "canxie_tui", "--db", str(db), *argv],
                stdout=write_end,
                stderr=subprocess.PIPE,
                text=True,
                timeout=120,
            )
        finally:
            os.close(write_end)
        assert (done.returncode, done.stderr) == (141, ""), argv


def test_closed_pipe_in_process(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    class ClosedPipe(io.StringIO):
        def write(self, text: str) -> int:
            raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys, "stdout", ClosedPipe())
    code, _, err = run(capsys, "--db", str(db), "search", "王", "--json")
    assert (code, err) == (141, "")


def test_unexpected_error_is_one_chinese_line(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from canxie_tui.store import search

    def broken(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(search, "search", broken)
    code, _, err = run(capsys, "--db", str(db), "search", "王")
    assert code == 1 and "程序内部错误（ZeroDivisionError）" in err and "Traceback" not in err
