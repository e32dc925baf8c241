"""One connection's bulk statements, run in order on a thread of their own.

A roster import is about half Python (rows built, search terms, audit hashes) and
half SQLite (indexes, triggers, full-text).  sqlite3 lets go of the GIL inside a
statement, so a statement that writes a whole batch at once runs on a second core
while Python prepares the next batch: `insert` sends a batch as ONE parameter, a
JSON array read by `json_each` (as fast as `executemany` for a 30k-row persons
insert, measured 1.33 s against 1.32 s).  A statement stepping row by row
(`executemany`, a fetch of many rows) takes the GIL back for every row and waits
for a busy main thread each time (a 30k-row `executemany` beside one: 0.15 ->
8.6 s), so jobs here are whole-batch statements and one-row reads.

Between `start` and `close` (or `abort`) only the writer uses the connection; the
caller's transaction is the writer's, and the caller commits or rolls it back
after `close`/`abort` have returned (the thread has stopped by then).  The first
job that fails stops the rest: its error is raised in the caller at its next
`submit`, `result` or at `close`, and nothing after it runs.
"""

from __future__ import annotations

import functools
import json
import queue
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, Generic, NamedTuple, TypeVar

__all__ = ["Insert", "Job", "Writer", "encode", "statement", "writing"]

T = TypeVar("T")
# While a writer runs: how long a busy thread keeps the GIL from a thread that wants
# it back (Python's default is 5 ms; the writer asks once per statement).
_SWITCH_INTERVAL = 0.0002


class _Switch:
    """The interpreter's switch interval, short while any writer runs (writers may
    overlap: the first one in shortens it, the last one out puts it back)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._writers = 0
        self._saved = 0.0

    def enter(self) -> None:
        with self._lock:
            if not self._writers:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, _SWITCH_INTERVAL))
            self._writers += 1

    def leave(self) -> None:
        with self._lock:
            self._writers -= 1
            if not self._writers:
                sys.setswitchinterval(self._saved)


_switch = _Switch()
_DEPTH = 8  # jobs queued ahead of the writer: memory stays bounded by a few batches
# Rows for `insert`'s one parameter (the C encoder; text as it is, not \u-escaped; NaN
# and infinities refused: JSON has no words for them that SQLite 3.40 reads).
encode = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), check_circular=False, allow_nan=False
).encode


_VALUE, _LONG, _SAME = "value", "long", "same"  # how `insert` sends a column


@functools.lru_cache(maxsize=64)
def _insert_sql(table: str, columns: tuple[str, ...], kinds: tuple[str, ...]) -> str:
    """INSERT of `columns` from a JSON array of arrays (parameter 1), in its order.

    `kinds`: per column `_VALUE`, a value of the arrays, or `_LONG`, a text that comes as bytes in parameter 2, each row's as (offset,
    length) among its values, or `_SAME`, one value for every row, in the next
    parameter (`Writer.insert`).
    """
    assert all(c.isidentifier() for c in (table, *columns)), (table, columns)
    values, at, param = [], 0, 3 if _LONG in kinds else 2
    for kind in kinds:
        if kind == _SAME:
            values.append(f"?{param}")
            param += 1
        elif kind == _LONG:
            start, length = f"json_extract(value, '$[{at}]')", f"json_extract(value, '$[{at + 1}]')"
            values.append(f"CAST(substr(?2, {start}, {length}) AS TEXT)")
            at += 2
        else:
            values.append(f"json_extract(value, '$[{at}]')")  # not ->>: SQLite 3.38+ only
            at += 1
    return (
        f"INSERT INTO {table} ({', '.join(columns)}) "
        f"SELECT {', '.join(values)} FROM json_each(?1) ORDER BY key"
    )


class Job(Generic[T]):
    """A queued job's result, once the writer has run it (a small future: importing
    concurrent.futures costs a command ~8 ms of start-up, for its logging)."""

    def __init__(self) -> None:
        self._done = threading.Event()
        self._value: T | None = None
        self._error: BaseException | None = None

    def result(self) -> T:
        """Wait for the job; its value, or its error raised here."""
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value  # type: ignore[return-value]  # set before _done

    @classmethod
    def done(cls, value: T) -> Job[T]:
        """A job whose result is known already."""
        job: Job[T] = cls()
        job._set(value)
        return job

    def _set(self, value: T | None, error: BaseException | None = None) -> None:
        self._value, self._error = value, error
        self._done.set()


def _execute(conn: sqlite3.Connection, sql: str, *params: Any) -> None:
    conn.execute(sql, params)


class Insert(NamedTuple):
    """A job inserting a batch: `run(conn, *args)` (`statement`)."""

    run: Callable[..., None]
    args: tuple[Any, ...]


def statement(
    table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], long: str = ""
) -> Insert:
    """The INSERT of `rows` (values in `columns`' order, at least one row) as one
    statement, with its parameters: JSON of the values, then the rest (`_insert_sql`).

    A column with one value in every row (a time stamp, the operator, a default) is
    sent once.  `long`: a column of long texts (an audit entry's row as JSON), sent
    as bytes beside the JSON rather than escaped into it (SQLite took a third longer
    to read them back out: 0.36 against 0.25 s for 30k entries).  A batch with a value
    JSON would not carry whole (a text with a NUL, bytes, NaN) is bound row by row;
    integers beyond 64 bits are not for here (SQLite would read them as REAL).
    """
    first = rows[0]
    kinds = tuple(
        _LONG
        if name == long and all(row[i] is not None for row in rows)
        else _SAME
        if _same(rows, i)
        else _VALUE
        for i, name in enumerate(columns)
    )
    sent = [i for i, kind in enumerate(kinds) if kind != _SAME]
    pick = itemgetter(*sent) if len(sent) > 1 else lambda row: tuple(row[i] for i in sent)
    values = [pick(row) for row in rows]
    same = [first[i] for i, kind in enumerate(kinds) if kind == _SAME]
    sql = _insert_sql(table, tuple(columns), kinds)
    try:
        if _LONG in kinds:
            values, texts = _apart(values, sent.index(kinds.index(_LONG)))
            params: tuple[Any, ...] = (encode(values), texts, *same)
        else:
            params = (encode(values), *same)
    except (TypeError, ValueError):  # bytes, NaN, infinity: JSON cannot carry them
        return _row_by_row(table, columns, rows)
    if "\\u0000" in params[0]:  # json_extract would cut a text at its NUL
        return _row_by_row(table, columns, rows)
    return Insert(_execute, (sql, *params))


def _row_by_row(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> Insert:
    """The insert as `executemany` binds it: for the values JSON would not carry
    whole (slower on the writer's thread, and rare: a roster's values are text and
    small integers)."""
    marks = ", ".join("?" for _ in columns)
    return Insert(
        _execute_many, (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)
    )


def _execute_many(conn: sqlite3.Connection, sql: str, rows: Sequence[Sequence[Any]]) -> None:
    conn.executemany(sql, rows)


def _same(rows: Sequence[Sequence[Any]], at: int) -> bool:
    """Whether every row has the same value at `at` (of the same type: 1 is not 1.0)."""
    value = rows[0][at]
    kind = type(value)
    return all(row[at] == value and type(row[at]) is kind for row in rows)


def _apart(rows: Sequence[Sequence[Any]], at: int) -> tuple[list[tuple[Any, ...]], bytes]:
    """`rows` with the text at `at` replaced by its (offset, length) in the bytes."""
    out, parts, offset = [], [], 1  # substr counts from 1
    for row in rows:
        part = row[at].encode("utf-8")
        out.append((*row[:at], offset, len(part), *row[at + 1 :]))
        parts.append(part)
        offset += len(part)
    return out, b"".join(parts)


class Writer:
    """A thread running jobs `fn(conn, *args)` on one connection, in order."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._jobs: queue.Queue[tuple[Job[Any], Callable[..., Any], tuple[Any, ...]] | None]
        self._jobs = queue.Queue(maxsize=_DEPTH)
        self._error: BaseException | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._work, name="canxie-writer", daemon=True)
        # Set when the thread is done (not `Thread.join`, which an interruption can make
        # return while the thread still runs: Python 3.11's bpo-45274 handling).
        self._finished = threading.Event()
        self._running = False

    def start(self) -> None:
        _switch.enter()
        try:
            self._thread.start()
        except BaseException:
            _switch.leave()
            raise
        self._running = True

    def submit(self, fn: Callable[..., T], *args: Any) -> Job[T]:
        """Queue `fn(conn, *args)`; its result (or error) in the job."""
        self._raise()
        job: Job[T] = Job()
        self._jobs.put((job, fn, args))
        return job

    def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], long: str = ""
    ) -> None:
        """Queue an insert of `rows` (values in `columns`' order) as one statement
        (`statement`)."""
        if rows:
            insert = statement(table, columns, rows, long)
            self.submit(insert.run, *insert.args)

    def close(self) -> None:
        """Wait for every queued job; raise the first error."""
        self._end()
        self._raise()

    def abort(self) -> None:
        """Drop the jobs not started; wait for the one running (not its error)."""
        self._stop = True
        self._end()

    def _end(self) -> None:
        if not self._running:
            return
        try:
            self._jobs.put(None)
            self._finished.wait()
        except BaseException:  # interrupted (Ctrl+C): stop all the same, then say so
            self._stop = True
            self._jobs.put(None)
            self._finished.wait()
            raise
        finally:
            self._running = False
            _switch.leave()

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def _work(self) -> None:
        try:
            self._take()
        finally:
            self._finished.set()

    def _take(self) -> None:
        while (queued := self._jobs.get()) is not None:
            job, fn, args = queued
            if self._stop or self._error is not None:
                job._set(None, self._error or RuntimeError("写入已中止"))
                continue
            try:
                job._set(fn(self._conn, *args))
            except BaseException as err:  # raised in the caller (`_raise`, `result`)
                self._error = err
                job._set(None, err)


@contextmanager
def writing(conn: sqlite3.Connection) -> Iterator[Writer]:
    """A `Writer` on `conn` for the block: closed at its end (the block waits for the
    writes and sees their errors), aborted when the block raises."""
    writer = Writer(conn)
    writer.start()
    try:
        yield writer
        writer.close()
    except BaseException:  # also an interruption while `close` waits
        writer.abort()
        raise
