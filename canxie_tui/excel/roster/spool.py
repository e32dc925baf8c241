"""The spool: a roster's accepted rows, off the Python heap.

Accepted rows (`RosterRow`) are not kept in Python: they go to a spool, a private
temporary SQLite database (`sqlite3.connect("")`).  SQLite holds a small page cache
of it and writes the rest to a file it has already unlinked, so memory stays flat in
the number of rows, and the rows (ID numbers) never outlive the process, even after
a crash.  `excel.roster.read` fills it; `excel.roster.plan.preview` and
`excel.roster.apply.apply` work through it in chunks and keep their working tables
here.  An SQLite error says what went wrong in Chinese (`SpoolError`).
"""

from __future__ import annotations

import functools
import inspect
import marshal
import sqlite3
import tempfile
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

from canxie_tui.excel.errors import SyncError
from canxie_tui.excel.roster.columns import (
    BENEFIT_FIELDS,
    FACT_FIELDS,
    HOUSEHOLD_COLUMNS,
    HOUSEHOLD_FIELDS,
    PERSON_FIELDS,
    address_key,
)
from canxie_tui.store.writer import Writer, writing

__all__ = ["NEW_TARGET", "RosterRow", "Spool", "SpoolError", "household_key"]

_FLUSH = 500  # accepted rows written to the spool at a time


@dataclass(frozen=True, slots=True)
class RosterRow:
    """An accepted row: cleaned values of the columns the roster has, blanks omitted."""

    row: int
    id_number: str
    # (field, cleaned value) for PERSON_FIELDS, sex/birth, FACT_FIELDS, BENEFIT_FIELDS
    person: tuple[tuple[str, Any], ...]
    household: tuple[tuple[str, str], ...]  # (field, cleaned value) for HOUSEHOLD_COLUMNS

    def person_values(self) -> dict[str, Any]:
        return dict(self.person)

    def household_values(self) -> dict[str, str]:
        return dict(self.household)

    @property
    def household_key(self) -> str:
        """The address as compared with the register's ('' when the row has none)."""
        return household_key(dict(self.household))


def household_key(house: dict[str, str]) -> str:
    if not house.get("address"):
        return ""
    return address_key(*(house.get(k, "") for k in ("address", "building", "unit", "room")))


# The cleaned values a row may carry, as spool columns (NULL: the row has none); the
# register facts' only in the spool of a roster that has such columns (`Spool.facts`),
# so that a roster without them costs what it did before they existed.
_PERSON_COLUMNS = (*PERSON_FIELDS, "sex", "birth_date")
_FACT_PERSON_COLUMNS = (*_PERSON_COLUMNS, *FACT_FIELDS, *BENEFIT_FIELDS)
_SPOOL_SCHEMA = """
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE rows (
    row INTEGER PRIMARY KEY,         -- as Excel shows it
    id_number TEXT NOT NULL,
    hkey TEXT NOT NULL,              -- RosterRow.household_key
    certified INTEGER NOT NULL,      -- has a category: counts towards 一户多残
    kind TEXT NOT NULL DEFAULT '',   -- preview: new / match / rejected
    target TEXT NOT NULL DEFAULT '', -- preview: the household id, or 'new:' + hkey
    {value_columns}
);
CREATE INDEX rows_kind ON rows(kind, row);
CREATE INDEX rows_target ON rows(target, row);
CREATE TABLE known (hkey TEXT PRIMARY KEY, household_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE new_households (
    target TEXT PRIMARY KEY,         -- 'new:' + hkey
    household_values BLOB NOT NULL,  -- the first non-blank value of each field (_pack)
    columns BLOB NOT NULL DEFAULT '' -- apply: the new household's columns as inserted (_pack)
) WITHOUT ROWID;
"""
NEW_TARGET = "new:"  # a rows.target for a household the import creates
# A household's values and columns, as the spool keeps them: Python's own format for
# its own private file (a fifth of JSON's cost both ways; never read by anything else).
_pack, _unpack = marshal.dumps, marshal.loads
T = TypeVar("T")


class SpoolError(SyncError):
    """The spool could not be read or written (the temporary folder is full, say)."""


def _spool_failed(err: sqlite3.Error) -> SpoolError:
    return SpoolError(
        f"导入用的临时数据无法读写（{err}）：临时文件夹“{tempfile.gettempdir()}”可能已满或不可写。"
        "数据库没有任何改动；请腾出磁盘空间后重新导入。"
    )


def _said_in_chinese(cls: type[T]) -> type[T]:
    """Every public method of `cls` turns an SQLite error into a SpoolError
    (generators too, while they are iterated)."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(method):

            @functools.wraps(method)
            def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
                try:
                    yield from method(*args, **kwargs)
                except sqlite3.Error as err:
                    raise _spool_failed(err) from err

            return generator

        @functools.wraps(method)
        def plain(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except sqlite3.Error as err:
                raise _spool_failed(err) from err

        return plain

    for name, value in list(vars(cls).items()):
        if inspect.isfunction(value) and not name.startswith("_"):
            setattr(cls, name, wrap(value))
    return cls


@_said_in_chinese
class Spool:
    """The accepted rows of one roster and the preview's working tables, in a
    private temporary SQLite database (see the module doc): never the register."""

    def __init__(self, facts: bool = True) -> None:
        self.facts = facts  # carries the register facts (FACT_FIELDS, BENEFIT_FIELDS, poverty)
        self.person_columns = _FACT_PERSON_COLUMNS if facts else _PERSON_COLUMNS
        self.household_columns = HOUSEHOLD_COLUMNS if facts else HOUSEHOLD_FIELDS
        self.value_columns = ", ".join((*self.person_columns, *self.household_columns))
        self.conn = sqlite3.connect("", check_same_thread=False)
        self.conn.executescript(_SPOOL_SCHEMA.format(value_columns=self.value_columns))
        self._pending: list[tuple[Any, ...]] = []
        self._writer: Writer | None = None
        self._closer = weakref.finalize(self, self.conn.close)

    def close(self) -> None:
        self._closer()

    def add(self, item: RosterRow) -> None:
        person, house = dict(item.person), dict(item.household)
        self._pending.append(
            (
                item.row,
                item.id_number,
                household_key(house),
                "category" in person,
                *map(person.get, self.person_columns),
                *map(house.get, self.household_columns),
            )
        )
        if len(self._pending) >= _FLUSH:
            self._flush()

    def _flush(self) -> None:
        assert self._writer is not None, "Spool.add is for inside Spool.filling"
        columns = ("row", "id_number", "hkey", "certified", *self.person_columns)
        self._writer.insert("rows", (*columns, *self.household_columns), self._pending)
        self._pending = []

    @contextmanager
    def filling(self) -> Iterator[None]:
        """`add` for the block writes on a thread of its own (`store.writer`), while
        the next rows are read and checked; all written when the block ends."""
        try:
            with writing(self.conn) as self._writer:
                yield
                self._flush()
            self.conn.commit()
        except sqlite3.Error as err:
            raise _spool_failed(err) from err
        finally:
            self._writer = None

    def chunks(
        self, where: str = "1", params: Sequence[Any] = (), size: int = _FLUSH
    ) -> Iterator[list[RosterRow]]:
        """The spooled rows (those matching `where`) in row order, `size` at a time."""
        cursor = self.conn.execute(
            f"SELECT row, id_number, {self.value_columns} FROM rows WHERE {where} ORDER BY row",
            params,
        )
        while batch := cursor.fetchmany(size):
            yield [self._decode(*values) for values in batch]

    def keyed(self, size: int = _FLUSH) -> Iterator[list[tuple[int, str, str]]]:
        """(row, ID number, address key) of every spooled row in row order, `size` at
        a time: what matching needs; the values only for rows that match someone
        (`rows_of`; none in a first import)."""
        cursor = self.conn.execute("SELECT row, id_number, hkey FROM rows ORDER BY row")
        while batch := cursor.fetchmany(size):
            yield batch

    def rows_of(self, rows: Sequence[int]) -> dict[int, RosterRow]:
        """Some spooled rows, by row number."""
        found: dict[int, RosterRow] = {}
        for start in range(0, len(rows), _FLUSH):
            chunk = list(rows[start : start + _FLUSH])
            for values in self.conn.execute(
                f"SELECT row, id_number, {self.value_columns} FROM rows "
                f"WHERE row IN ({','.join('?' * len(chunk))})",
                chunk,
            ):
                found[values[0]] = self._decode(*values)
        return found

    # -- what preview and apply keep here ----------------------------------------------
    def reset(self) -> None:
        """Forget an earlier preview of these rows."""
        self.conn.execute("UPDATE rows SET kind = '', target = '' WHERE kind != ''")
        self.conn.execute("DELETE FROM known")
        self.conn.execute("DELETE FROM new_households")
        self.conn.commit()

    def mark(self, marks: list[tuple[str, str, int]]) -> None:
        """(kind, target, row) for rows preview has looked at."""
        self.conn.executemany("UPDATE rows SET kind = ?, target = ? WHERE row = ?", marks)
        self.conn.commit()

    def mark_new(self) -> None:
        """Every row not marked yet is a new person (one statement, not one per row)."""
        self.conn.execute("UPDATE rows SET kind = 'new' WHERE kind = ''")
        self.conn.commit()

    def count(self, kind: str) -> int:
        return int(
            self.conn.execute("SELECT count(*) FROM rows WHERE kind = ?", (kind,)).fetchone()[0]
        )

    def kinds(self, rows: Sequence[int]) -> dict[int, tuple[str, str]]:
        """row -> (kind, ID number) for some rows."""
        found: dict[int, tuple[str, str]] = {}
        for start in range(0, len(rows), _FLUSH):
            chunk = list(rows[start : start + _FLUSH])
            marks = ",".join("?" for _ in chunk)
            for row, kind, number in self.conn.execute(
                f"SELECT row, kind, id_number FROM rows WHERE row IN ({marks})", chunk
            ):
                found[row] = (kind, number)
        return found

    def match_addresses(self, known: Iterator[tuple[str, str]]) -> None:
        """Point new rows at the register's household with their address (`known`:
        (address key, household id), oldest first: the oldest wins), else at a new one."""
        self.conn.executemany("INSERT OR IGNORE INTO known VALUES (?, ?)", known)
        self.conn.execute(
            "UPDATE rows SET target = coalesce("
            "(SELECT household_id FROM known WHERE known.hkey = rows.hkey), ? || hkey) "
            "WHERE kind = 'new'",
            (NEW_TARGET,),
        )
        self.conn.commit()

    def households(
        self, size: int = _FLUSH
    ) -> Iterator[list[tuple[str, dict[str, tuple[int, str]]]]]:
        """Per household the import touches: (target, field -> (first row giving a value,
        that value)), `size` households at a time."""
        cursor = self.conn.execute(
            f"SELECT target, row, {', '.join(self.household_columns)} FROM rows "
            "WHERE kind IN ('new', 'match') ORDER BY target, row"
        )
        batch: list[tuple[str, dict[str, tuple[int, str]]]] = []
        target, wanted = "", dict[str, tuple[int, str]]()
        for this, row, *values in cursor:
            if this != target:
                if target:
                    batch.append((target, wanted))
                    if len(batch) >= size:
                        yield batch
                        batch = []
                target, wanted = this, {}
            for key, value in zip(self.household_columns, values, strict=True):
                if value is not None and key not in wanted:
                    wanted[key] = (row, value)
        if target:
            batch.append((target, wanted))
        if batch:
            yield batch

    def add_new_households(self, items: list[tuple[str, dict[str, str]]]) -> None:
        self.conn.executemany(
            "INSERT INTO new_households (target, household_values) VALUES (?, ?)",
            [(target, _pack(values)) for target, values in items],
        )
        self.conn.commit()

    def new_households(self, size: int = _FLUSH) -> Iterator[list[tuple[str, dict[str, str]]]]:
        """(target, values) of the households to create, `size` at a time (the batch is
        read whole before it is yielded: the caller may write `set_columns` meanwhile)."""
        after = ""
        while batch := self.conn.execute(
            "SELECT target, household_values FROM new_households WHERE target > ? "
            "ORDER BY target LIMIT ?",
            (after, size),
        ).fetchall():
            yield [(target, _unpack(values)) for target, values in batch]
            after = batch[-1][0]

    def set_columns(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """(target, columns) of households just inserted, for their new members."""
        self.conn.executemany(
            "UPDATE new_households SET columns = ? WHERE target = ?",
            [(_pack(columns), target) for target, columns in items],
        )
        self.conn.commit()

    def new_people(
        self, size: int = _FLUSH
    ) -> Iterator[list[tuple[RosterRow, str, dict[str, Any] | None, int]]]:
        """(row, target, the new household's columns or None, certified people new in
        that household) for every new person, in row order, `size` at a time."""
        cursor = self.conn.execute(
            "SELECT r.target, n.columns, coalesce(c.certified, 0), r.row, r.id_number, "
            + ", ".join(f"r.{c}" for c in (*self.person_columns, *self.household_columns))
            + " FROM rows r LEFT JOIN new_households n ON n.target = r.target "
            # counted in one pass, not once per row
            "LEFT JOIN (SELECT target, count(*) AS certified FROM rows "
            "WHERE kind = 'new' AND certified GROUP BY target) c ON c.target = r.target "
            "WHERE r.kind = 'new' ORDER BY r.row"
        )
        houses: dict[str, dict[str, Any]] = {}  # decoded once per household and batch
        while batch := cursor.fetchmany(size):
            out = []
            for target, columns, certified, *values in batch:
                house = None
                if columns:
                    house = houses.get(target)
                    if house is None:
                        house = houses[target] = _unpack(columns)
                out.append((self._decode(*values), target, house, certified))
            houses.clear()
            yield out

    def joined_households(self) -> list[str]:
        """Households in the register that new people join (their tiers change)."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT target FROM rows WHERE kind = 'new' AND target NOT LIKE ?",
                (NEW_TARGET + "%",),
            )
        ]

    def _decode(self, row: int, number: str, *values: Any) -> RosterRow:
        """A spooled row (row, id_number, then the value columns) as read."""
        people, houses = self.person_columns, self.household_columns
        person = values[: len(people)]
        house = values[len(people) :]
        return RosterRow(
            row,
            number,
            tuple((k, v) for k, v in zip(people, person, strict=True) if v is not None),
            tuple((k, v) for k, v in zip(houses, house, strict=True) if v is not None),
        )
