"""Timing helpers shared by the benchmark scripts (run as `python benchmarks/X.py`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(
    fn: Callable[[], object], runs: int, *, before: Callable[[], None] | None = None
) -> list[float]:
    """Milliseconds of `runs` calls of `fn`; `before` runs untimed ahead of each call
    (to make every call cold), otherwise one untimed call warms the caches."""
    if before is None:
        fn()
    out = []
    for _ in range(runs):
        if before is not None:
            before()
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(len(values) * 0.95) - 1)]


def in_tree(src: Path, code: str, *args: str) -> Any:
    """Run `code` (printing JSON on its last line) in a process of its own with the
    source tree `src` on the path (-P: the current folder never shadows it), e.g. the
    code before a change (`--before /work/before7`); the JSON it printed."""
    out = subprocess.run(
        [sys.executable, "-P", "-c", code, *args],
        capture_output=True, text=True, check=True,
        env=dict(os.environ) | {"PYTHONPATH": str(src)},
    ).stdout  # fmt: skip
    return json.loads(out.strip().splitlines()[-1])
