"""Reading a data sheet's XML straight from the workbook: the merge's hot loop.

`excel.cells.read_data_rows` goes through openpyxl's read-only cells (an object
per cell, a parsed Text per string): at a district's month of returns that is
most of a merge.  The data sheets are our own writer's (`excel.book.DataSheet`),
so `stream_data_rows` reads their `<row>`/`<c>` elements with ElementTree and
applies the very rules of `read_data_value`: inline or shared text (unescaped),
numbers, `#NULL!` for NULL, an empty cell for '', anything else (a formula, a
boolean, a date) refused with its cell.  The checksums then vouch for the rest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from xml.etree.ElementTree import iterparse

from canxie_tui.excel.cells import (
    CONTINUED,
    NULL_VALUE,
    DataError,
    join_continued,
    unescape_text,
)

__all__ = ["stream_data_rows"]

_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_ROW, _CELL, _V, _F, _IS, _T, _R = (
    f"{_NS}row",
    f"{_NS}c",
    f"{_NS}v",
    f"{_NS}f",
    f"{_NS}is",
    f"{_NS}t",
    f"{_NS}r",
)


def _column(ref: str) -> int:
    """1-based column of a cell reference such as "AB12"."""
    number = 0
    for char in ref:
        if char.isdigit():
            break
        number = number * 26 + ord(char) - 64
    return number


def _inline(cell: Any) -> str:
    found = cell.find(_IS)
    if found is None:
        return ""
    text = found.findtext(_T) or ""
    for run in found.iterfind(_R):  # rich text runs (never written by us; read as Excel does)
        text += run.findtext(_T) or ""
    return text


def _number(text: str, ref: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            raise DataError(f"单元格 {ref} 的内容“{text}”不是导出时写入的类型") from None


def _value(cell: Any, shared: list[str]) -> Any:
    kind = cell.get("t", "n")
    ref = cell.get("r", "")
    if cell.find(_F) is not None:
        raise DataError(f"单元格 {ref} 是公式（{cell.findtext(_F) or ''}）")
    if kind == "inlineStr":
        return unescape_text(_inline(cell))
    text = cell.findtext(_V)
    if text is None or text == "":
        return ""
    if kind == "n":
        return _number(text, ref)
    if kind == "s":
        return unescape_text(str(shared[int(text)]))
    if kind == "str":
        return unescape_text(text)
    if kind == "e" and text == NULL_VALUE:
        return None
    raise DataError(f"单元格 {ref} 的内容“{text}”不是导出时写入的类型")


def stream_data_rows(ws: Any, width: int, *, first_row: int = 2) -> Iterator[list[Any]]:
    """Rows of an openpyxl read-only data sheet as database values, `width` columns each.

    The same values as `cells.read_data_rows` (DataError naming the cell likewise),
    long texts' continuation rows joined back onto their row.
    """
    return join_continued(_rows(ws, width, first_row))


def _rows(
    ws: Any, width: int, first_row: int
) -> Iterator[tuple[str, tuple[int, str] | None, list[Any]]]:
    """The sheet's rows as `join_continued` takes them."""
    for number, cells in _raw_rows(ws, first_row, max(width, 3)):
        continued = _continuation(number, cells, width)
        if continued is not None:
            yield f"A{number}", continued, []
            continue
        values: list[Any] = [""] * width
        for position, value in cells.items():
            if position <= width:  # a continuation needs 3 columns, a sheet may have fewer
                values[position - 1] = value
        yield "", None, values


def _continuation(number: int, cells: dict[int, Any], width: int) -> tuple[int, str] | None:
    """(column index, text) of a continuation row [CONTINUED, column, part]; None else."""
    if cells.get(1) is not _CONTINUED:
        return None
    column, text = cells.get(2), cells.get(3)
    if type(column) is not int or not 1 <= column <= width or not isinstance(text, str):
        raise DataError(f"单元格 A{number} 所在的续行格式不对")
    return column - 1, text


# Marks the first cell of a continuation row while a row is read (never a value).
_CONTINUED = object()


def _raw_rows(ws: Any, first_row: int, width: int) -> Iterator[tuple[int, dict[int, Any]]]:
    """(row number, {column: value}) of the first `width` columns, rows from `first_row` on."""
    shared = list(getattr(ws, "_shared_strings", None) or [])
    source = ws.parent._archive.open(ws._worksheet_path)
    try:
        number = 0
        for _event, element in iterparse(source):
            if element.tag != _ROW:
                continue
            number = int(element.get("r") or number + 1)
            if number < first_row:
                element.clear()
                continue
            cells: dict[int, Any] = {}
            position = 0
            for cell in element.iterfind(_CELL):
                ref = cell.get("r")
                position = _column(ref) if ref else position + 1
                if position > width:
                    break
                if position == 1 and cell.get("t") == "e" and cell.findtext(_V) == CONTINUED:
                    cells[1] = _CONTINUED
                else:
                    cells[position] = _value(cell, shared)
            element.clear()
            yield number, cells
    finally:
        source.close()
