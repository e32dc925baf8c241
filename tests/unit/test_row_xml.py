"""Rows written by `excel.row_xml` are byte for byte the XML openpyxl's own writer makes.

Each test writes the same rows twice into one workbook: through a `Book` sheet
(our writer) and through a bare openpyxl write-only sheet of the same workbook
(openpyxl's), saves it, and compares the two sheets' XML.
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from canxie_tui.excel import row_xml
from canxie_tui.excel.book import Book
from canxie_tui.excel.cells import data_row, number_cell, split_row, text_cell
from canxie_tui.excel.errors import ExportError
from canxie_tui.excel.table import HEADER, Column, Heading, Look

pytestmark = pytest.mark.skipif(
    not row_xml.supported(), reason="another openpyxl: sheets keep openpyxl's own writer"
)

TEXTS = [
    "走访",
    "  前后有空格  ",
    "   ",
    "",
    "a & b < c > d \"e\" 'f'",
    "多行\n文字\n",
    "#NULL!",
    "#N/A",
    "=",
    "=SUM(A1)",
    "+86",
    "_x0041_",
    "x" * 32_767,
    "x" * 32_768,
    "\t缩进",
]
NUMBERS = [0, 1, -7, 10**15 - 1, 10**17, 0.5, 1 / 3, 1e-300, float("nan"), float("inf"), True]


def _sheets(path: Path) -> tuple[bytes, bytes]:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml"), z.read("xl/worksheets/sheet2.xml")


def _both(tmp_path: Path, rows: list[list[Any]], heights: dict[int, float] | None = None) -> None:
    """Append `rows` (values, or factories of cells given the book and sheet) to both sheets."""
    book = Book()
    ours = book.sheet("ours")
    theirs = book.wb.create_sheet("theirs")  # no hooks: openpyxl's writer
    for number, row in enumerate(rows, start=1):
        for ws in (ours, theirs):
            if heights and number in heights:
                ws.row_dimensions[number].height = heights[number]
            ws.append([v(book, ws) if callable(v) else v for v in row])
            if heights and number in heights:
                del ws.row_dimensions[number]
    path = book.save(tmp_path / "both.xlsx")
    mine, reference = _sheets(path)
    assert mine == reference


def test_plain_values_as_openpyxl_writes_them(tmp_path: Path) -> None:
    _both(tmp_path, [[t] for t in TEXTS] + [NUMBERS, [None, "b", None, 3]])


def test_cells_with_and_without_styles(tmp_path: Path) -> None:
    texts = [t for t in TEXTS[:12] if t]
    rows: list[list[Any]] = [
        [lambda b, ws, t=t: text_cell(ws, t, quote=True) for t in texts],
        [lambda b, ws, t=t: text_cell(ws, t, b.style(HEADER)) for t in texts],
        [lambda b, ws: number_cell(ws, None, b.style(HEADER)), lambda b, ws: number_cell(ws, 3.25)],
        [lambda b, ws: number_cell(ws, None), lambda b, ws: number_cell(ws, 7, b.style(Look()))],
        [lambda b, ws: b.cell(ws, "=1", b.style(HEADER)), lambda b, ws: b.cell(ws, 2.5)],
    ]
    _both(tmp_path, rows, heights={2: 42.0, 4: 15})


def test_what_openpyxl_must_write_still_goes_through_it(tmp_path: Path) -> None:
    _both(tmp_path, [[datetime(2026, 11, 29, 8, 30), date(2026, 11, 1), "=1+1", True, None]])


def _without_our_writer(book: Book) -> None:
    """Sheets of `book` made as openpyxl makes them (its own writer)."""
    book.sheet = lambda title, hidden=False: book.wb.create_sheet(title)  # type: ignore[method-assign]


def test_a_print_table(tmp_path: Path) -> None:
    """A `TableSheet` (title, header, wrapped and formula-like texts, figures) writes the
    same sheet with and without our writer."""
    columns = [Column("序号", number_format="0"), Column("内容", wrap=True, max_width=10)]
    heading = Heading("某社区", "月报", "2026年11月")
    files = []
    for fast in (True, False):
        book = Book()
        if not fast:
            _without_our_writer(book)
        sheet = book.table("表", columns, heading=heading)
        for n, text in enumerate(["短", "很长的一段文字" * 8, "=1+1", " 空格 ", "a&b<c>"], 1):
            sheet.append([n, text])
        sheet.append([None, 2.5], "total")
        sheet.note("说明")
        files.append(book.save(tmp_path / f"{fast}.xlsx"))
    with zipfile.ZipFile(files[0]) as a, zipfile.ZipFile(files[1]) as b:
        assert a.read("xl/worksheets/sheet1.xml") == b.read("xl/worksheets/sheet1.xml")


VALUES = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(TEXTS),
    st.integers(min_value=-(10**15) + 1, max_value=10**15 - 1),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: float(f"{f:.16g}") == f),
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(VALUES, max_size=8), min_size=1, max_size=6))
def test_data_rows_as_the_cells_data_value_gives(tmp_path: Path, rows: list[list[Any]]) -> None:
    """`data_row_xml` writes what appending `data_row`'s cells wrote (long texts: refused
    the same way, then split by the caller)."""
    book = Book()
    ours = book.sheet("ours")
    theirs = book.wb.create_sheet("theirs")
    for ws in (ours, theirs):
        ws.append(["header"])
    number = 1
    for values in rows:
        try:
            expected = data_row(theirs, values)
        except ExportError:
            with pytest.raises(ExportError):
                row_xml.data_row_xml(values, number + 1)
            for ws in (ours, theirs):
                for part in split_row(ws, values):
                    ws.append(part)
            number += len(split_row(theirs, values))
            continue
        number += 1
        ours.append(row_xml.data_row_xml(values, number))
        theirs.append(expected)
    path = book.save(tmp_path / "data.xlsx")
    mine, reference = _sheets(path)
    assert mine == reference


def test_data_rows_refuse_what_a_data_sheet_cannot_hold() -> None:
    for value in (True, 10**15, float("nan"), 0.1 + 0.2 + 1e-17, date(2026, 1, 1)):
        try:
            expected: type[Exception] | None = None
            data_row(None, [value])
        except ExportError:
            expected = ExportError
        if expected is None:
            row_xml.data_row_xml([value], 2)
        else:
            with pytest.raises(expected):
                row_xml.data_row_xml([value], 2)
