"""Shared Excel helpers: safe cells, print-ready tables, lossless data sheets, atomic saves.

Used by the monthly return (`excel.monthly_return`) and its reader (`excel.return_reader`), and
meant for every other workbook the product writes or reads (the roster import's
error workbook, the emergency call sheet, the district report).  openpyxl is
imported inside functions only: importing this module does not load it.

Writing
-------
`Book` wraps an openpyxl *write-only* workbook: rows stream to temporary files,
so memory stays flat however many rows a sheet has.

- `Book.table(...)` gives a print-ready `TableSheet`: a title row (divisions,
  report, period, sheet), a 填报单位 / 填报人 / 填报日期 row, a bold header that is
  frozen on screen and repeated on every printed page, column widths measured in
  display cells (a CJK character counts 2, via `rich.cells.cell_len`) over the
  header and the first `SAMPLE_ROWS` rows and capped, rows as tall as their
  wrapped texts need (LibreOffice and WPS do not size rows themselves), A4
  landscape fitted to the page width, and a footer "第 N 页，共 M 页".  Rows
  are "body", "total", "header", "section", "note"...: see `TableSheet.append`.
- `Book.data_sheet(...)` gives a `DataSheet` for programs: a header of column
  names, then typed cells that read back exactly (see below), and the SHA-256 of
  its canonical content (`canonical_row`).
- `Book.save(path)` writes through `atomic_save`: a temporary file in the same
  folder, renamed over the final name only when complete.  On any failure no
  file is left under the final name and no temporary file anywhere.

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

Reading
-------
`load_workbook(path)` first tells a real .xlsx from everything people send
instead (a CSV renamed .xlsx, an old .xls, an encrypted workbook, an ODS, a
damaged or truncated file) and raises one `WorkbookError` with a Chinese
message for each; `reading(path)` maps errors met while reading rows the same way.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from canxie_tui import config
from canxie_tui.excel.errors import (
    CorruptWorkbookError,
    EncryptedWorkbookError,
    ExportError,
    NotAWorkbookError,
    WorkbookError,
)
from canxie_tui.store.backup import fsync_dir

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.chart._chart import ChartBase
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = [
    "DEFAULT_EXPORTS",
    "EXPORTS_ENV",
    "NULL_VALUE",
    "Book",
    "Column",
    "DataSheet",
    "Heading",
    "Look",
    "Progress",
    "TableSheet",
    "atomic_save",
    "canonical_row",
    "check_xlsx",
    "column_letter",
    "data_value",
    "escape_text",
    "exports_dir",
    "is_formula_like",
    "load_workbook",
    "read_data_rows",
    "read_data_value",
    "reading",
    "safe_filename",
    "setup_print",
    "text_width",
    "unescape_text",
]

Progress = Callable[[str, int, int], None]  # (label in Chinese, done, total)

EXPORTS_ENV = config.EXPORTS_ENV
DEFAULT_EXPORTS = config.DEFAULT_EXPORTS

MAX_CELL_TEXT = 32_767  # Excel's limit; openpyxl would cut longer texts silently
MAX_EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number
FORMULA_LEADS = frozenset("=+-@\t\r")
ERROR_VALUES = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"})
NULL_VALUE = "#NULL!"

SAMPLE_ROWS = 1000  # rows a table buffers to measure its column widths
MIN_WIDTH = 4.0
MAX_WIDTH = 50.0
WIDTH_PADDING = 2.0
FOOTER = "第 &P 页，共 &N 页"
A4 = 9  # openpyxl's PAPERSIZE_A4

_ESCAPE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]|_(?=x[0-9A-Fa-f]{4}_)")
_UNESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
# A text openpyxl would not store as the same string by itself (see data_value).
_NEEDS_CELL = re.compile(
    r"^=|^#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A)$"
    r"|[\x00-\x08\x0b\x0c\x0e-\x1f\r\ufffe\uffff]|_x[0-9A-Fa-f]{4}_"
)
_EXACT_LIMIT = 10**MAX_EXACT_DIGITS
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


# -- where exports go --------------------------------------------------------------
def exports_dir() -> Path:
    """The exports folder: $CANXIE_EXPORTS, else `exports/` in the working folder."""
    return config.exports_dir()


def safe_filename(text: str, fallback: str = "未命名") -> str:
    """`text` made usable as (part of) a file name on Windows, macOS and Linux."""
    cleaned = _UNSAFE_NAME.sub("_", text).strip(" .")
    return cleaned or fallback


# -- text ----------------------------------------------------------------------------
def _escape_match(match: re.Match[str]) -> str:
    char = match.group()
    return "_x005F_" if char == "_" else f"_x{ord(char):04X}_"


def escape_text(text: str) -> str:
    """The text as stored in a cell (ECMA-376 `_xHHHH_` escapes where needed)."""
    return _ESCAPE.sub(_escape_match, text)


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
        if (
            value[0] == "="
            or value in ERROR_VALUES
            or len(value) > MAX_CELL_TEXT
            or _ESCAPE.search(value)
        ):
            return text_cell(ws, value)
        return value
    if kind is int:
        if len(str(abs(value))) > MAX_EXACT_DIGITS:
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
    """`data_value` of every value of a row (the common cases inline: this is the hot loop)."""
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


def read_data_rows(ws: Any, width: int, *, first_row: int = 2) -> Iterator[list[Any]]:
    """Rows of a data sheet as database values, `width` columns each.

    Raises DataError (with the cell) for a cell that `data_value` cannot have written.
    """
    for row in ws.iter_rows(min_row=first_row, max_col=width):
        values = [read_data_value(cell) for cell in row]
        if len(values) < width:
            values += [""] * (width - len(values))
        yield values


# -- looks (styles) ------------------------------------------------------------------
@dataclass(frozen=True)
class Look:
    """A cell style, registered once per workbook (see `Book.style`)."""

    bold: bool = False
    size: float = 11
    fill: str = ""  # RGB hex, e.g. "D9D9D9"
    border: bool = False
    horizontal: str = "general"  # left / center / right / general
    vertical: str = "top"
    wrap: bool = False
    number_format: str = ""
    italic: bool = False


TITLE = Look(bold=True, size=14, horizontal="center", vertical="center")
INFO = Look(size=10, horizontal="left", vertical="center")
HEADER = Look(
    bold=True, fill="D9D9D9", border=True, horizontal="center", vertical="center", wrap=True
)
SECTION = Look(bold=True, size=12, fill="F2F2F2", horizontal="left", vertical="center")
NOTE = Look(size=9, horizontal="left", wrap=True, italic=True)


@dataclass(frozen=True)
class Column:
    """A column of a print table: its header, and how its cells look."""

    title: str
    width: float | None = None  # fixed width in characters; None: measured
    max_width: float = MAX_WIDTH
    min_width: float = MIN_WIDTH
    wrap: bool = False  # long texts wrap (then `max_width` is the wrap width)
    align: str = "general"  # left / center / right / general
    number_format: str = ""  # e.g. "0.0%"


@dataclass(frozen=True)
class Heading:
    """The two lines above a print table: what, where, when, and who reports it."""

    divisions: str  # 江北区观音桥街道建新东路社区
    title: str  # 残疾人工作月报
    period: str = ""  # 2026年11月
    unit: str = ""  # 填报单位
    reporter: str = ""  # 填报人 (blank: room to write by hand)
    date: str = ""  # 填报日期

    def title_line(self, sheet: str = "") -> str:
        text = f"{self.divisions}{self.title}"
        if self.period:
            text += f"（{self.period}）"
        return f"{text}·{sheet}" if sheet else text

    def info_line(self) -> str:
        blank = "\u3000" * 5
        return "\u3000\u3000".join(
            (
                f"填报单位：{self.unit or blank}",
                f"填报人：{self.reporter or blank}",
                f"填报日期：{self.date or blank}",
            )
        )


def setup_print(
    ws: Any, *, repeat_rows: int = 0, landscape: bool = True, fit_width: bool = True
) -> None:
    """A4, landscape, all columns on one page width, `repeat_rows` on every page, page numbers.

    Works on normal and write-only worksheets (set it before the first row of a
    write-only one).
    """
    from openpyxl.worksheet.page import PageMargins

    ws.page_setup.paperSize = A4
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    if fit_width:
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as needed
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    if repeat_rows:
        ws.print_title_rows = f"1:{repeat_rows}"
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.6, header=0.3, footer=0.3)
    ws.print_options.horizontalCentered = True
    ws.oddFooter.center.text = FOOTER
    ws.oddFooter.center.size = 9


# -- workbooks -------------------------------------------------------------------------
class Book:
    """A write-only workbook being built; sheets appear in the order they are made.

    Use as a context manager (or call `discard` on failure) so an export that
    fails half-way removes openpyxl's temporary files too.
    """

    def __init__(self) -> None:
        from openpyxl import Workbook

        self.wb: Workbook = Workbook(write_only=True)
        self._looks: dict[tuple[Look, bool], StyleArray] = {}
        self._quoted: dict[tuple[int, ...], StyleArray] = {}
        self._style_ids: dict[int, int] = {}  # id(style array) -> index (arrays kept above)
        self._tables: list[TableSheet] = []
        self._probe: Any = None

    def __enter__(self) -> Book:
        return self

    def __exit__(self, kind: object, error: object, tb: object) -> None:
        if error is not None:
            self.discard()

    # sheets
    def sheet(self, title: str, *, hidden: bool = False) -> WriteOnlyWorksheet:
        """A bare write-only worksheet (for layouts the table helpers do not cover)."""
        ws = self.wb.create_sheet(title)
        _take_cells_directly(ws)
        if hidden:
            ws.sheet_state = "hidden"
        return ws

    def table(
        self,
        title: str,
        columns: Sequence[Column],
        *,
        heading: Heading | None = None,
        header: bool = True,
        extra_header: Sequence[Sequence[Any]] = (),
        freeze_columns: int = 0,
        landscape: bool = True,
        hidden: bool = False,
    ) -> TableSheet:
        sheet = TableSheet(
            self,
            self.sheet(title, hidden=hidden),
            columns,
            heading=heading,
            header=header,
            extra_header=extra_header,
            freeze_columns=freeze_columns,
            landscape=landscape,
        )
        self._tables.append(sheet)
        return sheet

    def data_sheet(self, title: str, columns: Sequence[str], *, hidden: bool = True) -> DataSheet:
        return DataSheet(self, self.sheet(title, hidden=hidden), columns)

    # styles
    def style(self, look: Look, *, quote: bool = False) -> StyleArray:
        """The style array of `look` (registered in the workbook on first use)."""
        key = (look, quote)
        found = self._looks.get(key)
        if found is not None:
            return found
        from openpyxl.cell.cell import Cell
        from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

        if self._probe is None:
            # Registering a style needs a cell of this workbook; it is never written.
            self._probe = Cell(_StyleHost(self.wb))
        cell = self._probe
        cell._style = None
        cell.font = Font(bold=look.bold, italic=look.italic, size=look.size)
        if look.fill:
            cell.fill = PatternFill("solid", fgColor=look.fill)
        if look.border:
            side = Side(style="thin", color="808080")
            cell.border = Border(left=side, right=side, top=side, bottom=side)
        cell.alignment = Alignment(
            horizontal=look.horizontal, vertical=look.vertical, wrap_text=look.wrap or None
        )
        if look.number_format:
            cell.number_format = look.number_format
        style = cell._style
        if quote:
            style.quotePrefix = 1
        self._looks[key] = style
        return style

    def cell(self, ws: Any, value: Any, style: StyleArray | None = None) -> Any:
        """A styled write-only cell for a display value (text stays text)."""
        if value is None or value == "":
            return number_cell(ws, None, style) if style is not None else None
        if isinstance(value, str):
            return text_cell(ws, value, style, quote=True)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return number_cell(ws, value, style)
        return text_cell(ws, _display_text(value), style, quote=True)

    def style_id(self, style: StyleArray) -> int:
        """The workbook's index of a style array made by `style` or `quoted`."""
        key = id(style)
        found = self._style_ids.get(key)
        if found is None:
            found = self._style_ids[key] = self.wb._cell_styles.add(style)
        return found

    def quoted(self, style: StyleArray | None) -> StyleArray:
        """`style` with Excel's quote prefix (a text that must stay text when edited)."""
        from openpyxl.styles.cell_style import StyleArray

        key = tuple(style) if style is not None else ()
        found = self._quoted.get(key)
        if found is None:
            found = StyleArray(style) if style is not None else StyleArray()
            found.quotePrefix = 1
            self._quoted[key] = found
        return found

    # saving
    def save(self, path: Path | str) -> Path:
        """Finish every sheet and write the workbook atomically to `path`."""
        try:
            for table in self._tables:
                table.close()
            return atomic_save(self.wb.save, path)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Drop a workbook that will not be saved: remove openpyxl's temporary files."""
        from openpyxl.worksheet import _writer

        for ws in self.wb.worksheets:
            writer = getattr(ws, "_writer", None)
            if writer is None:
                continue
            rows = getattr(ws, "_rows", None)
            for close in (getattr(rows, "close", None), getattr(writer.xf, "close", None)):
                try:
                    if close is not None:
                        close()
                except Exception:
                    pass
            out = getattr(writer, "out", None)
            if isinstance(out, str):
                with suppress(OSError):
                    os.remove(out)
                if out in _writer.ALL_TEMP_FILES:
                    _writer.ALL_TEMP_FILES.remove(out)


def _take_cells_directly(ws: Any) -> None:
    """Let a write-only sheet take ready-made cells without openpyxl's detour.

    openpyxl 3.1's `WriteOnlyWorksheet._values_to_row` binds each appended value
    to a scratch cell; a value that is itself a cell only gets through by way of a
    ValueError, and every styled cell costs a fresh scratch cell.  That detour
    made a styled table 1.8x as slow as plain values.  This replacement behaves
    the same for plain values and passes cells straight on.  Without the hook
    (another openpyxl) the sheet simply keeps the original, slower path.
    """
    from openpyxl.cell.cell import Cell

    if not hasattr(type(ws), "_values_to_row"):
        return
    ready = frozenset({Cell, _table_cell()})

    def values_to_row(values: Sequence[Any], row_idx: int) -> Iterator[Cell]:
        scratch = Cell(ws, 1, 1)
        for col_idx, value in enumerate(values, 1):
            if value is None:
                continue
            if type(value) in ready:
                value.column = col_idx
                value.row = row_idx
                yield value
                continue
            scratch.value = value
            scratch.column = col_idx
            scratch.row = row_idx
            yield scratch
            if scratch.has_style or scratch.hyperlink:
                scratch = Cell(ws, 1, 1)

    ws._values_to_row = values_to_row


class _StyleHost:
    """Stands in for a worksheet when registering styles (cells need `parent.parent`)."""

    def __init__(self, wb: Workbook) -> None:
        self.parent = wb


_TABLE_KINDS = frozenset({"body", "total", "header"})
LINE = 15.0  # points per line of 11-point text
NOTE_LINE = 12.5


@dataclass(frozen=True, slots=True)
class _Row:
    number: int
    kind: str
    values: Sequence[Any]
    spans: tuple[tuple[int, int], ...]
    columns: int


class TableSheet:
    """A print-ready table on a write-only worksheet (see the module doc).

    Rows are kept until `SAMPLE_ROWS` body rows have come (or the sheet is
    closed), so the column widths can be measured; after that they stream.
    """

    def __init__(
        self,
        book: Book,
        ws: WriteOnlyWorksheet,
        columns: Sequence[Column],
        *,
        heading: Heading | None,
        header: bool,
        extra_header: Sequence[Sequence[Any]],
        freeze_columns: int,
        landscape: bool,
    ) -> None:
        self.book = book
        self.ws = ws
        self.columns = list(columns)
        self.width = len(self.columns)
        self._row = 0
        self._pending: list[_Row] | None = []
        self._widths: list[float] = []
        self._wraps = [c.wrap for c in self.columns]
        self._styles: dict[str, list[StyleArray | None]] = {}
        self._measured = [0] * self.width
        self._sample_until = 1 << 62  # set once the header is in
        self._cells: list[Cell] = []
        self.closed = False
        if heading is not None:
            self.append([heading.title_line(ws.title)], "title")
            self.ws.row_dimensions[self._row].height = 26
            self.append([heading.info_line()], "info")
            self.ws.row_dimensions[self._row].height = 18
        if header:
            self.append([c.title for c in self.columns], "header")
        for values in extra_header:
            self.append(values, "header")
        self.header_rows = self._row
        self._sample_until = self._row + SAMPLE_ROWS
        ws.freeze_panes = f"{column_letter(freeze_columns + 1)}{self.header_rows + 1}"
        setup_print(ws, repeat_rows=self.header_rows, landscape=landscape)

    @property
    def next_row(self) -> int:
        """The row number the next `append` will write (1-based)."""
        return self._row + 1

    # -- rows
    def append(
        self,
        values: Sequence[Any],
        kind: str = "body",
        *,
        merge: Sequence[tuple[int, int]] = (),
        columns: int | None = None,
    ) -> int:
        """Add a row; returns its row number.

        kind: "body" (bordered, per-column alignment), "total" (bold body),
        "header", "section" (a bold band across the table), "note" (small
        text across the table), "title", "info", or "plain" (no style).
        merge: (first, last) 1-based column ranges to merge in this row;
        title, info, section and note rows span the table by default.
        columns: how many columns a body, total or header row fills (default
        all), for a narrower table inside the sheet.
        """
        if self.closed:
            raise ExportError(f"工作表“{self.ws.title}”已写完，不能再添加行")
        self._row += 1
        spans = tuple(merge)
        if not spans and kind in ("title", "info", "section", "note") and self.width > 1:
            spans = ((1, self.width),)
        for first, last in spans:
            if last > first:
                self.ws.merged_cells.add(
                    f"{column_letter(first)}{self._row}:{column_letter(last)}{self._row}"
                )
        row = _Row(self._row, kind, values, spans, min(columns or self.width, self.width))
        if self._pending is not None:
            self._pending.append(row)
            if self._row >= self._sample_until:
                self._flush()
        else:
            self._write(row)
        return self._row

    def section(self, text: str) -> int:
        return self.append([text], "section")

    def note(self, text: str) -> int:
        return self.append([text], "note")

    def blank(self) -> int:
        return self.append([], "plain")

    def add_chart(self, chart: ChartBase, anchor: str) -> None:
        self.ws.add_chart(chart, anchor)

    def close(self) -> None:
        if not self.closed:
            if self._pending is not None:
                self._flush()
            self.closed = True

    # -- layout
    def _flush(self) -> None:
        pending, self._pending = self._pending or [], None
        for row in pending:
            if row.kind in _TABLE_KINDS:
                self._measure(row.values, row.spans)
        for index, column in enumerate(self.columns):
            if column.width is not None:
                width = column.width
            else:
                width = self._measured[index] + WIDTH_PADDING
                width = max(column.min_width, min(column.max_width, width))
            self._widths.append(round(width, 1))
            self.ws.column_dimensions[column_letter(index + 1)].width = self._widths[-1]
        for row in pending:
            self._write(row)

    def _measure(self, values: Sequence[Any], spans: tuple[tuple[int, int], ...]) -> None:
        merged = {c for first, last in spans if last > first for c in range(first, last + 1)}
        for index, value in enumerate(values[: self.width]):
            if index + 1 in merged or value is None:
                continue
            width = len(f"{value:.2f}") if isinstance(value, float) else text_width(value)
            if width > self._measured[index]:
                self._measured[index] = width

    def _height(self, row: _Row) -> float | None:
        """The height a row needs for its wrapped texts (None: one line is enough).

        Spreadsheets do not all size rows to wrapped text when they open a file
        (LibreOffice and WPS keep one line), so the height is written out.
        """
        if row.kind == "note":
            wraps, line = [True], NOTE_LINE
        elif row.kind == "header":
            wraps, line = [True] * self.width, LINE
        elif row.kind in _TABLE_KINDS:
            wraps, line = self._wraps, LINE
        else:
            return None
        starts = {first: last for first, last in row.spans if last > first}
        widths = self._widths
        lines = 1
        for index, value in enumerate(row.values[: len(wraps)]):
            if not wraps[index] or type(value) is not str:
                continue
            last = starts.get(index + 1, index + 1)
            if row.kind == "note":
                last = self.width
            width = sum(widths[index:last]) - 1.5
            if "\n" not in value and len(value) * 2 <= width:
                continue  # fits on one line even if every character is wide
            needed = sum(
                max(1, math.ceil(cell_len(part) / max(width, 1.0))) for part in value.split("\n")
            )
            lines = max(lines, needed)
        return lines * line + 2 if lines > 1 else None

    def _row_styles(self, kind: str) -> list[StyleArray | None]:
        found = self._styles.get(kind)
        if found is not None:
            return found
        book = self.book
        styles: list[StyleArray | None]
        if kind in ("body", "total"):
            styles = [
                book.style(
                    Look(
                        bold=kind == "total",
                        border=True,
                        horizontal=c.align,
                        wrap=c.wrap,
                        number_format=c.number_format,
                    )
                )
                for c in self.columns
            ]
        elif kind == "header":
            styles = [book.style(HEADER)] * self.width
        else:
            look = {"title": TITLE, "info": INFO, "section": SECTION, "note": NOTE}.get(kind)
            styles = [book.style(look) if look else None] + [None] * (self.width - 1)
        self._styles[kind] = styles
        return styles

    def _write(self, row: _Row) -> None:
        # One cell object per column, reused row after row: openpyxl writes a row
        # out completely inside append(), so nothing still refers to them then.
        kind, values = row.kind, row.values
        styles = self._row_styles(kind)
        count = row.columns if kind in _TABLE_KINDS else max(len(values), 1)
        cells = self._cells
        while len(cells) < count:
            cells.append(_new_cell(self.ws))
        given = len(values)
        filled = [
            self._fill(
                cells[i], values[i] if i < given else None, styles[i] if i < self.width else None
            )
            for i in range(count)
        ]
        height = self._height(row)
        if height is None:
            self.ws.append(filled)
            return
        dimensions = self.ws.row_dimensions
        dimensions[row.number].height = height
        self.ws.append(filled)
        del dimensions[row.number]  # written: keep memory flat in the number of rows

    def _fill(self, cell: Cell, value: Any, style: StyleArray | None) -> Cell | None:
        if value is None or value == "":
            if style is None:
                return None
            cell._value = None
            cell.data_type = "n"
        elif type(value) is str:
            stored = escape_text(value)
            if len(stored) > MAX_CELL_TEXT:
                text_cell(self.ws, value)  # raises the error that says so
            cell._value = stored
            cell.data_type = "s"
            if value[0] in FORMULA_LEADS:
                style = self.book.quoted(style)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            cell._value = value
            cell.data_type = "n"
        else:
            return self._fill(cell, _display_text(value), style)
        cell._style = style
        if style is not None:
            cell.style_id = self.book.style_id(style)
        return cell


class DataSheet:
    """A sheet for programs: column names, then rows of database values, losslessly.

    `sha256` is the hex digest of the canonical content: the header and every
    row as `canonical_row` gives them, in order.
    """

    def __init__(self, book: Book, ws: WriteOnlyWorksheet, columns: Sequence[str]) -> None:
        self.book = book
        self.ws = ws
        self.columns = list(columns)
        self.rows = 0
        self._hash = hashlib.sha256(canonical_row(self.columns))
        ws.freeze_panes = "A2"
        for index in range(len(self.columns)):
            ws.column_dimensions[column_letter(index + 1)].width = 16
        bold = book.style(Look(bold=True))
        ws.append([text_cell(ws, name, bold) for name in self.columns])

    def append(self, values: Sequence[Any]) -> None:
        self.ws.append(data_row(self.ws, values))
        self._hash.update(canonical_row(values))
        self.rows += 1

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()


# -- saving ------------------------------------------------------------------------------
def _fsync(path: Path) -> None:
    with open(path, "rb+") as handle:
        os.fsync(handle.fileno())


def atomic_save(workbook_writer: Callable[[Path], object], path: Path | str) -> Path:
    """Write a file through `workbook_writer(temporary path)`, then rename it to `path`.

    The temporary file is in the same folder (so the rename is atomic) and readable
    by its owner only.  If anything fails — the writer, the flush, the rename — the
    temporary file is removed and nothing appears under `path` (an older file there
    stays as it was).  Returns `path`.
    """
    target = Path(path)
    folder = target.parent
    if target.is_dir():
        raise ExportError(f"“{target}”是一个文件夹，请指定要写入的文件名（.xlsx）。")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"无法建立文件夹“{folder}”：{err.strerror or err}") from err
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    temp = Path(name)
    try:
        workbook_writer(temp)
        _fsync(temp)
        try:
            os.replace(temp, target)
        except PermissionError as err:
            raise ExportError(
                f"无法写入“{target}”：该文件可能正在 Excel 或 WPS 中打开，请关闭后重试。"
            ) from err
    except BaseException:
        with suppress(OSError):
            temp.unlink(missing_ok=True)
        raise
    fsync_dir(folder)  # the rename survives a power cut
    return target


# -- reading ------------------------------------------------------------------------------
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_ODS_MIME = b"application/vnd.oasis.opendocument.spreadsheet"
_CONTENT_TYPES = "[Content_Types].xml"
# The main part of a workbook, as [Content_Types].xml names it (.xlsx, .xlsm, templates).
_XLSX_MAINS = (
    b"spreadsheetml.sheet.main+xml",
    b"spreadsheetml.template.main+xml",
    b"ms-excel.sheet.macroEnabled.main+xml",
    b"ms-excel.template.macroEnabled.main+xml",
)
_XLSB_MAIN = b"ms-excel.sheet.binary.macroEnabled.main"


def _is_encrypted_ole(path: Path) -> bool:
    """An OLE file holding an EncryptionInfo stream: an .xlsx with an opening password."""
    overlap = len(_ENCRYPTION_INFO)
    tail = b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            if _ENCRYPTION_INFO in tail + chunk:
                return True
            tail = chunk[-overlap:]
    return False


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark (Excel's "Unicode text")
    if b"\x00" in head:
        return False
    for encoding in ("utf-8", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as err:
            if err.start >= len(head) - 4:  # cut in the middle of a character
                return True
    return False


def check_xlsx(path: Path | str, what: str = "") -> Path:
    """Refuse, with one Chinese message, anything that is not a readable .xlsx file.

    `what` names the file in messages (default: its name).  Returns the path.
    """
    file = Path(path)
    name = what or f"“{file.name}”"
    if not file.exists():
        raise NotAWorkbookError(f"找不到文件“{file}”。", str(file))
    if file.is_dir():
        raise NotAWorkbookError(f"“{file}”是一个文件夹，不是 Excel 文件。", str(file))
    with file.open("rb") as handle:
        head = handle.read(4096)
    if not head:
        raise NotAWorkbookError(f"{name}是空文件，不是 Excel 工作簿。", str(file))
    if head.startswith(_OLE_MAGIC):
        if _is_encrypted_ole(file):
            raise EncryptedWorkbookError(
                f"{name}设置了打开密码（已加密），无法读取。请在 Excel 中取消密码"
                "（文件 → 信息 → 保护工作簿 → 用密码进行加密，清空密码）后保存，再试。",
                str(file),
            )
        raise NotAWorkbookError(
            f"{name}是旧版 Excel 97-2003 工作簿（.xls），本程序只读 .xlsx。"
            "请在 Excel 中“另存为 → Excel 工作簿（*.xlsx）”后再试。",
            str(file),
        )
    if not head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        if _looks_like_text(head):
            raise NotAWorkbookError(
                f"{name}不是 Excel 工作簿（.xlsx），而是文本文件（可能是改了扩展名的 CSV）。"
                "请在 Excel 中打开后“另存为 → Excel 工作簿（*.xlsx）”再试。",
                str(file),
            )
        raise NotAWorkbookError(f"{name}不是 Excel 工作簿（.xlsx）文件。", str(file))
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
            types = archive.read(_CONTENT_TYPES) if _CONTENT_TYPES in names else b""
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, zlib.error) as err:
        if isinstance(err, PermissionError):
            raise
        raise _corrupt(file, what) from err
    if mimetype.startswith(_ODS_MIME):
        raise NotAWorkbookError(
            f"{name}是 ODS 表格（WPS/LibreOffice 格式），不是 .xlsx。"
            "请另存为“Excel 工作簿（*.xlsx）”后再试。",
            str(file),
        )
    if _XLSB_MAIN in types:
        raise NotAWorkbookError(
            f"{name}是 Excel 二进制工作簿（.xlsb），请另存为“Excel 工作簿（*.xlsx）”后再试。",
            str(file),
        )
    if not any(main in types for main in _XLSX_MAINS):
        raise NotAWorkbookError(
            f"{name}是压缩包或其他 Office 文件，不是 Excel 工作簿（.xlsx）。", str(file)
        )
    return file


def _corrupt(file: Path, what: str) -> CorruptWorkbookError:
    name = what or f"“{file.name}”"
    return CorruptWorkbookError(
        f"{name}已损坏（文件不完整或内容有误），无法读取。请重新获取该文件。", str(file)
    )


def _read_errors() -> tuple[type[BaseException], ...]:
    import xml.etree.ElementTree as ET

    from openpyxl.utils.exceptions import InvalidFileException

    return (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        KeyError,
        IndexError,
        TypeError,
        ValueError,
        AttributeError,
        ET.ParseError,
        InvalidFileException,
    )


@contextmanager
def reading(path: Path | str, what: str = "") -> Iterator[None]:
    """Turn the errors a damaged workbook raises while it is read into CorruptWorkbookError."""
    try:
        yield
    except WorkbookError:
        raise
    except _read_errors() as err:
        raise _corrupt(Path(path), what) from err


def load_workbook(path: Path | str, *, read_only: bool = True, what: str = "") -> Workbook:
    """Open an .xlsx for reading after `check_xlsx` (values as stored, no formulas run)."""
    import warnings

    from openpyxl import load_workbook as openpyxl_load

    file = check_xlsx(path, what)
    with reading(file, what), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns about unknown extensions etc.
        return openpyxl_load(file, read_only=read_only, data_only=False)
