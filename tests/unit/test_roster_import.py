"""Roster (花名册) import: a hand-made messy workbook through read → preview → apply,
the error workbook, re-import, an edited file, a crash half-way, and refused files."""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from canxie_tui.domain import ids
from canxie_tui.excel.errors import (
    CorruptWorkbookError,
    EncryptedWorkbookError,
    NotAWorkbookError,
)
from canxie_tui.excel.roster import apply as roster_apply
from canxie_tui.excel.roster import columns as roster_columns
from canxie_tui.excel.roster import importer as roster
from canxie_tui.excel.roster import plan as roster_plan
from canxie_tui.excel.roster import spool as roster_spool
from canxie_tui.store import register, tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.search import search
from tests.conftest import TODAY, open_store

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _id_with_x() -> str:
    for seq in range(1, 999):
        number = ids.make_id("500105", date(1980, 3, 4), seq)
        if number.endswith("X"):
            return number
    raise AssertionError("no ID with check character X")


WANG = ids.make_id("500105", date(1968, 5, 12), 21)  # odd sequence: 男
ZHANG = ids.make_id("510211", date(1975, 2, 3), 33)
LI = _id_with_x()
ZHAO = ids.make_id("500105", date(1990, 3, 7), 101)  # stored as a float: mangled
QIAN_GOOD = ids.make_id("500105", date(1985, 6, 1), 45)
QIAN = QIAN_GOOD[:17] + ("1" if QIAN_GOOD[17] != "1" else "2")  # wrong check digit
ZHOU = ids.make_id("500105", date(1950, 1, 9), 57)
WU = ids.make_id("500105", date(1960, 8, 8), 61)

HEADER = [
    "序号",
    "姓 名",
    "性别",
    "公民身份\n号码",
    "残疾证号",
    "残疾类别",
    "残疾等级",
    "联系电话（手机）",
    "现住址",
    "监护人",
    "监护人电话",
]


def roster_cat(cat: Any) -> int:
    from canxie_tui.domain.codes import parse_category

    found = parse_category(cat)
    assert found is not None
    return found


def _level(text: Any) -> int:
    from canxie_tui.domain.codes import parse_level

    found = parse_level(text)
    assert found is not None
    return found


def body_rows(**edits: dict[str, Any]) -> list[list[Any] | None]:
    """The data rows (None = a blank row); `edits` change cells of a row by name."""

    def person(n: int, name: str, number: Any, cat: Any, lvl: Any, **extra: Any) -> list[Any]:
        extra = {**extra, **edits.get(name, {})}
        cert = extra.pop("cert", None)
        if cert is None and isinstance(number, str):
            normal = ids.normalize(number)
            if len(normal) == 18 and ids.check_char(normal[:17]) == normal[17]:
                cert = ids.make_certificate(normal, roster_cat(cat), _level(lvl))
        return [
            n,
            name,
            extra.get("sex"),
            number,
            cert,
            cat,
            lvl,
            extra.get("phone"),
            extra.get("address"),
            extra.get("guardian"),
            extra.get("guardian_phone"),
        ]

    return [
        person(
            1,
            "王芳",
            WANG,
            "肢体残疾",
            "贰级",
            phone="13800000001",
            address="建新东路1号5栋2单元301",
            guardian="王大",
            guardian_phone="13900000001",
        ),
        person(2, "张强", ZHANG.translate(FULLWIDTH), 4, 2, address=" 建新东路1号5栋2单元301"),
        person(
            3, "李四", LI.lower(), "精神", "三级", phone="023-67771234", address="北城天街 8 号"
        ),
        None,
        person(4, "赵五", float(ZHAO), 1, 1, address="建新东路2号"),
        person(5, "钱六", QIAN, 2, 3, address="建新东路3号"),
        person(6, "孙七", WANG, 4, 2, address="建新东路4号"),
        None,
        person(7, "周八", ZHOU, 4, 3, phone="13700000002", address="观音桥1号"),
        person(8, "吴九", WU, 5, 4, phone="13600000003", address="北城天街8号"),
    ]


def write_roster(path: Path, rows: list[list[Any] | None] | None = None) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append(["江北区观音桥街道建新东路社区持证残疾人花名册"])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(["填报单位：建新东路社区", None, None, None, None, "填报日期：2026年11月"])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=5)
    ws.merge_cells(start_row=2, start_column=6, end_row=2, end_column=len(HEADER))
    ws.append(HEADER)
    for values in body_rows() if rows is None else rows:
        ws.append(values if values is not None else [])
    wb.save(path)
    return path


@pytest.fixture
def registered(store: Store) -> Store:
    """周八 (phone will change) and 吴九 (identical to the file) already in the register."""
    return add_registered(store)


def add_registered(store: Store) -> Store:
    home = register.add_household(store, {"address": "观音桥1号"})
    register.add_person(
        store,
        home.id,
        {
            "name": "周八",
            "id_number": ZHOU,
            "cert_number": ids.make_certificate(ZHOU, 4, 3),
            "category": 4,
            "level": 3,
            "phone": "13700000009",
            "relation": "户主",
        },
    )
    other = register.add_household(store, {"address": "北城天街8号"})
    register.add_person(
        store,
        other.id,
        {
            "name": "吴九",
            "id_number": WU,
            "cert_number": ids.make_certificate(WU, 5, 4),
            "category": 5,
            "level": 4,
            "phone": "13600000003",
        },
    )
    return store


def counts(store: Store) -> dict[str, int]:
    return {
        t: store.scalar(f"SELECT count(*) FROM {t}")
        for t in ("persons", "households", "audit_log", "search_terms", "person_fts")
    }


EXCEL_ID = "身份证号被Excel转换成了数值，后几位数字已丢失。请把该列单元格格式设为“文本”，再重新录入身份证号"


def test_messy_workbook_reads_with_exact_rejections(tmp_path: Path) -> None:
    file = roster.read_roster(write_roster(tmp_path / "花名册.xlsx"), today=TODAY)
    assert file.sheet == "花名册"
    assert file.header_row == 3
    assert file.columns["id_number"] == "公民身份\n号码"
    assert file.columns["cert_number"] == "残疾证号"
    assert file.columns["address"] == "现住址"
    assert file.columns["phone"] == "联系电话（手机）"
    assert file.blank_rows == 2
    accepted = {r.row: r for r in file.rows()}
    assert sorted(accepted) == [4, 5, 6, 12, 13]
    assert accepted[5].id_number == ZHANG  # full-width digits folded
    assert accepted[6].id_number == LI  # lower-case x upper-cased
    assert dict(accepted[4].person)["category"] == 4  # 肢体残疾
    assert dict(accepted[4].person)["level"] == 2  # 贰级
    assert dict(accepted[6].person)["category"] == 6
    assert dict(accepted[6].person)["phone"] == "02367771234"
    assert [(r.row, r.column, r.reason) for r in file.rejected] == [
        (8, "公民身份\n号码", EXCEL_ID),
        (
            9,
            "公民身份\n号码",
            f"身份证号校验位错误：应为{QIAN_GOOD[17]}，实际为{QIAN[17]}",
        ),
        (10, "公民身份\n号码", "与第4行身份证号重复"),
    ]
    assert file.rejected[0].value == f"{float(ZHAO):.15g}".upper()
    assert file.rejected[2].value == WANG


def test_preview_apply_and_reimport(registered: Store, tmp_path: Path) -> None:
    store = registered
    path = write_roster(tmp_path / "花名册.xlsx")
    before = counts(store)
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert plan.counts == {
        "new": 3,
        "changed": 1,
        "unchanged": 1,
        "rejected": 3,
        "new_households": 1,  # 王芳 and 张强 share one; 李四 joins 吴九's 北城天街8号
        "changed_households": 0,
    }
    [change] = plan.changed
    assert change.row == 12
    assert [(d.label, d.old, d.new) for d in change.diffs] == [
        ("联系电话", "13700000009", "13700000002")
    ]
    assert counts(store) == before  # preview writes nothing

    result = roster.apply(store, plan)
    assert (result.added, result.updated, result.households_added) == (3, 1, 1)
    assert result.backup is not None and result.backup.exists()
    after = counts(store)
    assert after["persons"] == before["persons"] + 3
    assert after["households"] == before["households"] + 1
    assert after["audit_log"] == before["audit_log"] + 5  # 1 household, 3 persons, 1 update
    from canxie_tui.store.records import verify_audit_chain

    assert verify_audit_chain(store) == []
    wang = store.query("SELECT * FROM persons WHERE id_number = ?", (WANG,))[0]
    zhang = store.query("SELECT * FROM persons WHERE id_number = ?", (ZHANG,))[0]
    li = store.query("SELECT * FROM persons WHERE id_number = ?", (LI,))[0]
    wu = store.query("SELECT * FROM persons WHERE id_number = ?", (WU,))[0]
    assert wang["household_id"] == zhang["household_id"]
    assert li["household_id"] == wu["household_id"]
    assert (wang["category"], wang["level"], wang["sex"]) == (4, 2, "男")
    home = register.get_household(store, wang["household_id"])
    assert (home.address, home.guardian_name, home.guardian_phone) == (
        "建新东路1号5栋2单元301",
        "王大",
        "13900000001",
    )
    audited = store.query(
        "SELECT action FROM audit_log WHERE record_id IN (?, ?)", (wang["id"], home.id)
    )
    assert [a["action"] for a in audited] == ["导入花名册", "导入花名册"]
    assert register.get_person(store, wang["id"]).version == 1
    assert wang["tier"] == "B" and wang["next_due_date"]  # 重度: tiers were refreshed
    for query in ("王芳", WANG[-4:]):
        assert [h.name for h in search(store, query).hits] == ["王芳"]
    assert "张强" in [h.name for h in search(store, "zq").hits]

    again = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert (again.counts["new"], again.counts["changed"], again.counts["unchanged"]) == (0, 0, 5)
    assert not again.has_changes
    settled = counts(store)
    assert roster.apply(store, again).backup is None
    assert counts(store) == settled


def test_error_workbook_contents(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "花名册 11月.xlsx")
    file = roster.read_roster(path, today=TODAY)
    out = roster.write_errors(
        file, path, out_dir=tmp_path / "exports", now=datetime(2026, 11, 29, 10, 5)
    )
    assert out == tmp_path / "exports" / "导入错误_花名册 11月_20261129-1005.xlsx"
    ws = load_workbook(out).active
    assert ws is not None
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == ["行号", "列", "值", "原因"]
    assert [r[0] for r in rows[1:]] == [8, 9, 10]
    assert rows[3] == [10, "公民身份\n号码", ids.mask_id(WANG), "与第4行身份证号重复"]
    assert WANG not in str(rows)
    assert not [p for p in (tmp_path / "exports").iterdir() if p.name.endswith(".tmp")]
    clean = roster.read_roster(write_roster(tmp_path / "ok.xlsx", body_rows()[:3]), today=TODAY)
    assert roster.write_errors(clean, tmp_path / "ok.xlsx", out_dir=tmp_path / "none") is None
    assert not (tmp_path / "none").exists()


def test_error_values_stay_text(tmp_path: Path) -> None:
    """Text that looks like a formula (typed after an apostrophe in Excel) is rejected as
    a phone and stays text in the error workbook."""
    rows = body_rows(王芳={"phone": '=HYPERLINK("http://x","点我")'})[:1]
    path = write_roster(tmp_path / "f.xlsx", rows)
    wb = load_workbook(path)
    for row in wb.active.iter_rows():  # type: ignore[union-attr]
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    wb.save(path)
    file = roster.read_roster(path, today=TODAY)
    [rejected] = file.rejected
    assert rejected.column == "联系电话（手机）"
    out = roster.write_errors(file, path, out_dir=tmp_path)
    assert out is not None
    cell = load_workbook(out).active.cell(2, 3)  # type: ignore[union-attr]
    assert cell.data_type == "s"
    assert cell.value == '=HYPERLINK("http://x","点我")'


def test_edited_file_shows_the_field_by_field_diff(registered: Store, tmp_path: Path) -> None:
    store = registered
    first = write_roster(tmp_path / "v1.xlsx")
    roster.apply(store, roster.preview(store, roster.read_roster(first, today=TODAY)))
    edited = write_roster(
        tmp_path / "v2.xlsx",
        body_rows(
            王芳={"phone": "13800000099", "guardian": "王小", "guardian_phone": None},
            吴九={"sex": "男"},
        ),
    )
    plan = roster.preview(store, roster.read_roster(edited, today=TODAY))
    assert (plan.counts["new"], plan.counts["changed"], plan.counts["unchanged"]) == (0, 1, 4)
    [change] = plan.changed
    assert change.name == "王芳" and change.row == 4
    assert [(d.label, d.old, d.new) for d in change.diffs] == [
        ("联系电话", "13800000001", "13800000099"),
        ("监护人", "王大", "王小"),
    ]
    result = roster.apply(store, plan)
    assert (result.updated, result.households_updated) == (1, 1)
    wang = register.get_person(store, change.person_id)
    home = register.get_household(store, wang.household_id)
    assert (wang.phone, wang.version) == ("13800000099", 2)
    # A blank cell never clears what the register holds.
    assert (home.guardian_name, home.guardian_phone) == ("王小", "13900000001")
    again = roster.preview(store, roster.read_roster(edited, today=TODAY))
    assert not again.has_changes


def test_sex_contradicting_the_id_is_rejected(tmp_path: Path) -> None:
    path = write_roster(tmp_path / "f.xlsx", body_rows(王芳={"sex": "女"})[:1])
    [rejected] = roster.read_roster(path, today=TODAY).rejected
    assert (rejected.row, rejected.column, rejected.reason) == (
        4,
        "性别",
        "性别“女”与身份证号不符（按身份证号应为男）",
    )


def test_crash_half_way_leaves_the_database_as_it_was(registered: Store, tmp_path: Path) -> None:
    store = registered
    rows = body_rows()
    many = [
        [
            10 + i,
            f"测试{i}",
            None,
            (n := ids.make_id("500105", date(1970, 1, 1 + i), 3)),
            ids.make_certificate(n, 4, 3),
            4,
            3,
            None,
            f"新村{i}号",
            None,
            None,
        ]
        for i in range(20)
    ]
    path = write_roster(tmp_path / "f.xlsx", [*rows, *many])
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert plan.counts["new"] == 23
    before = counts(store)
    chain = store.scalar("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    schema = store.query("SELECT type, name, sql FROM sqlite_master ORDER BY name")
    roster_apply._CHUNK, chunk = 4, roster_apply._CHUNK
    try:
        with pytest.raises(RuntimeError, match="模拟故障"):
            roster.apply(store, plan, _fail_after=12)
    finally:
        roster_apply._CHUNK = chunk
    assert counts(store) == before
    assert store.scalar("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1") == chain
    # the indexes put off until after the rows (`bulk.defer_indexes`) are back too
    assert store.query("SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert roster.apply(store, plan).added == 23  # and the plan still applies afterwards


def test_new_person_without_address_is_rejected_at_preview(store: Store, tmp_path: Path) -> None:
    path = write_roster(tmp_path / "f.xlsx", body_rows(王芳={"address": None})[:1])
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert [(r.row, r.column, r.reason) for r in plan.rejected] == [
        (4, "现住址", "新增人员须填写现住址（该人不在库中）")
    ]
    out = roster.write_errors(plan, path, out_dir=tmp_path)
    assert out is not None


def test_header_found_below_titles_on_a_later_sheet(tmp_path: Path) -> None:
    wb = Workbook()
    first = wb.active
    assert first is not None
    first.title = "说明"
    first.append(["本表由区残联下发"])
    sheet = wb.create_sheet("名单")
    for _ in range(6):
        sheet.append(["标题"])
    sheet.append(
        ["ＸＭ", "姓名：", " 身份证号码（18位）", "残疾人证号", "类别", "等级", "家庭住址"]
    )
    sheet.append([None, "王芳", WANG, None, "肢体", "二级", "x路1号"])
    path = tmp_path / "f.xlsx"
    wb.save(path)
    file = roster.read_roster(path, today=TODAY)
    assert (file.sheet, file.header_row) == ("名单", 7)
    assert [r.row for r in file.rows()] == [8]


# -- refusals -----------------------------------------------------------------------------
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def refusal(path: Path) -> Exception:
    with pytest.raises(Exception) as caught:
        roster.read_roster(path, today=TODAY)
    return caught.value


def test_refuses_old_xls(tmp_path: Path) -> None:
    path = tmp_path / "花名册.xls"
    path.write_bytes(OLE + b"\x00" * 4000)
    err = refusal(path)
    assert isinstance(err, NotAWorkbookError)
    assert "Excel 97-2003" in str(err) and "另存为" in str(err)


def test_refuses_encrypted_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "花名册.xlsx"
    path.write_bytes(OLE + b"\x00" * 600 + "EncryptionInfo".encode("utf-16-le") + b"\x00" * 600)
    err = refusal(path)
    assert isinstance(err, EncryptedWorkbookError)
    assert "密码" in str(err)


@pytest.mark.parametrize("name", ["花名册.csv", "花名册.xlsx"])
def test_refuses_csv_and_renamed_text(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("姓名,身份证号\n王芳,500105196805120211\n", encoding="utf-8")
    err = refusal(path)
    assert isinstance(err, NotAWorkbookError)
    assert "文本文件" in str(err)


def test_refuses_corrupt_zip(tmp_path: Path) -> None:
    good = write_roster(tmp_path / "good.xlsx").read_bytes()
    path = tmp_path / "坏.xlsx"
    path.write_bytes(good[: len(good) // 2])
    err = refusal(path)
    assert isinstance(err, CorruptWorkbookError)
    assert "已损坏" in str(err)


def test_refuses_damaged_sheet_xml(tmp_path: Path) -> None:
    good = write_roster(tmp_path / "good.xlsx")
    path = tmp_path / "坏.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = data[: len(data) // 2]
            dst.writestr(item, data)
    assert isinstance(refusal(path), CorruptWorkbookError)


def test_refuses_a_workbook_without_header(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["月份", "金额"])
    ws.append(["2026-11", 100])
    path = tmp_path / "账.xlsx"
    wb.save(path)
    err = refusal(path)
    assert isinstance(err, roster.NoHeaderError)
    assert "找不到花名册的表头" in str(err) and "身份证号" in str(err)


def test_refuses_a_header_missing_the_id_column(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["姓名", "残疾类别", "残疾等级"])
    path = tmp_path / "缺列.xlsx"
    wb.save(path)
    err = refusal(path)
    assert isinstance(err, roster.NoHeaderError)
    assert "第1行像是表头" in str(err) and "缺少“身份证号”列" in str(err)


# -- the spool: chunks, tiers computed on insert, stale plans ----------------------------
def _many(count: int, start: int = 0) -> list[list[Any] | None]:
    """`count` more people, two per address, 一级 (severe) for every third."""
    rows: list[list[Any] | None] = []
    for i in range(start, start + count):
        # 2,100 distinct birth dates (lcm of 50, 12, 28), then the next sequence number
        number = ids.make_id("500106", date(1950 + i % 50, 1 + i % 12, 1 + i % 28), 3 + i // 2100)
        level = 1 if i % 3 == 0 else 3
        rows.append(
            [
                100 + i,
                f"新人{i}",
                None,
                number,
                ids.make_certificate(number, 1 + i % 7, level),
                1 + i % 7,
                level,
                f"13{i:09d}",
                f"新村{i // 2}号",
                None,
                None,
            ]
        )
    return rows


def imported_state(store: Store) -> list[tuple[Any, ...]]:
    """What an import leaves, by ID number (UUIDs and pks differ between runs)."""
    people = store.query(
        "SELECT p.id_number, p.name, p.phone, p.category, p.level, p.tier, p.tier_reason, "
        "p.next_due_date, p.version, h.address, h.guardian_name, h.guardian_phone, "
        "(SELECT count(*) FROM persons m WHERE m.household_id = p.household_id) AS members, "
        "(SELECT group_concat(term || ':' || weak, ' ') FROM (SELECT term, weak FROM "
        "search_terms WHERE person_pk = p.pk ORDER BY term, weak)) AS terms, "
        "(SELECT doc FROM person_fts WHERE rowid = p.pk) AS doc "
        "FROM persons p JOIN households h ON h.id = p.household_id ORDER BY p.id_number"
    )
    return [tuple(row.values()) for row in people]


def test_small_chunks_import_exactly_what_the_default_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_roster(tmp_path / "f.xlsx", [*body_rows(), *_many(9)])
    results = []
    for name, size in (("default.db", None), ("chunked.db", 2)):
        if size is not None:  # spool flushes, preview chunks and insert batches of 2 rows
            monkeypatch.setattr(roster_spool, "_FLUSH", size)
            monkeypatch.setattr(roster_plan, "_CHUNK", size)
            monkeypatch.setattr(roster_apply, "_CHUNK", size)
        store = add_registered(open_store(tmp_path / name))
        plan = roster.preview(store, roster.read_roster(path, today=TODAY))
        result = roster.apply(store, plan)
        results.append((plan.counts, [(r.row, r.reason) for r in plan.rejected], result.added))
        results.append(imported_state(store))
        store.close()
    assert results[0] == results[2] and results[1] == results[3]
    counts, rejected, added = results[0]
    assert counts["new"] == added == 12 and counts["changed"] == 1
    assert [row for row, _ in rejected] == [8, 9, 10]


def test_tiers_and_index_written_on_insert_match_a_full_refresh(
    registered: Store, tmp_path: Path
) -> None:
    store = registered
    path = write_roster(tmp_path / "f.xlsx", [*body_rows(), *_many(7)])
    roster.apply(store, roster.preview(store, roster.read_roster(path, today=TODAY)))
    imported = imported_state(store)
    # 李四 joined 吴九's household: both now count as 一户多残 (tier B) ...
    wu = store.query("SELECT tier, tier_reason FROM persons WHERE id_number = ?", (WU,))[0]
    assert wu["tier"] == "B" and "一户多残" in wu["tier_reason"]
    # ... and two certified people at one new address as well.
    pair = store.query(
        "SELECT tier_reason FROM persons WHERE name IN ('新人1', '新人0') ORDER BY name"
    )
    assert all("一户多残" in r["tier_reason"] for r in pair)
    tiers.refresh(store)
    from canxie_tui.store.search import rebuild_index

    rebuild_index(store)
    assert imported_state(store) == imported  # nothing for a refresh or a re-index to fix


def test_a_plan_from_an_earlier_preview_is_refused(registered: Store, tmp_path: Path) -> None:
    store = registered
    file = roster.read_roster(write_roster(tmp_path / "f.xlsx"), today=TODAY)
    stale = roster.preview(store, file)
    fresh = roster.preview(store, file)
    before = counts(store)
    with pytest.raises(roster.RosterImportError, match="预览已过期"):
        roster.apply(store, stale)
    assert counts(store) == before
    assert roster.apply(store, fresh).added == 3


def test_accepted_rows_wait_in_a_private_temporary_database(tmp_path: Path) -> None:
    file = roster.read_roster(write_roster(tmp_path / "f.xlsx"), today=TODAY)
    [(_, name, filename)] = file.spool.conn.execute("PRAGMA database_list").fetchall()
    assert (name, filename) == ("main", "")  # SQLite's private temporary database: no path
    assert file.accepted == 5 and [r.row for r in file.rows()] == [4, 5, 6, 12, 13]
    file.close()
    with pytest.raises(Exception, match="closed"):
        file.spool.conn.execute("SELECT 1")


def test_garbage_collection_is_back_on_after_every_step(registered: Store, tmp_path: Path) -> None:
    """The bulk steps pause the cyclic collector; a refused file or a failed apply
    must not leave it off for the rest of the day."""
    import gc

    wb = Workbook()
    wb.active.append(["这不是花名册"])  # type: ignore[union-attr]
    wb.save(bad := tmp_path / "bad.xlsx")
    with pytest.raises(roster.NoHeaderError):  # raised half-way through the read
        roster.read_roster(bad, today=TODAY)
    assert gc.isenabled()
    plan = roster.preview(
        registered, roster.read_roster(write_roster(tmp_path / "f.xlsx"), today=TODAY)
    )
    assert gc.isenabled()
    with pytest.raises(RuntimeError, match="模拟故障"):
        roster.apply(registered, plan, _fail_after=1)
    assert gc.isenabled()


# -- hostile and damaged files ---------------------------------------------------------------
def _truncated_sheet(tmp_path: Path) -> Path:
    """A roster whose sheet XML stops in the middle of the data rows."""
    good = write_roster(tmp_path / "good.xlsx", [*body_rows(), *_many(300)])
    bad = tmp_path / "cut.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            out.writestr(item, data)
    return bad


def test_a_sheet_cut_short_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorruptWorkbookError, match=r"cut\.xlsx”已损坏"):
        roster.read_roster(_truncated_sheet(tmp_path), today=TODAY)


def _with_part(tmp_path: Path, part: str, data: bytes, *, size: int | None = None) -> Path:
    """The test roster with `part` replaced by `data` (deflated); `size` overrides the
    uncompressed size the zip declares (a lie)."""
    good = write_roster(tmp_path / "good.xlsx")
    bad = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bad, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            if item.filename != part:
                out.writestr(item, src.read(item))
        out.writestr(part, data)
    if size is not None:  # patch the central directory's uncompressed size
        raw = bytearray(bad.read_bytes())
        central = raw.rfind(part.encode()) - 46  # the name follows a 46-byte header
        assert raw[central : central + 4] == b"PK\x01\x02"
        raw[central + 24 : central + 28] = size.to_bytes(4, "little")
        bad.write_bytes(bytes(raw))
    return bad


def test_a_workbook_that_expands_beyond_the_limits_is_refused_before_reading(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shared strings that decompress to more than the limit (a zip bomb): one Chinese
    line, nothing read (the limit is lowered here: the real one is 64 MB)."""
    from canxie_tui.excel import limits
    from canxie_tui.excel.files import load_workbook

    monkeypatch.setattr(limits, "MAX_SHARED_STRINGS_BYTES", 1 << 20)
    strings = b"<sst>" + b"<si><t>" + b"A" * (3 << 20) + b"</t></si></sst>"
    bomb = _with_part(tmp_path, "xl/sharedStrings.xml", strings)
    assert bomb.stat().st_size < 100_000
    for read in (lambda: roster.read_roster(bomb, today=TODAY), lambda: load_workbook(bomb)):
        with pytest.raises(limits.OversizedWorkbookError) as caught:
            read()
        assert "bomb.xlsx”解压后远大于正常的花名册或报表" in caught.value.message
        assert "\n" not in caught.value.message


def test_a_zip_that_lies_about_its_sizes_is_refused_as_damaged(tmp_path: Path) -> None:
    strings = b"<sst>" + b"<si><t>x</t></si>" * 20_000 + b"</sst>"
    liar = _with_part(tmp_path, "xl/sharedStrings.xml", strings, size=100)
    with pytest.raises(CorruptWorkbookError, match=r"bomb\.xlsx”已损坏"):
        roster.read_roster(liar, today=TODAY)


def test_a_sheet_formatted_out_to_column_xfd_reads_up_to_its_last_header_column(
    tmp_path: Path,
) -> None:
    """16,384 columns (formatting or a stray value at XFD on every row): the rows are
    those of the header's columns, the rest is not read."""
    path = write_roster(tmp_path / "wide.xlsx")
    wb = load_workbook(path)
    ws = wb.active
    assert ws is not None
    for row in range(1, ws.max_row + 1):
        ws.cell(row=row, column=16_384, value=" ")
    wb.save(path)
    file = roster.read_roster(path, today=TODAY)
    assert [r.row for r in file.rows()] == [4, 5, 6, 12, 13]
    assert [r.row for r in file.rejected] == [8, 9, 10]


def test_a_spool_that_cannot_be_read_is_said_in_chinese(registered: Store, tmp_path: Path) -> None:
    """An SQLite failure in the spool (a full temporary folder, say) is one Chinese
    message, and the register is untouched."""
    file = roster.read_roster(write_roster(tmp_path / "f.xlsx"), today=TODAY)
    before = counts(registered)
    file.spool.conn.close()  # as good as a spool whose pages can no longer be read
    with pytest.raises(roster_spool.SpoolError, match="导入用的临时数据无法读写"):
        roster.preview(registered, file)
    assert counts(registered) == before


# -- register facts (issue 12): 户籍, certificate dates, 低保情况, insurance, subsidies --------
FACT_HEADER = [
    "姓名",
    "身份证号",
    "残疾类别",
    "残疾等级",
    "现住址",
    "户籍所在地",
    "户籍地址",
    "发证日期",
    "有效期至",
    "低保情况",
    "养老保险",
    "医疗保险",
    "困难生活补贴",
    "重度护理补贴",
]
# The same columns as other rosters head them.
FACT_VARIANTS = [
    "姓名",
    "公民身份号码",
    "类别",
    "等级",
    "家庭住址",
    "户口所在地",
    "户口地址",
    "办证日期",
    "证件有效期（至）",
    "是否低保",
    "养老保险类型",
    "医保",
    "困难残疾人生活补贴",
    "护理补贴",
]
SUN = ids.make_id("500105", date(1958, 4, 2), 71)
MA = ids.make_id("510211", date(1949, 10, 1), 83)
HE = ids.make_id("500105", date(1972, 12, 12), 95)


def fact_row(
    name: str, number: str, category: int, level: int, address: str | None, **facts: Any
) -> list[Any]:
    keys = ("hukou", "hukou_address", "issued", "valid", "poverty", "pension", "medical")
    return [
        name,
        number,
        category,
        level,
        address,
        *(facts.get(k) for k in keys),
        facts.get("living"),
        facts.get("care"),
    ]


def write_facts(path: Path, rows: list[list[Any]], header: list[str] = FACT_HEADER) -> Path:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["持证残疾人花名册（含户籍、保险、补贴）"])
    ws.append(header)
    for values in rows:
        ws.append(values)
    wb.save(path)
    return path


def test_register_fact_headers_and_their_variants() -> None:
    wanted = [
        "name",
        "id_number",
        "category",
        "level",
        "address",
        "hukou",
        "hukou_address",
        "cert_issued",
        "cert_valid_until",
        "poverty",
        "pension_scheme",
        "medical_scheme",
        "living_subsidy",
        "care_subsidy",
    ]
    for header in (FACT_HEADER, FACT_VARIANTS):
        assert list(roster.match_header(header)) == wanted
    more = {
        "户籍": "hukou",
        "户籍地": "hukou",
        "户籍详细地址": "hukou_address",
        "发证时间": "cert_issued",
        "有效期": "cert_valid_until",
        "残疾证有效期至": "cert_valid_until",
        "低保类型": "poverty",
        "低保/特困": "poverty",
        "医疗保险参保情况": "medical_scheme",
        "养老保险参保情况": "pension_scheme",
        "生活补贴": "living_subsidy",
        "重度残疾人护理补贴": "care_subsidy",
    }
    for text, key in more.items():
        assert roster.match_header([text]) == {key: 0}, text
    # No name is claimed by two fields (the first would silently lose it).
    seen: dict[str, str] = {}
    for key, names in roster_columns.HEADER_NAMES.items():
        for name in names:
            folded = roster_columns._header_key(name)
            assert seen.setdefault(folded, key) == key, name


def _facts_of(file: roster.RosterFile) -> dict[str, dict[str, Any]]:
    return {
        r.person_values()["name"]: r.person_values() | r.household_values() for r in file.rows()
    }


def test_register_facts_are_read_with_their_values_and_rejections(tmp_path: Path) -> None:
    bad = ids.make_id("500105", date(1980, 1, 1), 11)
    rows = [
        fact_row(
            "孙一", SUN, 4, 2, "建新东路1号5栋2单元301",
            hukou_address="重庆市江北区观音桥街道建新东路1号5栋2单元301",
            issued=datetime(2019, 3, 8), valid="2029年3月8日", poverty="低保",
            pension="职工", medical="城乡居民", living="是", care="未享受",
        ),
        fact_row(
            "马二", MA, 1, 1, "建新东路3号",
            hukou="四川省广安市岳池县", valid="长期", poverty="无", pension="未参保",
            medical="城镇职工", living="否", care="享受",
        ),
        fact_row(
            "何三", HE, 5, 3, "建新东路5号",
            hukou_address="重庆市渝中区解放碑街道民族路5号", issued="2016.5.1",
            valid="2016.05.01-2026.05.01", poverty="低收入",
        ),
        fact_row("吴九", WU, 5, 4, "北城天街8号"),  # no facts: none read
        fact_row("甲", bad, 4, 3, "x路1号", pension="商业保险"),
        fact_row("乙", ids.make_id("500105", date(1980, 1, 2), 11), 4, 3, "x路2号", care="待定"),
        fact_row("丙", ids.make_id("500105", date(1980, 1, 3), 11), 4, 3, "x路3号", valid="明年"),
        fact_row("丁", ids.make_id("500105", date(1980, 1, 4), 11), 4, 3, "x路4号", poverty="贫困"),
        fact_row(
            "戊", ids.make_id("500105", date(1980, 1, 5), 11), 4, 3, "x路5号", issued="2027-01-01"
        ),
        fact_row(
            "己", ids.make_id("500105", date(1980, 1, 6), 11), 4, 3, "x路6号",
            issued="2020-01-01", valid="2019-12-31",
        ),
    ]  # fmt: skip
    file = roster.read_roster(write_facts(tmp_path / "f.xlsx", rows), today=TODAY)
    facts = _facts_of(file)
    assert {k: facts["孙一"][k] for k in (*roster_columns.FACT_FIELDS, "poverty")} == {
        "hukou": "cq",
        "hukou_address": "重庆市江北区观音桥街道建新东路1号5栋2单元301",
        "apart": 0,  # the same place, written with its city, district and street
        "pension_scheme": "employee",
        "medical_scheme": "resident",
        "cert_issued": "2019-03-08",
        "cert_valid_until": "2029-03-08",
        "poverty": "dibao",
    }
    # 享受 / 未享受 read as the 两项补贴 states (未享受: 停发, nothing to stop if none)
    assert (facts["孙一"]["living_subsidy"], facts["孙一"]["care_subsidy"]) == (
        "receiving",
        "stopped",
    )
    ma = facts["马二"]
    assert (ma["hukou"], ma["apart"], ma["cert_valid_until"], ma["poverty"]) == (
        "outside",  # 户籍 outside Chongqing: 人户分离 by itself
        1,
        "",  # 长期: no end date
        "none",
    )
    assert "hukou_address" not in ma and "cert_issued" not in ma  # blank cells: nothing
    assert (ma["pension_scheme"], ma["medical_scheme"], ma["living_subsidy"]) == (
        "none",
        "employee",
        "stopped",
    )
    he = facts["何三"]
    assert (he["hukou"], he["apart"], he["cert_valid_until"], he["poverty"]) == (
        "cq",
        1,  # another road in another district
        "2026-05-01",  # the end of the range
        "low_income",
    )
    wu = facts["吴九"]
    assert not set(wu) & {*roster_columns.FACT_FIELDS, *roster_columns.BENEFIT_FIELDS, "poverty"}
    assert [(r.row, r.column, r.value, r.reason) for r in file.rejected] == [
        (
            7,
            "养老保险",
            "商业保险",
            "养老保险“商业保险”无法识别，应为城乡居民、城镇职工（职工）或未参保",
        ),
        (
            8,
            "重度护理补贴",
            "待定",
            "重度护理补贴“待定”无法识别，应为是/否（或享受/未享受/申请中/暂停/停发）",
        ),
        (
            9,
            "有效期至",
            "明年",
            "有效期至“明年”不是有效日期，请按 2026-11-29 的格式填写（没有期限的填“长期”）",
        ),
        (10, "低保情况", "贫困", "低保情况“贫困”无法识别，应为低保、特困、低保边缘、低收入或无"),
        (11, "发证日期", "2027-01-01", "发证日期不能晚于今天"),
        (12, "有效期至", "2019-12-31", "残疾人证“有效期至”应晚于发证日期"),
    ]


def test_register_fact_variants_read_the_same(tmp_path: Path) -> None:
    row = fact_row(
        "孙一", SUN, 4, 2, "建新东路1号",
        hukou="重庆市", hukou_address="江北区建新东路1号", issued=43532, valid="2029/03/08",
        poverty="是", pension="城乡居民", medical="职工", living="享受", care="否",
    )  # fmt: skip
    file = roster.read_roster(write_facts(tmp_path / "v.xlsx", [row], FACT_VARIANTS), today=TODAY)
    [read] = _facts_of(file).values()
    assert file.columns["cert_valid_until"] == "证件有效期（至）"
    assert {
        k: read[k] for k in (*roster_columns.FACT_FIELDS, "poverty", *roster_columns.BENEFIT_FIELDS)
    } == {
        "hukou": "cq",
        "hukou_address": "江北区建新东路1号",
        "apart": 0,
        "pension_scheme": "resident",
        "medical_scheme": "employee",
        "cert_issued": "2019-03-08",  # Excel's serial number of a date without its format
        "cert_valid_until": "2029-03-08",
        "poverty": "dibao",  # 是否低保：是
        "living_subsidy": "receiving",
        "care_subsidy": "stopped",
    }


@pytest.mark.parametrize(
    ("column", "text", "code"),
    [
        ("低保情况", "低保边缘家庭", "dibao_edge"),
        ("低保情况", "城市低保户", "dibao"),
        ("低保情况", "特困人员", "tekun"),
        ("低保情况", "低收入家庭", "low_income"),
        ("低保情况", "否", "none"),
        ("养老保险", "城镇职工基本养老保险", "employee"),
        ("养老保险", "城乡居民养老保险", "resident"),
        ("医疗保险", "职工医保", "employee"),
        ("医疗保险", "无", "none"),
    ],
)
def test_register_fact_values_as_rosters_write_them(
    tmp_path: Path, column: str, text: str, code: str
) -> None:
    header = ["姓名", "身份证号", "残疾类别", "残疾等级", column]
    path = write_facts(tmp_path / "w.xlsx", [["孙一", SUN, 4, 2, text]], header)
    file = roster.read_roster(path, today=TODAY)
    assert not file.rejected
    [read] = _facts_of(file).values()
    key = {"低保情况": "poverty", "养老保险": "pension_scheme", "医疗保险": "medical_scheme"}
    assert read[key[column]] == code


def test_hukou_kind_in_a_hukou_column_is_refused(tmp_path: Path) -> None:
    header = ["姓名", "身份证号", "残疾类别", "残疾等级", "户籍"]
    path = write_facts(tmp_path / "k.xlsx", [["孙一", SUN, 4, 2, "非农业"]], header)
    [rejected] = roster.read_roster(path, today=TODAY).rejected
    assert (rejected.column, rejected.reason) == (
        "户籍",
        "户籍所在地“非农业”是户口性质，这一列应填重庆市内、重庆市外或户籍地址",
    )


@pytest.mark.parametrize(
    ("hukou_address", "address", "same"),
    [
        ("重庆市江北区观音桥街道建新东路1号5栋2单元301", "建新东路1号 5栋2单元301", True),
        ("江北区建新东路1号", "观音桥街道建新东路1号5栋2单元301", True),
        ("重庆市江北区", "建新东路1号", True),  # names no door: not a clear difference
        ("重庆市江北区建新东路2号", "建新东路1号", False),
        ("建新东路1号5栋2单元302", "建新东路1号5栋2单元301", False),
        ("重庆市渝中区解放碑街道民族路5号", "观音桥街道建新东路1号", False),
    ],
)
def test_same_place(hukou_address: str, address: str, same: bool) -> None:
    assert roster_columns.same_place(hukou_address, address) is same


def add_with_facts(store: Store) -> tuple[str, str]:
    """孙一 in a 低保边缘 household living alone, with benefits the roster does not name."""
    home = register.add_household(
        store, {"address": "建新东路1号5栋2单元301", "flags": ["dibao_edge", "alone"]}
    )
    person = register.add_person(
        store,
        home.id,
        {
            "name": "孙一",
            "id_number": SUN,
            "cert_number": ids.make_certificate(SUN, 4, 2),
            "category": 4,
            "level": 2,
            "benefits": ["care_subsidy", "family_doctor", "rehab_received"],
            "cert_issued": "2016-03-08",
            "cert_valid_until": "2026-03-08",
            "medical_scheme": "resident",
        },
    )
    return home.id, person.id


def sun_and_ma() -> list[list[Any]]:
    """孙一 (registered: facts change) and 马二 (new, in a new 特困 household)."""
    return [
        fact_row(
            "孙一", SUN, 4, 2, None,  # no 现住址: the household's address stays
            hukou_address="四川省岳池县九龙镇", issued="2026-03-01", valid="长期",
            poverty="低保", pension="城镇职工", medical="城乡居民", living="是", care="否",
        ),
        fact_row(
            "马二", MA, 4, 3, "建新东路9号",
            hukou="市内", hukou_address="建新东路9号", poverty="特困",
            pension="城乡居民", medical="城乡居民", living="否", care="是",
        ),
    ]  # fmt: skip


def test_register_facts_preview_apply_merge_and_reimport(store: Store, tmp_path: Path) -> None:
    home_id, sun_id = add_with_facts(store)
    path = write_facts(tmp_path / "f.xlsx", sun_and_ma())
    before = counts(store)
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert plan.counts == {
        "new": 1,
        "changed": 1,
        "unchanged": 0,
        "rejected": 0,
        "new_households": 1,
        "changed_households": 1,
    }
    [change] = plan.changed
    assert [(d.label, d.old, d.new) for d in change.diffs] == [
        ("户籍所在地", "重庆市内", "重庆市外"),
        ("户籍地址", "", "四川省岳池县九龙镇"),
        ("人户分离", "否", "是"),
        ("发证日期", "2016-03-08", "2026-03-01"),
        ("有效期至", "2026-03-08", ""),  # 长期
        ("养老保险", "", "城镇职工"),
        ("困难生活补贴", "未享受", "享受"),
        ("重度护理补贴", "享受", "未享受"),
        ("低保情况", "低保边缘", "低保"),  # the household's, shown on its first row
    ]
    assert counts(store) == before  # preview writes nothing

    result = roster.apply(store, plan)
    assert (result.added, result.updated, result.households_added) == (1, 1, 1)
    assert result.households_updated == 1
    sun = register.get_person(store, sun_id)
    assert (sun.hukou, sun.hukou_address, sun.apart) == ("outside", "四川省岳池县九龙镇", True)
    assert (sun.cert_issued, sun.cert_valid_until) == ("2026-03-01", "")
    assert (sun.pension_scheme, sun.medical_scheme) == ("employee", "resident")
    # Benefits merged: the two subsidies as the roster says, the others kept.
    assert sun.benefits == {"living_subsidy", "family_doctor", "rehab_received"}
    # Flags merged: 低保情况 replaced, 独居 kept.
    assert register.get_household(store, home_id).flags == {"dibao", "alone"}
    ma = store.query("SELECT * FROM persons WHERE id_number = ?", (MA,))[0]
    assert (ma["hukou"], ma["hukou_address"], ma["apart"]) == ("cq", "建新东路9号", 0)
    assert (ma["pension_scheme"], ma["medical_scheme"]) == ("resident", "resident")
    assert ma["benefits"] == '["care_subsidy"]'
    ma_home = register.get_household(store, ma["household_id"])
    assert ma_home.flags == {"tekun"}
    assert ma["tier"] == "B" and "特困" in ma["tier_reason"]  # the new household's flag counts
    from canxie_tui.store.records import verify_audit_chain

    assert verify_audit_chain(store) == []
    actions = store.query(
        "SELECT table_name, action FROM audit_log WHERE record_id IN (?, ?, ?, ?) ORDER BY seq",
        (sun_id, home_id, ma["id"], ma_home.id),
    )
    assert [(a["table_name"], a["action"]) for a in actions][-4:] == [
        ("households", "修改"),
        ("persons", "修改"),
        ("households", "导入花名册"),
        ("persons", "导入花名册"),
    ]

    # The same file again: nothing to change.
    again = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert (again.counts["changed"], again.counts["unchanged"], again.counts["new"]) == (0, 2, 0)
    assert not again.has_changes
    # Blank cells change nothing either.
    blank = write_facts(tmp_path / "blank.xlsx", [fact_row("孙一", SUN, 4, 2, None)])
    assert not roster.preview(store, roster.read_roster(blank, today=TODAY)).has_changes


def test_register_facts_checked_against_what_the_register_holds(
    store: Store, tmp_path: Path
) -> None:
    add_with_facts(store)
    # 有效期至 before the 发证日期 the register holds.
    path = write_facts(tmp_path / "f.xlsx", [fact_row("孙一", SUN, 4, 2, None, valid="2015-01-01")])
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert [(r.row, r.column, r.reason) for r in plan.rejected] == [
        (3, "有效期至", "残疾人证“有效期至”应晚于发证日期（与库中已登记的信息合并后）")
    ]
    assert not plan.has_changes
