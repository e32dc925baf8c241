"""A long list shown a page at a time (STYLE.md: never thousands of rows in a
DataTable): the screen keeps the whole list, the table gets `PAGE` rows at first and
the next page when the cursor reaches the last loaded row."""

from __future__ import annotations

from typing import Any

from textual.widgets import DataTable

PAGE = 200  # rows added to a table at a time


def page_end(start: int, total: int, count: int = PAGE) -> int:
    """Where the rows to add from `start` end: whole pages covering `count`, never
    past `total`."""
    return min(total, start + -(-count // PAGE) * PAGE)


def rows_to_keep(table: DataTable[Any]) -> int:
    """On a refresh: as many rows as are loaded (at least a page), and the cursor's."""
    return max(PAGE, table.row_count, table.cursor_row + 1)


def wants_next_page(table: DataTable[Any], total: int) -> bool:
    """The cursor is on the last loaded row and rows are left to load."""
    return table.row_count < total and table.cursor_row >= table.row_count - 1


def paging_note(shown: int, total: int) -> str:
    """前 200 条，共 N 条 while rows are left to load; "" once all show."""
    return f"前 {shown} 条，共 {total} 条" if shown < total else ""
