"""Excel cells that hold exactly what they are given: safe text and numbers, lossless data.

Part of the shared Excel helpers (with `excel.table`, `excel.book` and
`excel.files`).  openpyxl is imported inside functions only: importing this
module does not load it.

Cells never become formulas.  Every text goes into a string cell, whatever it
starts with (= + - @ tab CR) and even when it spells an error value (#N/A).  In
print sheets a text starting with one of those characters also gets Excel's
quote prefix, so editing the cell by hand keeps it text.

Texts are escaped the ECMA-376 way: characters XML cannot carry (control
characters, CR) become `_xHHHH_`, and a literal `_xHHHH_` gets its underscore
escaped as `_x005F_`.  Excel shows the original text; `unescape_text` restores it.

Lossless data cells (`data_value` / `read_data_value`)
------------------------------------------------------
========================  =================================================
database value            cell
========================  =================================================
NULL                      the error value ``#NULL!``
'' (empty text)           no cell
integer (≤ 15 digits)     number
float (16 digits exact)   number
text                      string cell, escaped as above
========================  =================================================

This mapping survives a spreadsheet opening and saving the file again (tested
with openpyxl; Excel keeps values, types and error values the same way).
`canonical_row` gives a row as hashed for a data sheet's checksum.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from canxie_tui.excel.errors import ExportError

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.styles.cell_style import StyleArray

__all__ = [
    "CONTINUED",
    "ERROR_VALUES",
    "FORMULA_LEADS",
    "MAX_CELL_TEXT",
    "MAX_EXACT_DIGITS",
    "NULL_VALUE",
    "DataError",
    "canonical_row",
    "column_letter",
    "data_row",
    "data_value",
    "escape_text",
    "fit_text",
    "is_formula_like",
    "number_cell",
    "read_data_rows",
    "read_data_value",
    "split_row",
    "split_text",
    "text_cell",
    "text_width",
    "unescape_text",
]

MAX_CELL_TEXT = 32_767  # Excel's limit; openpyxl would cut longer texts silently
MAX_EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number
FORMULA_LEADS = frozenset("=+-@\t\r")
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
NULL_VALUE = "#NULL!"

NEEDS_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# A text openpyxl would not store as the same string by itself: a formula, an error
# value, a character to escape (`escape_text`).  With `_EXACT_LIMIT`, the rules of
# `data_value`, which `data_row` (and `row_xml.data_row_xml` through it) inlines.
_NEEDS_CELL = re.compile(
    r"^=|^#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A)$"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
)
_EXACT_LIMIT = 10**MAX_EXACT_DIGITS


# -- text ----------------------------------------------------------------------------
def _escape_match(match: re.Match[str]) -> str:
    char = match.group()
    return "_x005F_" if char == "_" else f"_x{ord(char):04X}_"


def escape_text(text: str) -> str:
    """The text as stored in a cell (ECMA-376 `_xHHHH_` escapes where needed)."""
    return NEEDS_ESCAPE.sub(_escape_match, text)


def unescape_text(text: str) -> str:
    """Undo `escape_text` (and Excel's own escapes) on a string read from a cell."""
    if "_x" not in text:
        return text
    return _UNESCAPE.sub(lambda m: chr(int(m[1], 16)), text)


def is_formula_like(text: str) -> bool:
    """Would a spreadsheet take this text for a formula or an error value?"""
    return bool(text) and (text[0] in FORMULA_LEADS or text in ERROR_VALUES)


def text_width(value: object) -> int:
    """Display width of a value in cells (CJK = 2), its longest line for a text."""
    if value is None:
        return 0
    text = value if isinstance(value, str) else str(value)
    if "\n" not in text:
        return cell_len(text)
    return max(cell_len(line) for line in text.split("\n"))


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def text_cell(ws: Any, text: str, style: StyleArray | None = None, *, quote: bool = False) -> Cell:
    """A string cell holding `text` exactly (never a formula or an error value)."""
    from openpyxl.cell.cell import Cell

    stored = escape_text(text)
    if len(stored) > MAX_CELL_TEXT:
        raise ExportError(
            f"有一段文字长 {len(text)} 字，超过了 Excel 单元格的上限（{MAX_CELL_TEXT} 字），"
            f"无法完整写入：“{text[:20]}…”"
        )
    cell = Cell(ws, 1, 1, style_array=style)  # row/column: openpyxl sets them on writing
    cell._value = stored
    cell.data_type = "s"
    if quote and text[0] in FORMULA_LEADS:
        from openpyxl.styles.cell_style import StyleArray

        if cell._style is None:
            cell._style = StyleArray()
        cell._style.quotePrefix = 1  # Excel: typing into the cell keeps it text
    return cell


def number_cell(ws: Any, value: float | None, style: StyleArray | None = None) -> Cell:
    from openpyxl.cell.cell import Cell

    cell = Cell(ws, 1, 1, style_array=style)
    cell._value = value
    cell.data_type = "n"
    return cell


@lru_cache(maxsize=1)
def _table_cell() -> type[Cell]:
    """A reusable cell that carries its style id (set with its style) instead of looking
    it up in the workbook's style list each time the cell is written."""
    from openpyxl.cell.cell import Cell

    class TableCell(Cell):
        __slots__ = ("style_id",)  # shadows Cell.style_id, the lookup

    return TableCell


def _new_cell(ws: Any) -> Cell:
    return _table_cell()(ws, 1, 1)


def _display_text(value: object) -> str:
    """How a print sheet shows a value that is not text or a number."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- lossless data cells -------------------------------------------------------------
def data_value(ws: Any, value: Any) -> Any:
    """What to append to a write-only data sheet for a database value (see module doc)."""
    if value is None:
        return NULL_VALUE  # openpyxl writes this string as the error value #NULL!
    kind = type(value)
    if kind is str:
        if not value:
            return None
        if len(value) > MAX_CELL_TEXT or _NEEDS_CELL.search(value):
            return text_cell(ws, value)
        return value
    if kind is int:
        if not -_EXACT_LIMIT < value < _EXACT_LIMIT:
            raise ExportError(f"数值 {value} 超过 15 位有效数字，Excel 无法原样保存")
        return value
    if kind is float:
        if not math.isfinite(value) or float(f"{value:.16g}") != value:
            raise ExportError(f"数值 {value!r} 无法在 Excel 中原样保存")
        return value
    raise ExportError(f"无法写入 Excel 的数据类型：{kind.__name__}")


class DataError(ValueError):
    """A cell of a data sheet that `data_value` cannot have written."""


def read_data_value(cell: Any) -> Any:
    """The database value of a cell written by `data_value` (DataError if it cannot be)."""
    value = cell.value
    if value is None:
        return ""
    kind = cell.data_type
    if kind == "s":
        return unescape_text(value) if isinstance(value, str) else str(value)
    if kind == "n" and isinstance(value, int | float) and not isinstance(value, bool):
        return value
    if kind == "e" and value == NULL_VALUE:
        return None
    if kind == "f":
        raise DataError(f"单元格 {cell.coordinate} 是公式（{value}）")
    raise DataError(f"单元格 {cell.coordinate} 的内容“{value}”不是导出时写入的类型")


_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def canonical_row(values: Sequence[Any]) -> bytes:
    """One row as hashed for a checksum: compact JSON of the database values, one line."""
    return _CANONICAL.encode(list(values)).encode() + b"\n"


def data_row(ws: Any, values: Sequence[Any]) -> list[Any]:
    """`data_value` of every value of a row (its rules for the common cases inline: this
    is the hot loop of every data sheet)."""
    row: list[Any] = []
    add = row.append
    for value in values:
        kind = type(value)
        if (kind is int and -_EXACT_LIMIT < value < _EXACT_LIMIT) or (
            kind is str and value and len(value) <= MAX_CELL_TEXT and not _NEEDS_CELL.search(value)
        ):
            add(value)
        else:
            add(data_value(ws, value))
    return row


# -- texts longer than a cell ------------------------------------------------------------
# A text that does not fit one cell (a 35,000-character case note) goes into as many
# cells as it needs: the first part in its column, each further part in a row of its
# own right after, [CONTINUED, column number, part].  A data cell never holds the
# error value #N/A (`data_value` writes a text "#N/A" as a string cell), so such a row
# cannot be mistaken for data.  Readers join the parts back (`read_data_rows`).
CONTINUED = "#N/A"


def split_text(text: str) -> list[str]:
    """`text` cut into parts that each fit one cell once escaped (see `escape_text`)."""
    parts: list[str] = []
    start = 0
    while start < len(text):
        size = MAX_CELL_TEXT
        while len(escape_text(text[start : start + size])) > MAX_CELL_TEXT:
            size //= 2  # control characters take 7 cells each once escaped
        parts.append(text[start : start + size])
        start += size
    return parts


def split_row(ws: Any, values: Sequence[Any]) -> list[list[Any]]:
    """The rows a data row takes: its own, then one per further part of each long text."""
    head = list(values)
    more: list[list[Any]] = []
    for index, value in enumerate(values):
        if type(value) is str and len(escape_text(value)) > MAX_CELL_TEXT:
            first, *rest = split_text(value)
            head[index] = first
            more += [[CONTINUED, index + 1, data_value(ws, part)] for part in rest]
    return [data_row(ws, head), *more]


def fit_text(text: str) -> str:
    """A text for a print sheet, cut to what one cell holds (the data sheets keep it all)."""
    if len(escape_text(text)) <= MAX_CELL_TEXT:
        return text
    shown = split_text(text)[0][: MAX_CELL_TEXT - 100]
    return f"{shown}……（共 {len(text)} 字，单元格放不下，此处只显示前 {len(shown)} 字）"


def _continuation(row: Sequence[Any], width: int) -> tuple[int, str] | None:
    """(column index, text) of a continuation row; None for a data row."""
    first = row[0] if row else None
    if first is None or first.data_type != "e" or first.value != CONTINUED:
        return None
    column, part = (row[1].value if len(row) > 1 else None), (row[2] if len(row) > 2 else None)
    text = read_data_value(part) if part is not None else None
    if type(column) is not int or not 1 <= column <= width or not isinstance(text, str):
        raise DataError(f"单元格 {first.coordinate} 所在的续行格式不对")
    return column - 1, text


def read_data_rows(ws: Any, width: int, *, first_row: int = 2) -> Iterator[list[Any]]:
    """Rows of a data sheet as database values, `width` columns each, long texts joined.

    Raises DataError (with the cell) for a cell that `data_value` cannot have written.
    """
    return join_continued(_data_rows(ws, width, first_row))


def _data_rows(
    ws: Any, width: int, first_row: int
) -> Iterator[tuple[str, tuple[int, str] | None, list[Any]]]:
    """The sheet's rows as `join_continued` takes them."""
    for row in ws.iter_rows(min_row=first_row, max_col=max(width, 3)):
        continued = _continuation(row, width)
        if continued is not None:
            yield row[0].coordinate, continued, []
            continue
        values = [read_data_value(cell) for cell in row[:width]]
        if len(values) < width:
            values += [""] * (width - len(values))
        yield "", None, values


def join_continued(
    rows: Iterable[tuple[str, tuple[int, str] | None, list[Any]]],
) -> Iterator[list[Any]]:
    """Data rows, each continuation row's text joined onto the row before it.

    `rows`: (where the row starts, (column index, text) for a continuation row else
    None, the values of a data row).  Raises DataError for a continuation with no text
    before it to continue.
    """
    pending: list[Any] | None = None
    for where, continued, values in rows:
        if continued is not None:
            index, text = continued
            if pending is None or not isinstance(pending[index], str):
                raise DataError(f"单元格 {where} 的续行前没有可接续的文字")
            pending[index] += text
            continue
        if pending is not None:
            yield pending
        pending = values
    if pending is not None:
        yield pending
