"""Work started ahead in a thread: its outcome reaches whoever waits, or nobody quietly."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from canxie_tui.store import prefetch
from canxie_tui.store.connection import Store
from tests.app.conftest import build_register


def test_an_outcome_nobody_waits_for_any_more_is_dropped_quietly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app closed before the first figures came (their wait cancelled): the thread
    used to die with InvalidStateError, printed on the terminal after the app."""
    store = build_register(tmp_path / "canxie.db")
    started, go = threading.Event(), threading.Event()
    failures: list[BaseException | None] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: failures.append(args.exc_value))

    def slow(own: Store) -> int:
        started.set()
        go.wait(10)
        return int(own.scalar("SELECT count(*) FROM persons"))

    waited = prefetch.prefetch(store, slow)
    assert started.wait(10)
    assert waited.cancel() or waited.cancelled()
    go.set()
    for thread in threading.enumerate():
        if thread.name == "canxie-prefetch":
            thread.join(10)
    assert failures == []

    counted = prefetch.prefetch(store, lambda own: int(own.scalar("SELECT count(*) FROM persons")))
    assert counted.result(10) == store.scalar("SELECT count(*) FROM persons") > 0
    store.close()


@pytest.mark.skipif(sys.platform != "linux", reason="a priority per thread is Linux's")
def test_work_started_ahead_yields_to_the_screen(tmp_path: Path) -> None:
    """The first figures' threads run a step below the UI thread, which builds the
    first screen meanwhile (on two cores they delayed its paint)."""
    store = build_register(tmp_path / "canxie.db")
    mine = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    theirs = prefetch.prefetch(
        store, lambda own: os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    )
    assert theirs.result(10) == min(mine + prefetch.NICER, 19)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == mine
    store.close()
