"""The monthly 两项补贴 check at district scale (30k people in the register).

Builds (or reuses, from --dir) the district demo register (no activity; its
两项补贴 histories are the demo's: stops, deaths not reported, applications) and
times, in one run on one connection:

- the check of the month (`store.subsidy_check.check`): one SQL pass picks the
  candidates (the eligibility rule's SQL side joined with the history by index),
  the Python side judges them and counts the overpaid months;
- the dashboard's counts (the same check, kept until the register changes);
- beside them, the baseline: the naive per-person evaluation
  (`subsidy_check.naive_check`: for every certified person a query for the row and
  one for the history, judged in Python) — checked to give the same lists.

Goal: the check p95 <= 100 ms.  The machine may be shared: compare the ratio to
the baseline of the same run.

    python benchmarks/subsidy_check.py --dir .bench [--runs 20]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

from timing import p95, timed  # benchmarks/timing.py

from canxie_tui.demo.builder import build_demo
from canxie_tui.store import session, subsidy_check
from canxie_tui.store.connection import Store

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 10, 0)
MONTH = "2026-11"
GOAL_MS = 100.0


def clock() -> datetime:
    return NOW


def open_district(directory: Path) -> Store:
    path = directory / "district-subsidies-seed1.db"
    if path.exists():
        print(f"reusing {path}")
        return session.open_store(path, clock=clock)
    store = session.open_store(path, clock=clock)
    started = time.perf_counter()
    counts = build_demo(store, scale="district", seed=1, today=TODAY, activity=False)
    print(f"built {path} in {time.perf_counter() - started:.0f}s: {counts}")
    return store


def _lists(found: subsidy_check.Check) -> dict[str, list[tuple[Any, ...]]]:
    def key(i: subsidy_check.Item) -> tuple[Any, ...]:
        return (i.person.person_id, i.kind, i.reason, i.since, i.amount, i.overpaid)

    return {name: sorted(map(key, getattr(found, name))) for name in subsidy_check.LISTS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, help="cache folder for the district database")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_district(args.dir or Path(tmp))
        people = store.scalar(
            "SELECT count(*) FROM persons WHERE status = 'active' AND category IS NOT NULL"
        )
        entries = store.scalar("SELECT count(*) FROM subsidies")
        print(f"{people} people in the register, {entries} subsidy history entries\n")
        found = subsidy_check.fresh_check(store, MONTH)
        print(
            f"check {MONTH}: 应停未停 {len(found.stop)} (多发 {found.overpaid} 元), "
            f"应享未享 {len(found.start)}, 变更 {len(found.change)}"
        )
        started = time.perf_counter()
        naive = subsidy_check.naive_check(store, MONTH)
        naive_ms = [(time.perf_counter() - started) * 1000]
        if _lists(naive) != _lists(found):
            print("FAIL: the check differs from the per-person evaluation")
            return 1
        naive_ms += timed(lambda: subsidy_check.naive_check(store, MONTH), 2)
        fast = timed(lambda: subsidy_check.fresh_check(store, MONTH), args.runs)
        counts = timed(lambda: subsidy_check.counts(store, MONTH), args.runs)
        print(f"\n{'case':<44}{'p50':>11}{'p95':>11}")
        for name, times in (
            ("check, computed (SQL candidates + Python)", fast),
            ("dashboard counts (kept while unchanged)", counts),
            ("naive per-person evaluation", naive_ms),
        ):
            print(f"{name:<44}{statistics.median(times):>9.1f}ms{p95(times):>9.1f}ms")
        ratio = statistics.median(naive_ms) / statistics.median(fast)
        print(f"\nfaster than naive (p50): {ratio:.1f}x (same lists)")
        store.close()
        if p95(fast) > GOAL_MS:
            print(f"FAIL: check p95 {p95(fast):.1f} ms > {GOAL_MS:g} ms")
            return 1
        print(f"PASS: check p95 <= {GOAL_MS:g} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
