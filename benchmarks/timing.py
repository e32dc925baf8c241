"""Timing helpers shared by the benchmark scripts (run as `python benchmarks/X.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable


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
