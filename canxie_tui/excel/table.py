"""Print-ready tables: looks (cell styles), columns, heading lines, page setup, `TableSheet`.

Part of the shared Excel helpers (see `excel.book` for the workbook they live
in).  openpyxl is imported inside functions only: importing this module does
not load it.

`Book.table(...)` gives a print-ready `TableSheet`: a title row (divisions,
report, period, sheet), a 填报单位 / 填报人 / 填报日期 row, a bold header that is
frozen on screen and repeated on every printed page, column widths measured in
display cells (a CJK character counts 2, via `rich.cells.cell_len`) over the
header and the first `SAMPLE_ROWS` rows and capped, rows as tall as their
wrapped texts need (LibreOffice and WPS do not size rows themselves), A4
landscape fitted to the page width, and a footer "第 N 页，共 M 页".  Rows
are "body", "total", "header", "section", "note"...: see `TableSheet.append`.
Cells are written as `excel.cells` describes: text stays text, never a formula.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len

from canxie_tui.excel.cells import (
    FORMULA_LEADS,
    MAX_CELL_TEXT,
    _display_text,
    _new_cell,
    column_letter,
    escape_text,
    fit_text,
    text_width,
)
from canxie_tui.excel.errors import ExportError

if TYPE_CHECKING:
    from openpyxl.cell.cell import Cell
    from openpyxl.chart._chart import ChartBase
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from canxie_tui.excel.book import Book

__all__ = [
    "HEADER",
    "INFO",
    "LINE",
    "MAX_WIDTH",
    "MIN_WIDTH",
    "NOTE",
    "NOTE_LINE",
    "SAMPLE_ROWS",
    "SECTION",
    "TITLE",
    "WIDTH_PADDING",
    "Column",
    "Heading",
    "Look",
    "TableSheet",
    "setup_print",
]

SAMPLE_ROWS = 1000  # rows a table buffers to measure its column widths
MIN_WIDTH = 4.0
MAX_WIDTH = 50.0
WIDTH_PADDING = 2.0
FOOTER = "第 &P 页，共 &N 页"
A4 = 9  # openpyxl's PAPERSIZE_A4


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
            if len(stored) > MAX_CELL_TEXT:  # people read it: the start, and how long it is
                value = fit_text(value)
                stored = escape_text(value)
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
