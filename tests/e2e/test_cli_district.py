"""`canxie district merge` and `canxie district report` on real workbooks.

Two communities of 江北区 export November 2026 (`tests.conftest.build_month`); a
third workbook comes from 渝北区.  The subcommands are in `canxie_tui.cli.district`.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canxie_tui.domain.models import Site
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.store import session, site
from tests.conftest import DISTRICT_SECRET, SITE, Make, build_month, give_key, open_store
from tests.e2e.test_cli import run

YANGHE = Site("江北区", "500105", "观音桥街道", "500105006", "洋河路社区", "500105006002")
YUBEI = Site("渝北区", "500112", "龙溪街道", "500112001", "松牌路社区", "500112001001")


def _workbook(folder: Path, name: str, where: Site, first_id: int) -> Path:
    store = open_store(folder / f"{name}.db")
    if where != SITE:
        site.save_site(store, where)
        give_key(store, where.community_code)  # the key its district issued to it
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
    """A district database with the tests' secret (its communities hold the keys it issues)."""
    from canxie_tui.store.district import set_district

    db = tmp_path / "district.db"
    if not db.exists():
        store = session.open_store(db)
        set_district(store, "江北区", "500105", secret=DISTRICT_SECRET)
        store.close()
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


def _edited_apart(folder: Path) -> tuple[Path, Path, Path]:
    """A community's export, then two copies of it that changed one household differently."""
    import shutil

    from canxie_tui.store import records

    base = _workbook(folder, "base", SITE, 1)
    shutil.copy(folder / "base.db", folder / "copy.db")
    out = []
    for name, phone in (("base", "13800000001"), ("copy", "13900000002")):
        store = open_store(folder / f"{name}.db")
        home = store.query("SELECT id, version FROM households WHERE address = '建新东路1号'")[0]
        records.update(
            store, "households", home["id"], {"phone": phone}, expected_version=home["version"]
        )
        out.append(export_monthly(store, 2026, 11, out=folder / f"{name}_edited.xlsx"))
        store.close()
    return base, out[0], out[1]


def test_conflicts_are_listed_and_resolved(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, edited, other = _edited_apart(tmp_path)
    db = ["--db", str(tmp_path / "district.db")]
    code, out, err = run(
        capsys, "district", "merge", str(base), str(edited), str(other), *_new_district(tmp_path)
    )
    assert code == 0, err
    assert "1 条冲突待处理" in out

    code, out, err = run(capsys, "district", "conflicts", *db)
    assert code == 0, err
    lines = out.splitlines()
    assert "户 建新东路1号" in lines[0] and "copy_edited.xlsx" in lines[0] and "待处理" in lines[0]
    assert "    电话：13800000001 → 13900000002" in lines
    assert "待处理 1 条" in out
    code, out, _ = run(capsys, "district", "conflicts", "--json", *db)
    (conflict,) = json.loads(out)
    assert conflict["status"] == "open"
    assert {
        "field": "phone",
        "label": "电话",
        "district": "13800000001",
        "incoming": "13900000002",
    } in conflict["changes"]

    code, out, err = run(
        capsys, "district", "resolve", conflict["id"][:8], "--keep", "incoming", *db
    )
    assert code == 0, err
    assert "已处理：采用月报的版本" in out and "还有 0 条" in out
    store = session.open_store(tmp_path / "district.db", create=False)
    phone = store.scalar("SELECT phone FROM households WHERE id = ?", (conflict["record_id"],))
    store.close()
    assert phone == "13900000002"

    code, out, _ = run(capsys, "district", "conflicts", *db)
    assert out.strip() == "没有待处理的合并冲突。"
    code, out, _ = run(capsys, "district", "conflicts", "--all", *db)
    assert "已处理：采用月报的版本" in out
    # The same workbook again raises nothing; resolving twice or a bad id is refused.
    code, out, err = run(capsys, "district", "merge", str(other), "--json", *db)
    assert code == 0, err
    assert json.loads(out)["totals"]["conflicts"] == 0
    code, _, err = run(capsys, "district", "resolve", conflict["id"], "--keep", "district", *db)
    assert code == 1 and "处理过" in err
    code, _, err = run(capsys, "district", "resolve", "ffffffff", "--keep", "district", *db)
    assert code == 1 and "没有编号" in err
    code, _, err = run(capsys, "district", "resolve", conflict["id"], "--keep", "both", *db)
    assert code == 2


def test_resolving_with_the_district_version_keeps_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, edited, other = _edited_apart(tmp_path)
    db = ["--db", str(tmp_path / "district.db")]
    run(capsys, "district", "merge", str(base), str(edited), str(other), *_new_district(tmp_path))
    _, out, _ = run(capsys, "district", "conflicts", "--json", *db)
    (conflict,) = json.loads(out)
    code, out, err = run(capsys, "district", "resolve", conflict["id"], "--keep", "district", *db)
    assert code == 0, err
    assert "保留区里的版本" in out
    _, out, _ = run(capsys, "district", "merge", str(other), "--json", *db)
    assert json.loads(out)["totals"]["conflicts"] == 0
    store = session.open_store(tmp_path / "district.db", create=False)
    phone = store.scalar("SELECT phone FROM households WHERE id = ?", (conflict["record_id"],))
    store.close()
    assert phone == "13800000001"
