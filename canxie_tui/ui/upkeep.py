"""Work the app does for itself after the first figures are on screen.

A district database (over `store.session.REINDEX_ON_OPEN_MAX` people) opened by a
version that makes other search keys is re-indexed here, in a thread, a few
hundred people per transaction, with its progress in the header: the first
paint never waits for it and saves go on between the steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from canxie_tui.store.session import keys_outdated, reindex_in_steps

if TYPE_CHECKING:
    from canxie_tui.store.connection import Store
    from canxie_tui.ui.app import CanxieApp

PROGRESS_LABEL = "正在更新查找索引"


def reindex_when_outdated(app: CanxieApp) -> None:
    """Start the background re-index if the database's search keys are outdated."""

    def reindex(store: Store) -> int:
        if not keys_outdated(store):
            return 0

        def progress(done: int, total: int) -> None:
            app.call_from_thread(app.show_upkeep, f"{PROGRESS_LABEL} {done * 100 // total}%")

        try:
            return reindex_in_steps(store, progress)
        finally:  # a step that failed (the database busy too long) leaves no stale progress
            app.call_from_thread(app.show_upkeep, "")

    def job() -> None:
        people = app.on_own_connection(reindex)
        if not people:
            return
        app.call_from_thread(
            app.notify, f"查找索引已更新（{people} 人），拼音和首字母查找按新规则进行。"
        )

    app.run_worker(job, thread=True, group="upkeep", name="reindex", exit_on_error=False)
