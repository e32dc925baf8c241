"""`canxie district merge` and `canxie district report` on real workbooks.

Two communities of 江北区 export November 2026 (`tests.conftest.build_month`); a
third workbook comes from 渝北区.  The subcommands come from
`canxie_tui.cli_district` through `cli.EXTENSIONS`.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canxie_tui import cli
from canxie_tui.domain.models import Site
from canxie_tui.store import site
from canxie_tui.sync.monthly import export_monthly
from tests.conftest import SITE, Make, build_month, open_store
from tests.e2e.test_cli import run

EXTENSION = "canxie_tui.cli_district"
YANGHE = Site("江北区", "500105", "观音桥街道", "500105006", "洋河路社区", "500105006002")
YUBEI = Site("渝北区", "500112", "龙溪街道", "500112001", "松牌路社区", "500112001001")


@pytest.fixture(autouse=True)
def district_commands(monkeypatch: pytest.MonkeyPatch) -> None:
    if EXTENSION not in cli.EXTENSIONS:
        monkeypatch.setattr(cli, "EXTENSIONS", (*cli.EXTENSIONS, EXTENSION))


def _workbook(folder: Path, name: str, where: Site, first_id: int) -> Path:
    store = open_store(folder / f"{name}.db")
    if where != SITE:
        site.save_site(store, where)
    make = Make(store)
    make._seq = itertools.count(first_id)
    build_month(store, make)
    path = export_monthly(store, 2026, 11, out=folder / f"{name}.xlsx")
    store.close()
    return path


@pytest.fixture
def workbooks(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (
        _workbook(tmp_path, "jianxin", SITE, 1),
        _workbook(tmp_path, "yanghe", YANGHE, 100),
        _workbook(tmp_path, "yubei", YUBEI, 200),
    )


def _new_district(tmp_path: Path) -> list[str]:
    db = tmp_path / "district.db"
    return ["--db", str(db), "--district-name", "江北区", "--district-code", "500105"]


def test_merge_prints_a_line_per_file_and_refuses_the_foreign_one(
    workbooks: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jianxin, yanghe, yubei = workbooks
    args = ["district", "merge", str(jianxin), str(yubei), str(yanghe), *_new_district(tmp_path)]
    code, out, err = run(capsys, *args)
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("jianxin.xlsx（江北区观音桥街道建新东路社区 2026-11）：新增 ")
    assert "冲突 0" in lines[0]
    assert lines[1].startswith("yubei.xlsx：已拒绝——") and "不属于" in lines[1]
    assert lines[2].startswith("yanghe.xlsx（")
    assert "合并 2 个，拒绝 1 个" in lines[3]

    code, out, err = run(
        capsys, "district", "merge", str(jianxin), "--db", str(tmp_path / "district.db"), "--json"
    )
    assert code == 0, err
    payload = json.loads(out)
    (only,) = payload["files"]
    assert (only["new"], only["updated"], only["conflicts"], only["refused"]) == (0, 0, 0, False)
    assert only["unchanged"] > 0 and payload["refused"] == 0


def test_every_file_refused_exits_non_zero(
    workbooks: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.xlsx"
    bad.write_text("不是工作簿", encoding="utf-8")
    code, out, _ = run(
        capsys, "district", "merge", str(workbooks[2]), str(bad), *_new_district(tmp_path)
    )
    assert code == 1
    assert "已拒绝" in out and "合并 0 个，拒绝 2 个" in out


def test_a_database_without_a_district_is_a_clear_error(
    workbooks: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "district", "merge", str(workbooks[0]), "--db", str(tmp_path / "new.db")
    )
    assert code == 1 and "区县" in err and "Traceback" not in err


def test_report_writes_the_roll_up(
    workbooks: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jianxin, yanghe, _ = workbooks
    run(capsys, "district", "merge", str(jianxin), str(yanghe), *_new_district(tmp_path))
    out_file = tmp_path / "区汇总.xlsx"
    code, out, err = run(
        capsys,
        "district",
        "report",
        "--month",
        "2026-11",
        "--out",
        str(out_file),
        "--db",
        str(tmp_path / "district.db"),
    )
    assert code == 0, err
    assert out.strip() == f"已生成 2026年11月 区汇总：{out_file}"
    ws = load_workbook(out_file)["汇总"]
    names = [row[2] for row in ws.iter_rows(min_row=4, values_only=True) if isinstance(row[0], int)]
    assert names == ["建新东路社区", "洋河路社区"]
    code, _, err = run(
        capsys, "district", "report", "--month", "2026-13", "--db", str(tmp_path / "district.db")
    )
    assert code == 2 and "月" in err
