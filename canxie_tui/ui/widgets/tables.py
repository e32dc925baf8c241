"""DataTable helpers the screens share: a table that shows text as typed, columns
keyed by their heading, the row under the cursor, and the cursor kept in place when
a table is filled again."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich.emoji import Emoji
from rich.text import Text, TextType
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey


def plain_cell(value: object) -> object:
    """`value` as a cell that shows exactly what it says.

    DataTable reads every str cell as Rich markup with emoji codes: a note "电话打不通[/]"
    crashes the table, "x[ok]y" shows "xy" and "甲:a:乙" shows "甲🅰乙".  Escaping the
    brackets cannot stop the emoji (and Rich's escape adds a backslash to a path that
    ends in one), so such a string becomes a Text, drawn as written; str(cell) gives it
    back.  Every other cell stays the str it was (most cells: names, dates, counts).
    """
    if isinstance(value, str) and (
        "[" in value or (":" in value and Emoji.replace(value) != value)
    ):
        return Text(value, no_wrap=True, end="")  # as DataTable makes a one-line str cell
    return value


class PlainTable(DataTable[Any]):
    """A DataTable whose str cells are plain text, never markup (see :func:`plain_cell`).

    Every table in the UI is one: each shows names, addresses, notes or file names that
    users and rosters supply.
    """

    def add_row(
        self,
        *cells: Any,
        height: int | None = 1,
        key: str | None = None,
        label: TextType | None = None,
    ) -> RowKey:
        return super().add_row(*map(plain_cell, cells), height=height, key=key, label=label)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: Any,
        *,
        update_width: bool = False,
    ) -> None:
        # add_rows and update_cell_at come through these two
        super().update_cell(row_key, column_key, plain_cell(value), update_width=update_width)


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
