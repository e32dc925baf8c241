"""Monthly return export at street scale, beside the raw openpyxl floor.

Builds the street demo (build_demo(scale="street"): ~5k certificate holders,
~7k people, ~4.3k households, a year of activity).  A street month of the demo
holds ~4k visits and 60 day-care members, so the month under test is filled up
to the issue's figures: `--visits` visits (default 20,000) and `--members`
day-care members (default 150) with their attendance, written directly with
executemany.  A second month gets `--small-visits` (default 5,000) for the
memory comparison.

Then, in the same run:

- export: `export_monthly` of the big month (all sheets: print sheets with
  styles, widths, merges and the chart; the data sheets with their checksums;
  the SQL; the atomic save), best of `--runs`;
- floor: the very same cell values (read back from that workbook beforehand)
  dumped by a bare openpyxl write-only workbook, no styles, no logic, best of
  `--runs`;
- memory: tracemalloc peak of the export of the big month and of the small one
  (4x fewer visit rows); flat means the peaks stay close.

Goals: export <= 1.5x the floor; peak(big) <= 1.25x peak(small).

    python benchmarks/export.py [--visits 20000] [--members 150] [--runs 3] [--dir .bench]
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import tempfile
import time
import tracemalloc
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from canxie_tui.demo.builder import build_demo
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.store import session
from canxie_tui.store.connection import Store

NOW = datetime(2026, 11, 29, 18, 0)
BIG = (2026, 10)
SMALL = (2026, 9)
GOAL_RATIO = 1.5
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


def build(path: Path, visits: int, small_visits: int, members: int, seed: int) -> Store:
    store = session.open_store(path, clock=lambda: NOW)
    if store.scalar("SELECT count(*) FROM persons"):
        return store
    started = time.perf_counter()
    build_demo(store, scale="street", seed=seed, today=NOW.date())
    rng = random.Random(seed)
    fill_visits(store, *BIG, visits, rng)
    fill_visits(store, *SMALL, small_visits, rng)
    fill_daycare(store, members, [SMALL, BIG], rng)
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


def floor(sheets: list[tuple[str, list[list[Any]]]], out: Path) -> float:
    """A bare write-only workbook holding the same cells: no styles, widths, merges or logic."""
    from openpyxl import Workbook

    gc.collect()
    started = time.perf_counter()
    wb = Workbook(write_only=True)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    wb.save(out)
    return time.perf_counter() - started


def export(store: Store, month: tuple[int, int], out: Path) -> float:
    gc.collect()
    started = time.perf_counter()
    export_monthly(store, *month, out=out)
    return time.perf_counter() - started


def peak_memory(store: Store, month: tuple[int, int], out: Path) -> float:
    """tracemalloc peak (MB) of one export."""
    gc.collect()
    tracemalloc.start()
    try:
        export_monthly(store, *month, out=out)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


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
    parser.add_argument("--visits", type=int, default=20_000)
    parser.add_argument("--small-visits", type=int, default=5_000)
    parser.add_argument("--members", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, help="keep the database here between runs")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.dir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        name = f"export-street-{args.visits}-{args.small_visits}-{args.members}-{args.seed}.db"
        store = build(folder / name, args.visits, args.small_visits, args.members, args.seed)
        big, small = counts(store, BIG), counts(store, SMALL)
        print(
            f"街道规模：{big['persons']} 人，{big['households']} 户；"
            f"{BIG[0]}年{BIG[1]}月 走访 {big['visits']} 次，渝馨家园成员 {big['members']} 人，考勤 {big['attendance']} 条"
        )
        out = Path(scratch) / "export.xlsx"
        export(store, BIG, out)  # warm-up (imports, caches), and the cells for the floor
        sheets = read_cells(out)
        cells = sum(len(row) for _, rows in sheets for row in rows)
        sheet_count = len(sheets)
        size = out.stat().st_size / 2**20
        exports, floors = [], []
        for _ in range(args.runs):
            floors.append(floor(sheets, Path(scratch) / "floor.xlsx"))
            exports.append(export(store, BIG, out))
        del sheets
        best_export, best_floor = min(exports), min(floors)
        ratio = best_export / best_floor
        peak_big = peak_memory(store, BIG, out)
        peak_small = peak_memory(store, SMALL, Path(scratch) / "small.xlsx")
        growth = peak_big / peak_small if peak_small else float("inf")
        store.close()

    print(f"工作簿：{sheet_count} 个工作表，{cells:,} 个单元格位置，{size:.1f} MB")
    print(f"{'':<28}{'最快':>10}{'各次':>28}")
    print(
        f"{'导出 export_monthly':<28}{best_export:>9.2f}s   "
        + " ".join(f"{t:.2f}" for t in exports)
    )
    print(
        f"{'下限 openpyxl 只写同样单元格':<24}{best_floor:>9.2f}s   "
        + " ".join(f"{t:.2f}" for t in floors)
    )
    print(f"倍数：{ratio:.2f}x（目标 ≤ {GOAL_RATIO}x）")
    print(
        f"内存峰值（tracemalloc）：走访 {big['visits']} 次的月份 {peak_big:.1f} MB，"
        f"走访 {small['visits']} 次的月份 {peak_small:.1f} MB，比值 {growth:.2f}（目标 ≤ {GOAL_MEMORY}）"
    )
    ok = ratio <= GOAL_RATIO and growth <= GOAL_MEMORY
    print(
        "PASS" if ok else "FAIL", f": export ≤ {GOAL_RATIO}x floor, memory flat (≤ {GOAL_MEMORY}x)"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
