"""The connection: pragmas, transactions, the clock, the operator.

One `Store` wraps one SQLite connection; `store.session.open_store` opens one
(checks, migrations with a backup, the daily backup).  Worker threads each take their own
with `Store.clone()`; WAL lets them read while another writes, and write
transactions start with BEGIN IMMEDIATE so two writers queue on the busy
timeout instead of failing half-way through.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from canxie_tui import config
from canxie_tui.store import schema
from canxie_tui.store.errors import BusyError
from canxie_tui.store.handle import Database

BUSY_TIMEOUT_MS = 10_000


def default_db_path() -> Path:
    return config.db_path()


def new_id() -> str:
    return str(uuid.uuid4())


CACHE_KIB = 32 * 1024
# Ids bound per `IN (...)` lookup: well under SQLite's limit on a statement's parameters.
IN_CHUNK = 500


def connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    # 32 MiB of page cache (the default is 2 MiB): a district database is ~1 GB and
    # bulk writes (roster import, district merge) touch many index pages; measured
    # 4.7 -> 4.3 s for a 30k-row import.  Memory stays bounded by this figure.
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA recursive_triggers = ON")  # as sqlite-utils always set it
    return conn


def _in_chunks(
    sql: str, ids: Iterable[Any], head: tuple[Any, ...], chunk: int
) -> Iterator[tuple[str, list[Any]]]:
    """`sql` and its parameters for each chunk of `ids` (see `Store.rows_in`)."""
    wanted = list(ids)
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        yield sql.replace("{marks}", ",".join("?" * len(part))), [*head, *part]


class Store:
    """A connection to one canxie database, with the operator who is writing."""

    def __init__(self, db: Database, path: Path, *, clock: Callable[[], datetime] | None = None):
        self.db = db
        self.path = path
        self.operator_id = ""
        self.operator_name = ""
        self.clock: Callable[[], datetime] = clock or datetime.now
        self._lock = threading.RLock()
        # Set by `open_store(daily_backup=False)`: today's backup is still to be made,
        # after the first paint or the command's answer (`session.run_pending_backup`).
        self.backup_pending = False

    def clone(self) -> Store:
        """A new connection to the same file for another thread (no migration check)."""
        conn = connect(self.path)
        other = Store(Database(conn), self.path, clock=self.clock)
        other.operator_id, other.operator_name = self.operator_id, self.operator_name
        return other

    def close(self) -> None:
        self.db.close()

    # -- identity and time ---------------------------------------------------
    def load_operator(self) -> None:
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
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as err:
                if "locked" not in str(err) and "busy" not in str(err):
                    raise
                from canxie_tui.store import scratch  # only now: what holds it

                raise BusyError(scratch.busy_with(self.path)) from err
            try:
                yield self.db
                from canxie_tui.store import risk  # after the first commit: a dict lookup

                risk.refresh(conn)  # the risk profiles of what was written, in the same commit
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        cursor = self.db.conn.execute(sql, params)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rows_in(
        self, sql: str, ids: Iterable[Any], *head: Any, chunk: int = IN_CHUNK
    ) -> Iterator[tuple[Any, ...]]:
        """The rows of `sql` for all `ids`, `chunk` of them per query.

        `{marks}` in `sql` stands for the chunk's placeholders; `head` are the
        parameters bound before them.  Each chunk is fetched whole before it is
        yielded, so the caller may write while it goes through them.
        """
        for text, params in _in_chunks(sql, ids, head, chunk):
            yield from self.db.conn.execute(text, params).fetchall()

    def query_in(
        self, sql: str, ids: Iterable[Any], *head: Any, chunk: int = IN_CHUNK
    ) -> Iterator[dict[str, Any]]:
        """`rows_in` with each row as a dict (column -> value), as `query` gives them."""
        for text, params in _in_chunks(sql, ids, head, chunk):
            yield from self.query(text, params)

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.db.conn.execute(sql, params).fetchone()
        return row[0] if row else None

    @property
    def schema_version(self) -> int:
        return len(schema.migrations.applied(self.db))
