"""The survey round at district scale: progress and the left-to-survey list (30k people).

Builds (or reuses, from --dir) the district demo register, opens a round for
everyone in it (untimed; reused when the database already has one) and marks
about 40% of them surveyed (入户/见面/电话) and 2% 失访 (untimed, written
straight to the table: the benchmark times reading, not writing), then times:
- progress: 应调查 / 已调查 / 失访 / 入户率 by grid and building (the dashboard
  line and the survey screen's head);
- left: the first page of who is left, in natural building order (the screen's
  list and `canxie survey left`), for the whole round and for one grid.

Baseline in the same run: the straightforward way — read every entry with its
person and household, count and sort in Python.  Its figures are checked to be
the same.  Goal: p95 <= 50 ms for each.  The machine may be shared: compare the
ratios to the baseline of the same run.

    python benchmarks/survey.py --dir .bench [--runs 30]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path
from typing import Any

from emergency import open_district  # benchmarks/emergency.py: the district register
from timing import p95, timed

from canxie_tui.domain.natural import place_key
from canxie_tui.store import survey
from canxie_tui.store.connection import Store

GOAL_MS = 50.0


def prepare(store: Store) -> survey.Round:
    found = survey.current_round(store)
    if found is not None:
        return found
    round, listed = survey.start_round(store, 2026, "2026-07-01")
    with store.transaction() as db:
        db.execute(
            "UPDATE survey_entries SET status = 'done', surveyed_on = '2026-08-01', method = "
            "CASE pk % 10 WHEN 0 THEN 'phone' WHEN 1 THEN 'meet' ELSE 'home' END "
            "WHERE pk % 5 < 2 AND round_id = ?",
            (round.id,),
        )
        db.execute(
            "UPDATE survey_entries SET status = 'lost', lost_reason = 'away' "
            "WHERE pk % 50 = 7 AND round_id = ?",
            (round.id,),
        )
    print(f"opened the round: {listed} people, 40% surveyed, 2% 失访")
    return round


def naive_rows(store: Store, round: survey.Round) -> list[dict[str, Any]]:
    return store.query(
        "SELECT e.*, p.name, p.phone, h.unit, h.room, h.address FROM survey_entries e "
        "JOIN persons p ON p.id = e.person_id JOIN households h ON h.id = e.household_id "
        "WHERE e.round_id = ?",
        (round.id,),
    )


def naive_progress(store: Store, round: survey.Round) -> tuple[int, int, int]:
    rows = naive_rows(store, round)
    home = sum(1 for r in rows if r["status"] == "done" and r["method"] == "home")
    lost = sum(1 for r in rows if r["status"] == "lost")
    return len(rows), home, lost


def naive_left(store: Store, round: survey.Round, grid: str | None = None) -> list[str]:
    rows = [r for r in naive_rows(store, round) if r["status"] in ("pending", "draft")]
    if grid is not None:
        rows = [r for r in rows if r["grid"] == grid]
    rows.sort(key=lambda r: (*place_key(r), r["name"], r["id"]))
    return [r["id"] for r in rows[: survey.LIST_LIMIT]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, help="cache folder for the district database")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_district(args.dir or Path(tmp))
        round = prepare(store)
        found = survey.progress(store, round)
        t = found.total
        if naive_progress(store, round) != (t.due, t.home, t.lost):
            print("FAIL: progress differs from the baseline's")
            return 1
        grid = found.grids[len(found.grids) // 2].name
        for g in (None, grid):
            rows, _ = survey.left_to_survey(store, round, grid=g)
            if [r["id"] for r in rows] != naive_left(store, round, g):
                print(f"FAIL: the left list ({g or 'all'}) differs from the baseline's")
                return 1
        print(f"{t.due} due, {t.surveyed} surveyed, {t.lost} 失访, {t.left} left\n")
        print(f"{'case':<40}{'p50':>11}{'p95':>11}{'baseline p95':>15}{'ratio':>8}  verdict")
        cases = [
            ("progress (grids and buildings)", lambda: survey.progress(store, round),
             lambda: naive_progress(store, round)),
            ("left, first page of the round", lambda: survey.left_to_survey(store, round),
             lambda: naive_left(store, round)),
            (f"left, first page of {grid}", lambda: survey.left_to_survey(store, round, grid=grid),
             lambda: naive_left(store, round, grid)),
            ("dashboard line", lambda: survey.dashboard_line(store),
             lambda: naive_progress(store, round)),
        ]  # fmt: skip
        failed = []
        for name, fn, baseline in cases:
            ours = timed(fn, args.runs)
            theirs = timed(baseline, max(5, args.runs // 3))
            ok = p95(ours) <= GOAL_MS
            if not ok:
                failed.append(name)
            print(
                f"{name:<40}{statistics.median(ours):>9.2f}ms{p95(ours):>9.2f}ms"
                f"{p95(theirs):>13.2f}ms{p95(theirs) / p95(ours):>7.1f}x  "
                f"{'ok' if ok else f'> {GOAL_MS:g} ms'}"
            )
        store.close()
    if failed:
        print(f"\nFAIL: {', '.join(failed)}")
        return 1
    print(f"\nall within {GOAL_MS:g} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
