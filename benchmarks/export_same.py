"""The monthly return written by two source trees on one database: the same workbook?

    python benchmarks/export_same.py --before SRC DB [--month 2026-10 ...]

Exports each month with the tree in SRC (e.g. `git archive main` unpacked) and
with this one, each in a fresh process at the export benchmark's clock
(`export.EXPORT`) from its own copy of DB (an export writes its audit entry, whose
sequence number the next export's `_元数据` would carry), then compares the two files part by part: every part of the
package byte for byte (sheets with their cells, styles, widths, merges, print
settings; the chart; `_元数据` with its checksums and signature), but
docProps/core.xml, which holds the time of saving.  A sheet that differs is
also read back cell by cell to say where.  Exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
import zipfile
from pathlib import Path

from export import export  # benchmarks/export.py

SAVED_AT = "docProps/core.xml"


def copy(db: Path, to: Path) -> Path:
    with sqlite3.connect(db) as source, sqlite3.connect(to) as target:
        source.backup(target)
    source.close()
    target.close()
    return to


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


def cell_differences(old: Path, new: Path, limit: int = 5) -> list[str]:
    """Where the sheets' cells differ (value, type, style), at most `limit` per sheet."""
    from openpyxl import load_workbook

    found: list[str] = []
    a, b = load_workbook(old), load_workbook(new)
    if a.sheetnames != b.sheetnames:
        return [f"工作表不同：{a.sheetnames} ≠ {b.sheetnames}"]
    for name in a.sheetnames:
        wa, wb = a[name], b[name]
        shown = 0
        rows = max(wa.max_row, wb.max_row)
        cols = max(wa.max_column, wb.max_column)
        for r in range(1, rows + 1):
            for c in range(1, cols + 1):
                x, y = wa.cell(r, c), wb.cell(r, c)
                if (x.value, x.data_type, x.style_id) != (y.value, y.data_type, y.style_id):
                    found.append(f"{name}!{x.coordinate}: {x.value!r} ≠ {y.value!r}")
                    shown += 1
                    if shown >= limit:
                        break
            if shown >= limit:
                break
    return found


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("db", type=Path)
    parser.add_argument("--before", type=Path, required=True, help="the other source tree")
    parser.add_argument("--month", action="append", help="YYYY-MM (default 2026-10, 2026-09)")
    args = parser.parse_args()
    months = [tuple(map(int, m.split("-"))) for m in args.month or ["2026-10", "2026-09"]]
    failed = False
    with tempfile.TemporaryDirectory() as scratch:
        for year, month in months:
            old = Path(scratch) / f"old-{year}-{month}.xlsx"
            new = Path(scratch) / f"new-{year}-{month}.xlsx"
            for path, src in ((old, args.before), (new, None)):
                db = copy(args.db, Path(scratch) / f"{path.stem}.db")
                export(db, (year, month), path, src)
            a, b = parts(old), parts(new)
            differ = sorted(
                name
                for name in a.keys() | b.keys()
                if name != SAVED_AT and a.get(name) != b.get(name)
            )
            size = sum(len(v) for v in b.values())
            if differ:
                failed = True
                print(f"{year}-{month:02d}：{len(differ)} 个部件不同：{', '.join(differ)}")
                for line in cell_differences(old, new):
                    print("  ", line)
            else:
                print(
                    f"{year}-{month:02d}：{len(b)} 个部件（{size / 2**20:.1f} MB 未压缩）"
                    f"与改前逐字节相同（{SAVED_AT} 的保存时间除外）"
                )
    print("FAIL" if failed else "PASS", ": the same workbook as before")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
