"""Opening, migrating and protecting the database file; the audit chain; transactions; backups."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from canxie_tui.store import records, register, schema, session, site
from canxie_tui.store.backup import backup_database
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StoreError
from tests.conftest import OPERATOR, Make, fixed_clock

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def _snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


def _raw(path: Path) -> sqlite3.Connection:
    """A plain connection in autocommit mode, as a tool outside the program would use."""
    return sqlite3.connect(str(path), isolation_level=None)


# -- opening a new file -------------------------------------------------------------------


def test_new_database_is_migrated_with_wal_and_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "new.db"  # missing folders are created too
    store = session.open_store(path)
    try:
        assert store.schema_version == schema.SCHEMA_VERSION
        assert [m.name for m in schema.migrations.applied(store.db)] == list(schema.MIGRATION_NAMES)
        assert store.scalar("PRAGMA journal_mode") == "wal"
        assert store.scalar("PRAGMA foreign_keys") == 1
        assert store.scalar("PRAGMA application_id") == schema.APPLICATION_ID
        assert {"households", "persons", "audit_log", "notes"} <= set(store.db.table_names())
        # Foreign keys are enforced, not merely declared.
        with pytest.raises(sqlite3.IntegrityError):
            records.insert(store, "persons", {"household_id": "no-such-household", "name": "王芳"})
        assert store.scalar("SELECT count(*) FROM persons") == 0
    finally:
        store.close()


def test_zero_byte_file_becomes_a_database(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.touch()
    store = session.open_store(path, create=False)
    try:
        assert store.schema_version == schema.SCHEMA_VERSION
    finally:
        store.close()


@posix_only
def test_database_file_is_private(tmp_path: Path, store: Store, make: Make) -> None:
    make.person(make.household(), "王芳")  # the WAL file exists while the store is open
    for path in (store.path, Path(f"{store.path}-wal")):
        assert path.exists()
        assert path.stat().st_mode & 0o777 == 0o600, path


def test_reopening_keeps_data_and_operator(db_path: Path, store: Store, make: Make) -> None:
    person = make.person(make.household(), "王芳")
    store.close()

    again = session.open_store(db_path, create=False, clock=fixed_clock)
    try:
        assert again.operator_name == OPERATOR
        assert site.current_operator(again) is not None
        assert site.get_site(again).community_name == "建新东路社区"
        assert register.get_person(again, person.id).name == "王芳"
        assert again.schema_version == schema.SCHEMA_VERSION
    finally:
        again.close()


# -- refusing what is not ours ------------------------------------------------------------


def test_directory_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    with pytest.raises(StoreError) as caught:
        session.open_store(folder)
    assert "文件夹" in caught.value.message
    assert list(folder.iterdir()) == []


def test_missing_file_without_create_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.db"
    with pytest.raises(StoreError) as caught:
        session.open_store(path, create=False)
    assert "找不到数据库文件" in caught.value.message
    assert not path.exists()


@pytest.mark.parametrize(
    "content",
    [
        "姓名,身份证号\n王芳,500105196805120038\n".encode(),
        b"PK\x03\x04" + bytes(200),  # an .xlsx someone passed as --db
        b"SQLite format 2\x00" + bytes(100),
    ],
)
def test_non_sqlite_file_is_refused_and_unchanged(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "roster.db"
    path.write_bytes(content)
    before = _snapshot(path)

    with pytest.raises(StoreError) as caught:
        session.open_store(path)

    assert "不是 SQLite 格式" in caught.value.message
    assert _snapshot(path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["roster.db"]


@pytest.mark.parametrize("application_id", [0, 0x4D4F5A31])
def test_foreign_sqlite_database_is_refused_and_unchanged(
    tmp_path: Path, application_id: int
) -> None:
    path = tmp_path / "other.db"
    conn = _raw(path)
    conn.execute(f"PRAGMA application_id = {application_id}")
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.execute("INSERT INTO customers VALUES ('王芳')")
    conn.close()
    before = _snapshot(path)

    with pytest.raises(StoreError) as caught:
        session.open_store(path)

    assert "其他程序" in caught.value.message
    assert _snapshot(path) == before
    conn = _raw(path)
    assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["customers"]
    conn.close()


def test_database_from_newer_version_is_refused_and_unchanged(db_path: Path, store: Store) -> None:
    store.close()
    conn = _raw(db_path)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('canxie', '9999_from_the_future', '2027-01-01')"
    )
    conn.close()
    before = _snapshot(db_path)

    with pytest.raises(StoreError) as caught:
        session.open_store(db_path)

    assert "更新版本" in caught.value.message
    assert "未做任何修改" in caught.value.message
    assert _snapshot(db_path) == before
    assert not (db_path.parent / "backups").exists()


# -- the audit log ------------------------------------------------------------------------


def _make_history(make: Make) -> int:
    """A few audited writes; returns the seq of the person's insert entry."""
    household = make.household()
    person = make.person(household, "王芳")
    register.update_household(make.store, household, {"address": "建新东路5号"})
    return int(
        make.store.scalar(
            "SELECT seq FROM audit_log WHERE record_id = ? AND action = '新增'", (person.id,)
        )
    )


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_log SET operator_name = '张华' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "DELETE FROM audit_log",
    ],
)
def test_audit_log_refuses_update_and_delete(store: Store, make: Make, sql: str) -> None:
    _make_history(make)
    rows_before = store.query("SELECT * FROM audit_log ORDER BY seq")

    conn = _raw(store.path)
    with pytest.raises(sqlite3.DatabaseError) as caught:
        conn.execute(sql)
    conn.close()

    assert "审计日志只能追加" in str(caught.value)
    assert store.query("SELECT * FROM audit_log ORDER BY seq") == rows_before


def test_audit_chain_is_intact_after_normal_work(store: Store, make: Make) -> None:
    _make_history(make)
    assert store.scalar("SELECT count(*) FROM audit_log") >= 6
    assert records.verify_audit_chain(store) == []


def _tamper(store: Store, sql: str, params: tuple[object, ...] = ()) -> None:
    conn = _raw(store.path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute(sql, params)
    conn.close()


def test_edited_audit_entry_is_named(store: Store, make: Make) -> None:
    seq = _make_history(make)
    _tamper(
        store,
        "UPDATE audit_log SET after = replace(after, '王芳', '李四'), operator_name = '张华' "
        "WHERE seq = ?",
        (seq,),
    )

    assert records.verify_audit_chain(store) == [f"审计日志第{seq}条内容被篡改"]


def test_rehashed_audit_entry_breaks_the_link_to_the_next(store: Store, make: Make) -> None:
    seq = _make_history(make)
    entry = store.query("SELECT * FROM audit_log WHERE seq = ?", (seq,))[0]
    entry["operator_name"] = "张华"
    forged = records._entry_hash(entry["prev_hash"], entry)
    _tamper(
        store, "UPDATE audit_log SET operator_name = '张华', hash = ? WHERE seq = ?", (forged, seq)
    )

    problems = records.verify_audit_chain(store)

    assert problems == [f"审计日志第{seq + 1}条与前一条的链接不符（前一条被修改或删除）"]


def test_deleted_audit_entry_is_named(store: Store, make: Make) -> None:
    seq = _make_history(make)
    _tamper(store, "DELETE FROM audit_log WHERE seq = ?", (seq,))

    problems = records.verify_audit_chain(store)

    assert f"审计日志第{seq}至{seq}条缺失（被删除）" in problems
    assert any(f"第{seq + 1}条与前一条的链接不符" in p for p in problems)


def test_deleted_newest_audit_entry_is_detected(store: Store, make: Make) -> None:
    person = make.person(make.household(), "王芳")
    register.reveal_id(store, person, "查看")  # someone wants this one gone
    last = store.scalar("SELECT max(seq) FROM audit_log")
    _tamper(store, "DELETE FROM audit_log WHERE seq = ?", (last,))

    problems = records.verify_audit_chain(store)

    assert any(f"第{last}" in p for p in problems)


# -- transactions -------------------------------------------------------------------------


def test_exception_in_transaction_rolls_back_record_and_audit(store: Store) -> None:
    counts = (
        store.scalar("SELECT count(*) FROM households"),
        store.scalar("SELECT count(*) FROM audit_log"),
    )

    with pytest.raises(RuntimeError), store.transaction():
        records.insert(store, "households", {"address": "建新东路3号"})
        assert store.scalar("SELECT count(*) FROM households") == counts[0] + 1
        raise RuntimeError("power cut")

    assert (
        store.scalar("SELECT count(*) FROM households"),
        store.scalar("SELECT count(*) FROM audit_log"),
    ) == counts
    # The store is still usable afterwards and the chain is unbroken.
    records.insert(store, "households", {"address": "建新东路5号"})
    assert store.scalar("SELECT count(*) FROM households") == counts[0] + 1
    assert records.verify_audit_chain(store) == []


def test_failing_second_write_undoes_the_first(store: Store) -> None:
    audit_before = store.scalar("SELECT count(*) FROM audit_log")

    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        records.insert(store, "households", {"address": "建新东路3号"})
        records.insert(store, "persons", {"household_id": "no-such-household", "name": "王芳"})

    assert store.scalar("SELECT count(*) FROM households") == 0
    assert store.scalar("SELECT count(*) FROM audit_log") == audit_before


# -- bulk writes --------------------------------------------------------------------------


def _bare(path: Path) -> Store:
    """A new database with a fixed operator (the same audit bytes in every copy)."""
    store = session.open_store(path, clock=fixed_clock)
    store.operator_id, store.operator_name = "op-1", OPERATOR
    return store


def _table(store: Store, table: str) -> list[dict[str, Any]]:
    return store.query(f"SELECT * FROM {table} ORDER BY 1")


def test_insert_many_writes_what_one_insert_each_writes(tmp_path: Path) -> None:
    rows = [
        {"id": f"h{n}", "address": f"建新东路{n}号", "building": "5栋", "flags": '["alone"]'}
        for n in range(3)
    ]
    one, many = _bare(tmp_path / "one.db"), _bare(tmp_path / "many.db")
    records.insert(one, "households", {"address": "北城三路8号", "id": "before"})
    records.insert(many, "households", {"address": "北城三路8号", "id": "before"})
    for row in rows:
        records.insert(one, "households", row, action="导入花名册")

    pks = records.insert_many(many, "households", rows, action="导入花名册")

    assert pks == [r["pk"] for r in _table(many, "households")[1:]]
    assert _table(many, "households") == _table(one, "households")
    assert _table(many, "audit_log") == _table(one, "audit_log")  # hashes too
    assert records.verify_audit_chain(many) == []
    assert records.insert_many(many, "households", []) == []
    one.close()
    many.close()


# Text a person may paste: every ASCII control character, quotes, backslashes, a
# slash, full-width and astral characters, separators JSON writers treat specially.
NASTY = [
    "".join(map(chr, range(0, 0x80))),
    '王"芳\\/\u2028\u2029\ufeff',
    "阿依古丽·买买提 😀 \U0010ffff",
]


@pytest.mark.parametrize("savepoint", [True, False])
def test_insert_many_writes_entries_of_any_text_and_number(tmp_path: Path, savepoint: bool) -> None:
    """The entries' JSON comes from SQLite: the same bytes as Python's for any text,
    and a REAL (written differently by the two) falls back to Python's."""
    home = {"id": "h", "address": NASTY[0], "building": NASTY[1], "unit": NASTY[2]}
    people = [
        {"id": f"p{n}", "household_id": "h", "name": name, "apart": apart}
        for n, (name, apart) in enumerate([*((t, 0) for t in NASTY), (NASTY[1], 1e20)])
    ]
    one, many = _bare(tmp_path / "one.db"), _bare(tmp_path / "many.db")
    records.insert(one, "households", home)
    for person in people:
        records.insert(one, "persons", person)
    with many.transaction():
        records.insert_many(many, "households", [home], savepoint=savepoint)
        records.insert_many(many, "persons", people[:3], savepoint=savepoint)
        records.insert_many(many, "persons", people[3:], savepoint=savepoint)  # the REAL

    for table in ("households", "persons", "audit_log"):
        assert _table(many, table) == _table(one, table)
    assert records.verify_audit_chain(many) == []
    one.close()
    many.close()


def test_insert_many_without_a_savepoint_needs_the_callers_transaction(store: Store) -> None:
    with pytest.raises(StoreError):
        records.insert_many(store, "households", [{"id": "h", "address": "x"}], savepoint=False)


def test_append_audit_writes_what_one_write_audit_each_writes(tmp_path: Path) -> None:
    entries = [
        records.Audit("修改", "households", "h1", {"phone": ""}, {"phone": "13800000001"}),
        records.Audit("显示完整身份证号", "persons", "p1"),
        records.Audit("删除", "attendance", "a1", {"day": "2026-11-03"}, None),
    ]
    one, many = _bare(tmp_path / "one.db"), _bare(tmp_path / "many.db")
    for entry in entries:
        records.write_audit(one, *entry)

    records.append_audit(many, entries)

    assert _table(many, "audit_log") == _table(one, "audit_log")
    assert records.verify_audit_chain(many) == []


def test_a_failing_bulk_insert_writes_no_row_and_no_entry(store: Store) -> None:
    records.insert(store, "households", {"address": "建新东路3号", "id": "taken"})
    counts = [store.scalar(f"SELECT count(*) FROM {t}") for t in ("households", "audit_log")]
    rows = [{"id": "new", "address": "建新东路5号"}, {"id": "taken", "address": "建新东路7号"}]

    with pytest.raises(sqlite3.IntegrityError):
        records.insert_many(store, "households", rows)

    assert [store.scalar(f"SELECT count(*) FROM {t}") for t in ("households", "audit_log")] == (
        counts
    )
    assert records.verify_audit_chain(store) == []


def test_writes_are_visible_to_another_connection_only_after_commit(
    store: Store, make: Make
) -> None:
    other = store.clone()
    try:
        with store.transaction():
            household = make.household()
            assert other.scalar("SELECT count(*) FROM households") == 0
        assert other.scalar("SELECT address FROM households WHERE id = ?", (household.id,)) == (
            "建新东路1号"
        )
    finally:
        other.close()


# -- backups ------------------------------------------------------------------------------


def test_backup_opens_and_holds_the_same_rows(store: Store, make: Make) -> None:
    household = make.household("建新东路3号", building="3栋")
    make.person(household, "王芳")
    make.person(household, "单丽", category=1, level=1)

    out = backup_database(store.db.conn, store.path, reason="daily")

    assert out.parent == store.path.parent / "backups"
    assert "daily" in out.name
    # no .part left behind; the audit chain's head beside it (store.anchors)
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name, f"{out.name}.head"]
    if sys.platform != "win32":
        assert out.stat().st_mode & 0o777 == 0o600
    copy = session.open_store(out, create=False)
    try:
        for table in ("households", "persons", "audit_log", "search_terms", "settings"):
            sql = f"SELECT * FROM {table} ORDER BY 1, 2"
            assert copy.query(sql) == store.query(sql), table
        assert records.verify_audit_chain(copy) == []
        assert copy.operator_name == OPERATOR
    finally:
        copy.close()


def test_backup_to_chosen_path(store: Store, make: Make, tmp_path: Path) -> None:
    make.person(make.household(), "王芳")
    out = tmp_path / "u盘" / "残协备份.db"

    assert backup_database(store.db.conn, store.path, reason="manual", out=out) == out

    conn = _raw(out)
    assert conn.execute("SELECT name FROM persons").fetchall() == [("王芳",)]
    conn.close()
    assert not (store.path.parent / "backups").exists()


_AUDIT_TEXT = st.one_of(st.none(), st.text(alphabet=st.characters(codec="utf-8"), max_size=40))


@given(prev=st.text(max_size=64), parts=st.lists(_AUDIT_TEXT, min_size=8, max_size=8))
def test_audit_hash_is_the_documented_json_form(prev: str, parts: list[str | None]) -> None:
    """The chain hash is SHA-256 of the compact JSON list (json.dumps, ensure_ascii=False)
    of the entry's fields: the fast join in records must give those exact bytes, or
    every chain written before would stop verifying."""
    keys = ("at", "operator_id", "operator_name", "action", "table_name", "record_id")
    entry: dict[str, Any] = dict(zip((*keys, "before", "after"), parts, strict=True))
    for key in keys:
        entry[key] = entry[key] or ""
    payload = json.dumps(
        [prev, *(entry[k] for k in (*keys, "before", "after"))],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    assert records._entry_hash(prev, entry) == hashlib.sha256(payload.encode()).hexdigest()


def test_audit_hash_of_other_values_is_the_documented_json_form() -> None:
    """A field that is not text (an old entry's number, say) takes json.dumps itself:
    the same bytes as for text, where the fast join would not know how to write it."""
    fields = ("2026-11-29 10:00", "op-1", "李明", "修改", "persons", "p1", None, 7)
    payload = json.dumps(["0" * 64, *fields], ensure_ascii=False, separators=(",", ":"))
    assert records._fields_hash("0" * 64, fields) == hashlib.sha256(payload.encode()).hexdigest()


def test_bulk_ids_are_random_uuids_as_new_id_makes_them() -> None:
    import uuid

    made = records.new_ids(500)
    assert len(set(made)) == 500
    for text in made:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122
