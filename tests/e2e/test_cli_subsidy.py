"""`canxie subsidy check|roster|changes`: the month's check as JSON and the two workbooks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canxie_tui.domain.subsidies import CARE, RECEIVING
from canxie_tui.store import register, subsidies
from tests.app.conftest import WANG_FANG_ID, build_register
from tests.e2e.conftest import run


@pytest.fixture
def subsidy_db(tmp_path: Path) -> Path:
    """王芳 (二级, 低保) receives 护理补贴 since January and died on 2026-09-15;
    单丽 (三级视力) qualifies for neither."""
    store = build_register(tmp_path / "canxie.db")
    wang_id = store.scalar("SELECT id FROM persons WHERE id_number = ?", (WANG_FANG_ID,))
    subsidies.set_state(store, wang_id, CARE, RECEIVING, "2026-01", "审核通过")
    register.change_status(
        store, register.get_person(store, wang_id), "deceased", "2026-09-15", "病故"
    )
    store.close()
    return tmp_path / "canxie.db"


def test_check_json_lists_and_keys(subsidy_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--db", str(subsidy_db), "subsidy", "check", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["month"] == "2026-11" and data["rules"]["start"] == "2026-01"
    assert data["counts"] == {"start": 0, "stop": 1, "change": 0}
    assert data["overpaid_total"] == 200
    [stop] = data["stop"]
    assert set(stop) == {
        "person_id", "household_id", "name", "id_number", "kind", "kind_label", "reason",
        "since", "amount", "overpaid_months", "overpaid_amount",
    }  # fmt: skip
    assert (stop["name"], stop["kind"], stop["reason"], stop["since"]) == (
        "王芳",
        "care",
        "死亡",
        "2026-09-15",
    )
    assert (stop["overpaid_months"], stop["overpaid_amount"], stop["amount"]) == (
        ["2026-10", "2026-11"],
        200,
        100,
    )
    assert stop["id_number"] == f"{WANG_FANG_ID[:6]}********{WANG_FANG_ID[-4:]}"
    assert WANG_FANG_ID not in out


def test_check_table_and_a_month_without_rules(
    subsidy_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", str(subsidy_db), "subsidy", "check", "--month", "2026-10")
    assert code == 0 and "应停未停：1 项，多发 100 元" in out
    code, _, err = run(capsys, "--db", str(subsidy_db), "subsidy", "check", "--month", "2025-06")
    assert code == 2 and "2025年6月没有生效的两项补贴标准" in err


def test_roster_and_changes_workbooks(
    subsidy_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "名册.xlsx"
    code, out, _ = run(
        capsys, "--db", str(subsidy_db), "subsidy", "roster", "--month", "2026-11",
        "--out", str(out_file),
    )  # fmt: skip
    assert code == 0 and str(out_file) in out and "两项补贴发放名册" in out
    cells = [c for row in load_workbook(out_file).active.iter_rows(values_only=True) for c in row]
    assert "王芳" in cells and WANG_FANG_ID not in cells
    code, out, _ = run(
        capsys, "--db", str(subsidy_db), "subsidy", "changes", "--month", "2026-01",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 0
    [written] = tmp_path.glob("两项补贴变动表_*_2026-01.xlsx")
    cells = [c for row in load_workbook(written).active.iter_rows(values_only=True) for c in row]
    assert "新增" in cells and "王芳" in cells
    code, _, _ = run(capsys, "--db", str(subsidy_db), "subsidy", "roster")
    assert code == 2
    code, _, err = run(
        capsys, "--db", str(subsidy_db), "subsidy", "roster", "--month", "2027-03",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 2 and "2027年3月还没有到，不能导出两项补贴发放名册" in err


def test_an_overpayment_no_rule_prices_reads_undetermined(
    subsidy_db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """单丽 (三级视力) marked 享受 护理补贴: the months are known, the amount is not (the rule
    set prices 三级 at nothing); the table said 0, the JSON keeps the number."""
    from canxie_tui.store.session import open_store

    store = open_store(subsidy_db)
    shan_li = store.scalar("SELECT id FROM persons WHERE name = '单丽'")
    subsidies.set_state(store, shan_li, CARE, RECEIVING, "2026-11", "误登记")
    store.close()
    code, out, _ = run(capsys, "--db", str(subsidy_db), "subsidy", "check")
    assert code == 0
    [line] = [row for row in out.splitlines() if "单丽" in row]
    assert "未定" in line and " 0 " not in line
    code, out, _ = run(capsys, "--db", str(subsidy_db), "subsidy", "check", "--json")
    [stop] = [s for s in json.loads(out)["stop"] if s["name"] == "单丽"]
    assert (stop["overpaid_months"], stop["overpaid_amount"]) == (["2026-11"], 0)
