"""Writing workbooks: `Book`, a streaming write-only workbook, and its lossless `DataSheet`.

Used by the monthly return (`excel.monthly_return`) and meant for every other
workbook the product writes (the roster import's error workbook, the emergency
call sheet, the district report).  openpyxl is imported inside functions only:
importing this module does not load it.

`Book` wraps an openpyxl *write-only* workbook: rows stream to temporary files,
so memory stays flat however many rows a sheet has.

- `Book.table(...)` gives a print-ready `TableSheet` (see `excel.table`).
- `Book.data_sheet(...)` gives a `DataSheet` for programs: a header of column
  names, then typed cells that read back exactly (see `excel.cells`), and the
  SHA-256 of its canonical content (`canonical_row`).
- Every sheet's rows are written by `excel.row_xml`: the XML openpyxl would
  write, made from strings rather than an element per cell.
- `Book.save(path)` writes through `atomic_save` (see `excel.files`): a
  temporary file in the same folder, renamed over the final name only when
  complete.  On any failure no file is left under the final name and no
  temporary file anywhere.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from canxie_tui.excel import row_xml
from canxie_tui.excel.cells import (
    _display_text,
    canonical_row,
    column_letter,
    data_row,
    number_cell,
    split_row,
    text_cell,
)
from canxie_tui.excel.errors import ExportError
from canxie_tui.excel.files import atomic_save
from canxie_tui.excel.table import Column, Heading, Look, TableSheet
from canxie_tui.store import scratch

if TYPE_CHECKING:
    from openpyxl.styles.cell_style import StyleArray
    from openpyxl.workbook.workbook import Workbook
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

__all__ = ["Book", "DataSheet"]


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
        _stream_to_private_folder(ws)
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
    def save(
        self, path: Path | str, *, password: str | None = None, overwrite: bool = True
    ) -> Path:
        """Finish every sheet and write the workbook atomically to `path` (encrypted with
        `password` before it gets that name; refused if `path` exists unless `overwrite`)."""
        try:
            for table in self._tables:
                table.close()
            return atomic_save(self.wb.save, path, password=password, overwrite=overwrite)
        finally:
            self.discard()  # after a save only empty streams are left; remove them too

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
                scratch.release(Path(out))
                if out in _writer.ALL_TEMP_FILES:
                    _writer.ALL_TEMP_FILES.remove(out)


def _stream_to_private_folder(ws: Any) -> None:
    """Stream the sheet's rows to a file in our private folder (`store.scratch`), each
    row written by `excel.row_xml` (the same XML as openpyxl's, many times faster).

    openpyxl's write-only sheet makes its stream with `NamedTemporaryFile` in the
    system's shared temporary folder, where an interrupted export left thousands
    of ID numbers.  Its writer takes the file to use (`out`); the sheet makes the
    writer on its first row (`_get_writer`), so that is where ours goes in.
    """
    from openpyxl.worksheet import _writer

    if not hasattr(type(ws), "_get_writer"):
        return
    fast = row_xml.supported()

    def get_writer() -> Any:
        if ws._writer is None:
            out = str(scratch.new_file("openpyxl.", ".xml"))
            _writer.ALL_TEMP_FILES.append(out)  # openpyxl's cleanup after saving expects it
            ws._writer = _writer.WorksheetWriter(ws, out=out)
            if fast:
                row_xml.install(ws, ws._writer)
            ws._writer.write_top()
        return ws._writer

    ws._get_writer = get_writer


class _StyleHost:
    """Stands in for a worksheet when registering styles (cells need `parent.parent`)."""

    def __init__(self, wb: Workbook) -> None:
        self.parent = wb


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
        self._row = 1  # the sheet's last row written
        self._fast = row_xml.installed(ws)  # rows go as XML made in one step

    def append(self, values: Sequence[Any]) -> None:
        try:
            if self._fast:
                self.ws.append(row_xml.data_row_xml(values, self._row + 1))
            else:
                self.ws.append(data_row(self.ws, values))
            self._row += 1
        except ExportError:  # a text longer than a cell: parts in rows of their own
            for row in split_row(self.ws, values):
                self.ws.append(row)
                self._row += 1
        self._hash.update(canonical_row(values))
        self.rows += 1

    @property
    def sha256(self) -> str:
        return self._hash.hexdigest()
