"""Monthly return export, process to process, beside the openpyxl write-only floor.

    python benchmarks/export.py [--scale community|street|district] [--runs 3]
                                [--dir .bench] [--before SRC]

Builds the demo of `--scale` (build_demo; a street's month under test is filled up
to `--visits` visits and `--members` day-care members, and its previous month to
`--small-visits`, written directly with executemany).  Then, in the same run, each
a fresh process timed from spawn to exit (interpreter start and imports included,
as a user waits for them):

- export: `canxie export monthly --month 2026-10` (every sheet: print sheets with
  styles, widths, merges and the chart; the data sheets with their checksums; the
  SQL; the atomic save), median of `--runs`;
- floor: a process loading the very same cell values (read back from that
  workbook beforehand, pickled) and dumping them with a bare openpyxl write-only
  workbook, no styles, no logic, median of `--runs`;
- memory: peak RSS of the export's process tree (`memory.peak_tree_rss`), for the
  month under test and for the month before (a street's holds 4x fewer visits).

`--before SRC` times the export from another source tree too (e.g. `git archive
main` unpacked), interleaved with this one, for before/after figures.

Goals (issue 17): export <= 1.3x the floor at every scale; peak(big) <= 1.25x
peak(small).  Exits 1 when a goal fails.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from memory import PRINT_OWN_PEAK, peak_tree_rss  # benchmarks/memory.py
from startup import compiled

from canxie_tui.demo.builder import build_demo
from canxie_tui.store import session
from canxie_tui.store.connection import Store
from canxie_tui.store.visits import refresh_last_visits

NOW = datetime(2026, 11, 29, 18, 0)
BIG = (2026, 10)
SMALL = (2026, 9)
GOAL_RATIO = 1.3
GOAL_MEMORY = 1.25
METHODS = ("home", "phone", "wechat", "meet")
SERVICES = ("day_care", "rehab", "culture", "work", "training")


def _month_days(year: int, month: int) -> list[date]:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return [first + timedelta(days=n) for n in range((following - first).days)]


def fill_visits(store: Store, year: int, month: int, target: int, rng: random.Random) -> int:
    """Add visits (with visitor and people seen) until the month holds `target`."""
    conn = store.db.conn
    days = [d.isoformat() for d in _month_days(year, month)]
    have = conn.execute(
        "SELECT count(*) FROM visits WHERE visit_date BETWEEN ? AND ?", (days[0], days[-1])
    ).fetchone()[0]
    people = conn.execute(
        "SELECT id, household_id, tier FROM persons WHERE status = 'active' AND category IS NOT NULL"
    ).fetchall()
    operators = [r[0] for r in conn.execute("SELECT id FROM operators")]
    names = dict(conn.execute("SELECT id, name FROM operators").fetchall())
    visits, visitors, seen = [], [], []
    for _ in range(max(0, target - have)):
        person_id, household_id, tier = rng.choice(people)
        visit_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        day = rng.choice(days)
        stamp = f"{day}T{rng.randint(8, 17):02d}:{rng.randint(0, 59):02d}:00"
        operator = rng.choice(operators)
        problems = rng.random() < 0.2
        visits.append(
            (
                visit_id,
                stamp,
                names[operator],
                stamp,
                names[operator],
                household_id,
                day,
                rng.choice(METHODS),
                '["address", "needs", "phone"]',
                '["living"]' if problems else "[]",
                "家中老人行动不便，希望增加上门服务次数。" if problems else "",
                "已联系社区志愿者每周上门一次。" if problems else "",
                '["civil"]' if problems and rng.random() < 0.3 else "[]",
                "身体状况稳定，家属照顾到位。",
                tier,
            )
        )
        visitors.append((visit_id, operator))
        seen.append((visit_id, person_id))
    with store.transaction() as db:
        db.conn.executemany(
            "INSERT INTO visits (id, created_at, created_by, updated_at, updated_by, household_id, "
            "visit_date, method, checklist, problems, problem_text, help_given, referrals, note, tier) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            visits,
        )
        db.conn.executemany("INSERT INTO visit_visitors VALUES (?, ?)", visitors)
        db.conn.executemany("INSERT INTO visit_persons VALUES (?, ?)", seen)
    return have + len(visits)


def fill_daycare(
    store: Store, members: int, months: list[tuple[int, int]], rng: random.Random
) -> int:
    """Enrol people until `members` are enrolled, with attendance on their days of `months`."""
    conn = store.db.conn
    start = min(_month_days(*m)[0] for m in months).isoformat()
    enrolled = {r[0] for r in conn.execute("SELECT person_id FROM daycare_members")}
    candidates = [
        r[0]
        for r in conn.execute(
            "SELECT id FROM persons WHERE status = 'active' AND category IS NOT NULL ORDER BY pk"
        )
        if r[0] not in enrolled
    ]
    rng.shuffle(candidates)
    active = conn.execute(
        "SELECT count(*) FROM daycare_members WHERE start_date <= ? AND end_date = ''", (start,)
    ).fetchone()[0]
    stamp = f"{start}T09:00:00"
    new = []
    for person_id in candidates[: max(0, members - active)]:
        new.append(
            (
                str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                stamp,
                stamp,
                person_id,
                '["day_care"]',
                "12345",
                start,
            )
        )
    with store.transaction() as db:
        db.conn.executemany(
            "INSERT INTO daycare_members (id, created_at, updated_at, person_id, services, weekdays, start_date) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            new,
        )
        marks = []
        closed = {r[0] for r in db.conn.execute("SELECT day FROM daycare_closures")}
        for member_id, _, _, _, _, _, _ in new:
            for year, month in months:
                for day in _month_days(year, month):
                    if day.isoweekday() > 5 or day.isoformat() in closed:
                        continue
                    roll = rng.random()
                    status = "present" if roll < 0.85 else ("leave" if roll < 0.93 else "absent")
                    present = status == "present"
                    when = f"{day.isoformat()}T{rng.randint(8, 9):02d}:{rng.randint(0, 59):02d}:00"
                    marks.append(
                        (
                            str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                            when,
                            when,
                            member_id,
                            day.isoformat(),
                            status,
                            int(present and rng.random() < 0.1),
                            int(present and rng.random() < 0.6),
                            json.dumps(list(rng.sample(SERVICES, 2))) if present else "[]",
                            when[11:16] if present else "",
                        )
                    )
        db.conn.executemany(
            "INSERT INTO attendance (id, created_at, updated_at, member_id, day, status, half_day, "
            "meal, services, arrival_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            marks,
        )
    return active + len(new)


def build(path: Path, args: argparse.Namespace) -> Store:
    store = session.open_store(path, clock=lambda: NOW)
    if store.scalar("SELECT count(*) FROM persons"):
        return store
    started = time.perf_counter()
    build_demo(store, scale=args.scale, seed=args.seed, today=NOW.date())
    if args.scale == "street":  # the month the issue measured, filled up to its figures
        rng = random.Random(args.seed)
        fill_visits(store, *BIG, args.visits, rng)
        fill_visits(store, *SMALL, args.small_visits, rng)
        fill_daycare(store, args.members, [SMALL, BIG], rng)
        # What the audited visit path keeps per person (last visit, tier, due date): the
        # overdue counts read them.
        with store.transaction():
            refresh_last_visits(
                store, [r[0] for r in store.db.conn.execute("SELECT id FROM persons")]
            )
    print(f"（建库 {time.perf_counter() - started:.1f} 秒）")
    return store


def read_cells(path: Path) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet's cell values, as stored (what the floor writes again)."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True)
    try:
        return [
            (ws.title, [list(row) for row in ws.iter_rows(values_only=True)])
            for ws in wb.worksheets
        ]
    finally:
        wb.close()


# A bare write-only workbook holding the same cells: no styles, widths, merges or logic.
FLOOR = f"""
import pickle, sys
from openpyxl import Workbook
with open(sys.argv[1], "rb") as f:
    sheets = pickle.load(f)
wb = Workbook(write_only=True)
for title, rows in sheets:
    ws = wb.create_sheet(title)
    for row in rows:
        ws.append(row)
wb.save(sys.argv[2])
{PRINT_OWN_PEAK}
"""

# The export as the command line runs it, at the benchmark's clock, printing its peak.
EXPORT = f"""
import sys
from datetime import datetime
from pathlib import Path
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.store import session
store = session.open_store(Path(sys.argv[1]), clock=lambda: datetime({NOW.year}, {NOW.month}, {NOW.day}, 18))
export_monthly(store, int(sys.argv[2]), int(sys.argv[3]), out=Path(sys.argv[4]))
store.close()
{PRINT_OWN_PEAK}
"""


def timed_process(argv: list[str], src: Path | None = None) -> tuple[float, int]:
    """(seconds from spawn to exit, peak RSS of its process tree) of one fresh process."""
    env = dict(os.environ, PYTHONPATH=str(src)) if src is not None else None
    started = time.perf_counter()
    peak, _ = peak_tree_rss(argv, env=env)
    return time.perf_counter() - started, peak


def export(
    db: Path, month: tuple[int, int], out: Path, src: Path | None = None
) -> tuple[float, int]:
    out.unlink(missing_ok=True)
    return timed_process(
        [sys.executable, "-P", "-c", EXPORT, str(db), *map(str, month), str(out)], src
    )


def floor(cells: Path, out: Path) -> float:
    out.unlink(missing_ok=True)
    return timed_process([sys.executable, "-P", "-c", FLOOR, str(cells), str(out)])[0]


def counts(store: Store, month: tuple[int, int]) -> dict[str, int]:
    days = _month_days(*month)
    first, last = days[0].isoformat(), days[-1].isoformat()
    return {
        "visits": store.scalar(
            "SELECT count(*) FROM visits WHERE visit_date BETWEEN ? AND ?", (first, last)
        ),
        "attendance": store.scalar(
            "SELECT count(*) FROM attendance WHERE day BETWEEN ? AND ?", (first, last)
        ),
        "members": store.scalar(
            "SELECT count(*) FROM daycare_members WHERE start_date <= ? AND (end_date = '' OR end_date > ?)",
            (last, first),
        ),
        "persons": store.scalar("SELECT count(*) FROM persons"),
        "households": store.scalar("SELECT count(*) FROM households"),
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", choices=("community", "street", "district"), default="street")
    parser.add_argument("--visits", type=int, default=20_000, help="street: the month's visits")
    parser.add_argument("--small-visits", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, help="keep the database here between runs")
    parser.add_argument("--before", type=Path, help="another source tree to time too")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        name = (
            f"export-{args.scale}-{args.visits}-{args.small_visits}-{args.members}-{args.seed}.db"
        )
        store = build(folder / name, args)
        big, small = counts(store, BIG), counts(store, SMALL)
        store.close()
        db = folder / name
        print(
            f"{args.scale}：{big['persons']} 人，{big['households']} 户；"
            f"{BIG[0]}年{BIG[1]}月 走访 {big['visits']} 次，渝馨家园成员 {big['members']} 人，"
            f"考勤 {big['attendance']} 条"
        )
        for src in (args.before, None) if args.before else (None,):
            compiled(src)
        out, cells = Path(scratch) / "export.xlsx", Path(scratch) / "cells.pickle"
        export(db, BIG, out)  # warm-up (the OS file cache), and the cells for the floor
        sheets = read_cells(out)
        with cells.open("wb") as f:
            pickle.dump(sheets, f, protocol=pickle.HIGHEST_PROTOCOL)
        cell_count = sum(len(row) for _, rows in sheets for row in rows)
        sheet_count, size = len(sheets), out.stat().st_size / 2**20
        del sheets
        exports: list[float] = []
        befores: list[float] = []
        floors: list[float] = []
        peaks: list[int] = []
        for _ in range(args.runs):
            floors.append(floor(cells, Path(scratch) / "floor.xlsx"))
            if args.before:
                befores.append(export(db, BIG, out, args.before)[0])
            seconds, peak = export(db, BIG, out)
            exports.append(seconds)
            peaks.append(peak)
        peak_small = export(db, SMALL, Path(scratch) / "small.xlsx")[1]

    best_floor, ours = statistics.median(floors), statistics.median(exports)
    ratio = ours / best_floor
    peak_big = min(peaks)
    growth = peak_big / peak_small
    print(f"工作簿：{sheet_count} 个工作表，{cell_count:,} 个单元格位置，{size:.1f} MB")
    print(f"下限 openpyxl 只写同样单元格（进程）：{best_floor:6.2f}s  各次 {_each(floors)}")
    if befores:
        before = statistics.median(befores)
        print(
            f"导出（改前 {args.before}）        ：{before:6.2f}s  各次 {_each(befores)}  "
            f"{before / best_floor:.2f}x"
        )
    print(f"导出（本版）                      ：{ours:6.2f}s  各次 {_each(exports)}  {ratio:.2f}x")
    print(f"倍数：{ratio:.2f}x（目标 ≤ {GOAL_RATIO}x）")
    print(
        f"内存峰值（进程树 RSS）：{BIG[0]}年{BIG[1]}月（走访 {big['visits']} 次）{peak_big / 2**20:.0f} MB，"
        f"{SMALL[0]}年{SMALL[1]}月（走访 {small['visits']} 次）{peak_small / 2**20:.0f} MB，"
        f"比值 {growth:.2f}（目标 ≤ {GOAL_MEMORY}）"
    )
    ok = ratio <= GOAL_RATIO and growth <= GOAL_MEMORY
    print(
        "PASS" if ok else "FAIL", f": export ≤ {GOAL_RATIO}x floor, memory flat (≤ {GOAL_MEMORY}x)"
    )
    return 0 if ok else 1


def _each(values: list[float]) -> str:
    return " ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    raise SystemExit(main())
