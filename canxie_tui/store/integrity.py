"""Does the file hold what the program wrote?  Checks beyond the audit chain itself.

- `drifted_records`: every record's current row against the state its last
  audit entry says it has.  The chain proves the log was not edited; this
  proves the records were not either: a direct `UPDATE persons` (any tool, any
  SQL) leaves a row that no entry describes, and it is named here by record.
  Derived columns (last visit, tier, due date) are written without an entry by
  design and are left out; columns a later migration added are compared from
  the first entry that has them.
- `foreign_objects`: tables, triggers, views and indexes in a file that the
  program's own migrations do not create (a trigger copying every new person
  into a table of someone else's).  What is ours is computed by running the
  migrations the file says it has on an empty in-memory database, so a
  migration added later is known without a hand-kept list.

Both read only; `canxie doctor`, `canxie audit verify` and `restore` use them.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from canxie_tui.store import schema
from canxie_tui.store.labels import TABLE_LABELS
from canxie_tui.store.records import derived

OBJECT_LABELS = {"table": "表", "trigger": "触发器", "view": "视图", "index": "索引"}
# A database built by `canxie demo` inserts its rows in bulk under one summary entry.
DEMO_TABLE = "demo"


@dataclass(frozen=True)
class Drift:
    """A record whose row is not what its last audit entry says."""

    table: str
    record_id: str
    kind: str  # "changed" (fields differ), "deleted" (gone without an entry), "unaudited"
    fields: tuple[str, ...] = ()

    def describe(self) -> str:
        from canxie_tui.store.labels import FIELD_LABELS

        what = f"{TABLE_LABELS.get(self.table, self.table)} {self.record_id}"
        if self.kind == "changed":
            names = "、".join(FIELD_LABELS.get(f, f) for f in self.fields)
            return f"{what} 的当前内容与审计日志最后一条记录不符（{names}），被程序以外的工具修改过"
        if self.kind == "deleted":
            return f"{what} 已不在数据库中，但审计日志没有删除它的记录，被程序以外的工具删除过"
        return f"{what} 没有任何审计记录，是被程序以外的工具直接写入的"


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def record_tables(conn: sqlite3.Connection) -> list[str]:
    """The versioned record tables present in the file (each write of them is audited)."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [t for t in TABLE_LABELS if t in present and {"id", "version"} <= set(_columns(conn, t))]


def _latest(conn: sqlite3.Connection, table: str) -> Iterator[tuple[str, str | None]]:
    """(record id, `after` of its newest entry) for every record of `table`, by id.

    SQLite takes a bare column of an aggregate query from the row holding max().
    """
    cursor = conn.execute(
        "SELECT record_id, after, max(seq) FROM audit_log WHERE table_name = ? "
        "GROUP BY record_id ORDER BY record_id",
        (table,),
    )
    for record_id, after, _ in cursor:
        yield record_id, after


def _differs(table: str, row: dict[str, object], after: str) -> tuple[str, ...]:
    try:
        state = json.loads(after)
    except ValueError:
        return ("after",)
    if not isinstance(state, dict):
        return ("after",)
    skip = derived(table)
    return tuple(
        k for k, v in row.items() if k != "pk" and k not in skip and k in state and state[k] != v
    )


def drifted_records(conn: sqlite3.Connection, *, limit: int = 1000) -> list[Drift]:
    """Records whose row is not the state of their last audit entry (at most `limit`).

    One pass per table, merging the rows and the newest entry per record, both
    in id order: memory stays flat whatever the size of the database.
    """
    demo = conn.execute(
        "SELECT 1 FROM audit_log WHERE table_name = ? LIMIT 1", (DEMO_TABLE,)
    ).fetchone()
    found: list[Drift] = []
    for table in record_tables(conn):
        cursor = conn.execute(f"SELECT * FROM {table} ORDER BY id")
        names = [d[0] for d in cursor.description]
        entries = _latest(conn, table)
        pending = next(entries, None)
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            rid = row["id"]
            while pending is not None and pending[0] < rid:
                if pending[1] is not None:
                    found.append(Drift(table, pending[0], "deleted"))
                pending = next(entries, None)
            if pending is not None and pending[0] == rid:
                after = pending[1]
                pending = next(entries, None)
                if after is None:
                    found.append(Drift(table, rid, "unaudited"))
                elif fields := _differs(table, row, after):
                    found.append(Drift(table, rid, "changed", fields))
            elif not demo:
                found.append(Drift(table, rid, "unaudited"))
            if len(found) >= limit:
                return found
        while pending is not None:
            if pending[1] is not None:
                found.append(Drift(table, pending[0], "deleted"))
            pending = next(entries, None)
        if len(found) >= limit:
            return found[:limit]
    return found


def drift_problems(conn: sqlite3.Connection, *, shown: int = 20) -> list[str]:
    """`drifted_records` as Chinese lines, the first `shown` named, then a count."""
    drifts = drifted_records(conn)
    lines = [d.describe() for d in drifts[:shown]]
    if len(drifts) > shown:
        more = "（至少）" if len(drifts) >= 1000 else ""
        lines.append(f"另有{more} {len(drifts) - shown} 条记录与审计日志不符")
    return lines


# -- objects in the schema ------------------------------------------------------------
_SPACE = re.compile(r"\s+")


def _normal(sql: str | None) -> str:
    return _SPACE.sub(" ", sql or "").strip()


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    try:
        return [
            r[0]
            for r in conn.execute(
                "SELECT name FROM _sqlite_migrations WHERE migration_set = ? ORDER BY rowid",
                (schema.migrations.name,),
            )
        ]
    except sqlite3.OperationalError:
        return []


@lru_cache(maxsize=8)
def our_objects(applied: tuple[str, ...]) -> dict[tuple[str, str], str]:
    """(type, name) -> SQL of every object the migrations `applied` create, in that order."""
    from canxie_tui.store.handle import Database, Migrations

    by_name = {m.name: m for m in schema.migrations._migrations}
    subset = Migrations(schema.migrations.name)
    subset._migrations = [by_name[name] for name in applied if name in by_name]
    conn = sqlite3.connect(":memory:")
    try:
        subset.apply(Database(conn))
        return {
            (kind, name): _normal(sql)
            for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master")
        }
    finally:
        conn.close()


def foreign_objects(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """(type, name) of objects in the file its own migrations do not make, or make otherwise.

    A trigger or view of ours whose SQL was replaced counts as foreign: that is
    where a copy of every new record to somewhere else would hide.  SQLite's own
    (`sqlite_stat1` after ANALYZE, autoindexes) are left out.
    """
    ours = our_objects(tuple(applied_migrations(conn)))
    foreign: list[tuple[str, str]] = []
    for kind, name, sql in conn.execute(
        "SELECT type, name, sql FROM sqlite_master ORDER BY type, name"
    ):
        if name.startswith("sqlite_"):
            continue
        known = ours.get((kind, name))
        if known is None or (kind in ("trigger", "view") and known != _normal(sql)):
            foreign.append((kind, name))
    return foreign


def describe_objects(objects: list[tuple[str, str]]) -> str:
    return "、".join(f"{OBJECT_LABELS.get(kind, kind)} {name}" for kind, name in objects[:10]) + (
        f" 等 {len(objects)} 个" if len(objects) > 10 else ""
    )


BASELINE_ACTION = "升级时核对"


def baseline(conn: sqlite3.Connection) -> int:
    """Record the current row of every record that differs from its last entry.

    Run once, by migration 0007, inside its transaction: rows an earlier
    migration changed (without an entry) then match the log again.  Returns the
    number of entries written.
    """
    from datetime import datetime

    from canxie_tui.store.records import GENESIS_HASH, _dump, _fields_hash

    changed = [d for d in drifted_records(conn, limit=10**9) if d.kind == "changed"]
    if not changed:
        return 0
    at = datetime.now().isoformat(timespec="seconds")
    last = conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    prev = last[0] if last else GENESIS_HASH
    for drift in changed:
        fields: tuple[str | None, ...]
        cursor = conn.execute(f"SELECT * FROM {drift.table} WHERE id = ?", (drift.record_id,))
        names = [d[0] for d in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
        before = conn.execute(
            "SELECT after FROM audit_log WHERE table_name = ? AND record_id = ? "
            "ORDER BY seq DESC LIMIT 1",
            (drift.table, drift.record_id),
        ).fetchone()[0]
        fields = (at, "", "程序升级", BASELINE_ACTION, drift.table, drift.record_id)
        fields += (before, _dump(row))
        digest = _fields_hash(prev, fields)
        conn.execute(
            "INSERT INTO audit_log (at, operator_id, operator_name, action, table_name, "
            "record_id, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (*fields, prev, digest),
        )
        prev = digest
    return len(changed)
