"""Due list and dashboard at district scale (30k people, ~1M visits).

Builds (or reuses, from --dir) the district demo database and times, on one
connection in one run:
- `duelist.due_list` (default filters, one tier, overdue only) and `due_counts`,
  beside the naive query a first version would write: max(visit_date) per
  person over all visits, then the due arithmetic in Python;
- the whole `dashboard.dashboard()` call (due counts, follow-ups, month stats,
  the ten indicators, day-care counts), as the home screen sees it (indicators
  kept until the register changes) and cold (right after a register change).

Goals: due list p95 <= 20 ms, whole dashboard p95 <= 100 ms.

    python benchmarks/visits.py --dir .bench [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from timing import p95, timed  # benchmarks/timing.py

from canxie_tui.domain.tiers import DEFAULT_TIER_SETTINGS
from canxie_tui.store import dashboard, duelist, indicators
from canxie_tui.store.db import Store
from canxie_tui.store.demo import build_demo
from canxie_tui.store.duelist import DueFilters

TODAY = date(2026, 11, 27)
GOAL_DUE_MS = 20.0
GOAL_DASHBOARD_MS = 100.0

NAIVE_SQL = """
SELECT p.id, p.tier, p.created_at, max(v.visit_date)
FROM persons p
LEFT JOIN visit_persons vp ON vp.person_id = p.id
LEFT JOIN visits v ON v.id = vp.visit_id AND v.deleted = 0
WHERE p.status = 'active' AND p.category IS NOT NULL
GROUP BY p.id
"""


def naive_due(store: Store) -> list[tuple[str, date]]:
    """Last visit per person by aggregation over every visit, then the due dates."""
    horizon = TODAY + timedelta(days=7)
    due = []
    for person_id, tier, created, last in store.db.conn.execute(NAIVE_SQL):
        interval = DEFAULT_TIER_SETTINGS.intervals.get(tier, 90)
        start = date.fromisoformat(last) if last else date.fromisoformat(created[:10])
        when = start + timedelta(days=interval) if last else start
        if when < horizon:
            due.append((person_id, when))
    due.sort(key=lambda item: item[1])
    return due[:500]


def open_district(directory: Path) -> Store:
    path = directory / "district-seed1.db"
    if path.exists():
        print(f"reusing {path}")
        return Store.open(path)
    store = Store.open(path)
    started = time.perf_counter()
    counts = build_demo(store, scale="district", seed=1, today=TODAY)
    print(f"built {path} in {time.perf_counter() - started:.0f}s: {counts}")
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, help="cache folder for the district database")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_district(args.dir or Path(tmp))
        people = store.scalar("SELECT count(*) FROM persons WHERE status = 'active'")
        visits = store.scalar("SELECT count(*) FROM visits")
        print(f"{people} people in the register, {visits} visits\n")

        def cold_dashboard() -> object:
            """Right after a register change: the indicators are recomputed from every person."""
            indicators._cache.clear()
            return dashboard.dashboard(store, TODAY)

        cases: list[tuple[str, Callable[[], object], float | None]] = [
            ("due list (7 days)", lambda: duelist.due_list(store, TODAY), GOAL_DUE_MS),
            (
                "due list tier A",
                lambda: duelist.due_list(store, TODAY, DueFilters(tier="A")),
                GOAL_DUE_MS,
            ),
            (
                "due list overdue",
                lambda: duelist.due_list(store, TODAY, DueFilters(overdue_only=True)),
                GOAL_DUE_MS,
            ),
            ("due counts", lambda: duelist.due_counts(store, TODAY), GOAL_DUE_MS),
            ("naive max(visit_date)", lambda: naive_due(store), None),
            ("whole dashboard", lambda: dashboard.dashboard(store, TODAY), GOAL_DASHBOARD_MS),
            ("dashboard, cold", cold_dashboard, None),
        ]
        results = {}
        ok = True
        print(f"{'case':<24}{'p50':>10}{'p95':>10}  verdict")
        for name, fn, goal in cases:
            slow = "naive" in name or "cold" in name
            times = timed(fn, max(3, args.runs // 10) if slow else args.runs)
            results[name] = statistics.median(times)
            verdict = "—" if goal is None else ("ok" if p95(times) <= goal else f"> {goal:g} ms")
            ok = ok and verdict in ("ok", "—")
            print(f"{name:<24}{statistics.median(times):>8.2f}ms{p95(times):>8.2f}ms  {verdict}")
        ratio = results["naive max(visit_date)"] / results["due list (7 days)"]
        print(f"\ndue list vs naive aggregation: {ratio:.0f}x faster (median)")
        print(
            "PASS" if ok else "FAIL",
            f": due list p95 <= {GOAL_DUE_MS:g} ms, dashboard p95 <= {GOAL_DASHBOARD_MS:g} ms",
        )
        store.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
