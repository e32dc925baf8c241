"""The `_元数据` sheet our machine-readable workbooks carry (the monthly return, the survey's
results): key/value rows, one row per data sheet (name, table, rows, SHA-256), then the
checksum over all of it (`return_format.meta_checksum`).  Written here, read by `read_meta`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from canxie_tui.excel.book import Book
from canxie_tui.excel.cells import DataError, canonical_row, data_value, read_data_rows, text_cell
from canxie_tui.excel.return_format import meta_checksum
from canxie_tui.excel.sheet_stream import stream_data_rows
from canxie_tui.excel.table import Look, setup_print

__all__ = ["DataError", "SheetMismatch", "read_meta", "read_verified", "write_meta"]


def write_meta(
    book: Book, ws: Any, items: Sequence[tuple[str, Any, str]], rows: Sequence[Sequence[Any]]
) -> str:
    """`items`: (key, value, 说明); `rows`: (sheet, table, row count, SHA-256) per data sheet.

    Returns the checksum (a signed return adds its `mac` row over it after)."""
    checksum = meta_checksum([(k, v) for k, v, _ in items], rows)
    for letter, width in zip("ABCDE", (16, 34, 40, 10, 66), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    setup_print(ws, repeat_rows=1)
    bold = book.style(Look(bold=True))
    ws.append([text_cell(ws, title, bold) for title in ("键", "值", "说明")])
    for key, value, note in items:
        ws.append([data_value(ws, key), data_value(ws, value), data_value(ws, note)])
    ws.append([])
    ws.append(
        [None, *(text_cell(ws, title, bold) for title in ("工作表", "数据表", "行数", "SHA-256"))]
    )
    for row in rows:
        ws.append([data_value(ws, "sheet"), *(data_value(ws, v) for v in row)])
    ws.append([])
    ws.append(
        [
            data_value(ws, "checksum"),
            data_value(ws, checksum),
            data_value(ws, "以上全部内容的 SHA-256 校验和"),
        ]
    )
    return checksum


def read_meta(ws: Any) -> tuple[list[tuple[str, Any]], list[list[Any]], str, str]:
    """(key/value items in order, sheet rows, checksum, MAC or "") of a `_元数据` sheet.

    Raises DataError when a cell holds what an export never writes.
    """
    items: list[tuple[str, Any]] = []
    sheets: list[list[Any]] = []
    checksum = mac = ""
    for row in read_data_rows(ws, 5):
        key = row[0]
        if key == "sheet":
            sheets.append(row[1:5])
        elif key == "checksum":
            checksum = str(row[1])
        elif key == "mac":  # after the checksum, over it (domain.transit.return_mac)
            mac = str(row[1])
        elif key:
            items.append((str(key), row[1]))
    return items, sheets, checksum, mac


class SheetMismatch(ValueError):
    """A data sheet that does not match its `_元数据` row; the text says how (Chinese)."""


def read_verified(
    ws: Any, expected_rows: int, expected_sha: str, step: Any = None
) -> list[dict[str, Any]]:
    """The rows of a read-only data sheet (column -> value), checked against its count
    and SHA-256; its XML is streamed (`excel.sheet_stream`: the merge's hot loop).

    Raises SheetMismatch: a cell an export never writes, another row count, another digest.
    """
    header = next(ws.iter_rows(min_row=1, max_row=1, values_only=True), ())
    columns = [str(c) for c in header if c not in (None, "")]
    digest = hashlib.sha256(canonical_row(columns))
    rows: list[dict[str, Any]] = []
    try:
        for values in stream_data_rows(ws, len(columns)):
            if all(v == "" for v in values):
                continue  # an empty row (never exported: every row has an id)
            digest.update(canonical_row(values))
            rows.append(dict(zip(columns, values, strict=True)))
            if step is not None:
                step(len(rows))
    except DataError as err:
        raise SheetMismatch(f"有导出时不会写入的内容（{err}）") from err
    if len(rows) != expected_rows:
        raise SheetMismatch(f"应有 {expected_rows} 行，实有 {len(rows)} 行")
    if digest.hexdigest() != expected_sha:
        raise SheetMismatch("的数据与校验和不符")
    return rows
