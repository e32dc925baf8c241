"""Taking a backup: a consistent copy through SQLite's backup API, named, kept private."""

from __future__ import annotations

import logging
import os
import re
import sqlite3
from datetime import datetime
from pathlib import Path

from canxie_tui.store import anchors, scratch
from canxie_tui.store.backup.folder import (
    DAILY,
    _describe,
    _make_folder,
    _new_backup_path,
    _private_empty_file,
    _remove_with_side_files,
    backup_dir,
    fsync_dir,
)
from canxie_tui.store.backup.keep import prune
from canxie_tui.store.connection import BUSY_TIMEOUT_MS, Store
from canxie_tui.store.errors import StoreError

log = logging.getLogger(__name__)


_REASON = re.compile(r"[a-z][a-z0-9-]*")


def _copy(source: sqlite3.Connection, out: Path, pages: int = -1) -> Path:
    """Copy what `source` sees into `out` (0600) through a temporary file and a rename.

    `pages` > 0 copies in steps of that many pages, holding no read transaction
    between them (the daily backup, running beside the user's work)."""
    partial = out.with_name(f"{out.name}.{os.getpid()}.part")
    _private_empty_file(partial)
    try:
        with scratch.in_flight(partial):
            target = sqlite3.connect(str(partial), isolation_level=None)
            try:
                source.backup(target, pages=pages)
                # A backup needs no -wal/-shm beside it: readable from a read-only folder.
                target.execute("PRAGMA journal_mode = DELETE")
            finally:
                target.close()
            os.replace(partial, out)
    except BaseException:
        _remove_with_side_files(partial)
        raise
    fsync_dir(out.parent)
    return out


def _reader(db_path: Path) -> sqlite3.Connection:
    """A connection of its own: it sees committed data only, never a half-done write."""
    return sqlite3.connect(
        f"{db_path.absolute().as_uri()}?mode=rw",  # never creates a missing file
        uri=True,
        timeout=BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
    )


def backup_database(
    conn: sqlite3.Connection,
    db_path: Path,
    *,
    reason: str,
    out: Path | None = None,
    when: datetime | None = None,
    pages: int = -1,
) -> Path:
    """Copy the database `conn` reads to `out` (default: the backups folder).

    `conn` must not be in the middle of a write: the copy would include it.
    """
    if not _REASON.fullmatch(reason):
        raise ValueError(f"backup reason must be lower-case ASCII words, got {reason!r}")
    if out is None:
        _make_folder(backup_dir(db_path))
        out = _new_backup_path(db_path, reason, when or datetime.now())
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
    made = _copy(conn, out, pages)
    try:  # the chain's head kept beside the copy (store.anchors)
        anchors.write_sidecar(made)
    except (OSError, sqlite3.Error) as err:
        log.warning("备份“%s”的审计链头没有写下：%s", made, _describe(err))
    return made


def backup_file(
    db_path: Path,
    *,
    reason: str,
    out: Path | None = None,
    when: datetime | None = None,
    pages: int = -1,
) -> Path:
    """Back up the database file at `db_path` through a fresh connection; prune old ones."""
    conn = _reader(db_path)
    try:
        made = backup_database(conn, db_path, reason=reason, out=out, when=when, pages=pages)
    finally:
        conn.close()
    if out is None:
        prune(db_path)
    return made


def backup_before(store: Store, reason: str) -> Path:
    """Back up before a risky operation ("import", "merge" ...); StoreError if impossible.

    Call it before the operation's transaction: the operation must not go ahead
    without its backup, so a failure here is an error, not a warning.
    """
    reason = reason if reason.startswith("before-") else f"before-{reason}"
    try:
        return backup_file(store.path, reason=reason, when=store.clock())
    except (OSError, sqlite3.Error) as err:
        raise StoreError(
            f"操作前自动备份失败（{_describe(err)}），为安全起见没有继续，数据库未做任何修改。"
            f"请检查备份文件夹“{backup_dir(store.path)}”是否可写、磁盘是否已满。"
        ) from err


def backup_before_migration(conn: sqlite3.Connection, db_path: Path, when: datetime) -> Path:
    """The copy taken before a schema upgrade; without it there is no upgrade."""
    try:
        made = backup_database(conn, db_path, reason="before-migration", when=when)
    except (OSError, sqlite3.Error) as err:
        raise StoreError(
            f"升级数据库结构前无法备份（{_describe(err)}），为安全起见没有升级，"
            f"数据库未做任何修改。请检查备份文件夹“{backup_dir(db_path)}”是否可写、磁盘是否已满。"
        ) from err
    prune(db_path)
    return made


def daily_backup(store: Store, *, pages: int = -1) -> Path | None:
    """The first open of each day backs the database up; returns the new file or None.

    The app and the command line run it after the first paint or the answer
    (`store.session.run_pending_backup`), in steps of `pages` pages.

    Cheap when today's backup exists (one directory listing).  Never raises: a
    backups folder that cannot be written is logged and skipped, the work goes on.
    """
    if store.path.parent.name == backup_dir(store.path).name:
        return None  # a backup opened to look at it: no backups of backups
    now = store.clock()
    folder = backup_dir(store.path)
    try:
        stem = store.path.stem
        today = now.strftime("%Y%m%d")
        if folder.is_dir():
            wanted = re.compile(re.escape(f"{stem}-{today}-") + r"\d{6}(?:-\d+)?-daily\.db")
            if any(wanted.fullmatch(name) for name in os.listdir(folder)):
                return None
        return backup_file(store.path, reason=DAILY, when=now, pages=pages)
    except Exception as err:
        log.warning(
            "今天的自动备份没有完成（%s）：已跳过，工作不受影响。请检查文件夹“%s”是否可写、磁盘是否已满。",
            _describe(err),
            folder,
        )
        return None
