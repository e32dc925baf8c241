"""Opening the database: checks, pragmas, migrations, transactions, the clock.

One `Store` wraps one SQLite connection.  Worker threads each take their own
with `Store.clone()`; WAL lets them read while another writes, and write
transactions start with BEGIN IMMEDIATE so two writers queue on the busy
timeout instead of failing half-way through.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from canxie_tui.store import schema
from canxie_tui.store.errors import StoreError

BUSY_TIMEOUT_MS = 10_000
DEFAULT_DB = Path("data") / "canxie.db"


def default_db_path() -> Path:
    return Path(os.environ.get("CANXIE_DB") or DEFAULT_DB)


def new_id() -> str:
    return str(uuid.uuid4())


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


CACHE_KIB = 32 * 1024


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    # 32 MiB of page cache (the default is 2 MiB): a district database is ~1 GB and
    # bulk writes (roster import, district merge) touch many index pages; measured
    # 4.7 -> 4.3 s for a 30k-row import.  Memory stays bounded by this figure.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


class Store:
    """A connection to one canxie database, with the operator who is writing."""

    def __init__(self, db: Database, path: Path, *, clock: Callable[[], datetime] | None = None):
        self.db = db
        self.path = path
        self.operator_id = ""
        self.operator_name = ""
        self.clock: Callable[[], datetime] = clock or datetime.now
        self._lock = threading.RLock()

    # -- opening -------------------------------------------------------------
    @classmethod
    def open(
        cls,
        path: Path | str | None = None,
        *,
        create: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> Store:
        """Open (and if needed create and migrate) the database at `path`."""
        path = Path(path) if path is not None else default_db_path()
        clock = clock or datetime.now
        is_new = _check_file(path, create)
        if is_new:
            _create_private_file(path)
        had_data = not is_new and path.stat().st_size > 0
        conn = _connect(path)
        try:
            db = Database(conn, execute_plugins=False)
            cls._check_ownership(db, path)
            if db.conn.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.enable_wal()
            cls._migrate(db, path, clock)
        except BaseException as err:
            conn.close()  # a refused file must not stay open (and locked, on Windows)
            if isinstance(err, sqlite3.DatabaseError):
                raise StoreError(f"无法打开数据库“{path}”：{err}") from err
            raise
        store = cls(db, path, clock=clock)
        store._load_operator()
        if had_data:
            from canxie_tui.store.backup import daily_backup

            daily_backup(store)  # the first open of each day; never fails the open
        return store

    @staticmethod
    def _check_ownership(db: Database, path: Path) -> None:
        app_id = db.conn.execute("PRAGMA application_id").fetchone()[0]
        if app_id == schema.APPLICATION_ID:
            return
        if app_id == 0 and not db.table_names():
            db.conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
            return
        raise StoreError(f"“{path}”是其他程序的 SQLite 数据库，不是残协工作台的数据库。")

    @staticmethod
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
            from canxie_tui.store.backup import backup_before_migration

            backup_before_migration(db.conn, path, clock())
        schema.migrations.apply(db)

    def clone(self) -> Store:
        """A new connection to the same file for another thread (no migration check)."""
        conn = _connect(self.path)
        other = Store(Database(conn, execute_plugins=False), self.path, clock=self.clock)
        other.operator_id, other.operator_name = self.operator_id, self.operator_name
        return other

    def close(self) -> None:
        self.db.close()

    # -- identity and time ---------------------------------------------------
    def _load_operator(self) -> None:
        row = self.db.conn.execute(
            "SELECT o.id, o.name FROM settings s JOIN operators o ON s.value = json_quote(o.id) "
            "WHERE s.key = 'current_operator'"
        ).fetchone()
        if row:
            self.operator_id, self.operator_name = row

    def now(self) -> str:
        return self.clock().isoformat(timespec="seconds")

    def today(self) -> date:
        return self.clock().date()

    # -- transactions --------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """All-or-nothing block; nests as savepoints.  Writers queue (IMMEDIATE)."""
        with self._lock:
            conn = self.db.conn
            if conn.in_transaction:
                with self.db.atomic():
                    yield self.db
                return
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        cursor = self.db.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.db.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    @property
    def schema_version(self) -> int:
        return len(schema.migrations.applied(self.db))
