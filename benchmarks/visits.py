"""Due list and dashboard at district scale (30k people, ~1M visits).

Builds (or reuses, from --dir) the district demo database and times, on one
connection in one run:
- `duelist.due_list` (default filters, one tier, overdue only) and `due_counts`,
  beside the naive query a first version would write: max(visit_date) per
  person over all visits, then the due arithmetic in Python;
- the whole `dashboard.dashboard()` call (due counts, follow-ups, month stats,
  the ten indicators, day-care counts), as the home screen sees it (indicators
  kept until the register changes) and cold (right after a register change),
  the cold one beside the dashboard as it was computed before (`dashboard_before`:
  every register person read into Python for the indicators, every visit of the
  month for the month's counts), and the indicators alone both ways.

Goals: due list p95 <= 20 ms, whole dashboard p95 <= 100 ms, warm and cold.  With
`--before SRC` (a source tree of the code before, e.g. /work/before7; `--before-db`:
a copy of the database at the schema that tree reads) the due lists by this tree and
by SRC, each in processes of their own, taking turns: the same people, none more
than 10% slower (p50).

    python benchmarks/visits.py --dir .bench [--runs 30] [--before SRC [--before-db DB]]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from timing import in_tree, p95, timed  # benchmarks/timing.py

from canxie_tui.demo.builder import build_demo
from canxie_tui.domain.indicators import Indicator, compute
from canxie_tui.domain.tiers import DEFAULT_TIER_SETTINGS
from canxie_tui.store import dashboard, duelist, followups, indicators, session
from canxie_tui.store.connection import Store
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


def python_indicators(store: Store) -> list[Indicator]:
    """The indicators as computed before: every register person read into Python."""
    return compute(indicators.person_facts(store, TODAY), indicators.options(store, TODAY))


def python_month_stats(store: Store) -> dashboard.MonthStats:
    """The month's counts as computed before: a Python loop over every visit of the month."""
    first, last = TODAY.replace(day=1).isoformat(), TODAY.isoformat()
    conn = store.db.conn
    by_method: Counter[str] = Counter()
    by_tier: Counter[str] = Counter()
    by_day: Counter[str] = Counter()
    households: set[str] = set()
    for day, method, tier, household in conn.execute(
        "SELECT visit_date, method, tier, household_id FROM visits "
        "WHERE visit_date BETWEEN ? AND ? AND deleted = 0",
        (first, last),
    ):
        by_method[method] += 1
        by_tier[tier] += 1
        by_day[day] += 1
        households.add(household)
    register = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT household_id FROM persons "
            "WHERE status = 'active' AND category IS NOT NULL"
        )
    }
    return dashboard.MonthStats(
        households_visited=len(households & register),
        households_total=len(register),
        visits=sum(by_day.values()),
        by_method=dict(by_method),
        by_tier=dict(by_tier),
        per_day=[by_day.get(TODAY.replace(day=d).isoformat(), 0) for d in range(1, TODAY.day + 1)],
    )


def dashboard_before(store: Store) -> dashboard.Dashboard:
    """`dashboard.dashboard()` after a register change, as it was computed before."""
    due = duelist.due_counts(store, TODAY)
    follow = followups.counts(store, TODAY)
    return dashboard.Dashboard(
        today=TODAY,
        overdue=due["overdue"],
        due_today=due["due_today"],
        followups_open=follow["open"],
        followups_overdue=follow["overdue"],
        attendance=dashboard._attendance(store, TODAY),
        month=python_month_stats(store),
        indicators=python_indicators(store),
        emergency=dashboard._emergency(store),
    )


# The due-list cases of a run, timed in a process running the code of a given tree.
_DUE_CASES = {"due list (7 days)": {}, "due list tier A": {"tier": "A"}}
_DUE_CASES |= {"due list overdue": {"overdue_only": True}}
_DUE_IN_TREE = """
import json, sys, time
from datetime import date
from pathlib import Path
from canxie_tui.store import duelist, session
from canxie_tui.store.duelist import DueFilters
store = session.open_store(Path(sys.argv[1]))
found = {}
for name, filters in json.loads(sys.argv[3]).items():
    args = (store, date.fromisoformat(sys.argv[4]), DueFilters(**filters))
    ids = [i.person_id for i in duelist.due_list(*args)[0]]
    times = []
    for _ in range(int(sys.argv[2])):
        start = time.perf_counter()
        duelist.due_list(*args)
        times.append((time.perf_counter() - start) * 1000)
    found[name] = {"ms": times, "ids": ids}
print(json.dumps(found))
"""
BEFORE_SLACK = 1.1


def against_before(db: Path, before: Path, before_db: Path, runs: int) -> bool:
    """The due lists by this tree and by `before`, taking turns; True when each lists
    the same people and none is more than BEFORE_SLACK slower (p50)."""
    here = Path(__file__).resolve().parents[1]
    times: dict[tuple[str, str], list[float]] = {}
    ids: dict[tuple[str, str], list[str]] = {}
    for _ in range(2):
        for tree, src, path in (("now", here, db), ("before", before, before_db)):
            cases = json.dumps(_DUE_CASES)
            found = in_tree(src, _DUE_IN_TREE, str(path), str(runs), cases, TODAY.isoformat())
            for name, result in found.items():
                times.setdefault((tree, name), []).extend(result["ms"])
                ids[(tree, name)] = result["ids"]
    print("\nthe due lists, this tree and --before, each in processes of their own:")
    print(f"{'case':<24}{'p50':>10}{'p95':>10}{'before p50':>12}{'before p95':>12}  before/now")
    ok = True
    for name in _DUE_CASES:
        new, old = times[("now", name)], times[("before", name)]
        same = ids[("now", name)] == ids[("before", name)]
        faster = statistics.median(old) / statistics.median(new)
        ok = ok and same and faster * BEFORE_SLACK >= 1
        print(
            f"{name:<24}{statistics.median(new):>8.2f}ms{p95(new):>8.2f}ms"
            f"{statistics.median(old):>10.2f}ms{p95(old):>10.2f}ms  {faster:>6.2f}x  "
            f"{'same list' if same else 'LIST DIFFERS'}"
        )
    return ok


def same_figures(store: Store) -> None:
    """The new path shows what the old one showed: the numbers and who falls short."""
    indicators._cache.clear()
    new, old = dashboard.dashboard(store, TODAY), dashboard_before(store)
    assert new.month == old.month, (new.month, old.month)
    seen = [(i.key, i.numerator, i.denominator, len(i.shortfall)) for i in new.indicators]
    assert seen == [(i.key, i.numerator, i.denominator, len(i.shortfall)) for i in old.indicators]
    for ind in old.indicators:  # and the lists themselves, as each is opened
        assert tuple(indicators.shortfall_ids(store, ind.key, TODAY)) == ind.shortfall, ind.key


def open_district(directory: Path) -> Store:
    path = directory / "district-seed1.db"
    if path.exists():
        print(f"reusing {path}")
        return session.open_store(path)
    store = session.open_store(path)
    started = time.perf_counter()
    counts = build_demo(store, scale="district", seed=1, today=TODAY)
    print(f"built {path} in {time.perf_counter() - started:.0f}s: {counts}")
    return store


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, help="cache folder for the district database")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--before", type=Path, help="the source tree before, measured too")
    parser.add_argument("--before-db", type=Path, help="the database at the schema it reads")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_district(args.dir or Path(tmp))
        people = store.scalar("SELECT count(*) FROM persons WHERE status = 'active'")
        visits = store.scalar("SELECT count(*) FROM visits")
        print(f"{people} people in the register, {visits} visits\n")

        same_figures(store)

        def cold_dashboard() -> object:
            """Right after a register change: the indicators are counted again."""
            indicators._cache.clear()
            return dashboard.dashboard(store, TODAY)

        def cold_indicators() -> object:
            indicators._cache.clear()
            return indicators.indicators(store, TODAY)

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
            ("dashboard, cold", cold_dashboard, GOAL_DASHBOARD_MS),
            ("dashboard, cold, before", lambda: dashboard_before(store), None),
            ("indicators, cold", cold_indicators, None),
            ("indicators, before", lambda: python_indicators(store), None),
        ]
        results = {}
        tails = {}
        ok = True
        print(f"{'case':<24}{'p50':>10}{'p95':>10}  verdict")
        for name, fn, goal in cases:
            runs = args.runs
            if "naive" in name:
                runs = max(3, args.runs // 10)
            elif "before" in name:
                runs = max(5, args.runs // 5)
            times = timed(fn, runs)
            results[name], tails[name] = statistics.median(times), p95(times)
            verdict = "—" if goal is None else ("ok" if p95(times) <= goal else f"> {goal:g} ms")
            ok = ok and verdict in ("ok", "—")
            print(f"{name:<24}{statistics.median(times):>8.2f}ms{p95(times):>8.2f}ms  {verdict}")
        ratio = results["naive max(visit_date)"] / results["due list (7 days)"]
        print(f"\ndue list vs naive aggregation: {ratio:.0f}x faster (median)")
        new, old = tails["dashboard, cold"], tails["dashboard, cold, before"]
        print(
            f"cold dashboard p95: {new:.1f} ms, before {old:.1f} ms in this run "
            f"({old / new:.1f}x faster)"
        )
        new, old = results["indicators, cold"], results["indicators, before"]
        print(
            f"indicators (median): counted in SQL {new:.1f} ms, "
            f"every person in Python {old:.1f} ms ({old / new:.1f}x faster)"
        )
        if args.before is not None:
            store.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            before_db = args.before_db or store.path
            ok = against_before(store.path, args.before, before_db, args.runs) and ok
        print(
            "PASS" if ok else "FAIL",
            f": due list p95 <= {GOAL_DUE_MS:g} ms, "
            f"dashboard p95 <= {GOAL_DASHBOARD_MS:g} ms (warm and cold)",
        )
        store.close()
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
