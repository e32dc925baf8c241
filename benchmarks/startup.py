"""Cold start, each run a fresh process, against a bare Textual app (one Static).

    python benchmarks/startup.py [--runs 7] [--scale community|district] [--dir .bench]
                                 [--before SRC]

Times from process start (the parent's clock before spawning it) to:
- the first paint of a bare Textual app with one `Static`, at the same terminal size;
- the first paint of canxie started as `canxie --db DB` (the dashboard, its
  placeholder 正在统计…);
- the dashboard's figures on screen;
- the answer of `canxie search 王` on stdout, and the end of that process;
each on an ordinary open and on the first open of the day (today's daily backup
removed before each run: it must be made after the paint and the answer, not
before); the bare app's runs are interleaved with canxie's, so that the machine's
load falls on both alike.  Also reports whether pypinyin/openpyxl/sqlite_utils were imported by the
first paint (they must not be).

`--before SRC` measures canxie from another source tree too (e.g. `git archive main`
unpacked), in the same run, for before/after figures; that tree must be able to
open the database: after a schema change, `--before-dir` names a folder holding a copy
made before it (the same file name), which the other tree measures instead.

Goals (issue 17): first paint <= 1.5x the bare app; figures on screen <= 2x the bare
app's first paint; the first open of the day no slower to paint or answer than an
ordinary open (<= 1.2x, for noise).  Exits 1 when a goal fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SIZE = (100, 30)
PAINT_GOAL, FIGURES_GOAL, FIRST_OF_DAY_GOAL = 1.5, 2.0, 1.2
HEAVY = ("pypinyin", "openpyxl", "sqlite_utils")

BARE = f"""
import time, json, sys
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("残协工作台")
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        self.painted = time.time()
        self.exit()
app = Bare(); app.run(headless=True, size={SIZE!r})
print(json.dumps({{"paint": app.painted}}))
"""

# The first paint (`_log_startup`, after the first refresh) and the dashboard's
# figures (its first `_render_data`, then one refresh): both hooks exist before and
# after issue 17, so `--before` measures the same moments.  The app starts as a user
# starts it, through `canxie --db DB` (the command line's parsing and imports count),
# only headless at a fixed size.
CANXIE = f"""
import time, json, sys
from functools import partialmethod
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens import dashboard
marks = {{}}
render = dashboard.DashboardScreen._render_data
def rendered(self, data):
    render(self, data)
    def shown():
        marks.setdefault("figures", time.time())
        self.app.exit()
    self.app.call_after_refresh(shown)
dashboard.DashboardScreen._render_data = rendered
log_startup = CanxieApp._log_startup
def painted(self):
    log_startup(self)
    marks["paint"] = time.time()
    marks["modules"] = sorted(m for m in sys.modules if m in {HEAVY!r})
CanxieApp._log_startup = painted
CanxieApp.run = partialmethod(CanxieApp.run, headless=True, size={SIZE!r})
from canxie_tui.cli import main
main(["--db", sys.argv[1]])
print(json.dumps(marks))
"""


def _env(src: Path | None) -> dict[str, str]:
    """The children's environment: `src` first on the path (they run with -P, so the
    current folder, a source tree itself, never shadows it)."""
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    return env


def run_app(script: str, *args: str, src: Path | None = None) -> dict[str, float]:
    """Milliseconds from spawning a fresh interpreter to each mark the script prints."""
    start = time.time()
    out = subprocess.run(
        [sys.executable, "-P", "-c", script, *args],
        capture_output=True,
        text=True,
        check=True,
        env=_env(src),
    )
    marks = json.loads(out.stdout.strip().splitlines()[-1])
    return {
        k: (v - start) * 1000 if isinstance(v, float) else v  # type: ignore[misc]
        for k, v in marks.items()
    }


def run_search(db: Path, src: Path | None = None) -> dict[str, float]:
    """Milliseconds to the first byte of `canxie search 王`'s answer, and to its end."""
    start = time.time()
    process = subprocess.Popen(
        [sys.executable, "-P", "-m", "canxie_tui", "--db", str(db), "search", "王"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=_env(src),
    )
    assert process.stdout is not None
    process.stdout.read(1)
    answer = time.time()
    process.stdout.read()
    if process.wait():
        raise SystemExit(f"canxie search failed ({process.returncode})")
    return {"answer": (answer - start) * 1000, "exit": (time.time() - start) * 1000}


def first_of_the_day(db: Path) -> None:
    """Remove today's daily backup: the next open is the first of the day."""
    folder = db.parent / "backups"
    today = time.strftime("%Y%m%d")
    if folder.is_dir():
        for made in folder.iterdir():
            if re.fullmatch(rf"{re.escape(db.stem)}-{today}-\d{{6}}(?:-\d+)?-daily\.db", made.name):
                made.unlink()


def compiled(src: Path | None) -> None:
    """Byte-compile a source tree, as installing a package does: with
    PYTHONDONTWRITEBYTECODE set, every start would otherwise compile it again."""
    import compileall

    root = src if src is not None else Path(__file__).resolve().parent.parent
    compileall.compile_dir(root / "canxie_tui", quiet=1)


def build(folder: Path, scale: str) -> Path:
    db = folder / f"startup-{scale}.db"
    if not db.exists():
        print(f"building the {scale} demo database …", flush=True)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "canxie_tui",
                "--db",
                str(db),
                "demo",
                "--no-tui",
                "--scale",
                scale,
            ],
            check=True,
            capture_output=True,
        )
    return db


def median(rows: list[dict[str, float]], key: str) -> float:
    return statistics.median(float(r[key]) for r in rows)


def measure(
    runs: int, sources: list[tuple[Path | None, Path]]
) -> tuple[float, list[dict[str, object]]]:
    """The bare app's median first paint, and medians of `runs` of each case, ordinary
    and first of the day, for each (source tree (None: this one), database), all
    interleaved so that the machine's load falls on all alike."""
    for src, db in sources:
        run_app(CANXIE, str(db), src=src)  # warm the OS file cache (and make today's backup)
    cases: list[dict[str, list[dict[str, float]]]] = [
        {"ordinary": [], "morning": [], "search": [], "morning_search": []} for _ in sources
    ]
    bare: list[float] = []
    for _ in range(runs):
        bare.append(run_app(BARE)["paint"])
        for (src, db), case in zip(sources, cases, strict=True):
            case["ordinary"].append(run_app(CANXIE, str(db), src=src))
            case["search"].append(run_search(db, src))
            first_of_the_day(db)
            case["morning"].append(run_app(CANXIE, str(db), src=src))
            first_of_the_day(db)
            case["morning_search"].append(run_search(db, src))
    return statistics.median(bare), [
        {
            "paint": median(c["ordinary"], "paint"),
            "figures": median(c["ordinary"], "figures"),
            "morning_paint": median(c["morning"], "paint"),
            "morning_figures": median(c["morning"], "figures"),
            "answer": median(c["search"], "answer"),
            "exit": median(c["search"], "exit"),
            "morning_answer": median(c["morning_search"], "answer"),
            "morning_exit": median(c["morning_search"], "exit"),
            "modules": sorted({m for r in c["ordinary"] for m in r["modules"]}),  # type: ignore[attr-defined]
        }
        for c in cases
    ]


def report(label: str, bare: float, m: dict[str, object]) -> bool:
    def f(key: str) -> float:
        return float(m[key])  # type: ignore[arg-type]

    paint, figures = f("paint") / bare, f("figures") / bare
    morning = f("morning_paint") / f("paint")
    answer = f("morning_answer") / f("answer")
    print(f"[{label}]")
    print(
        f"  first paint            : {f('paint'):6.0f} ms  {paint:5.2f}x bare (goal {PAINT_GOAL}x)"
    )
    print(
        f"  figures on screen      : {f('figures'):6.0f} ms  {figures:5.2f}x bare "
        f"(goal {FIGURES_GOAL}x)"
    )
    print(
        f"  first open of the day  : paint {f('morning_paint'):6.0f} ms ({morning:4.2f}x), "
        f"figures {f('morning_figures'):6.0f} ms"
    )
    print(
        f"  canxie search 王       : answer {f('answer'):6.0f} ms, exit {f('exit'):6.0f} ms; "
        f"first of the day: answer {f('morning_answer'):6.0f} ms ({answer:4.2f}x), "
        f"exit {f('morning_exit'):6.0f} ms"
    )
    modules = m["modules"]
    print(f"  heavy modules at first paint: {', '.join(modules) or 'none'}")  # type: ignore[arg-type]
    return (
        paint <= PAINT_GOAL
        and figures <= FIGURES_GOAL
        and morning <= FIRST_OF_DAY_GOAL
        and answer <= FIRST_OF_DAY_GOAL
        and not modules
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", choices=("community", "street", "district"), default="community")
    parser.add_argument("--dir", type=Path, help="keep the demo database here between runs")
    parser.add_argument("--before", type=Path, help="another source tree to measure too")
    parser.add_argument(
        "--before-dir", type=Path, help="the database the other tree measures (default: --dir)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.dir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        db = build(folder, args.scale)
        sources: list[tuple[Path | None, Path]] = [(None, db)]
        if args.before:
            sources.insert(0, (args.before, build(args.before_dir or folder, args.scale)))
        for src, _ in sources:
            compiled(src)
        run_app(BARE)  # warm the OS file cache
        bare, (*before, ours) = measure(args.runs, sources)
        print(f"bare Textual app (one Static, {SIZE[0]}x{SIZE[1]}): {bare:6.0f} ms to first paint")
    if before:
        report(f"before ({args.before})", bare, before[0])
    ok = report(f"canxie, {args.scale} (median of {args.runs})", bare, ours)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
