"""The one write path: every insert and update of a record goes through here.

Each write runs in a transaction together with its audit-log entry, bumps the
record's version, and refuses an update based on a version that is no longer
current (someone else saved in between) instead of overwriting their work.

Bulk work (a roster import, a district merge) writes through the same chain:
`insert_many` inserts many rows of one table with one entry each, and
`append_audit` appends many entries; both read the chain's tail once and write
the entries with one statement, byte for byte what `write_audit` would write.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from operator import itemgetter
from typing import Any, NamedTuple

from canxie_tui.store.connection import Store, new_id
from canxie_tui.store.errors import NotFoundError, StaleEditError, StoreError
from canxie_tui.store.labels import FIELD_LABELS

_BOOKKEEPING = {"pk", "version", "created_at", "created_by", "updated_at", "updated_by"}
# Columns the store derives (last visit, tier, due date): never an edit conflict.
DERIVED = {"last_visit_date", "last_visit_method", "tier", "tier_reason", "next_due_date"}
# Per table: a person's above, and a survey entry's community, which triggers keep
# from its household (0011, also through a recode).  Never an edit, a drift from the
# audit log, or a merge conflict.
_DERIVED_OF: dict[str, frozenset[str]] = {
    "persons": frozenset(DERIVED),
    "survey_entries": frozenset({"division_code"}),
}


def derived(table: str) -> frozenset[str]:
    """The columns of `table` the store derives from other rows (`_DERIVED_OF`)."""
    return _DERIVED_OF.get(table, frozenset())


GENESIS_HASH = "0" * 64

# The audit action of a record entered by hand (a roster import or a merge says so).
NEW_ACTION = "新增"


def _row(store: Store, table: str, record_id: str) -> dict[str, Any] | None:
    rows = store.query(f"SELECT * FROM {table} WHERE id = ?", (record_id,))
    return rows[0] if rows else None


# The C string encoder json.dumps(..., ensure_ascii=False) uses: the hash payload
# is a JSON list of strings and nulls, so it can be joined directly (same text,
# a fraction of the cost when an import writes tens of thousands of entries).
_encode_string = json.encoder.encode_basestring
_ROW_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    return _fields_hash(
        prev_hash,
        (
            entry["at"],
            entry["operator_id"],
            entry["operator_name"],
            entry["action"],
            entry["table_name"],
            entry["record_id"],
            entry["before"],
            entry["after"],
        ),
    )


def _fields_hash(prev_hash: str, fields: tuple[Any, ...]) -> str:
    """SHA-256 of the JSON list [prev_hash, at, operator_id, operator_name, action,
    table_name, record_id, before, after] (compact, ensure_ascii=False)."""
    return hashlib.sha256(_payload(prev_hash, fields).encode("utf-8")).hexdigest()


def _items(values: Iterable[Any]) -> str | None:
    """`values` as items of a JSON list, comma-joined, when each is a string or None
    (what nearly every entry holds); None when one is not."""
    out = []
    for value in values:
        if value is None:
            out.append("null")
        elif type(value) is str:
            out.append(_encode_string(value))
        else:
            return None
    return ",".join(out)


def _payload(prev_hash: str, fields: Sequence[Any], head: str = "") -> str:
    """The text an entry's hash covers: the JSON list [prev_hash, *fields] (compact,
    ensure_ascii=False).  The one encoder of it, for writing and for checking.

    `head`: for a caller writing many entries that share their leading fields, those
    fields as `_items` encodes them, plus ','; `fields` are then the rest (strings
    and None only).
    """
    items = _items(fields)
    if items is not None and type(prev_hash) is str:
        return f"[{_encode_string(prev_hash)},{head}{items}]"
    if head:
        raise ValueError("an encoded head takes string or null fields only")
    return json.dumps((prev_hash, *fields), ensure_ascii=False, separators=(",", ":"))


def _dump(row: dict[str, Any] | None) -> str | None:
    if row is None:
        return None
    return row_json({k: v for k, v in row.items() if k != "pk"})


def row_json(values: dict[str, Any]) -> str:
    """A record's columns (but pk) as its audit entry holds them."""
    return _ROW_ENCODER.encode(values)


AUDIT_COLUMNS = (
    "at",
    "operator_id",
    "operator_name",
    "action",
    "table_name",
    "record_id",
    "before",
    "after",
    "prev_hash",
    "hash",
)
_AUDIT_INSERT = (
    f"INSERT INTO audit_log ({', '.join(AUDIT_COLUMNS)}) "
    f"VALUES ({', '.join('?' for _ in AUDIT_COLUMNS)})"
)
# (action, table, record id, before as JSON, after as JSON): one entry to chain.
_Item = tuple[str, str, str, str | None, str | None]


def _chain(store: Store, at: str, items: Iterable[_Item]) -> None:
    """Append `items` in order, each entry's hash covering the one before it.

    Reads the chain's tail once and writes with one executemany; call inside a
    transaction, with nothing else appending in between.
    """
    conn = store.db.conn
    prev = chain_tail(conn)
    who = (at, store.operator_id, store.operator_name)
    entries = []
    for item in items:
        fields = (*who, *item)
        digest = _fields_hash(prev, fields)
        entries.append((*fields, prev, digest))
        prev = digest
    conn.executemany(_AUDIT_INSERT, entries)


def chain_tail(conn: sqlite3.Connection) -> str:
    """The hash of the audit log's last entry (the next entry's prev_hash)."""
    last = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return str(last[0]) if last else GENESIS_HASH


def _chain_created(
    store: Store, at: str, action: str, table: str, stored: list[tuple[int, str, str]]
) -> None:
    """`_chain` of the entries of records just inserted (`_stored`'s rows: no before)."""
    conn = store.db.conn
    entries, _ = created_entries(store, chain_tail(conn), at, action, table, stored)
    conn.executemany(_AUDIT_INSERT, entries)


def created_entries(
    store: Store, prev: str, at: str, action: str, table: str, stored: list[tuple[int, str, str]]
) -> tuple[list[tuple[Any, ...]], str]:
    """The audit entries (`AUDIT_COLUMNS`' values) of records just inserted, chained
    after the entry whose hash is `prev`, and the last entry's hash.

    `stored`: (pk, id, the row as JSON) as `_stored` reads them.  The same entries as
    `_chain` writes, the hash payload's common part (time, operator, action, table)
    encoded once rather than per entry.
    """
    common = (at, store.operator_id, store.operator_name, action, table)
    head = _items(common)
    shared = "" if head is None else head + ","
    entries = []
    for _, record_id, after in stored:
        rest = (record_id, None, after)
        if head is None:
            digest = _fields_hash(prev, (*common, *rest))
        else:
            digest = hashlib.sha256(_payload(prev, rest, shared).encode("utf-8")).hexdigest()
        entries.append((*common, *rest, prev, digest))
        prev = digest
    return entries, prev


def write_audit(
    store: Store,
    action: str,
    table: str,
    record_id: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one hash-chained entry; call inside the transaction of the change."""
    with store.transaction():
        _chain(store, store.now(), [(action, table, record_id, _dump(before), _dump(after))])


class Audit(NamedTuple):
    """One entry for `append_audit`: what `write_audit` takes, as a value."""

    action: str
    table: str
    record_id: str
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


def append_audit(store: Store, entries: Iterable[Audit], *, at: str | None = None) -> None:
    """Append many hash-chained entries, in order, stamped `at` (default: now).

    The same entries as one `write_audit` call each, at the cost of one read of
    the chain's tail and one insert statement.  Call inside the transaction of
    the changes they record.
    """
    with store.transaction():
        _chain(
            store,
            at or store.now(),
            ((e.action, e.table, e.record_id, _dump(e.before), _dump(e.after)) for e in entries),
        )


def new_ids(count: int) -> list[str]:
    """`count` ids as `connection.new_id` makes them (random UUIDs, version 4, as text)
    from one read of the system's randomness: a quarter of the cost of `uuid4` each."""
    raw = bytearray(os.urandom(16 * count))
    ids = []
    for i in range(0, 16 * count, 16):
        raw[i + 6] = raw[i + 6] & 0x0F | 0x40  # version 4
        raw[i + 8] = raw[i + 8] & 0x3F | 0x80  # the RFC 4122 variant
        h = raw[i : i + 16].hex()
        ids.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return ids


def insert_many(
    store: Store,
    table: str,
    rows: Sequence[dict[str, Any]],
    *,
    action: str = NEW_ACTION,
    now: str | None = None,
    savepoint: bool = True,
) -> list[int]:
    """Insert new records of `table` with one audit entry each; return their pks in order.

    Every row has the keys of the first (an `id` among them; other keys are not
    written) and none of the bookkeeping columns: each is stored at version 1,
    created and updated `now` (default: the store's clock) by the operator.
    Each entry holds the row as stored, defaults included, exactly as `insert`
    would write it; the entries are chained in pk order with one read of the
    chain's tail.  One statement inserts the rows and one the entries, with no
    query per row: an import of tens of thousands of people goes through here.
    All or nothing: a savepoint inside the caller's transaction, or with
    `savepoint=False` the caller's transaction itself, for a caller that rolls it
    back whole on any error (a roster import: a savepoint per batch copies every
    page the batch touches to SQLite's statement journal, ~0.3 s of a 30k import).
    """
    if not rows:
        return []
    now = now or store.now()
    columns, values = stamped(store, rows, now)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    if not savepoint and not store.db.conn.in_transaction:
        raise StoreError("insert_many(savepoint=False) 须在调用方的事务之内。")
    with store.transaction() if savepoint else nullcontext(store.db) as db:
        conn = db.conn
        last = conn.execute(f"SELECT coalesce(max(pk), 0) FROM {table}").fetchone()[0]
        conn.executemany(sql, values)
        stored = stored_rows(conn, table, last)
        if len(stored) != len(rows):
            raise StoreError(COUNT_MISMATCH)
        _chain_created(store, now, action, table, stored)
    return [pk for pk, _, _ in stored]


COUNT_MISMATCH = "写入的记录数与预期不符，已全部撤销，数据库未做任何修改。"


def stamped(
    store: Store, rows: Sequence[dict[str, Any]], now: str
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """`insert_many`'s columns and each row's values, at version 1 created `now` by
    the operator."""
    stamp = (1, now, store.operator_name, now, store.operator_name)
    keys = list(rows[0])
    pick = itemgetter(*keys) if len(keys) > 1 else lambda row: (row[keys[0]],)
    columns = [*keys, "version", "created_at", "created_by", "updated_at", "updated_by"]
    return columns, [(*pick(row), *stamp) for row in rows]


def stored_rows(
    conn: sqlite3.Connection, table: str, last: int, *, at_once: bool = False
) -> list[tuple[int, str, str]]:
    """(pk, id, the row as `_dump` writes it) of the rows after pk `last`, in pk order:
    the audit entry holds every column as stored (defaults too).

    SQLite writes the JSON (`_json_select`): the same text, without turning tens of
    thousands of rows into Python dicts first.  `at_once`: all in one row (one JSON
    array), for the writer thread (`store.writer`: no GIL taken back per row).  A REAL
    value (which SQLite and Python write differently) sends the rows through `_dump`.
    """
    columns = tuple(
        (name, kind) for _, name, kind, *_ in conn.execute(f"PRAGMA table_info({table})")
    )
    select = _json_select(table, columns)
    if at_once:
        text = conn.execute(
            f"SELECT json_group_array(json_array(pk, id, after, has_real)) FROM ({select})",
            (last,),
        ).fetchone()[0]
        rows = sorted(tuple(row) for row in json.loads(text))
    else:
        rows = conn.execute(select, (last,)).fetchall()
    if not any(real for *_, real in rows):
        return [(pk, record_id, after) for pk, record_id, after, _ in rows]
    cursor = conn.execute(f"SELECT * FROM {table} WHERE pk > ? ORDER BY pk", (last,))
    fields = [d[0] for d in cursor.description][1:]  # `_dump`'s row: every column but pk
    encode = _ROW_ENCODER.encode
    return [
        (pk, values[0], encode(dict(zip(fields, values, strict=True)))) for pk, *values in cursor
    ]


@functools.lru_cache(maxsize=64)
def _json_select(table: str, columns: tuple[tuple[str, str], ...]) -> str:
    """SELECT pk, id, the row as JSON, whether it holds a REAL, of the rows after pk ?
    (`columns`: name and declared type of each, in the table's order).

    The JSON is `_dump`'s (keys in column order, ", " and ": " between them): SQLite's
    json_quote writes text, integers and NULL exactly as Python's json does
    (tests/unit/test_records_json.py checks every character); only REALs differ, and
    only a column without TEXT affinity can hold one.
    """
    names = [name for name, _ in columns]
    assert names[:2] == ["pk", "id"], names  # every record table starts so
    assert all(name.isidentifier() for name in names), names
    fields = names[1:]  # every column but pk
    shape = ", ".join(f'"{name}": %s' for name in fields)
    values = ", ".join(f"json_quote({name})" for name in fields)
    real = " OR ".join(
        f"typeof({name}) = 'real'"
        for name, kind in columns
        if not any(text in kind.upper() for text in ("CHAR", "CLOB", "TEXT"))
    )
    return (
        f"SELECT pk, id, printf('{{{shape}}}', {values}) AS after, {real or '0'} AS has_real "
        f"FROM {table} WHERE pk > ? ORDER BY pk"
    )


def insert(store: Store, table: str, values: dict[str, Any], *, action: str = NEW_ACTION) -> str:
    """Insert a new record (id, version and timestamps filled in); return its id."""
    now = store.now()
    row = {
        "id": values.get("id") or new_id(),
        **{k: v for k, v in values.items() if k != "id"},
        "version": 1,
        "created_at": values.get("created_at") or now,
        "created_by": store.operator_name,
        "updated_at": now,
        "updated_by": store.operator_name,
    }
    with store.transaction() as db:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        db.conn.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values()))
        write_audit(store, action, table, row["id"], None, _row(store, table, row["id"]))
    return str(row["id"])


def changed_since(store: Store, table: str, current: dict[str, Any], version: int) -> list[str]:
    """Fields that differ between `version` of a record (from the audit log) and now."""
    snapshot = store.scalar(
        "SELECT after FROM audit_log WHERE table_name = ? AND record_id = ? "
        "AND json_extract(after, '$.version') = ? ORDER BY seq DESC LIMIT 1",
        (table, current["id"], version),
    )
    if snapshot is None:
        return []
    old = json.loads(snapshot)
    skip = _BOOKKEEPING | derived(table)
    return [k for k, v in current.items() if k not in skip and old.get(k) != v]


def update(
    store: Store,
    table: str,
    record_id: str,
    changes: dict[str, Any],
    *,
    expected_version: int,
    action: str = "修改",
    related: tuple[dict[str, Any], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Apply `changes` if the record is still at `expected_version`; return the new row.

    `related` is (before, after) of data kept in other tables (e.g. a visit's
    visitors): when they differ the record counts as changed, and both go into
    the audit entry beside the row.
    """
    with store.transaction() as db:
        before = _row(store, table, record_id)
        if before is None:
            raise NotFoundError("要修改的记录不存在，可能已被删除。")
        if before["version"] != expected_version:
            fields = changed_since(store, table, before, expected_version)
            what = "、".join(FIELD_LABELS.get(f, f) for f in fields) or "内容"
            raise StaleEditError(
                f"保存失败：这条记录在您打开之后已被{before['updated_by'] or '他人'}于"
                f"{before['updated_at'].replace('T', ' ')}修改（{what}）。"
                "您的修改没有写入，请重新打开后再改。",
                fields,
            )
        real = {k: v for k, v in changes.items() if before.get(k) != v}
        related_changed = related is not None and related[0] != related[1]
        if not real and not related_changed:
            return before
        values = {
            **real,
            "version": before["version"] + 1,
            "updated_at": store.now(),
            "updated_by": store.operator_name,
        }
        assignments = ", ".join(f"{k} = ?" for k in values)
        db.conn.execute(
            f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), record_id]
        )
        after = _row(store, table, record_id)
        assert after is not None
        if related is not None:
            audit_before, audit_after = {**before, **related[0]}, {**after, **related[1]}
        else:
            audit_before, audit_after = before, after
        write_audit(store, action, table, record_id, audit_before, audit_after)
    return after


def verify_audit_chain(store: Store) -> list[str]:
    """Problems found in the audit chain, in Chinese; empty when intact."""
    return verify_chain(store.db.conn)


def verify_chain(conn: sqlite3.Connection) -> list[str]:
    """`verify_audit_chain` of any connection (a backup being checked, too)."""
    problems: list[str] = []
    prev_hash = GENESIS_HASH
    expected_seq = None
    cursor = conn.execute("SELECT * FROM audit_log ORDER BY seq")
    names = [d[0] for d in cursor.description]
    for values in cursor:
        entry = dict(zip(names, values, strict=True))
        seq = entry["seq"]
        if expected_seq is not None and seq != expected_seq:
            problems.append(f"审计日志第{expected_seq}至{seq - 1}条缺失（被删除）")
        if entry["prev_hash"] != prev_hash:
            problems.append(f"审计日志第{seq}条与前一条的链接不符（前一条被修改或删除）")
        if _entry_hash(entry["prev_hash"], entry) != entry["hash"]:
            problems.append(f"审计日志第{seq}条内容被篡改")
        prev_hash = entry["hash"]
        expected_seq = seq + 1
    # AUTOINCREMENT remembers the highest seq ever issued: entries cut off the end show here.
    row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'audit_log'").fetchone()
    issued = row[0] if row else 0
    last = (expected_seq or 1) - 1
    if issued > last:
        problems.append(f"审计日志最后的第{last + 1}至{issued}条缺失（被删除）")
    return problems
