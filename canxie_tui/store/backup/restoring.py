"""Restoring a backup: checked, the current database backed up, then swapped in one rename."""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from canxie_tui.store import schema, scratch
from canxie_tui.store.backup.check import BackupCheck, _check_kind, _read_only, check_backup
from canxie_tui.store.backup.copies import _copy, backup_database
from canxie_tui.store.backup.folder import (
    _SIDE_FILES,
    SQLITE_HEADER,
    _describe,
    _header,
    _make_folder,
    _new_backup_path,
    _private_empty_file,
    _remove_with_side_files,
    backup_dir,
    fsync_dir,
)
from canxie_tui.store.backup.keep import prune
from canxie_tui.store.errors import StoreError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RestoreResult:
    restored: BackupCheck
    safety_backup: Path | None  # the database as it was before the restore


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _secure_current(db_path: Path, when: datetime, busy_timeout: float) -> Path | None:
    """Back up the database about to be replaced; refuse if another program has it open.

    A database too damaged for the backup API is copied file by file (with its
    -wal), so a restore never destroys anything.
    """
    if not db_path.exists() or db_path.stat().st_size == 0:
        return None
    in_use = StoreError(
        f"数据库“{db_path}”正被其他程序使用（可能还开着残协工作台）。"
        "请先关闭所有使用它的窗口，再恢复。数据库未做任何修改。"
    )
    if _header(db_path) == SQLITE_HEADER:
        conn = sqlite3.connect(str(db_path), timeout=busy_timeout, isolation_level=None)
        try:
            try:
                # Held until close: nobody else can be reading or writing meanwhile.
                conn.execute("PRAGMA locking_mode = EXCLUSIVE")
                conn.execute("BEGIN EXCLUSIVE")
                conn.execute("COMMIT")
            except sqlite3.OperationalError as err:
                if "locked" in str(err) or "busy" in str(err):
                    raise in_use from err
                raise
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if app_id != schema.APPLICATION_ID and (app_id != 0 or tables):
                raise StoreError(
                    f"“{db_path}”是其他程序的 SQLite 数据库，不是残协工作台的数据库；"
                    "为免覆盖别人的数据，没有恢复。请用 --db 指定残协工作台的数据库。"
                )
            return backup_database(conn, db_path, reason="before-restore", when=when)
        except sqlite3.DatabaseError:
            log.warning("当前数据库“%s”无法用备份接口复制，改为逐字节复制。", db_path)
        finally:
            conn.close()
    return _raw_copy(db_path, when)


def _raw_copy(db_path: Path, when: datetime) -> Path:
    _make_folder(backup_dir(db_path))
    out = _new_backup_path(db_path, "before-restore", when)
    for suffix in ("", "-wal"):
        source = Path(f"{db_path}{suffix}")
        if source.exists():
            target = Path(f"{out}{suffix}")
            _private_empty_file(target)
            shutil.copyfile(source, target)
    return out


def restore(
    db_path: Path | str,
    backup: Path | str,
    *,
    clock: Callable[[], datetime] = datetime.now,
    busy_timeout: float = 2.0,
) -> RestoreResult:
    """Replace the database at `db_path` by the backup `backup`.

    Close every connection to `db_path` first.  Order: the backup is copied next
    to the database and checked (integrity, ours, a schema this version knows);
    the current database is backed up (refused if another program has it open);
    then the copy replaces it in one rename, and stale -wal/-shm files are
    removed so they cannot be replayed into the restored file.  Any refusal
    leaves everything as it was.
    """
    db_path, backup = Path(db_path), Path(backup)
    if db_path.is_dir():
        raise StoreError(f"“{db_path}”是一个文件夹，不是数据库文件。请指定数据库文件的路径。")
    if db_path.exists() and not db_path.is_file():
        raise StoreError(f"“{db_path}”不是普通文件（可能是设备或管道），不能用作数据库。")
    if _same_file(db_path, backup):
        raise StoreError("备份文件就是当前数据库本身，不需要恢复。")
    _check_kind(backup, backup)  # the quick refusals, before anything is created
    db_path.parent.mkdir(parents=True, exist_ok=True)
    # In our private folder beside the database (same disk: the rename below is atomic);
    # a restore killed half-way leaves it there, for the next start to remove.
    temp = scratch.private_dir(db_path) / f"restore-{db_path.name}.tmp"
    try:
        source = _read_only(backup)
        try:
            _copy(source, temp)
        except sqlite3.OperationalError as err:  # disk full, I/O error: not the backup's fault
            raise StoreError(
                f"复制备份时出错（{err}），数据库未做任何修改。请检查磁盘空间后再试。"
            ) from err
        except sqlite3.DatabaseError as err:
            raise StoreError(f"备份文件“{backup}”已损坏，不能用来恢复。（{err}）") from err
        finally:
            source.close()
        checked = check_backup(temp, shown=backup)  # what is installed is what was checked
        try:
            safety = _secure_current(db_path, clock(), busy_timeout)
        except OSError as err:
            raise StoreError(
                f"恢复前无法备份当前数据库（{_describe(err)}），为安全起见没有恢复，"
                f"数据库未做任何修改。请检查备份文件夹“{backup_dir(db_path)}”是否可写、磁盘是否已满。"
            ) from err
        for suffix in _SIDE_FILES:
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        os.replace(temp, db_path)
        fsync_dir(db_path.parent)
    finally:
        _remove_with_side_files(temp)
        scratch.release(temp)
    if safety is not None:
        prune(db_path)
    return RestoreResult(checked, safety)
