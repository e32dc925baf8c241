"""The connection handle a `Store` holds, and the migrations' bookkeeping, without
importing sqlite-utils at start-up.

sqlite-utils (and click, pluggy, dateutil that it pulls in) costs ~30 ms of
imports, paid by every start of the app and every command, though only schema
migrations and a few tools need it.  `Database` here is the connection with
sqlite-utils' own `Database` behind it, created the first time anything beyond
the connection is asked for; `Migrations` reads and applies the same
`_sqlite_migrations` table as sqlite-utils' migrations (it hands them to
sqlite-utils to apply, so a database migrated by either is the same).
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

MIGRATIONS_TABLE = "_sqlite_migrations"


class Database:
    """`conn`, `execute`, `atomic` and `close` here; everything else of sqlite-utils'
    `Database` (tables, inserts) on first use, imported then."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._full: Any = None

    def full(self) -> Any:
        """sqlite-utils' Database on this connection (imported now)."""
        if self._full is None:
            from sqlite_utils import Database as Full

            self._full = Full(self.conn, execute_plugins=False, recursive_triggers=False)
        return self._full

    def __getattr__(self, name: str) -> Any:
        return getattr(self.full(), name)

    def __getitem__(self, table: str) -> Any:
        return self.full()[table]

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def table_names(self) -> list[str]:
        return [
            r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        ]

    @contextmanager
    def atomic(self) -> Iterator[Database]:
        """A transaction, or a savepoint inside one (as sqlite-utils' `atomic`).  A
        transaction computes the risk profiles of what it wrote before its commit, as
        `Store.transaction` does: a read of the emergency list never has to."""
        conn = self.conn
        if not conn.in_transaction:
            conn.execute("BEGIN")
            try:
                yield self
                from canxie_tui.store import risk  # after the first commit: a dict lookup

                risk.refresh(conn)
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return
        savepoint = f"canxie_{uuid.uuid4().hex}"
        conn.execute(f"SAVEPOINT {savepoint}")
        try:
            yield self
        except BaseException:
            if conn.in_transaction:  # a RAISE(ROLLBACK) may have ended it already
                conn.execute(f"ROLLBACK TO SAVEPOINT {savepoint}")
                conn.execute(f"RELEASE SAVEPOINT {savepoint}")
            raise
        conn.execute(f"RELEASE SAVEPOINT {savepoint}")

    def close(self) -> None:
        self.conn.close()


def _conn(db: Any) -> sqlite3.Connection:
    return db if isinstance(db, sqlite3.Connection) else db.conn


@dataclass
class Migration:
    name: str
    fn: Callable[[Any], None]
    transactional: bool = True  # what sqlite-utils' migrations read


@dataclass
class Applied:
    name: str
    applied_at: str


class Migrations:
    """Ordered, named migrations kept in sqlite-utils' `_sqlite_migrations` table:
    register with `@migrations(name=...)`; reading which are applied needs no
    sqlite-utils, applying them loads it."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._migrations: list[Migration] = []

    def __call__(self, *, name: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
        def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
            if any(m.name == name for m in self._migrations):
                raise ValueError(f"migration {name!r} is registered twice")
            self._migrations.append(Migration(name, fn))
            return fn

        return register

    def applied(self, db: Any) -> list[Applied]:
        conn = _conn(db)
        if not conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (MIGRATIONS_TABLE,)
        ).fetchone():
            return []
        return [
            Applied(name, at)
            for name, at in conn.execute(
                f"SELECT name, applied_at FROM {MIGRATIONS_TABLE} "
                "WHERE migration_set = ? ORDER BY rowid",
                (self.name,),
            )
        ]

    def pending(self, db: Any) -> list[Migration]:
        done = {m.name for m in self.applied(db)}
        return [m for m in self._migrations if m.name not in done]

    def apply(self, db: Database) -> None:
        """Apply what is pending, each in a transaction with its record (sqlite-utils)."""
        from sqlite_utils.migrations import Migrations as Full

        full = Full(self.name)
        for migration in self._migrations:
            full(name=migration.name)(migration.fn)
        full.apply(db.full())  # as before: the migrations see sqlite-utils itself
