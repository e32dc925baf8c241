"""The call sheet and the status report, read back with openpyxl: contents in risk
order, masked IDs, text that looks like a formula stays text, atomic writes."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canxie_tui.domain.models import Person
from canxie_tui.excel import emergency_sheets
from canxie_tui.excel.cells import unescape_text
from canxie_tui.excel.emergency_sheets import CALL_SHEET_HEADERS, ExportError, put
from canxie_tui.store import emergency
from canxie_tui.store.connection import Store
from tests.conftest import Make

INJECTIONS = ['=HYPERLINK("http://x","点我")', "+8613800000000", "-1", "@SUM(A1)", "\t=1+1"]


@pytest.fixture
def register(make: Make) -> dict[str, Person]:
    oxygen = make.person(
        make.household(
            "建新东路12号 3栋1单元201",
            building="3栋",
            unit="1单元",
            room="201",
            grid="第1网格",
            flags=["alone"],
            guardian_name="王强",
            guardian_relation="儿子",
            guardian_phone="13900001111",
        ),
        "王芳",
        birth=date(1939, 5, 1),
        care_flags=["powered_device"],
        device_kind="制氧机",
        phone="13812345678",
    )
    formula = make.person(
        make.household(
            "建新东路12号 5栋2单元301",
            building="5栋",
            unit="2单元",
            room="301",
            grid="第2网格",
            emergency_contact="+86 联系人",
        ),
        INJECTIONS[0],
        care_flags=["deaf_text"],
    )
    wheel = make.person(
        make.household(
            "建新东路12号 1栋1单元101", building="1栋", unit="1单元", room="101", grid="第2网格"
        ),
        "李强",
        care_flags=["powered_device", "evac_help"],
        device_kind="电动轮椅",
    )
    make.person(make.household("北城三路8号", grid="第3网格"), "张伟", level=3)  # not listed
    return {"oxygen": oxygen, "formula": formula, "wheel": wheel}


def cells(path: Path, sheet: str | None = None) -> list[list[Any]]:
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return [list(row) for row in ws.iter_rows(values_only=True)]


def all_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    return "\n".join(
        str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value
    )


# -- the call sheet --------------------------------------------------------------------------
def test_call_sheet_in_risk_order_grouped_by_grid(
    store: Store, register: dict[str, Person], tmp_path: Path
) -> None:
    event = emergency.start_event(store, "power", "11月29日停电")
    path = emergency_sheets.write_call_sheet(store, event, out=tmp_path)
    assert path == tmp_path / "急难救助_呼叫单_11月29日停电_20261129-1000.xlsx"
    rows = cells(path)
    assert rows[0][0] == "江北区观音桥街道建新东路社区 急难救助呼叫单"
    assert "事件：11月29日停电（停电）" in rows[1][0] and "共 3 人" in rows[1][0]
    assert tuple(rows[2]) == CALL_SHEET_HEADERS
    assert rows[3][0] == "第1网格（1人）"
    assert rows[4][:9] == [
        1,
        "王芳",
        87,
        "依赖制氧机 · 独居 · 87岁",
        "3栋1单元201",
        "13812345678",
        "监护人王强（儿子） 13900001111",
        "电话",
        rows[4][8],
    ]
    assert rows[4][8].startswith("制氧机备用电源还能用多久、")
    assert rows[4][9:] == [None, None]  # 结果 and 备注 are for the pen
    assert rows[5][0] == "第2网格（2人）"
    # 电动轮椅 + evacuation outranks the deaf person in a power cut.
    assert [rows[6][1], rows[7][1]] == ["李强", INJECTIONS[0]]
    assert rows[7][7].startswith("发短信/微信文字，不要打电话；无手机号")
    assert rows[-1][0].startswith("走访人签字：") and "日期：" in rows[-1][0]
    assert "张伟" not in all_text(path)


def test_call_sheet_groups_grids_in_number_order(store: Store, make: Make, tmp_path: Path) -> None:
    """第二 before 第三 before 第十 before 第十一, though 第三 < 第二 < 第十 by code point."""
    for n, grid in enumerate(("第十网格", "第三网格", "第十一网格", "第二网格", "")):
        make.person(
            make.household(f"建新东路{n}号", grid=grid), f"住户{n}", care_flags=["powered_device"]
        )
    event = emergency.start_event(store, "power", "停电")
    sheet = emergency_sheets.write_call_sheet(store, event, out=tmp_path)
    groups = [row[0] for row in cells(sheet) if str(row[0]).endswith("人）")]
    assert groups == [
        "第二网格（1人）",
        "第三网格（1人）",
        "第十网格（1人）",
        "第十一网格（1人）",
        "未分网格（1人）",
    ]
    report = emergency_sheets.write_status_report(store, event, out=tmp_path)
    summary = [row[0] for row in cells(report, "汇总") if str(row[0]).endswith("网格")]
    assert summary == ["网格", "第二网格", "第三网格", "第十网格", "第十一网格", "未分网格"]


def test_call_sheet_prints_well(store: Store, register: dict[str, Person], tmp_path: Path) -> None:
    event = emergency.start_event(store, "heat", "高温")
    path = emergency_sheets.write_call_sheet(store, event, out=tmp_path / "sheet.xlsx")
    ws = openpyxl.load_workbook(path).worksheets[0]
    assert ws.freeze_panes == "A4"
    assert ws.print_title_rows == "$3:$3"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == int(ws.PAPERSIZE_A4) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    widths = {c: ws.column_dimensions[c].width for c in "ABDEI"}
    # CJK-aware: the reasons column is wider than the 序号 column, within its limit.
    assert widths["A"] <= 6 and 16 <= widths["D"] <= 30 and widths["I"] <= 40


def test_ids_are_masked_or_absent(
    store: Store, register: dict[str, Person], tmp_path: Path
) -> None:
    number = register["oxygen"].id_number
    event = emergency.start_event(store, "power", "停电")
    plain = emergency_sheets.write_call_sheet(store, event, out=tmp_path / "a.xlsx")
    assert number not in all_text(plain) and number[-4:] not in all_text(plain)
    shown = emergency_sheets.write_call_sheet(
        store, event, out=tmp_path / "b.xlsx", include_ids=True
    )
    rows = cells(shown)
    assert rows[2][2] == "身份证号"
    assert rows[4][1:3] == ["王芳", f"{number[:6]}********{number[-4:]}"]
    assert number not in all_text(shown)


def test_hypothetical_sheet_and_status_filter(
    store: Store, register: dict[str, Person], tmp_path: Path
) -> None:
    path = emergency_sheets.write_call_sheet(store, None, kind="flood", out=tmp_path)
    assert path.name == "急难救助_呼叫单_预案汛期_暴雨_20261129-1000.xlsx"
    assert "预案（假设事件）：汛期/暴雨" in cells(path)[1][0]
    event = emergency.start_event(store, "power", "停电")
    emergency.set_status(store, event, register["oxygen"].id, "safe")
    pending = emergency_sheets.write_call_sheet(
        store, event, status="pending", out=tmp_path / "p.xlsx"
    )
    text = all_text(pending)
    assert "王芳" not in text and "李强" in text
    assert "筛选：未联系（全部 3 人中）" in cells(pending)[1][0]


def test_sheet_holds_the_screens_filter_and_says_it(
    store: Store, register: dict[str, Person], tmp_path: Path
) -> None:
    """Issue 15: the screen's 楼栋/姓名 filter narrows the sheet, and the sheet says so."""
    event = emergency.start_event(store, "power", "停电")
    path = emergency_sheets.write_call_sheet(store, event, query="3栋", out=tmp_path / "f.xlsx")
    rows = cells(path)
    assert "共 1 人" in rows[1][0] and rows[1][0].endswith("筛选：“3栋”（全部 3 人中）")
    people = [row[1] for row in rows[3:] if isinstance(row[0], int)]
    assert people == ["王芳"]
    whole = cells(emergency_sheets.write_call_sheet(store, event, out=tmp_path / "w.xlsx"))
    assert "筛选" not in whole[1][0] and "共 3 人" in whole[1][0]


# -- text stays text ------------------------------------------------------------------------------
def test_formula_like_values_stay_text(
    store: Store, register: dict[str, Person], tmp_path: Path
) -> None:
    event = emergency.start_event(store, "power", "停电")
    for value, person in zip(INJECTIONS[1:], ("oxygen", "wheel", "formula"), strict=False):
        emergency.set_status(store, event, register[person].id, "help", value)
    report = emergency_sheets.write_status_report(store, event, out=tmp_path)
    sheet = emergency_sheets.write_call_sheet(store, event, out=tmp_path)
    wb = openpyxl.load_workbook(report)
    found = {
        c.value: c.data_type
        for row in wb["需帮助及联系不上"].iter_rows()
        for c in row
        if c.value in INJECTIONS
    }
    assert found == dict.fromkeys(["+8613800000000", "-1", "@SUM(A1)", INJECTIONS[0]], "s")
    ws = openpyxl.load_workbook(sheet).worksheets[0]
    name_cell = next(c for row in ws.iter_rows() for c in row if c.value == INJECTIONS[0])
    assert name_cell.data_type == "s" and name_cell.quotePrefix
    contact = next(
        c for row in ws.iter_rows() for c in row if str(c.value).startswith("紧急联系人+")
    )
    assert contact.value == "紧急联系人+86 联系人"  # starts with text: nothing to protect


def _written(tmp_path: Path, value: str) -> tuple[Any, str]:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    put(ws, 1, 1, value)
    path = tmp_path / "x.xlsx"
    emergency_sheets.atomic_save(lambda tmp: wb.save(tmp), path)
    cell = openpyxl.load_workbook(path).active["A1"]  # type: ignore[index]
    return cell.value, cell.data_type


@pytest.mark.parametrize("value", INJECTIONS)
def test_put_keeps_formula_like_text(tmp_path: Path, value: str) -> None:
    assert _written(tmp_path, value) == (value, "s")


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40))
def test_any_text_reads_back_as_the_same_text(tmp_path_factory: Any, value: str) -> None:
    """Whatever a name or note holds comes back as text: the same characters.  Those
    XML cannot hold (control characters, CR) are stored as Excel's _xHHHH_ escapes,
    which Excel shows as the character and openpyxl leaves for unescape_text."""
    got, data_type = _written(tmp_path_factory.mktemp("x"), value)
    assert data_type == "s"
    assert unescape_text(got) == value


def test_put_escapes_what_excel_would_unescape(tmp_path: Path) -> None:
    """A literal _x0041_ would show as "A" in Excel: its underscore is escaped."""
    assert _written(tmp_path, "x_x0041_y\x0b") == ("x_x005F_x0041_y_x000B_", "s")


# -- atomic writes ---------------------------------------------------------------------------------
def test_a_failing_writer_leaves_no_partial_file(
    store: Store, register: dict[str, Person], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = emergency.start_event(store, "power", "停电")
    target = tmp_path / "out" / "sheet.xlsx"
    target.parent.mkdir()
    target.write_bytes(b"the previous export")

    def broken_save(self: Any, filename: Any) -> None:
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("openpyxl.workbook.workbook.Workbook.save", broken_save)
    with pytest.raises(ExportError, match="磁盘空间已满"):  # one Chinese line, issue 16
        emergency_sheets.write_call_sheet(store, event, out=target)
    assert target.read_bytes() == b"the previous export"
    assert sorted(p.name for p in target.parent.iterdir()) == ["sheet.xlsx"]
    with pytest.raises(ExportError):
        emergency_sheets.write_status_report(store, event, out=tmp_path / "new")
    assert not (tmp_path / "new").exists() or not any((tmp_path / "new").iterdir())


def test_a_locked_target_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(src: Any, dst: Any) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("os.replace", refuse)
    with pytest.raises(ExportError, match="可能正在 Excel 或 WPS 中打开"):
        emergency_sheets.atomic_save(lambda tmp: tmp.write_bytes(b"x"), tmp_path / "a.xlsx")
    assert list(tmp_path.iterdir()) == []


def test_default_folder_and_names(
    store: Store, register: dict[str, Person], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CANXIE_EXPORTS", raising=False)
    event = emergency.start_event(store, "flood", 'a/b:c*?"<>| 暴雨')
    path = emergency_sheets.write_call_sheet(store, event)
    assert path == Path("exports") / "急难救助_呼叫单_a_b_c_暴雨_20261129-1000.xlsx"
    assert path.exists()
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "elsewhere"))
    report = emergency_sheets.write_status_report(store, event)
    assert report.parent == tmp_path / "elsewhere" and report.exists()


# -- the status report ----------------------------------------------------------------------------
def test_status_report_totals_and_people(
    store: Store, register: dict[str, Person], tmp_path: Path
) -> None:
    event = emergency.start_event(store, "power", "停电")
    emergency.set_status(store, event, register["oxygen"].id, "safe")
    emergency.set_status(store, event, register["wheel"].id, "help", "轮椅没电，需送充电宝")
    emergency.set_status(store, event, register["formula"].id, "unreachable")
    path = emergency_sheets.write_status_report(store, event, out=tmp_path)
    assert path.name == "急难救助_情况报告_停电_20261129-1000.xlsx"
    summary = cells(path, "汇总")
    assert summary[2][0] == (
        "截至 2026-11-29 10:00：已联系 2/3 · 安全 1 · 需要帮助 1 · 已转移 0 · 联系不上 1"
    )
    figures = {row[0]: row[1] for row in summary[5:12]}
    assert figures == {
        "应联系": 3,
        "已联系": 2,
        "安全": 1,
        "需要帮助": 1,
        "已转移": 0,
        "联系不上": 1,
        "未联系": 0,
    }
    grids = [row[:8] for row in summary[14:16]]
    assert grids == [["第1网格", 1, 1, 0, 1, 0, 0, 0], ["第2网格", 2, 1, 0, 0, 1, 0, 1]]
    people = cells(path, "需帮助及联系不上")
    assert people[2][:8] == [
        "序号",
        "姓名",
        "年龄",
        "网格",
        "楼栋单元房号",
        "情况/原因",
        "状态",
        "备注",
    ]
    assert [(r[1], r[6], r[7], r[9]) for r in people[3:]] == [
        ("李强", "需要帮助", "轮椅没电，需送充电宝", "李明"),
        (INJECTIONS[0], "联系不上", None, "李明"),
    ]
    assert people[3][8] == "2026-11-29 10:00"


def test_importing_the_emergency_modules_loads_no_openpyxl_nor_textual() -> None:
    import json
    import subprocess
    import sys

    probe = (
        "import json, sys\n"
        "import canxie_tui.excel.emergency_sheets, canxie_tui.store.emergency\n"
        "import canxie_tui.cli.emergency\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=root, check=True
    )
    loaded = json.loads(result.stdout)
    assert [m for m in loaded if m.split(".")[0] in ("openpyxl", "textual", "pypinyin")] == []
