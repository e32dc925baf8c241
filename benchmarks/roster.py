"""Roster (花名册) import at district scale, beside the raw library floors.

Generates a roster of `--rows` rows (default 30,000) with valid ID and
certificate numbers (`domain.ids.make_id` / `make_certificate`), two title rows
with merged cells above the header, ~2.5 people per address, and times, in one
run on one machine:

- first import: `read_roster` + `preview` + `apply` into an empty register
  (backup, one transaction, audit entry per record, search index, tiers);
- re-import of the same file: read + preview, nothing to write;
- monthly update: the same roster a month later (`--changed` rows with a new
  phone, `--added` new people): read + preview + apply.

Floors, measured in the same run:
- read floor: python-calamine loading the sheet and handing every row to Python
  (the reader the import uses); openpyxl read-only is timed too, for information;
- write floor: SQLite writing the very rows the first import wrote (households,
  persons, audit entries, search terms, trigram documents) with executemany into
  an empty database of the same schema and settings, one transaction, no Python
  work per row.

`--before SRC` times the same three imports with another source tree (e.g.
`git archive main` unpacked) in a fresh process per run, interleaved with this
one's runs, for before/after figures (its floors are this run's).

Memory: the peak RSS of the whole process tree of a fresh process doing read +
preview + apply, for `--small` rows and for `--rows` (`memory.peak_tree_rss`).

Goals (issue 17): first import <= 1.5x (read floor + write floor); re-import and
monthly update <= 2x the read floor + write floor; peak RSS <= 200 MiB at 30k
rows, growing <= 10 % from 10k to 30k rows.  Exits 1 when a goal fails.

    python benchmarks/roster.py [--rows 30000] [--small 10000] [--dir .bench] [--before SRC]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path
from typing import Any

from memory import PRINT_OWN_PEAK, peak_tree_rss  # benchmarks/ is on sys.path

from canxie_tui.domain import ids
from canxie_tui.domain.models import Site
from canxie_tui.excel.roster import importer as roster
from canxie_tui.store import session, site
from canxie_tui.store.bulk import gc_paused
from canxie_tui.store.connection import Store

NOW = datetime(2026, 11, 29, 10, 0)
GOAL_RATIO = 1.5  # first import / (read floor + write floor)
OTHER_RATIO = 2.0  # re-import, monthly update / (read floor + write floor)
RSS_GOAL = 200 * 2**20
RSS_GROWTH = 1.10  # peak RSS at --rows / at --small
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


def make_roster(path: Path, rows: int, seed: int = 1, *, changed: int = 0, added: int = 0) -> Path:
    """A roster of `rows` people; with `changed`/`added`, the same roster a month
    later (that many rows with a new phone, that many new people at the end)."""
    from openpyxl import Workbook

    rng = random.Random(seed)
    later = random.Random(seed + 1000)  # the month's changes, not disturbing `rng`
    every = rows // changed if changed else 0
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
    for n in range(1, rows + added + 1):
        source = rng if n <= rows else later
        if n % 5 in (1, 3) or not address:
            address = (
                f"建新{source.randint(1, 400)}路{source.randint(1, 200)}号"
                f"{source.randint(1, 30)}栋{source.randint(1, 6)}单元{source.randint(101, 3302)}"
            )
        while True:
            born = date(source.randint(1930, 2015), source.randint(1, 12), source.randint(1, 28))
            number = ids.make_id(source.choice(AREAS), born, source.randint(0, 999))
            if number not in used:
                used.add(number)
                break
        category, level = source.randint(1, 7), source.randint(1, 4)
        row = [
            n,
            source.choice(SURNAMES) + "".join(source.sample(GIVEN, source.randint(1, 2))),
            "男" if int(number[16]) % 2 else "女",
            number,
            ids.make_certificate(number, category, level),
            source.choice((str(category), ids.CATEGORY_LABELS[category] + "残疾")),
            source.choice((level, ids.LEVEL_LABELS[level])),
            f"13{source.randint(0, 999999999):09d}",
            address,
            source.choice(("", "", "张三")),
            source.choice(("", f"139{source.randint(0, 99999999):08d}")),
        ]
        if every and n <= rows and n % every == 0:
            row[7] = f"15{later.randint(0, 999999999):09d}"
        ws.append(row)
    wb.save(path)
    return path


def floor_openpyxl(path: Path) -> float:
    from openpyxl import load_workbook

    start = time.perf_counter()
    with gc_paused():  # as the import reads: the fastest way to run the library
        wb = load_workbook(path, read_only=True)
        cells = 0
        for row in wb.worksheets[0].iter_rows(values_only=True):
            cells += len(row)
        wb.close()
    return time.perf_counter() - start


def floor_calamine(path: Path) -> float:
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    with gc_paused():
        book = CalamineWorkbook.from_path(str(path))
        cells = 0
        for row in book.get_sheet_by_index(0).iter_rows():
            cells += len(row)
        book.close()
    return time.perf_counter() - start


def fresh_store(folder: Path, name: str = "bench.db") -> Store:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.rmtree(folder / "backups", ignore_errors=True)
    store = session.open_store(path, clock=lambda: NOW)
    site.save_site(store, Site("江北区", "500105", "观音桥街道", "500105006", "", ""))
    site.switch_operator(store, site.add_operator(store, "李明"))
    return store


_FLOOR_TABLES = {
    "households": "SELECT * FROM households",
    "persons": "SELECT * FROM persons",
    "audit_log": "SELECT * FROM audit_log WHERE action = '导入花名册'",
    "search_terms": "SELECT * FROM search_terms",
}


def write_floor(source: Store, folder: Path) -> float:
    """SQLite writing the rows the import wrote, bare (see the module doc)."""
    conn = source.db.conn
    data: dict[str, tuple[list[str], list[tuple[object, ...]]]] = {}
    for table, sql in _FLOOR_TABLES.items():
        cursor = conn.execute(sql)
        names = [d[0] for d in cursor.description]
        keep = [i for i, n in enumerate(names) if n != "seq"]  # the log numbers itself
        data[table] = ([names[i] for i in keep], [tuple(r[i] for i in keep) for r in cursor])
    docs = conn.execute("SELECT rowid, doc FROM person_fts").fetchall()
    target = fresh_store(folder / "floor")
    try:
        db = target.db.conn
        start = time.perf_counter()
        db.execute("BEGIN IMMEDIATE")
        for table, (names, rows) in data.items():
            marks = ", ".join("?" for _ in names)
            db.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", rows)
        db.executemany("INSERT INTO person_fts (rowid, doc) VALUES (?, ?)", docs)
        db.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        target.close()


def timed_import(store: Store, path: Path) -> dict[str, float | int]:
    t0 = time.perf_counter()
    data = roster.read_roster(path, today=NOW.date())
    t1 = time.perf_counter()
    plan = roster.preview(store, data)
    t2 = time.perf_counter()
    result = roster.apply(store, plan)
    t3 = time.perf_counter()
    return {
        "read": t1 - t0,
        "preview": t2 - t1,
        "apply": t3 - t2,
        "total": t3 - t0,
        "new": plan.counts["new"],
        "changed": plan.counts["changed"],
        "added": result.added,
        "updated": result.updated,
        "rejected": len(plan.rejected),
    }


def three_imports(big: Path, later: Path, folder: Path, floor: bool = False) -> dict[str, Any]:
    """First import, re-import and monthly update on a fresh register (one run); with
    `floor`, the write floor of what the first import wrote too."""
    store = fresh_store(folder)
    try:
        first = timed_import(store, big)
        written = write_floor(store, folder) if floor else None
        t = time.perf_counter()
        again = roster.preview(store, roster.read_roster(big, today=NOW.date()))
        reimport = time.perf_counter() - t
        assert not again.has_changes, again.counts
        monthly = timed_import(store, later)
        return {"first": first, "floor": written, "reimport": reimport, "monthly": monthly}
    finally:
        store.close()


def three_imports_of(src: Path, big: Path, later: Path, folder: Path) -> dict[str, object]:
    """`three_imports` with the canxie_tui of source tree `src`, in a fresh process."""
    code = (
        "import json, sys; sys.path[:0] = sys.argv[1:3]; import roster as bench; "
        "from pathlib import Path; "
        "print(json.dumps(bench.three_imports(*map(Path, sys.argv[3:6]))))"
    )
    here = str(Path(__file__).parent)
    argv = [sys.executable, "-P", "-c", code, str(src), here, str(big), str(later), str(folder)]
    env = {**os.environ, "PYTHONPATH": str(src)}
    out = subprocess.run(argv, check=True, capture_output=True, text=True, env=env).stdout
    result: dict[str, object] = json.loads(out.splitlines()[-1])
    return result


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


def peak_rss(path: Path, folder: Path) -> int:
    """Peak RSS (bytes) of the process tree of a fresh process doing read + preview +
    apply of `path` (`memory.peak_tree_rss`: helper processes count too)."""
    code = (
        "import sys; sys.path.insert(0, sys.argv[3]); import roster as bench; "
        "from pathlib import Path; from canxie_tui.excel.roster import importer as roster; "
        "store = bench.fresh_store(Path(sys.argv[2])); "
        "roster.apply(store, roster.preview(store, roster.read_roster(sys.argv[1], "
        "today=bench.NOW.date()))); "
        f"{PRINT_OWN_PEAK}"
    )
    here = str(Path(__file__).parent)
    peak, _ = peak_tree_rss([sys.executable, "-c", code, str(path), str(folder / "rss"), here])
    return peak


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=30_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--changed", type=int, default=300, help="monthly update: new phones")
    parser.add_argument("--added", type=int, default=300, help="monthly update: new people")
    parser.add_argument("--runs", type=int, default=3, help="runs of each (best of)")
    parser.add_argument("--dir", type=Path, help="work folder (default: a temporary one)")
    parser.add_argument("--before", type=Path, help="another source tree to time too")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="canxie-roster-"))
    folder.mkdir(parents=True, exist_ok=True)

    t = time.perf_counter()
    big = make_roster(folder / "roster-big.xlsx", args.rows)
    later = make_roster(
        folder / "roster-later.xlsx", args.rows, changed=args.changed, added=args.added
    )
    small = make_roster(folder / "roster-small.xlsx", args.small, seed=2)
    print(f"generated {args.rows:,} + {args.small:,} rows in {time.perf_counter() - t:.1f}s")

    read_floor = min(floor_calamine(big) for _ in range(args.runs))
    openpyxl_read = min(floor_openpyxl(big) for _ in range(args.runs))
    firsts, monthlies = [], []
    floors: list[float] = []
    reimports: list[float] = []
    befores: list[dict[str, Any]] = []
    for _ in range(args.runs):  # best of: each on a fresh register, then on a copy of it
        if args.before:
            befores.append(three_imports_of(args.before, big, later, folder / "before"))
        run = three_imports(big, later, folder, floor=True)
        firsts.append(run["first"])
        floors.append(run["floor"])
        reimports.append(run["reimport"])
        monthlies.append(run["monthly"])
    first = min(firsts, key=lambda r: r["total"])
    monthly = min(monthlies, key=lambda r: r["total"])
    written, reimport = min(floors), min(reimports)

    print(f"read floor  (python-calamine, every row)     : {read_floor:6.2f}s")
    print(f"openpyxl read_only values_only (info)        : {openpyxl_read:6.2f}s")
    print(f"write floor (bare executemany, same rows)     : {written:6.2f}s")
    both = read_floor + written

    def line(label: str, r: dict[str, float | int]) -> None:
        print(
            f"{label}: read {r['read']:.2f}s + preview {r['preview']:.2f}s + apply "
            f"{r['apply']:.2f}s = {r['total']:.2f}s  ({r['new']:,} new, {r['changed']:,} "
            f"changed, {r['rejected']} rejected)"
        )

    if befores:
        line(
            f"BEFORE first import of {args.rows:,}",
            min((b["first"] for b in befores), key=lambda r: r["total"]),
        )
        print(f"BEFORE re-import, nothing to change : {min(b['reimport'] for b in befores):.2f}s")
        line(
            "BEFORE monthly update               ",
            min((b["monthly"] for b in befores), key=lambda r: r["total"]),
        )
        for key in ("first", "monthly"):
            shown = min(float(b[key]["total"]) for b in befores) / (read_floor + written)
            print(f"BEFORE {key:7s} / (read + write floor)   : {shown:5.2f}x")
    line(f"first import of {args.rows:,}", first)
    print(f"re-import, nothing to change : {reimport:.2f}s")
    line("monthly update               ", monthly)

    both_ratio = float(first["total"]) / both
    reimport_ratio = reimport / both
    monthly_ratio = float(monthly["total"]) / both
    print(
        f"first import   / (read + write floor)    : {both_ratio:5.2f}x  "
        f"{verdict(both_ratio <= GOAL_RATIO)} (goal {GOAL_RATIO}x)"
    )
    print(
        f"re-import      / (read + write floor)    : {reimport_ratio:5.2f}x  "
        f"{verdict(reimport_ratio <= OTHER_RATIO)} (goal {OTHER_RATIO}x)"
    )
    print(
        f"monthly update / (read + write floor)    : {monthly_ratio:5.2f}x  "
        f"{verdict(monthly_ratio <= OTHER_RATIO)} (goal {OTHER_RATIO}x)"
    )

    peak_small = peak_memory(small, folder)
    peak_big = peak_memory(big, folder)
    print(
        f"tracemalloc peak read+preview: {args.small:,} rows {peak_small / 2**20:.1f} MiB, "
        f"{args.rows:,} rows {peak_big / 2**20:.1f} MiB (x{peak_big / peak_small:.2f} for "
        f"x{args.rows / args.small:.1f} rows)"
    )
    rss_small = peak_rss(small, folder)
    rss_big = peak_rss(big, folder)
    rss_ok = rss_big <= RSS_GOAL and rss_big <= rss_small * RSS_GROWTH
    print(
        f"peak RSS (process tree) read+preview+apply: {args.small:,} rows "
        f"{rss_small / 2**20:.0f} MiB, {args.rows:,} rows {rss_big / 2**20:.0f} MiB "
        f"(x{rss_big / rss_small:.2f})  {verdict(rss_ok)} (goal <= {RSS_GOAL // 2**20} MiB, "
        f"x{RSS_GROWTH})"
    )
    if args.dir is None:
        shutil.rmtree(folder, ignore_errors=True)
    ok = (
        both_ratio <= GOAL_RATIO
        and reimport_ratio <= OTHER_RATIO
        and monthly_ratio <= OTHER_RATIO
        and rss_ok
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
