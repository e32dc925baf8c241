"""After the home screen's figures: today's backup, and a district's outdated search keys
re-indexed in the background with the progress in the header."""

from __future__ import annotations

from pathlib import Path

import pytest

from canxie_tui.domain.search_keys import KEYS_VERSION
from canxie_tui.store import backup, session
from canxie_tui.ui.app import CanxieApp
from tests.app.conftest import NOW, build_register, build_register_with_old_keys, settle


def _reopened(path: Path) -> CanxieApp:
    """The app on an existing database, opened as the app opens it (backup pending)."""
    store = session.open_store(path, clock=lambda: NOW, daily_backup=False)
    return CanxieApp(path, store=store)


async def test_the_daily_backup_follows_the_first_figures(tmp_path: Path) -> None:
    path = tmp_path / "canxie.db"
    build_register(path).close()
    for made in backup.list_backups(path):
        made.path.unlink()
    app = _reopened(path)
    assert app.store.backup_pending
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "本月" in str(app.screen.query_one("#month").render())  # the figures are shown
        app.wait_for_backup()
        [made] = backup.list_backups(path)
        assert made.reason == backup.DAILY


async def test_outdated_keys_of_a_large_database_are_reindexed_after_the_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "canxie.db"
    build_register_with_old_keys(path)
    monkeypatch.setattr(session, "REINDEX_ON_OPEN_MAX", 1)  # "large": above the open's limit
    monkeypatch.setattr(session, "REINDEX_STEP", 1)
    app = _reopened(path)
    assert app.store.scalar("SELECT count(*) FROM search_terms") == 0
    shown: list[str] = []
    show = app.show_upkeep

    def recording(status: str) -> None:
        shown.append(status)
        show(status)

    monkeypatch.setattr(app, "show_upkeep", recording)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert shown[0].startswith("正在更新查找索引") and shown[-1] == ""
        assert "100%" in shown[-2]
        assert "正在更新查找索引" not in app.sub_title
        assert any("查找索引已更新" in str(n.message) for n in app._notifications)
        assert app.store.scalar("PRAGMA user_version") == KEYS_VERSION
        assert app.store.scalar("SELECT count(*) FROM search_terms") > 0
        app.wait_for_backup()


async def test_a_reindex_that_fails_leaves_no_progress_in_the_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step refused (the database held too long by another program) ends the upkeep:
    the header does not keep saying it is re-indexing, and the next start tries again."""
    import sqlite3
    from contextlib import suppress

    from textual.worker import WorkerFailed

    from canxie_tui.store import search

    path = tmp_path / "canxie.db"
    store = build_register(path)
    store.db.conn.execute("PRAGMA user_version = 1")
    store.db.conn.commit()
    store.close()
    monkeypatch.setattr(session, "REINDEX_ON_OPEN_MAX", 1)
    monkeypatch.setattr(session, "REINDEX_STEP", 1)
    real = search.index_people
    steps: list[int] = []

    def failing_second_step(store: object, pks: list[int]) -> None:
        steps.append(len(pks))
        if len(steps) == 2:
            raise sqlite3.OperationalError("database is locked")
        real(store, pks)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "index_people", failing_second_step)
    app = _reopened(path)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(3):  # the failure is logged, not shown: the next start retries
            with suppress(WorkerFailed):
                await settle(pilot)
        assert len(steps) == 2
        assert "正在更新查找索引" not in app.sub_title
        assert not any("查找索引已更新" in str(n.message) for n in app._notifications)
        assert session.keys_outdated(app.store)
        app.wait_for_backup()
