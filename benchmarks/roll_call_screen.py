"""The roll-call screen at district scale: from pressing j to the first rows on screen.

    python benchmarks/roll_call_screen.py --dir D --db SRC [--runs 7] [--before TREE]

SRC is a district database with a current event (e.g. the 42k-person demo with a
停电 event started); it is copied once into D (never written) as `roll-call.db`, and
with `--before` as `before-roll-call.db` too, for a tree that cannot open a database
this code may have migrated.  Each run is a fresh process that starts the app with
Pilot, headless at 100x30, waits until the dashboard has settled, and times:
- first rows: from pressing j (the roll call's first open in the process) until the
  table holds rows and the screen has refreshed once after: the goal's case;
- again: Esc, then j again (the ranking kept in the process);
- next page: the cursor onto the last loaded row (ctrl+end), until the next page
  shows;
- mark: 2 (安全) on that row (1, back to 未联系, where an earlier run left it 安全),
  until its status cell says so, and until every worker has finished (the list
  read again: the screen is ready for the next key).
A mark is a real, audited write: the runs mark one person to and fro (the copies
in D gain audit entries and that one check, nothing else).  The runs of this tree and of
`--before TREE` (a source tree, e.g. `git archive` unpacked) alternate, after one
untimed run of each (today's backup, the OS's file cache).

Goal (issue 17, item 3 on screen): first rows <= 150 ms (p50).  Exits 1 when it fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from timing import p95  # benchmarks/timing.py

SIZE = (100, 30)
GOAL_MS = 150.0

CHILD = f"""
import asyncio, json, sys, time
from pathlib import Path
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.emergency import EmergencyScreen


async def refreshed(app):
    done = asyncio.get_running_loop().create_future()
    app.call_after_refresh(lambda: done.done() or done.set_result(None))
    await done


# Milliseconds from pressing `key` until `test()` holds and the screen has refreshed
# once after (not until the app is idle, as Pilot's press waits).
async def until(app, pilot, key, test):
    start = time.perf_counter()
    pressing = asyncio.ensure_future(pilot.press(key))
    while not test():
        await asyncio.sleep(0.001)
    await refreshed(app)
    ms = (time.perf_counter() - start) * 1000
    await pressing
    return ms


async def settle(app, pilot):
    for _ in range(3):
        await app.workers.wait_for_complete()
        await pilot.pause()


def table(app):
    screen = app.screen
    if not isinstance(screen, EmergencyScreen):
        return None
    found = screen.query("#rollcall")  # none before it is composed
    return found.first(DataTable) if found else None


async def main():
    app = CanxieApp(Path(sys.argv[1]))
    marks = {{}}
    async with app.run_test(size={SIZE!r}) as pilot:
        await settle(app, pilot)
        getattr(app, "wait_for_backup", lambda: None)()
        marks["first"] = await until(app, pilot, "j", lambda: (t := table(app)) is not None and t.row_count)
        await settle(app, pilot)
        rows = table(app).row_count
        await pilot.press("escape")
        await settle(app, pilot)
        marks["again"] = await until(app, pilot, "j", lambda: (t := table(app)) is not None and t.row_count)
        await settle(app, pilot)
        t = table(app)
        loaded = t.row_count
        marks["next page"] = await until(app, pilot, "ctrl+end", lambda: t.row_count > loaded)
        await settle(app, pilot)
        row = t.cursor_row
        key = t.coordinate_to_cell_key(Coordinate(row, 0)).row_key
        # 安全, or back to 未联系 where an earlier run left it 安全: a change either way
        was = str(t.get_cell(key, "状态"))
        press, label = ("1", "未联系") if was == "安全" else ("2", "安全")
        start = time.perf_counter()
        marks["mark shown"] = await until(app, pilot, press, lambda: str(t.get_cell(key, "状态")) == label)
        await settle(app, pilot)
        marks["mark settled"] = (time.perf_counter() - start) * 1000
        marks["rows"] = rows
    print(json.dumps(marks))


asyncio.run(main())
"""


def run(db: Path, src: Path | None) -> dict[str, float]:
    """One fresh process of the app from `src` (or this tree) on `db`."""
    env = dict(os.environ) | ({"PYTHONPATH": str(src)} if src is not None else {})
    out = subprocess.run(
        [sys.executable, "-P", "-c", CHILD, str(db)],
        capture_output=True,
        text=True,
        env=env,
    )
    if out.returncode:
        raise SystemExit(f"the app failed ({src or 'this tree'}):\n{out.stderr[-3000:]}")
    found: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def copy(src: Path, to: Path) -> Path:
    if not to.exists():
        print(f"copying {src} to {to} …", flush=True)
        shutil.copyfile(src, to)
    return to


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, required=True, help="where the copies are kept")
    parser.add_argument("--db", type=Path, required=True, help="a district database, an event on")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--before", type=Path, help="the source tree before, measured too")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    trees: dict[str, tuple[Path, Path | None]] = {
        "now": (copy(args.db, args.dir / "roll-call.db"), None)
    }
    if args.before is not None:
        trees["before"] = (copy(args.db, args.dir / "before-roll-call.db"), args.before)
    for db, src in trees.values():
        run(db, src)  # untimed: today's backup made, the files in the OS's cache
    measured: dict[str, list[dict[str, float]]] = {name: [] for name in trees}
    for _ in range(args.runs):
        for name, (db, src) in trees.items():
            measured[name].append(run(db, src))
    cases = ("first", "again", "next page", "mark shown", "mark settled")
    print(
        f"{measured['now'][0]['rows']:.0f} rows on the first page; {args.runs} fresh processes each"
    )
    print(f"{'case':<34}{'p50':>10}{'p95':>10}")
    medians: dict[tuple[str, str], float] = {}
    for case in cases:
        for name in trees:
            times = [m[case] for m in measured[name]]
            medians[name, case] = statistics.median(times)
            label = f"{case}, {name}"
            print(f"{label:<34}{medians[name, case]:>8.0f}ms{p95(times):>8.0f}ms")
    if "before" in trees:
        ratios = ", ".join(
            f"{case} {medians['before', case] / medians['now', case]:.1f}x" for case in cases
        )
        print(f"faster than before (p50): {ratios}")
    first = medians["now", "first"]
    if first > GOAL_MS:
        print(f"FAIL: first rows {first:.0f} ms > {GOAL_MS:g} ms after pressing j")
        return 1
    print(f"PASS: first rows {first:.0f} ms <= {GOAL_MS:g} ms after pressing j")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
