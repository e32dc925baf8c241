"""Roster (花名册) import of a district-scale file, beside the raw reader floor.

Generates a roster of `--rows` rows (default 30,000) with valid ID and
certificate numbers (`domain.ids.make_id` / `make_certificate`), two title rows
with merged cells above the header, ~2.5 people per address, and imports it
into an empty database: `read_roster` + `preview` + `apply` (backup, one
transaction, audit entry per record, search index, tier refresh).

Floor, measured in the same run on the same file: the fastest available reader
reading every cell (openpyxl read_only iter_rows values_only; python-calamine
too if it is installed — it is not a dependency).

Memory: tracemalloc peak of read + preview for `--small` rows (default 10,000)
and for `--rows`.  The workbook is streamed, never held; the accepted rows are
kept (the plan needs them), so the peak grows with the rows by that much.

Goals: import ≤ 2x the floor.

    python benchmarks/roster.py [--rows 30000] [--small 10000] [--dir .bench]
"""

from __future__ import annotations

import argparse
import gc
import random
import shutil
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path

from canxie_tui.domain import ids
from canxie_tui.domain.models import Site
from canxie_tui.store import site
from canxie_tui.store.db import Store
from canxie_tui.sync import roster

NOW = datetime(2026, 11, 29, 10, 0)
GOAL_RATIO = 2.0
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "芳强伟敏静丽军磊洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红梅琴云莲珍"
AREAS = ("500105", "510211", "500103", "500106")
HEADER = [
    "序号",
    "姓名",
    "性别",
    "公民身份号码",
    "残疾证号",
    "残疾类别",
    "残疾等级",
    "联系电话",
    "现住址",
    "监护人",
    "监护人电话",
]


def make_roster(path: Path, rows: int, seed: int = 1) -> Path:
    from openpyxl import Workbook

    rng = random.Random(seed)
    wb = Workbook()  # not write-only: the title rows are merged cells
    ws = wb.active
    assert ws is not None
    ws.title = "花名册"
    ws.append(["江北区残疾人花名册"])
    ws.append(["填报单位：区残联", None, None, None, None, "填报日期：2026年11月"])
    ws.merge_cells("A1:K1")
    ws.merge_cells("A2:E2")
    ws.append(HEADER)
    used: set[str] = set()
    address = ""
    for n in range(1, rows + 1):
        if n % 5 in (1, 3) or not address:
            address = f"建新{rng.randint(1, 400)}路{rng.randint(1, 200)}号{rng.randint(1, 30)}栋{rng.randint(1, 6)}单元{rng.randint(101, 3302)}"
        while True:
            born = date(rng.randint(1930, 2015), rng.randint(1, 12), rng.randint(1, 28))
            number = ids.make_id(rng.choice(AREAS), born, rng.randint(0, 999))
            if number not in used:
                used.add(number)
                break
        category, level = rng.randint(1, 7), rng.randint(1, 4)
        ws.append(
            [
                n,
                rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.randint(1, 2))),
                "男" if int(number[16]) % 2 else "女",
                number,
                ids.make_certificate(number, category, level),
                rng.choice((str(category), ids.CATEGORY_LABELS[category] + "残疾")),
                rng.choice((level, ids.LEVEL_LABELS[level])),
                f"13{rng.randint(0, 999999999):09d}",
                address,
                rng.choice(("", "", "张三")),
                rng.choice(("", f"139{rng.randint(0, 99999999):08d}")),
            ]
        )
    wb.save(path)
    return path


def floor_openpyxl(path: Path) -> float:
    from openpyxl import load_workbook

    start = time.perf_counter()
    wb = load_workbook(path, read_only=True)
    cells = 0
    for row in wb.worksheets[0].iter_rows(values_only=True):
        cells += len(row)
    wb.close()
    return time.perf_counter() - start


def floor_calamine(path: Path) -> float | None:
    try:
        from python_calamine import CalamineWorkbook  # type: ignore[import-not-found]
    except ImportError:
        return None
    start = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    rows = book.get_sheet_by_index(0).to_python()
    _ = sum(len(r) for r in rows)
    return time.perf_counter() - start


def fresh_store(folder: Path) -> Store:
    path = folder / "bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(folder / "backups", ignore_errors=True)
    store = Store.open(path, clock=lambda: NOW)
    site.save_site(store, Site("江北区", "500105", "观音桥街道", "500105006", "", ""))
    site.switch_operator(store, site.add_operator(store, "李明"))
    return store


def timed_import(path: Path, folder: Path) -> dict[str, float | int]:
    store = fresh_store(folder)
    try:
        t0 = time.perf_counter()
        data = roster.read_roster(path, today=NOW.date())
        t1 = time.perf_counter()
        plan = roster.preview(store, data)
        t2 = time.perf_counter()
        result = roster.apply(store, plan)
        t3 = time.perf_counter()
        persons = store.scalar("SELECT count(*) FROM persons")
        audit = store.scalar("SELECT count(*) FROM audit_log")
        t4 = time.perf_counter()
        again = roster.preview(store, roster.read_roster(path, today=NOW.date()))
        t5 = time.perf_counter()
        assert not again.has_changes, again.counts
    finally:
        store.close()
    return {
        "read": t1 - t0,
        "preview": t2 - t1,
        "apply": t3 - t2,
        "total": t3 - t0,
        "reimport_preview": t5 - t4,
        "persons": persons,
        "audit": audit,
        "added": result.added,
        "rejected": len(plan.rejected),
    }


def peak_memory(path: Path, folder: Path) -> int:
    store = fresh_store(folder)
    try:
        gc.collect()
        tracemalloc.start()
        plan = roster.preview(store, roster.read_roster(path, today=NOW.date()))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert plan.counts["new"] > 0
    finally:
        store.close()
    return peak


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3, help="floor runs (best of)")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="canxie-roster-"))
    folder.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    big = make_roster(folder / "roster-big.xlsx", args.rows)
    small = make_roster(folder / "roster-small.xlsx", args.small, seed=2)
    print(f"generated {args.rows:,} + {args.small:,} rows in {time.perf_counter() - t:.1f}s")

    floor = min(floor_openpyxl(big) for _ in range(args.runs))
    calamine = floor_calamine(big)
    fastest = min(floor, calamine) if calamine is not None else floor
    result = timed_import(big, folder)
    total = float(result["total"])
    print(f"floor openpyxl read_only values_only : {floor:7.2f}s")
    print(
        "floor python-calamine               : "
        + (f"{calamine:7.2f}s" if calamine is not None else "   (not installed)")
    )
    print(
        f"import {args.rows:,} rows: read {result['read']:.2f}s + preview "
        f"{result['preview']:.2f}s + apply {result['apply']:.2f}s = {total:.2f}s "
        f"({result['added']:,} added, {result['audit']:,} audit entries, "
        f"{result['rejected']} rejected)"
    )
    print(f"re-import preview (nothing to change): {result['reimport_preview']:.2f}s")
    ratio = total / fastest
    read_ratio = float(result["read"]) / fastest
    print(f"ratio import / floor: {ratio:.2f}x   (read+validate alone: {read_ratio:.2f}x)")

    peak_small = peak_memory(small, folder)
    peak_big = peak_memory(big, folder)
    per_row = (peak_big - peak_small) / max(args.rows - args.small, 1)
    print(
        f"peak memory read+preview: {args.small:,} rows {peak_small / 2**20:.1f} MiB, "
        f"{args.rows:,} rows {peak_big / 2**20:.1f} MiB "
        f"(x{peak_big / peak_small:.2f} for x{args.rows / args.small:.1f} rows; "
        f"≈{per_row:.0f} bytes per kept row)"
    )
    ok = ratio <= GOAL_RATIO
    print("PASS" if ok else "FAIL", f": import ≤ {GOAL_RATIO}x the reader floor")
    if args.dir is None:
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
