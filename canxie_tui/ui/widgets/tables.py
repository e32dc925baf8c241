"""DataTable helpers the screens share: columns keyed by their heading, the row
under the cursor, and the cursor kept in place when a table is filled again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from textual.widgets import DataTable


def add_keyed_columns(table: DataTable[Any], labels: Iterable[str]) -> None:
    """One column per heading, keyed by the heading itself."""
    for label in labels:
        table.add_column(label, key=label)


def cursor_key(table: DataTable[Any]) -> str | None:
    """The key of the row under the cursor; None in an empty table."""
    if not table.row_count:
        return None
    return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value


def keep_cursor(table: DataTable[Any], row: int) -> None:
    """After a refill: the cursor back on `row`, or on the last row if fewer are left."""
    if table.row_count:
        table.move_cursor(row=min(row, table.row_count - 1))
