"""The survey round at district scale: progress and the left-to-survey list (30k people).

Builds (or reuses, from --dir) the district demo register, opens a round for
everyone in it (untimed; reused when the database already has one) and marks
about 40% of them surveyed (入户/见面/电话) and 2% 失访 (untimed, written
straight to the table: the benchmark times reading, not writing), then times:
- progress: 应调查 / 已调查 / 失访 / 入户率 by grid and building (the dashboard
  line and the survey screen's head);
- left: the first page of who is left, in natural building order (the screen's
  list and `canxie survey left`), for the whole round and for one grid;
- the whole lists the survey screen's worker loads (who is left, and everyone
  with t), against one bare query of their rows; with `--before SRC` (a source
  tree of the code before, e.g. /work/before7) the screen's lists by this tree
  and by SRC, each in processes of their own on the same database, taking turns:
  the same lists in the same order, none slower.

Baseline in the same run: the straightforward way — read every entry with its
person and household, count and sort in Python.  Its figures are checked to be
the same.  Goal: p95 <= 50 ms for each; the whole lists (p50) <= 1.5x one bare
query of their rows (unsorted), and with --before: the same lists as before, none
more than 10% slower (p50).  The machine may be shared: compare the ratios to the
baseline of the same run.

    python benchmarks/survey.py --dir .bench [--runs 30] [--before SRC [--before-db DB]]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path
from typing import Any

from emergency import clock, open_district  # benchmarks/emergency.py: the district register
from timing import in_tree, p95, timed

from canxie_tui.domain.natural import place_key
from canxie_tui.store import survey
from canxie_tui.store.connection import Store

GOAL_MS = 50.0
WHOLE_GOAL = 1.5  # a whole list against the bare query of its rows
BEFORE_SLACK = 1.1  # not slower than before beyond the noise of a shared machine
SCREEN_LIMIT = 100_000  # what the survey screen asks for: everyone left

# The lists the survey screen loads, as (name, keyword arguments of left_to_survey).
SCREEN_CASES: list[tuple[str, dict[str, Any]]] = [
    ("first page of the round", {"limit": survey.LIST_LIMIT}),
    ("whole left list (the screen)", {"limit": SCREEN_LIMIT}),
    ("whole list, everyone (the screen's t)", {"limit": SCREEN_LIMIT, "everyone": True}),
]

# SCREEN_CASES in a process running the code of a given tree (`--before`).
_OTHER = """
import json, sys, time
from datetime import datetime
from pathlib import Path
from canxie_tui.store import session, survey
store = session.open_store(Path(sys.argv[1]), clock=lambda: datetime.fromisoformat(sys.argv[2]))
round = survey.current_round(store)
found = {}
for name, kwargs in json.loads(sys.argv[4]):
    ids = [r["id"] for r in survey.left_to_survey(store, round, **kwargs)[0]]
    times = []
    for _ in range(int(sys.argv[3])):
        start = time.perf_counter()
        survey.left_to_survey(store, round, **kwargs)
        times.append((time.perf_counter() - start) * 1000)
    found[name] = {"ms": times, "ids": ids}
print(json.dumps(found))
"""


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


def naive_left(
    store: Store,
    round: survey.Round,
    place: survey.Place | None = None,
    limit: int = survey.LIST_LIMIT,
) -> list[str]:
    """Who is left, by community (code order, at a district), grid, building, unit, room."""
    rows = [r for r in naive_rows(store, round) if r["status"] in ("pending", "draft")]
    if place is not None:
        code, grid = place
        rows = [r for r in rows if r["grid"] == grid and code in (None, r["division_code"])]
    rows.sort(key=lambda r: (r["division_code"], *place_key(r), r["name"], r["id"]))
    return [r["id"] for r in rows[:limit]]


def bare_left(store: Store, round: survey.Round, *, everyone: bool = False) -> int:
    """The rows of a whole list fetched in one query (the same plan), not sorted."""
    status = "" if everyone else " AND e.status IN ('pending', 'draft')"
    return len(
        store.query(
            "SELECT e.id, e.status, e.method, e.lost_reason, e.grid, e.building, e.apart, "
            "h.unit, h.room, h.address, p.name, p.phone, p.category, p.level "
            "FROM survey_entries e JOIN persons p ON p.id = e.person_id "
            f"JOIN households h ON h.id = e.household_id WHERE e.round_id = ?{status} "
            "ORDER BY e.grid, e.building",
            (round.id,),
        )
    )


def other_tree(db: Path, src: Path, runs: int) -> dict[str, dict[str, Any]]:
    """Per case of SCREEN_CASES, the milliseconds of `runs` loads in a process running
    the code in `src`, and the ids."""
    found: dict[str, dict[str, Any]] = in_tree(
        src, _OTHER, str(db), clock().isoformat(), str(runs), json.dumps(SCREEN_CASES)
    )
    return found


def against_before(db: Path, before: Path, runs: int, before_db: Path | None = None) -> list[str]:
    """The screen's lists by this tree and by `before`, each in processes of their own
    on the same database (`before_db`: its copy at the schema before, when this tree
    upgraded it), taking turns; returns the cases that failed (a list that differs, or
    a load slower than before).  At several communities this tree lists each
    community's places apart (issue 17), so the lists hold the same people in another
    order: whole lists are compared as sets, a first page by its length."""
    here = Path(__file__).resolve().parents[1]
    times: dict[tuple[str, str], list[float]] = {}
    ids: dict[tuple[str, str], list[str]] = {}
    for _ in range(2):
        for tree, src, path in (("now", here, db), ("before", before, before_db or db)):
            for name, found in other_tree(path, src, max(1, runs // 2)).items():
                times.setdefault((tree, name), []).extend(found["ms"])
                ids[(tree, name)] = found["ids"]
    print("\nthe screen's lists, this tree and --before, each in processes of their own:")
    print(f"{'case':<40}{'p50':>11}{'p95':>11}{'before p50':>13}{'before p95':>13}  before/now")
    failed = []
    for name, kwargs in SCREEN_CASES:
        new, old = times[("now", name)], times[("before", name)]
        new_ids, old_ids = ids[("now", name)], ids[("before", name)]
        whole = kwargs.get("limit") == SCREEN_LIMIT
        same = sorted(new_ids) == sorted(old_ids) if whole else len(new_ids) == len(old_ids)
        faster = statistics.median(old) / statistics.median(new)
        print(
            f"{name:<40}{statistics.median(new):>9.2f}ms{p95(new):>9.2f}ms"
            f"{statistics.median(old):>11.2f}ms{p95(old):>11.2f}ms  {faster:>6.2f}x  "
            f"{len(new_ids)} rows, {'same people' if same else 'LIST DIFFERS'}"
            f"{', same order' if new_ids == old_ids else ''}"
        )
        if not same or faster * BEFORE_SLACK < 1:
            failed.append(f"{name} against before")
    return failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, help="cache folder for the district database")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--before", type=Path, help="the source tree before, measured too")
    parser.add_argument(
        "--before-db",
        type=Path,
        help="a copy of the database (with its round) at the schema the --before tree reads",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = open_district(args.dir or Path(tmp))
        round = prepare(store)
        found = survey.progress(store, round)
        t = found.total
        if naive_progress(store, round) != (t.due, t.home, t.lost):
            print("FAIL: progress differs from the baseline's")
            return 1
        grid = found.grids[len(found.grids) // 2].name  # one community's at a district
        code, stored = found.grid_places[grid]
        for place in (None, (code, stored)):
            kwargs = {"grid": stored, "community": code} if place else {}
            rows, _ = survey.left_to_survey(store, round, **kwargs)
            if [r["id"] for r in rows] != naive_left(store, round, place):
                print(
                    f"FAIL: the left list ({grid if place else 'all'}) differs from the baseline's"
                )
                return 1
        whole = [r["id"] for r in survey.left_to_survey(store, round, limit=SCREEN_LIMIT)[0]]
        if whole != naive_left(store, round, limit=SCREEN_LIMIT):
            print("FAIL: the whole left list differs from the baseline's")
            return 1
        print(f"{t.due} due, {t.surveyed} surveyed, {t.lost} 失访, {t.left} left\n")
        print(f"{'case':<40}{'p50':>11}{'p95':>11}{'baseline p95':>15}{'ratio':>8}  verdict")
        cases = [
            ("progress (grids and buildings)", lambda: survey.progress(store, round),
             lambda: naive_progress(store, round)),
            ("left, first page of the round", lambda: survey.left_to_survey(store, round),
             lambda: naive_left(store, round)),
            (f"left, first page of {grid}",
             lambda: survey.left_to_survey(store, round, grid=stored, community=code),
             lambda: naive_left(store, round, (code, stored))),
            ("dashboard line", lambda: survey.dashboard_line(store),
             lambda: naive_progress(store, round)),
        ]  # fmt: skip
        failed = []
        slow_runs = max(5, args.runs // 3)
        for name, fn, baseline in cases:
            ours = timed(fn, args.runs)
            theirs = timed(baseline, slow_runs)
            ok = p95(ours) <= GOAL_MS
            if not ok:
                failed.append(name)
            print(
                f"{name:<40}{statistics.median(ours):>9.2f}ms{p95(ours):>9.2f}ms"
                f"{p95(theirs):>13.2f}ms{p95(theirs) / p95(ours):>7.1f}x  "
                f"{'ok' if ok else f'> {GOAL_MS:g} ms'}"
            )
        print("\nthe whole lists the survey screen loads, against one bare query of their rows")
        print(f"{'case':<40}{'p50':>11}{'p95':>11}{'bare p50':>15}{'ratio':>8}  verdict")
        for name, kwargs in SCREEN_CASES[1:]:
            everyone = "everyone" in kwargs
            ours = timed(lambda k=kwargs: survey.left_to_survey(store, round, **k), slow_runs)
            bare = timed(lambda e=everyone: bare_left(store, round, everyone=e), slow_runs)
            ratio = statistics.median(ours) / statistics.median(bare)
            if ratio > WHOLE_GOAL:
                failed.append(name)
            print(
                f"{name:<40}{statistics.median(ours):>9.2f}ms{p95(ours):>9.2f}ms"
                f"{statistics.median(bare):>13.2f}ms{ratio:>7.2f}x  "
                f"{'ok' if ratio <= WHOLE_GOAL else f'> {WHOLE_GOAL:g}x the bare query'}"
            )
        if args.before is not None:
            store.db.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
            failed += against_before(store.path, args.before, slow_runs, args.before_db)
        store.close()
    if failed:
        print(f"\nFAIL: {', '.join(failed)}")
        return 1
    print(f"\nall within {GOAL_MS:g} ms, the whole lists within {WHOLE_GOAL:g}x the bare query")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
