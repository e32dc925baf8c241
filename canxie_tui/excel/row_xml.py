"""Rows of a write-only sheet written straight to its XML stream, byte for byte as openpyxl would.

openpyxl 3.1's write-only sheet builds an ElementTree element for every cell and
serializes it through et_xmlfile: most of an export's time, once per cell (the
monthly return writes ~1M cells at district scale).  `install(ws)` replaces that
step for one sheet: the cells our sheets hold (text, numbers, error values, styled
cells; `excel.cells`, `excel.table`) become the very same XML from plain strings,
and anything else (a formula, a date, a comment, a hyperlink) goes through
openpyxl's own cell writer, so the file is what openpyxl writes either way
(tests/unit/test_row_xml.py compares the two).

`data_row_xml` serializes a data sheet's row of database values in one step (the
cells `excel.cells.data_row` gives), to be appended as `RowXml`.

openpyxl is imported inside functions only: importing this module does not load it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from canxie_tui.excel.cells import (
    ERROR_VALUES,
    MAX_CELL_TEXT,
    NULL_VALUE,
    column_letter,
    data_row,
)

__all__ = ["RowXml", "data_row_xml", "install", "installed", "supported"]

# Column letters of the first columns, computed once (a return's widest sheet has 38).
_LETTERS = [column_letter(i) for i in range(1, 129)]
# openpyxl refuses these in a text (openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE).
_ILLEGAL = frozenset(chr(c) for c in (*range(0, 9), 11, 12, *range(14, 32)))


class RowXml(tuple[str]):
    """A row already serialized (`data_row_xml`); `ws.append` takes tuples."""


def _letter(column: int) -> str:
    return _LETTERS[column - 1] if column <= len(_LETTERS) else column_letter(column)


# ElementTree's escaping of element text and of attribute values (what et_xmlfile uses).
_cdata = escape
_ATTRIB = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}


def _attrib(text: str) -> str:
    return escape(text, _ATTRIB)


def _text(head: str, text: str) -> str:
    """An inline string cell (openpyxl marks text with outer blanks xml:space="preserve")."""
    stripped = text.strip()
    if stripped and stripped != text:
        return f'{head} t="inlineStr"><is><t xml:space="preserve">{_cdata(text)}</t></is></c>'
    if not text:
        return f'{head} t="inlineStr" />'
    return f'{head} t="inlineStr"><is><t>{_cdata(text)}</t></is></c>'


def _number(head: str, value: Any) -> str:
    return f'{head} t="n"><v>{value:.16g}</v></c>'


def _plain(ref: str, value: Any) -> str | None:
    """A bare value as openpyxl's scratch cell writes it (None: openpyxl must)."""
    kind = type(value)
    if kind is str:
        if len(value) > MAX_CELL_TEXT or (len(value) > 1 and value[0] == "="):
            return None
        if value in ERROR_VALUES:
            return f'<c r="{ref}" t="e"><v>{_cdata(value)}</v></c>'
        if not _ILLEGAL.isdisjoint(value):
            return None
        return _text(f'<c r="{ref}"', value)
    if kind is int or (kind is float and math.isfinite(value)):
        return _number(f'<c r="{ref}"', value)
    return None


def _cell(ref: str, cell: Any, style_id: int | None) -> str | None:
    """A ready-made cell (`excel.cells.text_cell` and the like; None: openpyxl must).

    style_id: the cell's style index when it has a style (openpyxl's `has_style`)."""
    value, kind = cell._value, cell.data_type
    if cell._comment is not None or cell._hyperlink is not None:
        return None
    head = f'<c r="{ref}"' if style_id is None else f'<c r="{ref}" s="{style_id}"'
    if value is None or value == "":
        if kind in ("f", "d"):
            return None
        return f'{head} t="{"inlineStr" if kind == "s" else kind}" />'
    if kind == "s" and type(value) is str:
        return _text(head, value)
    if kind == "n" and (type(value) is int or (type(value) is float and math.isfinite(value))):
        return _number(head, value)
    if kind == "e" and type(value) is str:
        return f'{head} t="e"><v>{_cdata(value)}</v></c>'
    return None


@lru_cache(maxsize=1)
def supported() -> bool:
    """Are openpyxl and et_xmlfile the versions whose output this reproduces (checked)?

    Elsewhere sheets keep openpyxl's own, slower path, and data sheets their cells."""
    import et_xmlfile
    import openpyxl
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet
    from openpyxl.worksheet._writer import WorksheetWriter

    return (
        openpyxl.__version__.startswith("3.1.")
        and str(getattr(et_xmlfile, "__version__", "")).startswith("2.")
        and all(hasattr(WriteOnlyWorksheet, a) for a in ("_get_writer", "_values_to_row"))
        and hasattr(WorksheetWriter, "write_row")
    )


def install(ws: Any, writer: Any) -> None:
    """Make write-only sheet `ws` write rows as above; `writer`: its WorksheetWriter,
    just made (see `supported`)."""
    from openpyxl.cell._writer import write_cell
    from openpyxl.cell.cell import Cell
    from openpyxl.comments.comment_sheet import CommentRecord

    from canxie_tui.excel.cells import _table_cell

    table_cell = _table_cell()
    dimensions = ws.row_dimensions

    def through_openpyxl(xf: Any, value: Any, row: int, column: int) -> None:
        # What openpyxl's _values_to_row and write_row do for one value.
        if isinstance(value, Cell):
            cell = value
        else:
            cell = Cell(ws)
            cell.value = value
        cell.column, cell.row = column, row
        if cell.hyperlink is not None:
            cell.hyperlink.ref = cell.coordinate
        if cell._comment is not None:
            ws._comments.append(CommentRecord.from_cell(cell))
        if cell._value is None and not cell.has_style and not cell._comment:
            return
        write_cell(xf, ws, cell, cell.has_style)

    def write_row(xf: Any, values: Sequence[Any], row: int) -> None:
        out = xf._file
        if type(values) is RowXml:
            out(values[0])
            return
        attributes = {"r": str(row)}
        dimension = dimensions.get(row)
        if dimension is not None:
            attributes.update(dimension)
        parts = ["<row" + "".join(f' {k}="{_attrib(v)}"' for k, v in attributes.items()) + ">"]
        number = str(row)
        for column, value in enumerate(values, 1):
            if value is None:
                continue
            kind = type(value)
            ref = _letter(column) + number
            if kind is table_cell or kind is Cell:
                style = value._style
                if style is not None and any(style):
                    xml = _cell(ref, value, value.style_id)  # TableCell: kept, Cell: looked up
                elif value._value is None and value._comment is None:
                    continue
                else:
                    xml = _cell(ref, value, None)
            else:
                xml = _plain(ref, value)
            if xml is None:
                out("".join(parts))
                parts.clear()
                through_openpyxl(xf, value, row, column)
            else:
                parts.append(xml)
        parts.append("</row>")
        out("".join(parts))

    ws._values_to_row = _as_given
    writer.write_row = write_row


def _as_given(values: Sequence[Any], row: int) -> Sequence[Any]:
    return values  # the rows go to `write_row` as appended


def installed(ws: Any) -> bool:
    """Does `ws` write its rows as above (and so take `RowXml` rows)?"""
    return getattr(ws, "_values_to_row", None) is _as_given


def data_row_xml(values: Sequence[Any], row: int) -> RowXml:
    """A data sheet's row serialized as openpyxl would write it: the cells
    `excel.cells.data_row` gives (its rules alone decide what each value becomes).

    Raises ExportError as `data_row` does: a text longer than a cell (the caller
    splits it, `excel.cells.split_row`), a number Excel cannot hold exactly, a type
    a data sheet does not take.  (This is the export's hot loop: the common cases inline.)
    """
    number = str(row)
    parts = [f'<row r="{number}">']
    add = parts.append
    letters = (
        _LETTERS if len(values) <= len(_LETTERS) else list(map(_letter, range(1, 1 + len(values))))
    )
    for letter, value in zip(letters, data_row(None, values), strict=False):
        kind = type(value)
        if kind is str:  # stored as it is: no escape, no formula, no error value but None's
            if value == NULL_VALUE:
                add(f'<c r="{letter}{number}" t="e"><v>{NULL_VALUE}</v></c>')
            elif (
                value[0].isspace()
                or value[-1].isspace()
                or "&" in value
                or "<" in value
                or ">" in value
            ):
                add(_text(f'<c r="{letter}{number}"', value))
            else:
                add(f'<c r="{letter}{number}" t="inlineStr"><is><t>{value}</t></is></c>')
        elif kind is int:
            add(f'<c r="{letter}{number}" t="n"><v>{value}</v></c>')
        elif value is None:  # an empty text
            continue
        elif kind is float:
            add(_number(f'<c r="{letter}{number}"', value))
        else:  # a text cell (`excel.cells.text_cell`): its text as stored
            add(_text(f'<c r="{letter}{number}"', value._value))
    parts.append("</row>")
    return RowXml(("".join(parts),))
