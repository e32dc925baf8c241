"""Checking a backup before it is restored: intact, ours, a schema this version knows, untampered."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from canxie_tui.store import integrity, records, schema
from canxie_tui.store.backup.folder import SQLITE_HEADER, _header
from canxie_tui.store.errors import StoreError
from canxie_tui.store.register_sql import in_register


@dataclass(frozen=True)
class BackupCheck:
    """What a checked backup file holds (shown before a restore is confirmed)."""

    path: Path
    schema_version: int
    households: int
    persons: int
    last_change: str  # time of the newest audit entry, "" when none


def _read_only(path: Path) -> sqlite3.Connection:
    """Open a file for checking without creating anything beside it.

    `immutable` needs no locks and leaves no -shm behind (a backup in a read-only
    folder, on a USB stick); a file with a -wal beside it is read through its WAL.
    """
    mode = "mode=ro" if Path(f"{path}-wal").exists() else "immutable=1"
    return sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True)


def _check_kind(path: Path, name: Path) -> None:
    if path.is_dir():
        raise StoreError(f"“{name}”是一个文件夹，不是备份文件。")
    if not path.exists():
        raise StoreError(f"找不到备份文件“{name}”。")
    if _header(path) != SQLITE_HEADER:
        raise StoreError(f"“{name}”不是残协工作台的备份文件（不是 SQLite 格式），不能用来恢复。")


def check_backup(path: Path | str, *, shown: Path | None = None) -> BackupCheck:
    """Refuse (StoreError) a file that is damaged, not ours, or from a newer version.

    Nothing is written, and nothing is created beside the file.  `shown` is the
    name used in messages (when `path` is a temporary copy of it).
    """
    path = Path(path)
    name = shown or path
    _check_kind(path, name)
    damaged = f"备份文件“{name}”已损坏，不能用来恢复。请换一个较早的备份。"
    try:
        conn = _read_only(path)
    except sqlite3.Error as err:
        raise StoreError(f"{damaged}（{err}）") from err
    try:
        problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if problems != ["ok"]:
            raise StoreError(f"{damaged}（完整性检查：{'；'.join(problems[:3])}）")
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app_id != schema.APPLICATION_ID:
            raise StoreError(
                f"“{name}”是其他程序的 SQLite 数据库，不是残协工作台的备份，不能用来恢复。"
            )
        if "_sqlite_migrations" not in tables:
            raise StoreError(f"“{name}”不是完整的残协工作台数据库（没有结构版本），不能用来恢复。")
        applied = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
                (schema.migrations.name,),
            )
        ]
        unknown = set(applied) - set(schema.MIGRATION_NAMES)
        if unknown:
            raise StoreError(
                f"备份“{name}”来自更新版本的残协工作台（结构版本高于本程序支持的 "
                f"{schema.SCHEMA_VERSION}），本程序不能用它恢复。请先升级程序。"
            )
        if not applied:
            raise StoreError(f"“{name}”不是完整的残协工作台数据库（没有结构版本），不能用来恢复。")
        _check_trust(conn, name)
        households = conn.execute("SELECT count(*) FROM households").fetchone()[0]
        held = "held" in {r[1] for r in conn.execute("PRAGMA table_info(persons)")}
        persons = conn.execute(
            f"SELECT count(*) FROM persons WHERE {in_register('', held=held)}"
        ).fetchone()[0]
        last = conn.execute("SELECT at FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{damaged}（{err}）") from err
    finally:
        conn.close()
    return BackupCheck(name, len(applied), households, persons, last[0] if last else "")


def _check_trust(conn: sqlite3.Connection, name: Path) -> None:
    """Refuse a backup whose audit chain is broken or whose schema holds objects not ours.

    A restored file becomes the database everyone works in: a trigger hidden in
    it would run on every later write (copying each new person elsewhere).
    """
    foreign = integrity.foreign_objects(conn)
    if foreign:
        raise StoreError(
            f"备份“{name}”含有不属于残协工作台的数据库对象（{integrity.describe_objects(foreign)}），"
            "可能被人改动过，不能用来恢复。请换一个备份，并把这个文件交给负责人检查。"
        )
    problems = records.verify_chain(conn)
    if problems:
        shown = "；".join(problems[:3]) + ("……" if len(problems) > 3 else "")
        raise StoreError(
            f"备份“{name}”的审计日志不完整（{shown}），可能被人改动过，不能用来恢复。"
            "请换一个备份，并把这个文件交给负责人检查。"
        )
