"""渝馨家园 at scale: the month grid and the monthly statistics over three years of attendance.

Generates a centre with 200 members (some joining and leaving along the way) and
three years of daily attendance, written directly with executemany in one
transaction, then times, on the same connection in the same run:

- `daycare.month_grid` (and the grid laid out as text lines, CJK-aware, the way
  a screen renders it) and `daycare.month_stats`, each over a different month
  per run;
- the naive approach beside them: one SELECT per member per day (and per day for
  the closure), the statistics summed in Python from those per-cell reads.

Goal: p95 <= 100 ms for the grid and for the statistics.

    python benchmarks/daycare.py [--members 200] [--years 3] [--runs 36] [--keep FILE]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from rich.cells import cell_len

from canxie_tui.domain import codes
from canxie_tui.domain import daycare as rules
from canxie_tui.store import daycare, session
from canxie_tui.store.connection import Store

NOW = datetime(2026, 11, 27, 10, 0)
TODAY = NOW.date()
GOAL_MS = 100.0
SERVICES = list(codes.DAYCARE_SERVICES)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = "芳强秀英军华明丽静敏伟勇艳娟涛建平刚桂兰玉梅红霞峰磊超洋"
WEEKDAY_PATTERNS = ["12345"] * 6 + ["135", "246", "24", "1234567", "12345", "6"]


def _closures(start: date, end: date, rng: random.Random) -> set[date]:
    """Spring Festival and National Day weeks, 元旦, and a few temporary closures a year."""
    days: set[date] = set()
    for year in range(start.year, end.year + 1):
        spring = date(year, 2, 1) + timedelta(days=rng.randint(0, 14))
        days.update(spring + timedelta(days=n) for n in range(7))
        days.update(date(year, 10, 1) + timedelta(days=n) for n in range(7))
        days.add(date(year, 1, 1))
        for _ in range(4):
            days.add(date(year, 1, 1) + timedelta(days=rng.randint(0, 364)))
    return {d for d in days if start <= d <= end}


def build(path: Path, members: int, years: int, seed: int) -> Store:
    rng = random.Random(seed)
    store = session.open_store(path, clock=lambda: NOW)
    first_day = date(TODAY.year - years, TODAY.month, 1)
    now = NOW.isoformat(timespec="seconds")
    closed = _closures(first_day, TODAY, rng)
    households, persons, enrolments = [], [], []
    for n in range(members):
        household_id, person_id, member_id = (str(uuid.uuid4()) for _ in range(3))
        households.append((household_id, f"建新东路{n + 1}号", now, now))
        name = rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.choice((1, 2))))
        persons.append(
            (person_id, household_id, name, rng.randint(1, 7), rng.randint(1, 4), now, now)
        )
        # 70% there from the start; the others join later; one in six has left.
        start = first_day if rng.random() < 0.7 else first_day + timedelta(rng.randint(0, 900))
        end = ""
        if rng.random() < 1 / 6:
            end = (start + timedelta(rng.randint(60, 700))).isoformat()
            end = min(end, TODAY.isoformat())
        services = json.dumps(sorted(rng.sample(SERVICES, rng.randint(1, 3))))
        weekdays = rng.choice(WEEKDAY_PATTERNS)
        enrolments.append(
            (member_id, person_id, services, weekdays, start.isoformat(), end, "", now, now)
        )
    rows = []
    for member_id, _, services, weekdays, start_text, end_text, *_ in enrolments:
        member = rules.Member(
            member_id,
            "",
            "",
            frozenset(json.loads(services)),
            weekdays,
            date.fromisoformat(start_text),
            date.fromisoformat(end_text) if end_text else None,
        )
        day = member.start
        while day <= TODAY:
            roll = rng.random()
            if rules.expected_on(member, day, closed):
                if roll < 0.80:
                    status, half = "present", int(rng.random() < 0.1)
                elif roll < 0.88:
                    status, half = "leave", 0
                elif roll < 0.95:
                    status, half = "absent", 0
                else:
                    status = ""  # not recorded
            elif day not in closed and rules.active_on(member, day) and roll < 0.02:
                status, half = "present", 1  # a walk-in
            else:
                status = ""
            if status:
                present = status == "present"
                rows.append(
                    (
                        str(uuid.uuid4()),
                        member_id,
                        day.isoformat(),
                        status,
                        half,
                        int(present and rng.random() < 0.7),
                        services if present else "[]",
                        f"0{rng.randint(7, 9)}:{rng.randint(0, 59):02d}" if present else "",
                        now,
                        now,
                    )
                )
            if member.end is not None and day >= member.end:
                break
            day += timedelta(days=1)
    with store.transaction() as db:
        conn = db.conn
        conn.executemany(
            "INSERT INTO households (id, address, created_at, updated_at) VALUES (?, ?, ?, ?)",
            households,
        )
        conn.executemany(
            "INSERT INTO persons (id, household_id, name, category, level, created_at, "
            "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            persons,
        )
        conn.executemany(
            "INSERT INTO daycare_members (id, person_id, services, weekdays, start_date, "
            "end_date, end_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            enrolments,
        )
        conn.executemany(
            "INSERT INTO daycare_closures (id, day, reason, created_at, updated_at) "
            "VALUES (?, ?, '闭馆', ?, ?)",
            [(str(uuid.uuid4()), d.isoformat(), now, now) for d in sorted(closed)],
        )
        conn.executemany(
            "INSERT INTO attendance (id, member_id, day, status, half_day, meal, services, "
            "arrival_time, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    store.db.conn.execute("ANALYZE")
    return store


# -- the naive way: one query per cell -------------------------------------------------
def naive_members(store: Store, year: int, month: int) -> list[rules.Member]:
    days = rules.month_days(year, month)
    rows = store.db.conn.execute(
        "SELECT m.id, m.person_id, p.name, m.services, m.weekdays, m.start_date, m.end_date "
        "FROM daycare_members m JOIN persons p ON p.id = m.person_id "
        "WHERE m.start_date <= ? AND (m.end_date = '' OR m.end_date > ?) ORDER BY p.name",
        (days[-1].isoformat(), days[0].isoformat()),
    ).fetchall()
    return [
        rules.Member(
            r[0],
            r[1],
            r[2],
            frozenset(json.loads(r[3])),
            r[4],
            date.fromisoformat(r[5]),
            date.fromisoformat(r[6]) if r[6] else None,
        )
        for r in rows
    ]


def naive_is_closed(store: Store, day: date) -> bool:
    found = store.db.conn.execute(
        "SELECT 1 FROM daycare_closures WHERE day = ?", (day.isoformat(),)
    ).fetchone()
    return found is not None


def naive_grid(store: Store, year: int, month: int) -> float:
    total = 0.0
    for member in naive_members(store, year, month):
        for day in rules.month_days(year, month):
            closed = {day} if naive_is_closed(store, day) else set()
            row = store.db.conn.execute(
                "SELECT status, half_day FROM attendance WHERE member_id = ? AND day = ?",
                (member.id, day.isoformat()),
            ).fetchone()
            mark = rules.Mark(row[0], bool(row[1])) if row else None
            rules.cell_symbol(member, day, mark, closed, TODAY)
            total += mark.person_days if mark else 0
    return total


def naive_stats(store: Store, year: int, month: int) -> float:
    person_days = 0.0
    people: set[str] = set()
    services: dict[str, int] = {}
    meals = 0
    for member in naive_members(store, year, month):
        for day in rules.month_days(year, month):
            row = store.db.conn.execute(
                "SELECT status, half_day, meal, services FROM attendance "
                "WHERE member_id = ? AND day = ?",
                (member.id, day.isoformat()),
            ).fetchone()
            naive_is_closed(store, day)
            if row and row[0] == "present":
                person_days += 0.5 if row[1] else 1
                people.add(member.person_id)
                meals += row[2]
                for code in json.loads(row[3]):
                    services[code] = services.get(code, 0) + 1
    return person_days


# -- timing ------------------------------------------------------------------------------
def grid_text(store: Store, year: int, month: int) -> list[str]:
    """The grid laid out as lines: a name column and two cells per day (CJK-aware)."""
    grid = daycare.month_grid(store, year, month)
    lines = []
    for row in grid.rows:
        name = row.member.name + " " * (8 - cell_len(row.member.name))
        cells = "".join(c + " " * (2 - cell_len(c)) for c in row.cells)
        lines.append(f"{name}{cells}{rules.format_days(row.person_days):>5}")
    return lines


def timed(run: Callable[[int, int], object], months: list[tuple[int, int]]) -> list[float]:
    run(*months[0])  # warm the page cache
    times = []
    for year, month in months:
        started = time.perf_counter()
        run(year, month)
        times.append((time.perf_counter() - started) * 1000)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--runs", type=int, default=36, help="months timed (cycling if more)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", type=Path, help="write the database here instead of a temp dir")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="canxie-daycare-") as scratch:
        path = args.keep or Path(scratch) / "daycare.db"
        if path.exists():
            for suffix in ("", "-wal", "-shm"):
                Path(f"{path}{suffix}").unlink(missing_ok=True)
        started = time.perf_counter()
        store = build(path, args.members, args.years, args.seed)
        conn = store.db.conn
        count = conn.execute("SELECT count(*) FROM attendance").fetchone()[0]
        span = conn.execute("SELECT min(day), max(day) FROM attendance").fetchone()
        print(
            f"built {args.members} members, {count} attendance rows ({span[0]} .. {span[1]}) "
            f"in {time.perf_counter() - started:.1f}s"
        )
        all_months = sorted(
            {
                (int(d[:4]), int(d[5:7]))
                for (d,) in conn.execute("SELECT DISTINCT day FROM attendance")
            }
        )
        rng = random.Random(args.seed)
        months = [all_months[i % len(all_months)] for i in range(args.runs)]
        rng.shuffle(months)
        sample = rng.sample(all_months, min(6, len(all_months)))  # the naive way is slow

        # The fast and naive ways agree before anything is timed.
        for year, month in sample:
            grid = daycare.month_grid(store, year, month)
            stats = daycare.month_stats(store, year, month)
            assert grid.total == stats.person_days == naive_stats(store, year, month), (year, month)
            assert naive_grid(store, year, month) == grid.total
        year, month = TODAY.year, TODAY.month
        rows = len(daycare.month_grid(store, year, month).rows)
        print(
            f"{len(months)} timed months (naive: {len(sample)}); {rows} members in {year}-{month:02d}\n"
        )

        ops: list[tuple[str, Callable[[int, int], object], Callable[[int, int], object] | None]] = [
            (
                "month_grid",
                lambda y, m: daycare.month_grid(store, y, m),
                lambda y, m: naive_grid(store, y, m),
            ),
            ("grid+text", lambda y, m: grid_text(store, y, m), None),
            (
                "month_stats",
                lambda y, m: daycare.month_stats(store, y, m),
                lambda y, m: naive_stats(store, y, m),
            ),
        ]
        print(
            f"{'operation':<12} {'p50':>8} {'p95':>8} {'naive p50':>10} {'p95':>8} {'ratio':>7}  verdict"
        )
        ok = True
        for name, fast, slow in ops:
            fast_ms = timed(fast, months)
            line = f"{name:<12} {statistics.median(fast_ms):>6.1f}ms {p95(fast_ms):>6.1f}ms"
            if slow is not None:
                slow_ms = timed(slow, sample)
                ratio = statistics.median(slow_ms) / statistics.median(fast_ms)
                line += (
                    f" {statistics.median(slow_ms):>8.1f}ms {p95(slow_ms):>6.1f}ms {ratio:>6.1f}x"
                )
            else:
                line += " " * 34
            good = p95(fast_ms) <= GOAL_MS
            ok = ok and good
            print(f"{line}  {'ok' if good else f'p95 > {GOAL_MS:g} ms'}")

        # For information: the sheet's hot paths on the same database.
        sheet_ms = timed(lambda y, m: daycare.day_sheet(store, TODAY), months[:10])
        members = [r.member.id for r in daycare.day_sheet(store, TODAY) if r.expected]
        mark_ms = []
        for member_id in members[:20]:
            t0 = time.perf_counter()
            daycare.mark(store, member_id, TODAY, "absent")
            mark_ms.append((time.perf_counter() - t0) * 1000)
        print(
            f"\n(info) day_sheet p50 {statistics.median(sheet_ms):.1f} ms; "
            f"mark absent + streak check p50 {statistics.median(mark_ms):.1f} ms "
            f"(max {max(mark_ms):.1f} ms)"
        )
        store.close()
        verdict = "PASS" if ok else "FAIL"
        print(f"{verdict}: month_grid and month_stats p95 <= {GOAL_MS:g} ms each")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
