"""The shared Excel helpers: safe cells, widths, print setup, lossless data, atomic saves,
and telling a real .xlsx from the files people send instead."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from canxie_tui.excel import table as table_module
from canxie_tui.excel.book import Book
from canxie_tui.excel.cells import (
    data_value,
    escape_text,
    read_data_rows,
    text_width,
    unescape_text,
)
from canxie_tui.excel.errors import (
    CorruptWorkbookError,
    EncryptedWorkbookError,
    ExportError,
    NotAWorkbookError,
)
from canxie_tui.excel.files import (
    atomic_save,
    check_xlsx,
    exports_dir,
    safe_filename,
)
from canxie_tui.excel.files import load_workbook as load_checked_workbook
from canxie_tui.excel.table import LINE, MIN_WIDTH, Column, Heading, setup_print

INJECTIONS = [
    '=HYPERLINK("http://x","点我")',
    "+8613800000000",
    "-1",
    "@SUM(A1)",
    "\tx",
    "\r=1+1",
    "#N/A",
    "#NULL!",
    "=",
]
HEADING = Heading(
    "江北区观音桥街道建新东路社区",
    "残疾人工作月报",
    "2026年11月",
    "建新东路社区",
    "李明",
    "2026年11月29日",
)


def _write(tmp_path: Path, rows: list[list[Any]], columns: list[Column] | None = None) -> Path:
    book = Book()
    sheet = book.table("表", columns or [Column("甲"), Column("乙")], heading=HEADING)
    for row in rows:
        sheet.append(row)
    data = book.data_sheet("_数据_x", ["a", "b"])
    for row in rows:
        data.append(row)
    return book.save(tmp_path / "t.xlsx")


@pytest.mark.parametrize("read_only", [True, False])
def test_formula_injection_reads_back_as_text(tmp_path: Path, read_only: bool) -> None:
    path = _write(tmp_path, [[text, text] for text in INJECTIONS])
    wb = load_workbook(path, read_only=read_only)
    for name, first in (("表", 4), ("_数据_x", 2)):
        cells = [row[0] for row in wb[name].iter_rows(min_row=first)]
        assert len(cells) == len(INJECTIONS)
        for text, cell in zip(INJECTIONS, cells, strict=True):
            assert cell.data_type == "s", (name, text)
            assert unescape_text(cell.value) == text
            if "\r" not in text:
                assert cell.value == text  # stored as is: any reader sees the same text
    wb.close()
    raw = b"".join(
        zipfile.ZipFile(path).read(n)
        for n in zipfile.ZipFile(path).namelist()
        if "worksheets/" in n
    )
    assert b"<f>" not in raw and b"<f " not in raw


def test_print_cells_starting_like_a_formula_get_the_quote_prefix(tmp_path: Path) -> None:
    path = _write(tmp_path, [["=1+1", "普通文字"], ["-1", "@x"]])
    ws = load_workbook(path)["表"]
    assert ws["A4"].quotePrefix and ws["A5"].quotePrefix and ws["B5"].quotePrefix
    assert not ws["B4"].quotePrefix
    assert ws["A4"].border.left.style == "thin"  # the quote prefix keeps the cell's look


def test_escaping_round_trips_awkward_texts() -> None:
    for text in ["_x0041_", "a_x005F_b", "_x0041__x0042_", "\x00\x07\r\n", "\ufffe", "普通", ""]:
        assert unescape_text(escape_text(text)) == text
    assert escape_text("a\rb") == "a_x000D_b"
    assert escape_text("_x0041_") == "_x005F_x0041_"


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.one_of(
            st.none(),
            st.text(max_size=40),
            st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
            st.sampled_from([*INJECTIONS, "", "_x000D_", "0123", "1e5", "TRUE"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_data_cells_read_back_exactly(tmp_path: Path, values: list[Any]) -> None:
    book = Book()
    sheet = book.data_sheet("_数据_x", [f"c{i}" for i in range(len(values))], hidden=False)
    sheet.append(values)
    sheet.append(["id", *values[1:]])  # a row that is never all empty
    path = book.save(tmp_path / "h.xlsx")
    wb = load_workbook(path, read_only=True)
    rows = list(read_data_rows(wb["_数据_x"], len(values)))
    wb.close()
    expected = [None if v is None else v for v in values]
    assert rows[0] == expected
    assert [type(v) for v in rows[0]] == [type(v) for v in expected]


def test_null_and_empty_text_stay_apart(tmp_path: Path) -> None:
    book = Book()
    sheet = book.data_sheet("_数据_x", ["a", "b", "c"], hidden=False)
    sheet.append([None, "", 0])
    path = book.save(tmp_path / "n.xlsx")
    wb = load_workbook(path, read_only=True)
    assert list(read_data_rows(wb["_数据_x"], 3)) == [[None, "", 0]]
    wb.close()


def test_numbers_excel_cannot_keep_are_refused() -> None:
    with pytest.raises(ExportError, match="15 位"):
        data_value(None, 10**16)
    with pytest.raises(ExportError):
        data_value(None, 0.1 + 0.2)
    with pytest.raises(ExportError):
        data_value(None, b"bytes")


def test_data_sheet_checksum_is_over_canonical_content() -> None:
    import hashlib

    book = Book()
    sheet = book.data_sheet("_数据_x", ["a", "b"])
    sheet.append(["甲", None])
    expected = hashlib.sha256(b'["a","b"]\n["\xe7\x94\xb2",null]\n').hexdigest()
    assert sheet.sha256 == expected
    book.discard()


# -- widths -----------------------------------------------------------------------------------
def test_widths_count_chinese_characters_double(tmp_path: Path) -> None:
    columns = [
        Column("A"),
        Column("B"),
        Column("C", max_width=12),
        Column("D", width=7),
        Column("E"),
    ]
    path = _write(
        tmp_path,
        [["abcd", "王芳王芳", "很长很长很长很长很长很长的地址", "x", "第一行\n长一点的第二行"]],
        columns,
    )
    ws = load_workbook(path)["表"]
    widths = [ws.column_dimensions[c].width for c in "ABCDE"]
    assert widths[0] == 4 + 2  # "abcd"
    assert widths[1] == 8 + 2  # 4 CJK characters are 8 cells
    assert widths[2] == 12  # capped
    assert widths[3] == 7  # fixed
    assert widths[4] == 14 + 2  # the longest line
    assert text_width("王芳ab") == 6 and text_width(12.5) == 4


def test_widths_measured_from_the_first_rows_then_streamed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(table_module, "SAMPLE_ROWS", 5)
    book = Book()
    sheet = book.table("表", [Column("甲")])
    for n in range(20):
        sheet.append(["短" if n < 10 else "很长很长很长很长很长"])
    assert sheet._pending is None  # streaming after the sample
    path = book.save(tmp_path / "s.xlsx")
    ws = load_workbook(path)["表"]
    assert ws.column_dimensions["A"].width == MIN_WIDTH
    assert ws.max_row == 21


# -- print setup -----------------------------------------------------------------------------
def test_table_sheet_print_setup(tmp_path: Path) -> None:
    path = _write(tmp_path, [["a", "b"]])
    ws = load_workbook(path)["表"]
    assert ws["A1"].value == "江北区观音桥街道建新东路社区残疾人工作月报（2026年11月）·表"
    assert (
        ws["A2"].value
        == "填报单位：建新东路社区\u3000\u3000填报人：李明\u3000\u3000填报日期：2026年11月29日"
    )
    assert ws["A3"].font.b and ws["A3"].fill.fgColor.rgb.endswith("D9D9D9")
    assert ws.freeze_panes == "A4" and ws.print_title_rows == "$1:$3"
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
    assert ws.page_setup.fitToWidth == 1 and ws.page_setup.fitToHeight == 0
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"


def test_setup_print_on_an_ordinary_worksheet(tmp_path: Path) -> None:
    wb = Workbook()
    setup_print(wb.active, repeat_rows=2, landscape=False)
    wb.save(tmp_path / "o.xlsx")
    ws = load_workbook(tmp_path / "o.xlsx").active
    assert ws.page_setup.orientation == "portrait" and ws.print_title_rows == "$1:$2"


def test_blank_reporter_leaves_room_to_sign() -> None:
    assert (
        Heading("某社区", "月报").info_line().startswith("填报单位：\u3000\u3000\u3000\u3000\u3000")
    )


# -- atomic saves ------------------------------------------------------------------------------
def test_atomic_save_replaces_only_when_complete(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.xlsx"
    atomic_save(lambda p: p.write_bytes(b"one"), target)
    assert target.read_bytes() == b"one"

    def half_then_fail(path: Path) -> None:
        path.write_bytes(b"half a work")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_save(half_then_fail, target)
    assert target.read_bytes() == b"one"
    assert sorted(p.name for p in target.parent.iterdir()) == ["a.xlsx"]


def test_atomic_save_leaves_nothing_when_there_was_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        atomic_save(lambda p: (_ for _ in ()).throw(KeyboardInterrupt()), tmp_path / "b.xlsx")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_saved_file_is_private(tmp_path: Path) -> None:
    path = atomic_save(lambda p: p.write_bytes(b"x"), tmp_path / "p.xlsx")
    assert path.stat().st_mode & 0o077 == 0


def test_atomic_save_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="文件夹"):
        atomic_save(lambda p: None, tmp_path)


def test_a_book_failing_midway_leaves_no_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl.worksheet import _writer

    before = set(_writer.ALL_TEMP_FILES)
    book = Book()
    sheet = book.table("表", [Column("甲")])
    for n in range(3000):  # past the sample: rows already streamed to openpyxl's temp file
        sheet.append([f"第{n}行"])
    assert set(_writer.ALL_TEMP_FILES) - before  # there is something to clean up

    def broken_zip(*args: Any, **kwargs: Any) -> None:
        raise OSError("no space left")

    monkeypatch.setattr(book.wb, "save", broken_zip)
    with pytest.raises(OSError):
        book.save(tmp_path / "x.xlsx")
    assert list(tmp_path.iterdir()) == []
    assert set(_writer.ALL_TEMP_FILES) == before


def test_book_as_context_manager_discards_on_error(tmp_path: Path) -> None:
    from openpyxl.worksheet import _writer

    before = set(_writer.ALL_TEMP_FILES)
    with pytest.raises(RuntimeError), Book() as book:
        book.data_sheet("_数据_x", ["a"]).append(["x"])
        raise RuntimeError
    assert set(_writer.ALL_TEMP_FILES) == before


def test_exports_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CANXIE_EXPORTS", raising=False)
    assert exports_dir() == Path("exports")
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path))
    assert exports_dir() == tmp_path
    assert safe_filename('建新/东路:社区*"?') == "建新_东路_社区_"
    assert safe_filename(" .. ") == "未命名"


# -- telling files apart -----------------------------------------------------------------------
def test_check_xlsx_messages(tmp_path: Path) -> None:
    def message(name: str, content: bytes) -> str:
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(NotAWorkbookError) as caught:
            check_xlsx(path)
        return caught.value.message

    assert "文本文件（可能是改了扩展名的 CSV）" in message(
        "a.xlsx", "姓名,电话\n王芳,1\n".encode("gbk")
    )
    assert "文本文件" in message("u.xlsx", "\ufeff姓名\t电话\n".encode("utf-16"))
    assert "空文件" in message("e.xlsx", b"")
    assert ".xls" in message("old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    assert "不是 Excel 工作簿（.xlsx）文件" in message("b.xlsx", bytes(range(256)) * 4)
    zipped = tmp_path / "z.zip"
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "hello")
    assert "压缩包" in message("z.xlsx", zipped.read_bytes())
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert "ODS" in message("o.xlsx", zipped.read_bytes())
    with pytest.raises(NotAWorkbookError, match="找不到文件"):
        check_xlsx(tmp_path / "missing.xlsx")
    with pytest.raises(NotAWorkbookError, match="文件夹"):
        check_xlsx(tmp_path)


def test_encrypted_and_damaged_workbooks(tmp_path: Path) -> None:
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 3000 + "EncryptionInfo".encode("utf-16-le")
    )
    with pytest.raises(EncryptedWorkbookError, match="打开密码"):
        check_xlsx(encrypted)
    good = tmp_path / "good.xlsx"
    Workbook().save(good)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(good.read_bytes()[:200])
    with pytest.raises(CorruptWorkbookError, match="已损坏"):
        load_checked_workbook(broken)
    assert check_xlsx(good) == good


def test_importing_the_helpers_does_not_load_openpyxl() -> None:
    code = "import sys, canxie_tui.excel.cells, canxie_tui.excel.table, canxie_tui.excel.book, canxie_tui.excel.files, canxie_tui.excel.monthly_return, canxie_tui.excel.return_reader; print('openpyxl' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_rows_with_wrapped_text_get_their_height(tmp_path: Path) -> None:
    columns = [Column("甲", width=10), Column("乙", width=12, wrap=True)]
    path = _write(
        tmp_path, [["a", "短"], ["b", "第一行\n第二行\n第三行"], ["c", "很长" * 12]], columns
    )
    ws = load_workbook(path)["表"]
    assert ws.row_dimensions[4].height is None  # one line: left to the spreadsheet
    assert ws.row_dimensions[5].height == 3 * LINE + 2
    assert ws.row_dimensions[6].height == 5 * LINE + 2  # 48 cells in 10.5 a line
    assert ws.row_dimensions[1].height == 26  # the title


def test_narrower_rows_and_merged_cells(tmp_path: Path) -> None:
    book = Book()
    sheet = book.table("表", [Column("甲", width=8), Column("乙", width=8), Column("丙", width=8)])
    sheet.append(["x", 1], columns=2)
    sheet.append(["标签", "合并的很长很长的说明文字"], merge=((2, 3),))
    path = book.save(tmp_path / "n.xlsx")
    ws = load_workbook(path)["表"]
    assert ws["C2"].border.left.style is None and ws["B2"].border.left.style == "thin"
    assert "B3:C3" in {str(r) for r in ws.merged_cells}


def test_a_failed_encryption_is_told_in_chinese_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from msoffcrypto.format.ooxml import OOXMLFile

    from canxie_tui.excel.encrypt import encrypt_file
    from canxie_tui.excel.errors import ExportError

    plain = tmp_path / "plain.xlsx"
    Workbook().save(plain)

    def broken(*_: object) -> None:
        raise ValueError("Unsupported key derivation")

    monkeypatch.setattr(OOXMLFile, "encrypt", broken)
    with pytest.raises(ExportError) as refused:
        encrypt_file(plain, tmp_path / "sealed.xlsx", "secret-123")
    assert "加密工作簿失败" in refused.value.message
    assert "Unsupported" not in refused.value.message  # no English in what the user reads
    assert not (tmp_path / "sealed.xlsx").exists()
