"""`canxie import roster`: preview, dry run, apply, re-import, JSON, refused files.

The subcommand is in `canxie_tui.cli.roster`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canxie_tui.domain.ids import mask_id
from canxie_tui.store import session
from tests.conftest import open_store
from tests.e2e.test_cli import run
from tests.unit.test_roster_import import WANG, ZHANG, write_roster


@pytest.fixture(autouse=True)
def exports_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "exports"))


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "canxie.db"
    open_store(path).close()
    return path


def persons(db: Path) -> int:
    store = session.open_store(db, create=False)
    try:
        return int(store.scalar("SELECT count(*) FROM persons"))
    finally:
        store.close()


def test_dry_run_previews_and_writes_nothing_but_the_error_file(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_roster(tmp_path / "花名册.xlsx")
    code, out, err = run(capsys, "--db", str(db), "import", "roster", str(file), "--dry-run")
    assert code == 0, err
    assert "表头在第3行" in out
    assert "新增 5 人（新建 3 户），变更 0 人，未变 0 人，有误 3 行。" in out
    assert "数据库未做任何修改" in out
    assert persons(db) == 0
    [errors] = (tmp_path / "exports").iterdir()
    assert errors.name.startswith("导入错误_花名册_") and str(errors) in out
    assert not (db.parent / "backups").exists() or not any(
        "before-import" in p.name for p in (db.parent / "backups").iterdir()
    )


def test_import_applies_then_a_second_import_changes_nothing(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = write_roster(tmp_path / "花名册.xlsx")
    code, out, err = run(capsys, "--db", str(db), "import", "roster", str(file))
    assert code == 0, err
    assert "已导入：新增 5 人、3 户，更新 0 人、0 户。" in out
    assert "before-import" in out
    assert persons(db) == 5
    code, out, err = run(capsys, "--db", str(db), "import", "roster", str(file), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["counts"]["new"] == 0 and data["counts"]["changed"] == 0
    assert data["counts"]["unchanged"] == 5 and data["counts"]["rejected"] == 3
    assert data["applied"] is False
    assert [r["row"] for r in data["rejected"]] == [8, 9, 10]
    assert persons(db) == 5


def test_changed_fields_are_listed_with_masked_ids(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unit.test_roster_import import body_rows

    run(capsys, "--db", str(db), "import", "roster", str(write_roster(tmp_path / "a.xlsx")))
    edited = write_roster(tmp_path / "b.xlsx", body_rows(张强={"phone": "13511112222"}))
    code, out, err = run(capsys, "--db", str(db), "import", "roster", str(edited), "--json")
    assert code == 0, err
    [change] = json.loads(out)["changed"]
    assert change["name"] == "张强" and change["id_number"] == mask_id(ZHANG)
    assert change["fields"] == [
        {"field": "phone", "label": "联系电话", "old": "", "new": "13511112222"}
    ]
    assert ZHANG not in out and WANG not in out.replace(mask_id(WANG), "")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "Excel 97-2003"),
        ("a.csv", "姓名,身份证号\n".encode(), "文本文件"),
        ("a.xlsx", b"PK\x03\x04 broken", "已损坏"),
    ],
    ids=["xls", "csv", "corrupt"],
)
def test_refused_files_get_one_chinese_line_and_change_nothing(
    db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: bytes,
    message: str,
) -> None:
    file = tmp_path / name
    file.write_bytes(content)
    code, _, err = run(capsys, "--db", str(db), "import", "roster", str(file))
    assert code == 1
    assert err.startswith("错误：") and message in err and "Traceback" not in err
    assert err.count("\n") == 1
    assert persons(db) == 0
    assert not (tmp_path / "exports").exists()


def test_register_facts_are_imported_and_their_changes_listed(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.unit.test_roster_import import MA, SUN, fact_row, write_facts

    def roster(name: str, poverty: str, living: str) -> Path:
        rows = [
            fact_row(
                "孙一", SUN, 4, 2, "建新东路1号",
                hukou_address="四川省岳池县", valid="长期", poverty=poverty,
                pension="城镇职工", medical="城乡居民", living=living, care="是",
            ),
            fact_row("马二", MA, 1, 1, "建新东路3号", poverty="无", valid="2031年1月1日"),
        ]  # fmt: skip
        return write_facts(tmp_path / name, rows)

    first = roster("a.xlsx", "低保", "是")
    code, out, err = run(capsys, "--db", str(db), "import", "roster", str(first))
    assert code == 0, err
    assert "已导入：新增 2 人、2 户" in out
    store = session.open_store(db, create=False)
    try:
        sun = store.query(
            "SELECT p.hukou, p.apart, p.pension_scheme, p.benefits, h.flags FROM persons p "
            "JOIN households h ON h.id = p.household_id WHERE p.id_number = ?",
            (SUN,),
        )[0]
    finally:
        store.close()
    assert sun == {
        "hukou": "outside",
        "apart": 1,
        "pension_scheme": "employee",
        "benefits": '["care_subsidy", "living_subsidy"]',
        "flags": '["dibao"]',
    }
    code, out, err = run(capsys, "--db", str(db), "import", "roster", str(first), "--json")
    assert code == 0, err
    assert json.loads(out)["counts"]["unchanged"] == 2 and not json.loads(out)["changed"]

    edited = roster("b.xlsx", "特困", "否")
    code, out, err = run(capsys, "--db", str(db), "import", "roster", str(edited), "--dry-run")
    assert code == 0, err
    assert "困难生活补贴" in out and "低保情况" in out and "特困" in out
    code, out, err = run(capsys, "--db", str(db), "import", "roster", str(edited), "--json")
    assert code == 0, err
    [change] = json.loads(out)["changed"]
    assert change["fields"] == [
        {"field": "living_subsidy", "label": "困难生活补贴", "old": "享受", "new": "未享受"},
        {"field": "poverty", "label": "低保情况", "old": "低保", "new": "特困"},
    ]
