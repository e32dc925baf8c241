"""The roster import's error workbook: the rejected rows, to correct in the source file.

`write_errors(...)` writes them to `exports/导入错误_<file>_<time>.xlsx` (行号, 列,
值, 原因), ID and certificate numbers masked unless asked otherwise.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from canxie_tui.excel.book import Book
from canxie_tui.excel.files import exports_dir, safe_filename
from canxie_tui.excel.roster.plan import ImportPlan
from canxie_tui.excel.roster.read import RosterFile
from canxie_tui.excel.table import Column

__all__ = ["ERROR_COLUMNS", "error_path", "write_errors"]


ERROR_COLUMNS = (
    Column("行号", width=8, align="center"),
    Column("列", width=16),
    Column("值", width=26),
    Column("原因", max_width=70, wrap=True),
)


def error_path(source: Path, when: datetime, out_dir: Path | None = None) -> Path:
    folder = out_dir if out_dir is not None else exports_dir()
    stem = safe_filename(source.stem, "花名册")
    path = folder / f"导入错误_{stem}_{when:%Y%m%d-%H%M}.xlsx"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"导入错误_{stem}_{when:%Y%m%d-%H%M}-{n}.xlsx"
    return path


def write_errors(
    roster: RosterFile | ImportPlan,
    source_path: Path | str,
    *,
    out_dir: Path | None = None,
    now: datetime | None = None,
    full_ids: bool = False,
) -> Path | None:
    """Rejected rows → the error workbook (行号, 列, 值, 原因); None when there are none.

    Pass the plan (rather than the file) to include the rows `preview` rejected too.
    ID and certificate numbers are masked (前6后4) unless `full_ids`: the row
    number finds the row in the source file.
    """
    rejected = roster.rejected
    if not rejected:
        return None
    source = Path(source_path)
    path = error_path(source, now or datetime.now(), out_dir)
    with Book() as book:
        table = book.table("导入错误", ERROR_COLUMNS)
        for item in sorted(rejected, key=lambda r: r.row):
            table.append([item.row, item.column, item.shown_value(full_ids), item.reason])
        return book.save(path)
