"""Cold start: time to first paint of canxie vs a bare Textual app, in fresh processes.

    python benchmarks/startup.py [--runs 7]

Each run is a new interpreter (imports included), headless, exiting right after
the first refresh.  Also reports whether pypinyin/openpyxl were imported (they
must not be: search keys and Excel are loaded only when needed).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BARE = """
import time, json, sys
t0 = time.perf_counter()
from textual.app import App
from textual.widgets import Footer, Header, Input, DataTable
class Bare(App):
    def compose(self):
        yield Header(); yield Input(); yield DataTable(); yield Footer()
    def on_mount(self):
        self.call_after_refresh(self.done)
    def done(self):
        self.ms = (time.perf_counter() - t0) * 1000
        self.exit()
app = Bare(); app.run(headless=True)
print(json.dumps({"ms": app.ms, "modules": sorted(m for m in sys.modules if m in ("pypinyin", "openpyxl"))}))
"""

CANXIE = """
import time, json, sys
t0 = time.perf_counter()
from pathlib import Path
from canxie_tui.ui.app import CanxieApp
class Measured(CanxieApp):
    def _log_startup(self):
        super()._log_startup()
        self.exit()
app = Measured(Path(sys.argv[1]), started=t0); app.run(headless=True)
print(json.dumps({"ms": app.startup_ms, "modules": sorted(m for m in sys.modules if m in ("pypinyin", "openpyxl"))}))
"""


def run(script: str, *args: str) -> dict[str, object]:
    out = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--db", type=Path, help="database to open (default: a community demo)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db
        if db is None:
            db = Path(tmp) / "demo.db"
            subprocess.run(
                [sys.executable, "-m", "canxie_tui", "--db", str(db), "demo", "--no-tui"],
                check=True,
                capture_output=True,
            )
        run(BARE), run(CANXIE, str(db))  # warm the OS file cache
        bare = [run(BARE) for _ in range(args.runs)]
        ours = [run(CANXIE, str(db)) for _ in range(args.runs)]
    bare_ms = statistics.median(float(r["ms"]) for r in bare)  # type: ignore[arg-type]
    ours_ms = statistics.median(float(r["ms"]) for r in ours)  # type: ignore[arg-type]
    loaded = sorted({m for r in ours for m in r["modules"]})  # type: ignore[attr-defined]
    print(f"bare Textual app : {bare_ms:7.0f} ms to first paint (median of {args.runs})")
    print(f"canxie           : {ours_ms:7.0f} ms to first paint (median of {args.runs})")
    print(f"ratio            : {ours_ms / bare_ms:7.2f}x")
    print(f"heavy modules loaded at start-up: {', '.join(loaded) or 'none'}")


if __name__ == "__main__":
    main()
