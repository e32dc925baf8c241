"""The first command of the day answers first; today's backup is made after."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from canxie_tui.store import backup, session
from canxie_tui.store.connection import Store
from tests.e2e.conftest import run


def _no_backup_today(db: Path) -> None:
    for made in backup.list_backups(db):  # as if yesterday's: today has none yet
        made.path.unlink()


def _told_before_backup(monkeypatch: pytest.MonkeyPatch, read: Callable[[], str]) -> list[str]:
    """What `read()` returns just before today's backup starts (the command's answer)."""
    told: list[str] = []
    real = session.run_pending_backup

    def after_answer(store: Store) -> Path | None:
        told.append(read())
        return real(store)

    monkeypatch.setattr(session, "run_pending_backup", after_answer)
    return told


def test_the_daily_backup_is_made_after_the_answer(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _no_backup_today(db)
    printed_before_backup = _told_before_backup(monkeypatch, lambda: capsys.readouterr().out)
    code, _, _ = run(capsys, "--db", str(db), "search", "王", "--json")

    assert code == 0
    assert '"name": "王' in printed_before_backup[0]  # the answer was out already
    [made] = backup.list_backups(db)
    assert made.reason == backup.DAILY
    code, _, _ = run(capsys, "--db", str(db), "search", "王")
    assert code == 0 and len(backup.list_backups(db)) == 1  # once a day


def test_an_error_is_told_before_the_daily_backup(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A command that fails says so at once; today's backup waits for the message."""
    from canxie_tui.store import search
    from canxie_tui.store.errors import StoreError

    _no_backup_today(db)
    told_before_backup = _told_before_backup(monkeypatch, lambda: capsys.readouterr().err)

    def refused(*_: object, **__: object) -> None:
        raise StoreError("查找失败了")

    monkeypatch.setattr(search, "search", refused)
    code, _, _ = run(capsys, "--db", str(db), "search", "王")

    assert code != 0
    assert "错误：查找失败了" in told_before_backup[0]
    [made] = backup.list_backups(db)
    assert made.reason == backup.DAILY


def test_a_long_daily_backup_is_said_on_the_terminal(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A district's backup takes seconds after the answer: the terminal says why it waits
    (it used to sit silent, looking hung)."""
    import sys
    import threading

    from canxie_tui.cli import common

    _no_backup_today(db)
    asked = threading.Event()  # the backup is still running when the terminal is asked
    real = session.run_pending_backup

    def slow(store: Store) -> Path | None:
        asked.wait(10)
        return real(store)

    def terminal() -> bool:
        asked.set()
        return True

    monkeypatch.setattr(session, "run_pending_backup", slow)
    monkeypatch.setattr(sys.stderr, "isatty", terminal)
    code, _, err = run(capsys, "--db", str(db), "search", "王")

    assert code == 0
    assert common.BACKUP_NOTICE in err
    [made] = backup.list_backups(db)
    assert made.reason == backup.DAILY


def test_a_large_database_used_only_from_the_command_line_is_reindexed_after_the_answer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Search keys made by an earlier version: the app re-indexes a district in the
    background, but a district run only from scripts never opened the app, so its pinyin
    searches kept missing people.  Now the command re-indexes after its answer, once."""
    import json

    from canxie_tui.domain.search_keys import KEYS_VERSION
    from tests.app.conftest import build_register_with_old_keys

    path = tmp_path / "district.db"
    build_register_with_old_keys(path)
    monkeypatch.setattr(session, "REINDEX_ON_OPEN_MAX", 1)  # "large": not re-indexed at open
    monkeypatch.setattr(session, "REINDEX_STEP", 2)

    code, out, _ = run(capsys, "--db", str(path), "search", "wangfang", "--json")
    assert code == 0 and json.loads(out)["total"] == 0  # the old keys: not found this time
    code, out, _ = run(capsys, "--db", str(path), "search", "wangfang", "--json")
    assert code == 0 and "王芳" in {row["name"] for row in json.loads(out)["results"]}
    again = session.open_store(path, create=False, daily_backup=False)
    assert again.scalar("PRAGMA user_version") == KEYS_VERSION
    again.close()
