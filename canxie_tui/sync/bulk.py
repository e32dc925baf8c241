"""Helpers for the bulk steps of sync (roster import: read, preview, apply)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Cyclic garbage collection off for one bulk step.

    Reference counting still frees almost everything at once; what costs is the
    collector walking a heap that tens of thousands of fresh rows keep growing
    (measured on a 30k-row roster: apply 4.85 -> 4.00 s, read 3.45 -> 3.28 s).
    Cycles made meanwhile are collected when it is switched back on.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
