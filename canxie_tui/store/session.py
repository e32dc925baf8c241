"""Opening a database and restoring one: everything that happens around a connection.

`open_store` checks the file is ours and writable, migrates it (after a backup
of what was there) and takes the first backup of the day, or leaves it pending
for the app and the command line to take after the first paint or the answer
(`run_pending_backup`, in steps: a save never waits for it); `restore_database`
replaces the database by a backup and records that in the restored audit log.
The connection itself (`store.connection.Store`) knows none of this.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from canxie_tui.store import records, schema, scratch
from canxie_tui.store.connection import Store, connect, default_db_path
from canxie_tui.store.errors import StoreError, explain
from canxie_tui.store.handle import Database

if TYPE_CHECKING:  # backup, integrity and anchors load when a rare path needs them
    from canxie_tui.store.backup import RestoreResult


def _create_private_file(path: Path) -> None:
    """Create an empty file readable by its owner only (个人信息保护法)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)


def _check_file(path: Path, create: bool) -> bool:
    """Refuse paths that cannot be our database; return True if it must be created."""
    if path.is_dir():
        raise StoreError(f"“{path}”是一个文件夹，不是数据库文件。请指定数据库文件的路径。")
    if not path.exists():
        if not create:
            raise StoreError(f"找不到数据库文件“{path}”。可用 canxie demo 建立演示数据库。")
        return True
    if not path.is_file():  # /dev/null, a pipe, a device: SQLite would make files beside it
        raise StoreError(
            f"“{path}”不是普通文件（可能是设备或管道），不能用作数据库。请指定数据库文件的路径。"
        )
    if path.stat().st_size > 0:
        with path.open("rb") as handle:
            header = handle.read(16)
        if header != b"SQLite format 3\x00":
            raise StoreError(f"“{path}”不是残协工作台的数据库文件（不是 SQLite 格式）。")
    # Refused now rather than when the first record typed cannot be saved.
    if not os.access(path, os.W_OK):
        raise StoreError(
            f"数据库文件“{path}”是只读的，无法保存修改，所以没有打开。"
            "请检查文件权限（或把文件复制到可写的文件夹）后再打开。"
        )
    if not os.access(path.parent, os.W_OK | os.X_OK):
        raise StoreError(
            f"数据库所在的文件夹“{path.parent}”不可写（SQLite 需要在旁边建立日志文件），"
            "所以没有打开。请检查文件夹权限，或把数据库复制到可写的文件夹。"
        )
    return False


def open_store(
    path: Path | str | None = None,
    *,
    create: bool = True,
    clock: Callable[[], datetime] | None = None,
    daily_backup: bool = True,
) -> Store:
    """Open (and if needed create and migrate) the database at `path`.

    `daily_backup=False`: the first open of the day's backup is not made here but
    marked pending (`store.backup_pending`) for `run_pending_backup` to make once
    the user has what they opened for.
    """
    path = Path(path) if path is not None else default_db_path()
    clock = clock or datetime.now
    is_new = _check_file(path, create)
    scratch.activate(path)
    scratch.sweep(path)  # what a killed run left (an export's rows, a restore's copy)
    if is_new:
        _create_private_file(path)
    had_data = not is_new and path.stat().st_size > 0
    try:
        conn = connect(path)
    except sqlite3.DatabaseError as err:
        raise StoreError(f"无法打开数据库“{path}”：{explain(err) or err}") from err
    try:
        db = Database(conn)
        _check_ownership(db, path)
        if db.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            db.enable_wal()
        _migrate(db, path, clock)
    except BaseException as err:
        conn.close()  # a refused file must not stay open (and locked, on Windows)
        if isinstance(err, sqlite3.DatabaseError):
            raise StoreError(f"无法打开数据库“{path}”：{explain(err) or err}") from err
        raise
    store = Store(db, path, clock=clock)
    store.load_operator()
    _reindex_if_keys_changed(store)
    if had_data and daily_backup:
        from canxie_tui.store import backup

        backup.daily_backup(store)  # the first open of each day; never fails the open
    store.backup_pending = had_data and not daily_backup
    return store


# Pages copied per step of the deferred daily backup (4 MiB at SQLite's 4 KiB pages):
# no read transaction is held between steps, so checkpoints go on and the copy of a
# 1 GB district database never holds anything for long.
BACKUP_STEP_PAGES = 1024


def run_pending_backup(store: Store) -> Path | None:
    """Make today's backup if `open_store(daily_backup=False)` left it pending.

    Safe in another thread: it reads `store.path` and `store.clock` only and copies
    through a connection of its own.  Never raises (see `backup.daily_backup`).
    """
    if not store.backup_pending:
        return None
    store.backup_pending = False
    from canxie_tui.store import backup

    return backup.daily_backup(store, pages=BACKUP_STEP_PAGES)


def start_pending_backup(store: Store, *, daemon: bool = False) -> threading.Thread | None:
    """`run_pending_backup` in a thread of its own, started now.

    Not a daemon by default: a process that is quitting finishes the copy before it
    exits (a half-made copy is never kept, but then today would have none).  A daemon
    when the caller waits for it itself and lets Ctrl+C skip it (the command line)."""
    if not store.backup_pending:
        return None
    thread = threading.Thread(
        target=run_pending_backup, args=(store,), name="canxie-daily-backup", daemon=daemon
    )
    thread.start()
    return thread


def _check_ownership(db: Database, path: Path) -> None:
    app_id = db.conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id == schema.APPLICATION_ID:
        return
    if app_id == 0 and not db.table_names():
        db.conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
        return
    raise StoreError(f"“{path}”是其他程序的 SQLite 数据库，不是残协工作台的数据库。")


def _migrate(db: Database, path: Path, clock: Callable[[], datetime]) -> None:
    applied = {m.name for m in schema.migrations.applied(db)}
    unknown = applied - set(schema.MIGRATION_NAMES)
    if unknown:
        raise StoreError(
            f"数据库“{path}”来自更新版本的残协工作台（结构版本高于本程序支持的 "
            f"{schema.SCHEMA_VERSION}）。请升级程序后再打开，本程序未做任何修改。"
        )
    if not schema.migrations.pending(db):
        return
    if applied:  # never upgrade without a copy of what was there
        from canxie_tui.store import backup

        backup.backup_before_migration(db.conn, path, clock())
    schema.migrations.apply(db)
    _baseline_if_pending(db)


def _baseline_if_pending(db: Database) -> None:
    """Migration 0007 leaves a marker: record rows earlier migrations changed silently."""
    conn = db.conn
    key = schema.BASELINE_PENDING
    if not conn.execute("SELECT 1 FROM settings WHERE key = ?", (key,)).fetchone():
        return
    from canxie_tui.store import integrity

    with db.atomic():
        integrity.baseline(conn)
        conn.execute("DELETE FROM settings WHERE key = ?", (key,))


# A community or street re-indexes in about a second (0.3 s per 1,000 people) on open;
# a district's 40k people take ~12 s, which the first open must not wait for: a larger
# database keeps its old keys (new and edited people get the new ones) until the app
# re-indexes it in the background after the first paint (`reindex_in_steps`).
REINDEX_ON_OPEN_MAX = 5_000
REINDEX_STEP = 500  # people per transaction: a save waits for one step at most


def keys_outdated(store: Store) -> bool:
    """Whether this version makes other search keys than the database holds.

    The keys' version is kept in the file header (PRAGMA user_version, unused
    otherwise), not in a table: marking a new or re-indexed database adds no row.
    """
    from canxie_tui.domain.search_keys import KEYS_VERSION

    return int(store.scalar("PRAGMA user_version")) < KEYS_VERSION


def _mark_keys_current(store: Store) -> None:
    from canxie_tui.domain.search_keys import KEYS_VERSION

    store.db.conn.execute(f"PRAGMA user_version = {int(KEYS_VERSION)}")


def _reindex_if_keys_changed(store: Store) -> None:
    """Search keys are written when a person is saved; when this version makes other
    keys (new surname readings, mixed pinyin), everyone is re-indexed once, so that
    `kdm` finds 阚德明 in a database filled by an earlier version too."""
    if not keys_outdated(store):
        return
    people = int(store.scalar("SELECT count(*) FROM persons"))
    if people > REINDEX_ON_OPEN_MAX:
        return
    with store.transaction():
        if people:
            from canxie_tui.store.search import rebuild_index

            rebuild_index(store)
        _mark_keys_current(store)


def reindex_in_steps(store: Store, progress: Callable[[int, int], None] | None = None) -> int:
    """Re-index everyone when the keys are outdated, `REINDEX_STEP` people per
    transaction (saves go on between steps); returns how many were re-indexed.

    Someone saved meanwhile is indexed by the save itself with the new keys, so
    the steps need no lock across them.
    """
    if not keys_outdated(store):
        return 0
    from canxie_tui.store.search import index_people

    pks = [r[0] for r in store.db.conn.execute("SELECT pk FROM persons")]
    for start in range(0, len(pks), REINDEX_STEP):
        with store.transaction():
            index_people(store, pks[start : start + REINDEX_STEP])
        if progress:
            progress(min(start + REINDEX_STEP, len(pks)), len(pks))
    with store.transaction():
        _mark_keys_current(store)
    return len(pks)


def restore_database(
    db_path: Path,
    backup_file: Path | str,
    *,
    clock: Callable[[], datetime] | None = None,
    operator: tuple[str, str] | None = None,
) -> tuple[Store, RestoreResult]:
    """Replace the database by `backup_file`, reopen it and audit the restore.

    Every connection to `db_path` must be closed first.  `operator` stays the
    one writing when the restored database names none.
    """
    from canxie_tui.store import anchors, backup

    clock = clock or datetime.now
    result = backup.restore(db_path, backup_file, clock=clock)
    store = open_store(db_path, create=False, clock=clock)
    if operator and not store.operator_id:
        store.operator_id, store.operator_name = operator
    try:
        records.write_audit(
            store,
            anchors.RESTORE_ACTION,
            "database",
            store.path.name,
            None,
            {
                "backup": str(result.restored.path),
                "safety_backup": str(result.safety_backup or ""),
            },
        )
    except BaseException:
        store.close()
        raise
    return store, result
