"""New records of one table written on a `store.writer` thread, with their audit JSON.

`records.insert_many` inserts, then reads each row back as stored, for its audit
entry.  On a writer that read-back is SQLite work on the writer's thread, the busier
of the two (a 30k-row import: ~0.35 s of ~3.8 s there).  An `Appender` gives each row
its pk and computes the row as it will be stored here, in Python, where SQLite stores
every value as given: a text column given text, an integer column an integer, NULL,
and defaults that are plain literals.  A batch with any other value (a number for a
text column, a float...) is read back by SQLite as `insert_many` does, so an audit
entry always holds the row exactly as stored.

Create it before the writer starts (it reads the table's columns and last pk); it
assumes nothing else inserts into the table until the writer is closed: the caller's
transaction is open and only the writer writes.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StoreError
from canxie_tui.store.writer import Insert, Job, Writer, statement

__all__ = ["Appender"]

_UNKNOWN = object()  # a default that is an expression: its value is not known here


def _default(text: str | None) -> Any:
    """A column's default (`PRAGMA table_info`'s text) as SQLite stores it."""
    if text is None:
        return None
    if len(text) >= 2 and text[0] == text[-1] == "'":
        return text[1:-1].replace("''", "'")
    if text.removeprefix("-").isdigit():
        return int(text)
    return _UNKNOWN


def _kind(declared: str) -> type | None:
    """The Python type a column of `declared` type stores unchanged (its affinity's)."""
    upper = declared.upper()
    if "INT" in upper:
        return int
    if any(text in upper for text in ("CHAR", "CLOB", "TEXT")):
        return str
    return None  # NUMERIC, REAL, BLOB: read back


class Appender:
    """New records of `table` on a writer: pks from the table's last, audit JSON here."""

    def __init__(self, store: Store, table: str, now: str) -> None:
        conn = store.db.conn
        info = list(conn.execute(f"PRAGMA table_info({table})"))
        assert info[0][1] == "pk", table  # every record table starts so
        self.store, self.table, self.now = store, table, now
        self.shape = tuple((name, _kind(kind), _default(d)) for _, name, kind, _, d, _ in info[1:])
        self.next_pk = conn.execute(f"SELECT coalesce(max(pk), 0) + 1 FROM {table}").fetchone()[0]

    def insert(
        self, writer: Writer, rows: Sequence[dict[str, Any]]
    ) -> Job[list[tuple[int, str, str]]]:
        """Queue `insert_many`'s insert of `rows` on `writer`; the job's result is the
        records as stored, (pk, id, JSON) in pk order, for `records.created_entries`."""
        columns, values = records.stamped(self.store, rows, self.now)
        first, self.next_pk = self.next_pk, self.next_pk + len(rows)
        pks = range(first, self.next_pk)
        sent = [(pk, *row) for pk, row in zip(pks, values, strict=True)]
        insert = statement(self.table, ("pk", *columns), sent)
        afters = self._json(columns, values)
        if afters is None:
            return writer.submit(_insert_stored, insert, self.table, first, len(rows))
        writer.submit(insert.run, *insert.args)
        return Job.done(list(zip(pks, (row["id"] for row in rows), afters, strict=True)))

    def _json(self, columns: list[str], values: list[tuple[Any, ...]]) -> list[str] | None:
        """Each row as `records.stored_rows` would read it back (`records.row_json`'s
        text), or None when SQLite might store a value otherwise than given.

        The columns a batch does not set are its defaults, the same in every row:
        written once, between the values each row has.
        """
        given = {name: i for i, name in enumerate(columns)}
        steps: list[tuple[str, int, type | None]] = []  # (text before, value's index, type)
        text = "{"
        for i, (name, kind, default) in enumerate(self.shape):
            text += f'{", " if i else ""}"{name}": '
            if name in given:
                steps.append((text, given[name], kind))
                text = ""
            elif default is None or type(default) is kind:
                text += _literal(default)
            else:
                return None
        end = text + "}"
        out = []
        for row in values:
            parts = []
            for before, at, kind in steps:
                value = row[at]
                if value is not None and type(value) is not kind:
                    return None
                parts.append(before + _literal(value))
            parts.append(end)
            out.append("".join(parts))
        return out


_quote = json.encoder.encode_basestring  # a string as `records.row_json` writes it


def _literal(value: Any) -> str:
    """A text, an integer or NULL (the types `_json` lets through) as `records.row_json`
    writes it."""
    if value is None:
        return "null"
    return _quote(value) if type(value) is str else str(value)


def _insert_stored(
    conn: sqlite3.Connection, insert: Insert, table: str, first: int, count: int
) -> list[tuple[int, str, str]]:
    """On the writer: insert (`writer.statement`), then read the rows back in one row
    (`records.stored_rows`)."""
    insert.run(conn, *insert.args)
    stored = records.stored_rows(conn, table, first - 1, at_once=True)
    if len(stored) != count:
        raise StoreError(records.COUNT_MISMATCH)
    return stored
