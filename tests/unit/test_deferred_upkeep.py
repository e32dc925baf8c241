"""The first open of the day: today's backup and an outdated search index wait until
the user has what they opened the database for."""

from __future__ import annotations

from pathlib import Path

import pytest

from canxie_tui.domain.search_keys import KEYS_VERSION
from canxie_tui.store import backup, session
from canxie_tui.store.search import search
from tests.conftest import Make, dump_database, fixed_clock, open_store


def _filled(path: Path) -> None:
    store = open_store(path)
    Make(store).person(name="阚德明")
    store.close()
    for made in backup.list_backups(path):  # as if the day before: no backup of today
        made.path.unlink()


def test_a_deferred_daily_backup_is_made_later_in_steps(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "canxie.db"
    _filled(path)
    monkeypatch.setattr(session, "BACKUP_STEP_PAGES", 1)  # many steps on a small file

    store = session.open_store(path, clock=fixed_clock, daily_backup=False)
    try:
        assert backup.list_backups(path) == []  # nothing copied while opening
        assert store.backup_pending
        thread = session.start_pending_backup(store)
        assert thread is not None
        thread.join()
        [made] = backup.list_backups(path)
        assert made.reason == backup.DAILY
        assert dump_database(made.path) == dump_database(path)
        # Once a day: the next open finds today's and makes none.
        assert session.run_pending_backup(store) is None
    finally:
        store.close()
    again = session.open_store(path, clock=fixed_clock, daily_backup=False)
    try:
        assert session.run_pending_backup(again) is None
        assert len(backup.list_backups(path)) == 1
    finally:
        again.close()


def test_a_new_database_has_no_backup_pending(tmp_path: Path) -> None:
    store = session.open_store(tmp_path / "new.db", clock=fixed_clock, daily_backup=False)
    try:
        assert not store.backup_pending
        assert session.start_pending_backup(store) is None
    finally:
        store.close()


def test_a_large_database_is_reindexed_in_steps_after_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the open's limit the keys stay as they were until `reindex_in_steps`, which
    the app runs in the background with its progress in the header."""
    path = tmp_path / "district.db"
    store = open_store(path)
    make = Make(store)
    people = [make.person(name=name) for name in ("阚德明", "卜青", "薄海")]
    store.db.conn.execute("DELETE FROM search_terms")
    store.db.conn.execute("DELETE FROM person_fts")
    store.db.conn.execute("PRAGMA user_version = 1")
    store.db.conn.commit()
    store.close()
    monkeypatch.setattr(session, "REINDEX_ON_OPEN_MAX", 2)
    monkeypatch.setattr(session, "REINDEX_STEP", 2)

    again = session.open_store(path, clock=fixed_clock)
    try:
        assert search(again, "kdm").hits == ()  # the open did not wait for it
        assert session.keys_outdated(again)
        seen: list[tuple[int, int]] = []
        assert session.reindex_in_steps(again, lambda done, total: seen.append((done, total)))
        assert seen == [(2, 3), (3, 3)]
        assert [h.person_id for h in search(again, "kdm").hits] == [people[0].id]
        assert again.scalar("PRAGMA user_version") == KEYS_VERSION
        assert session.reindex_in_steps(again) == 0  # once only
    finally:
        again.close()
