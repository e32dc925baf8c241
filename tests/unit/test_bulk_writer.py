"""The writer thread, records appended on it, and indexes built after a first load."""

from __future__ import annotations

import signal
import sqlite3
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from canxie_tui.domain import ids
from canxie_tui.excel.roster import apply as roster_apply
from canxie_tui.excel.roster import importer as roster
from canxie_tui.store import bulk, records
from canxie_tui.store.appender import Appender
from canxie_tui.store.bulk import build_indexes, defer_indexes
from canxie_tui.store.connection import Store
from canxie_tui.store.writer import Writer, writing
from tests.conftest import TODAY, Make
from tests.unit.test_roster_import import _many, body_rows, fact_row, write_facts, write_roster

TEXTS = ["", "普通", 'say "hi"', "back\\slash", "line\nbreak", "𠮷野家 😀", "tab\there", "'"]


def _scratch(store: Store) -> sqlite3.Connection:
    conn = store.db.conn
    conn.execute("CREATE TEMP TABLE t (n INTEGER, text TEXT, other TEXT)")
    return conn


def test_writer_writes_in_order_and_texts_come_back_exactly(store: Store) -> None:
    conn = _scratch(store)
    rows = [(n, text, f"其他{n}") for n, text in enumerate(TEXTS)]
    with writing(conn) as writer:
        writer.insert("t", ("n", "text", "other"), rows[:4])
        writer.insert("t", ("n", "text", "other"), rows[4:], long="text")  # sent as bytes
    assert conn.execute("SELECT n, text, other FROM t ORDER BY rowid").fetchall() == rows
    assert [type(v) for v in conn.execute("SELECT n, text FROM t LIMIT 1").fetchone()] == [int, str]


def test_values_json_would_not_carry_whole_are_stored_as_bound(store: Store) -> None:
    conn = _scratch(store)
    nul = [(1, "新人\x00甲", "x"), (2, "新村0号", "y")]  # calamine reads _x0000_ so
    other = [(3, "b", b"\x01\x02"), (4, "n", float("nan"))]
    with writing(conn) as writer:
        writer.insert("t", ("n", "text", "other"), nul)  # json_each would cut it
        writer.insert("t", ("n", "text", "other"), other)  # JSON has no bytes, no NaN
    assert conn.execute("SELECT n, text, other FROM t ORDER BY n").fetchall() == [
        *nul,
        (3, "b", b"\x01\x02"),
        (4, "n", None),  # as sqlite3 binds a NaN
    ]


def test_a_value_every_row_shares_is_stored_as_each_row_gives_it(store: Store) -> None:
    conn = _scratch(store)
    rows = [(1, "同", 1), (2, "同", 1.0), (3, "同", None)]  # 1 == 1.0, but not the same
    with writing(conn) as writer:
        writer.insert("t", ("n", "text", "other"), rows)
    assert conn.execute("SELECT n, text, other FROM t ORDER BY n").fetchall() == [
        (1, "同", "1"),
        (2, "同", "1.0"),
        (3, "同", None),
    ]


def test_the_first_failure_stops_the_writer_and_is_raised_at_the_end(store: Store) -> None:
    conn = _scratch(store)
    with pytest.raises(sqlite3.OperationalError, match="no such table"), writing(conn) as writer:
        writer.insert("t", ("n", "text", "other"), [(1, "a", "b")])
        writer.insert("missing", ("n",), [(2,)])
        writer.insert("t", ("n", "text", "other"), [(3, "c", "d")])  # never runs
    assert conn.execute("SELECT n FROM t").fetchall() == [(1,)]


def test_abort_drops_the_jobs_not_started(store: Store) -> None:
    conn = _scratch(store)
    started, go = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        started.set()
        go.wait(5)

    writer = Writer(conn)
    writer.start()
    writer.submit(hold)
    writer.insert("t", ("n", "text", "other"), [(1, "a", "b")])
    started.wait(5)
    threading.Timer(0.2, go.set).start()  # after `abort` has said stop
    writer.abort()
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0


def test_ctrl_c_while_waiting_for_the_writer_stops_it_before_the_rollback(
    store: Store,
) -> None:
    conn = _scratch(store)
    started, go = threading.Event(), threading.Event()

    def hold(conn: sqlite3.Connection) -> None:
        started.set()
        go.wait(5)

    def interrupt(*_: object) -> None:
        raise KeyboardInterrupt

    before = sys.getswitchinterval()
    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt), store.transaction(), writing(conn) as writer:
            writer.insert("t", ("n", "text", "other"), [(1, "a", "b")])
            writer.submit(hold)
            writer.insert("t", ("n", "text", "other"), [(2, "c", "d")])  # never runs
            started.wait(5)
            signal.setitimer(signal.ITIMER_REAL, 0.1)  # Ctrl+C while the block's end waits
            threading.Timer(0.4, go.set).start()
    finally:
        signal.signal(signal.SIGALRM, previous)
    assert not conn.in_transaction  # rolled back after the writer stopped, not before
    assert conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    assert sys.getswitchinterval() == before
    assert not any(t.name == "canxie-writer" for t in threading.enumerate())


def test_the_switch_interval_is_short_while_any_writer_runs(store: Store) -> None:
    before = sys.getswitchinterval()
    other = store.clone()
    try:
        first, second = Writer(store.db.conn), Writer(other.db.conn)
        first.start()
        second.start()
        first.close()  # not in the order they started
        assert sys.getswitchinterval() < before
        second.close()
    finally:
        other.close()
    assert sys.getswitchinterval() == before


def test_appended_records_hold_in_their_audit_json_the_row_as_stored(
    store: Store, make: Make
) -> None:
    home = make.household()
    rows = [
        {
            "id": records.new_id(),
            "household_id": home.id,
            "name": name,
            "category": cat,
            "phone": phone,
        }
        for name, cat, phone in (
            ('王 "芳"', 3, "138"),
            ("李\\四", None, ""),
            ("𠮷", 1, "1"),
            ("新人\x00甲", 2, "2"),  # a NUL: inserted row by row, stored whole
        )
    ]
    odd = [{**rows[0], "id": records.new_id(), "phone": 13800000000}]  # a number for text
    conn = store.db.conn
    with store.transaction():
        people = Appender(store, "persons", store.now())
        last = conn.execute("SELECT coalesce(max(pk), 0) FROM persons").fetchone()[0]
        with writing(conn) as writer:
            computed = people.insert(writer, rows).result()  # here, in Python
            read_back = people.insert(writer, odd).result()  # SQLite reads it back
        stored = records.stored_rows(conn, "persons", last)
    assert computed + read_back == stored
    assert '"phone": "13800000000"' in read_back[0][2]  # as SQLite stored it: text
    assert [pk for pk, _, _ in stored] == list(range(last + 1, last + 6))
    assert conn.execute("SELECT name FROM persons WHERE pk = ?", (last + 4,)).fetchone() == (
        "新人\x00甲",
    )


def _indexes(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
    ).fetchall()


def test_indexes_are_deferred_only_for_a_table_that_more_than_doubles(
    store: Store, make: Make
) -> None:
    make.person()
    make.person()
    conn = store.db.conn
    before = _indexes(conn)
    with store.transaction():
        assert defer_indexes(conn, {"persons": 2}) == []  # holds as many as it gets
        statements = defer_indexes(conn, {"persons": 3})
        left = {name for name, _ in _indexes(conn)}
        assert statements and not any(name.startswith("idx_persons") for name in left)
        build_indexes(conn, statements)
    assert _indexes(conn) == before


def test_a_deferred_unique_index_still_refuses_duplicates(store: Store, make: Make) -> None:
    person = make.person()
    conn = store.db.conn
    before = _indexes(conn)
    with pytest.raises(sqlite3.IntegrityError), store.transaction():
        statements = defer_indexes(conn, {"persons": 10})
        conn.execute(
            "INSERT INTO persons (id, household_id, name, id_number, created_at, updated_at) "
            "SELECT ?, household_id, name, id_number, created_at, updated_at FROM persons",
            (records.new_id(),),
        )
        build_indexes(conn, statements)
    assert _indexes(conn) == before  # rolled back with the rest
    assert conn.execute("SELECT count(*) FROM persons").fetchone()[0] == 1
    assert person.id_number


def test_a_roster_import_leaves_the_indexes_as_they_were(store: Store, tmp_path: Path) -> None:
    before = _indexes(store.db.conn)
    path = write_roster(tmp_path / "f.xlsx", [*body_rows(), *_many(9)])
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    said: list[tuple[str, int, int]] = []
    result = roster.apply(store, plan, progress=lambda *step: said.append(step))
    assert result.added > 9
    assert said[-1] == ("保存（建立索引）", result.added, result.added)  # the last second
    assert _indexes(store.db.conn) == before
    assert records.verify_audit_chain(store) == []


def test_persons_keep_their_indexes_while_households_are_written(
    store: Store, make: Make, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new household with flags finds its members by idx_persons_household (a trigger):
    dropped before the households, that was a scan of every person per household."""
    make.person()  # a register not empty: without the index, each scan reads it all
    people = [
        fact_row(f"低保{i}", ids.make_id("500105", date(1960, 1, 1 + i), 7), 2, 3,
                 f"新村{i}号", poverty="低保")
        for i in range(6)
    ]  # fmt: skip
    path = write_facts(tmp_path / "f.xlsx", people)
    households_then: list[int] = []

    def deferring(conn: sqlite3.Connection, adding: dict[str, int]) -> list[str]:
        if "persons" in adding:
            households_then.append(conn.execute("SELECT count(*) FROM households").fetchone()[0])
        return bulk.defer_indexes(conn, adding)

    monkeypatch.setattr(roster_apply, "defer_indexes", deferring)
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert roster.apply(store, plan).added == 6
    assert households_then == [1 + 6]  # the new households were in when they went
    flagged = store.scalar("SELECT count(*) FROM rule_inputs WHERE household_flags != 0")
    assert flagged == 6
