"""`canxie export monthly`: a real workbook from a small database, and bad input.

The data is in March 2024 (wholly in the past for the real clock the CLI uses).
The subcommand is in `canxie_tui.cli.export`.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canxie_tui.domain.ids import mask_id
from canxie_tui.excel.return_reader import read_monthly
from canxie_tui.store import session
from tests.conftest import Clock, Make, Month, build_month, open_store
from tests.e2e.test_cli import run


@pytest.fixture
def built(tmp_path: Path) -> tuple[Path, Month]:
    path = tmp_path / "canxie.db"
    store = open_store(path, clock=Clock(datetime(2024, 3, 31, 17, 0)))
    month = build_month(store, Make(store), 2024, 3)
    store.close()
    return path, month


def test_export_writes_the_workbook_and_prints_its_path(
    built: tuple[Path, Month], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, month = built
    out = tmp_path / "月报.xlsx"
    code, stdout, err = run(
        capsys, "--db", str(db), "export", "monthly", "--month", "2024-03", "--out", str(out)
    )
    assert code == 0, err
    assert stdout.strip() == f"已导出 2024年3月 月报：{out}"
    data = read_monthly(out)
    assert data.month_text == "2024-03"
    assert {v["id"] for v in data.rows("visits")} >= {v.id for v in month.visits}
    texts = [
        str(v)
        for ws in load_workbook(out, read_only=True).worksheets
        if ws.sheet_state == "visible"
        for row in ws.iter_rows(values_only=True)
        for v in row
        if v is not None
    ]
    assert mask_id(month.wang.id_number) in "\n".join(texts)
    assert month.wang.id_number not in "\n".join(texts)
    wb = load_workbook(out, read_only=True)
    states = {ws.title: ws.sheet_state for ws in wb.worksheets}
    # Written out, not imported from return_format: the sheet names are a promise to the
    # district, and a rename must fail here.
    assert [t for t, state in states.items() if state == "visible"] == [
        "汇总",
        "变动情况",
        "走访明细",
        "渝馨家园考勤",
        "个案记录",
        "指标",
        "急难救助",
        "两项补贴发放名册",
        "两项补贴变动表",
    ]
    assert states["_元数据"] == "hidden"
    wb.close()


def test_default_folder_from_the_environment(
    built: tuple[Path, Month],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, _ = built
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "exports"))
    code, stdout, err = run(capsys, "export", "monthly", "--db", str(db), "--month", "2024年3月")
    assert code == 0, err
    expected = tmp_path / "exports" / "月报_建新东路社区_2024-03.xlsx"
    assert expected.is_file() and str(expected) in stdout


def test_full_ids_are_audited(
    built: tuple[Path, Month], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, month = built
    out = tmp_path / "full.xlsx"
    code, _, err = run(
        capsys,
        "--db",
        str(db),
        "export",
        "monthly",
        "--month",
        "2024-03",
        "--out",
        str(out),
        "--full-ids",
    )
    assert code == 0, err
    store = session.open_store(db)
    try:
        assert (
            store.scalar(
                "SELECT count(*) FROM audit_log WHERE action = '导出月报（显示完整身份证号）'"
            )
            == 1
        )
    finally:
        store.close()
    assert month.wang.id_number in str(load_workbook(out)["走访明细"]["E4"].value)


@pytest.mark.parametrize(
    ("month", "message"),
    [
        ("2024-13", "月应在 1–12 之间"),
        ("三月", "无法识别"),
        ("2999-01", "还没有到"),
    ],
)
def test_bad_months_are_usage_errors(
    built: tuple[Path, Month],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    month: str,
    message: str,
) -> None:
    db, _ = built
    out = tmp_path / "x.xlsx"
    code, stdout, err = run(
        capsys, "--db", str(db), "export", "monthly", "--month", month, "--out", str(out)
    )
    assert code == 2
    assert err.startswith("错误：") and message in err and "Traceback" not in err
    assert stdout == "" and not out.exists()


def test_missing_month_and_bad_file_name(
    built: tuple[Path, Month], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db, _ = built
    code, _, err = run(capsys, "--db", str(db), "export", "monthly")
    assert code == 2 and "缺少参数" in err and "--month" in err
    code, _, err = run(
        capsys,
        "--db",
        str(db),
        "export",
        "monthly",
        "--month",
        "2024-03",
        "--out",
        str(tmp_path / "x.csv"),
    )
    assert code == 2 and ".xlsx 结尾" in err


def test_no_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, "--db", str(tmp_path / "none.db"), "export", "monthly", "--month", "2024-03"
    )
    assert code == 1 and "找不到数据库文件" in err


def test_help_is_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run(capsys, "export", "monthly", "--help")
    assert code == 0 and "--full-ids" in stdout and "审计日志" in stdout


def export_with_password(
    db: Path,
    out: Path,
    password: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[int, str, str]:
    monkeypatch.setenv("CANXIE_EXPORT_PASSWORD", password)
    args = ("--db", str(db), "export", "monthly", "--month", "2024-03", "--out", str(out))
    return run(capsys, *args, "--password")


def test_password_encrypts_the_workbook(
    built: tuple[Path, Month],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import io

    import msoffcrypto

    out = tmp_path / "加密月报.xlsx"
    code, stdout, err = export_with_password(built[0], out, "jb-2024-ok", capsys, monkeypatch)
    assert code == 0, err
    assert "已加密" in stdout
    assert out.read_bytes()[:4] == bytes.fromhex("D0CF11E0")  # an encrypted OLE container
    with pytest.raises(Exception):  # noqa: B017 - openpyxl cannot open it without the password
        load_workbook(out)
    plain = io.BytesIO()
    with out.open("rb") as handle:
        office = msoffcrypto.OfficeFile(handle)
        office.load_key(password="jb-2024-ok")
        office.decrypt(plain)
    plain.seek(0)
    assert "汇总" in load_workbook(plain, read_only=True).sheetnames
    store = session.open_store(built[0])
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = '加密导出月报'") == 1


def test_short_password_refused_before_anything_is_written(
    built: tuple[Path, Month],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = tmp_path / "x.xlsx"
    code, _, err = export_with_password(built[0], out, "123", capsys, monkeypatch)
    assert code == 2 and "密码至少6位" in err
    assert not out.exists()
