"""Helpers for bulk work: the roster import's read, preview and apply, the emergency
list's first load of a whole register."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Cyclic garbage collection off for one bulk step.

    Reference counting still frees almost everything at once; what costs is the
    collector walking a heap that tens of thousands of fresh rows keep growing
    (measured on a 30k-row roster: apply 4.85 -> 4.00 s, read 3.45 -> 3.28 s; on a
    district's emergency list, ~40 ms of a ~300 ms first load).
    Cycles made meanwhile are collected when it is switched back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
