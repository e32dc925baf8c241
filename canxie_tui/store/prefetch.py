"""Work started ahead, in a thread of its own on a connection of its own.

The dashboard's figures are started this way when the app mounts
(`CanxieApp.on_mount`): SQLite computes on the other core (it lets go of the GIL
while it steps) while the main thread builds and paints the first screen, so the
figures come soon after the first paint.  (Starting them before Textual is imported
was tried: the imports then competed with them and the first paint came later.)
Nothing here imports the heavy modules: the job imports what it needs in its own
thread.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, InvalidStateError
from contextlib import suppress
from datetime import date
from functools import partial
from typing import Any, TypeVar

from canxie_tui.store.connection import Store

T = TypeVar("T")

# The first figures read the register through memory-mapped pages: a fresh process has
# an empty page cache, and copying every page the counts read into it cost a fifth of
# their time at district scale.  Only this short read-only connection maps the file
# (SQLite caps the size at its own limit).
MMAP_BYTES = 1 << 31


def on_own_connection(store: Store, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`fn(clone, *args, **kwargs)` on a connection of its own, closed after: how work
    in another thread reads and writes (a connection is one thread's)."""
    clone = store.clone()
    try:
        return fn(clone, *args, **kwargs)
    finally:
        clone.close()


# How much lower than the UI thread's the priority of work started ahead is.  On two
# cores, the first figures' three threads beside the UI thread building the first screen
# delayed the first paint (1.41x -> 1.50x the bare app at district scale); a step lower,
# they take what the UI thread leaves, and all of both cores once it has painted.
NICER = 5


def _yield_to_the_screen() -> None:
    """This thread at a lower priority than the others (Linux sets it per thread; where
    it cannot, nothing changes)."""
    if sys.platform != "linux":
        return
    thread = threading.get_native_id()
    with suppress(OSError):
        os.setpriority(os.PRIO_PROCESS, thread, os.getpriority(os.PRIO_PROCESS, thread) + NICER)


def prefetch(store: Store, fn: Callable[[Store], T]) -> Future[T]:
    """Start `fn(store)` now in a thread of its own, on its own connection, at a lower
    priority than the UI thread's."""
    done: Future[T] = Future()

    def job() -> None:
        _yield_to_the_screen()
        # Whoever waited may have given up (the app closed before the figures came):
        # then the outcome has nowhere to go, and is dropped quietly.
        with suppress(InvalidStateError):
            try:
                outcome = on_own_connection(store, fn)
            except BaseException as error:  # handed to whoever waits for it
                done.set_exception(error)
            else:
                done.set_result(outcome)

    threading.Thread(target=job, name="canxie-prefetch", daemon=True).start()
    return done


def _mapped(store: Store) -> Store:
    store.db.conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
    return store


# The dashboard's long parts (keys of `store.dashboard.PARTS`, and where each is): each
# is one long SQLite step (no row handed to Python, the GIL let go), counted in a thread
# of its own on a connection of its own beside the rest, so that on two cores the wait
# is about the longest of them rather than the sum.  Each thread imports only its own
# module, so that its step starts soon.
AHEAD = {
    "indicators": ("canxie_tui.store.indicators", "indicators"),
    "subsidies": ("canxie_tui.store.subsidy_check", "counts_on"),
}


def _part(key: str, today: date, store: Store) -> Any:
    module, name = AHEAD[key]
    return getattr(importlib.import_module(module), name)(_mapped(store), today)


def dashboard_figures(store: Store) -> Future[Any]:
    """Start the dashboard's figures (`store.dashboard.dashboard`) now: the long parts
    and the rest each in a thread of their own, all started from here (started from
    the thread of the rest, the long parts waited for its connection: 20 ms).  (The
    rest started once the first screen was painted, so as to leave it the GIL, came
    last: 10-20 ms later figures.)"""
    today = store.today()
    ahead = {key: prefetch(store, partial(_part, key, today)) for key in AHEAD}

    def rest(own: Store) -> Any:
        from canxie_tui.store.dashboard import dashboard  # in this thread, not the caller's

        return dashboard(
            _mapped(own), today, elsewhere={key: done.result for key, done in ahead.items()}
        )

    return prefetch(store, rest)
