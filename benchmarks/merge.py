"""A district's month of returns merged, beside openpyxl reading the same data sheets.

Builds `--communities` community databases (default 30) of the demo, each with
`--certified` certificate holders (default 1,000: ~30k people in all), under its
own community code of the demo district, and fills October 2026 up to
`--visits` visits in all (default 80,000, written with executemany as in
`export.py`); each exports its monthly return.  Then, in the same run:

- floor: openpyxl read-only opening every return and reading every value of its
  `_数据_` sheets (no checks, no decisions, no writes);
- merge: `excel.district.merge.merge` of all the returns into a fresh district
  database (read, verify, tokens, identities, decide, write, audit, search
  index, tiers), in a child process;
- memory: the peak RSS of the process tree of that child, merging a third of
  the files and then all of them: flat means the peaks stay close.

Goals: merge <= 2x the floor; peak(all) <= 1.25x peak(a third).  The figures
depend on the machine and its load (say so when quoting them).

    python benchmarks/merge.py [--communities 30] [--certified 1000] [--visits 80000]
                               [--dir .bench]
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export import fill_visits

from canxie_tui.demo.builder import DEMO_DISTRICT_SECRET, build_demo
from canxie_tui.domain.transit import issue_key
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.store import session
from canxie_tui.store.keys import set_community_key
from canxie_tui.store.recode import recode
from canxie_tui.store.site import get_site

NOW = datetime(2026, 11, 29, 18, 0)
MONTH = (2026, 10)
GOAL_RATIO = 2.0
GOAL_MEMORY = 1.25


def build_returns(folder: Path, communities: int, certified: int, visits: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    done = sorted(folder.glob("return-*.xlsx"))
    if len(done) == communities:
        return done
    started = time.perf_counter()
    paths = []
    for index in range(communities):
        path = folder / f"return-{index:03d}.xlsx"
        paths.append(path)
        if path.exists():
            continue
        db = folder / f"community-{index:03d}.db"
        db.unlink(missing_ok=True)
        store = session.open_store(db, clock=lambda: NOW)
        build_demo(
            store, scale="community", seed=100 + index, today=NOW.date(), certified=certified
        )
        site = get_site(store)
        code = f"{site.street_code}{index + 101:03d}"
        recode(store, site.community_code, code, f"演示社区{index + 1}")
        # Each community holds the key the district issued to its own code.
        set_community_key(store, issue_key(DEMO_DISTRICT_SECRET, code), code)
        fill_visits(store, *MONTH, visits // communities, random.Random(index))
        export_monthly(store, *MONTH, out=path)
        store.close()
        db.unlink()
        print(f"\r（月报 {index + 1}/{communities}）", end="", file=sys.stderr, flush=True)
    print(f"\n（建月报 {time.perf_counter() - started:.0f} 秒）", file=sys.stderr)
    return paths


def floor(paths: list[Path]) -> tuple[float, int]:
    """Seconds for openpyxl read-only to read every data sheet's values; the cells read."""
    from openpyxl import load_workbook

    started = time.perf_counter()
    cells = 0
    for path in paths:
        wb = load_workbook(path, read_only=True)
        for name in wb.sheetnames:
            if name.startswith("_数据_"):
                for row in wb[name].iter_rows(values_only=True):
                    cells += len(row)
        wb.close()
    return time.perf_counter() - started, cells


_CHILD = """
import json, resource, sys, time
from datetime import datetime
from pathlib import Path
from canxie_tui.excel.district.merge import merge
from canxie_tui.store import session, site
from canxie_tui.store.district import set_district
db, secret, *files = sys.argv[1:]
store = session.open_store(Path(db), clock=lambda: datetime(2026, 11, 29, 18))
set_district(store, "江北区", "500105", secret=bytes.fromhex(secret))
site.switch_operator(store, site.add_operator(store, "区残联"))
started = time.perf_counter()
results = merge(store, files)
seconds = time.perf_counter() - started
store.close()
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
          resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print(json.dumps({"seconds": seconds, "rss_kb": rss, "refused": sum(r.refused for r in results),
                  "new": sum(r.new for r in results), "held": sum(r.held for r in results)}))
"""


def merge_in_child(folder: Path, paths: list[Path]) -> dict[str, float]:
    db = folder / "district.db"
    for leftover in folder.glob("district.db*"):
        leftover.unlink()
    for backup in (folder / "backups").glob("district-*"):
        backup.unlink()
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, str(db), DEMO_DISTRICT_SECRET.hex(), *map(str, paths)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communities", type=int, default=30)
    parser.add_argument("--certified", type=int, default=1000)
    parser.add_argument("--visits", type=int, default=80_000)
    parser.add_argument("--dir", type=Path, help="keep the returns here between runs")
    args = parser.parse_args()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="canxie-merge-"))
    paths = build_returns(folder / "returns", args.communities, args.certified, args.visits)
    size = sum(p.stat().st_size for p in paths) / 1e6
    print(f"{len(paths)} 份月报，共 {size:.1f} MB（{date(*MONTH, 1):%Y-%m}）")
    floor_s, cells = floor(paths)
    print(f"floor  openpyxl 只读读取全部数据表：{floor_s:6.1f} 秒（{cells:,} 个单元格）")
    third = merge_in_child(folder, paths[: max(1, len(paths) // 3)])
    whole = merge_in_child(folder, paths)
    assert not whole["refused"], whole
    ratio = whole["seconds"] / floor_s
    memory = whole["rss_kb"] / third["rss_kb"]
    print(
        f"merge  合并全部月报：{whole['seconds']:6.1f} 秒，新增 {int(whole['new']):,} 条，"
        f"暂挂 {int(whole['held'])} 人  → {ratio:.2f}× floor（目标 ≤ {GOAL_RATIO}×）"
    )
    print(
        f"memory 峰值 RSS：1/3 的文件 {third['rss_kb'] / 1024:.0f} MB，全部 {whole['rss_kb'] / 1024:.0f} MB"
        f"  → {memory:.2f}×（目标 ≤ {GOAL_MEMORY}×）"
    )
    ok = ratio <= GOAL_RATIO and memory <= GOAL_MEMORY
    print("达标" if ok else "未达标")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
