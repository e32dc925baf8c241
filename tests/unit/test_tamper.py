"""Rewriting the record outside the program shows: each tamper mode of issue 16.

Each test does what someone with the file and a SQLite tool could do (a direct
UPDATE, a truncated and re-sealed log, an edited entry with every later hash
re-computed, the two "显示完整身份证号" entries cut out and re-chained) and
checks that `canxie audit verify` (`health.audit_problems`) and `doctor`
name it, with the record or the entry number.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from canxie_tui.excel.district.merge import merge
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.store import anchors, backup, health, integrity, records, session
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StoreError
from tests.conftest import SITE, Make, build_month, district_store, fixed_clock, open_store

TRIGGERS = (
    "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log\n"
    "    BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能修改'); END",
    "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log\n"
    "    BEGIN SELECT RAISE(ABORT, '审计日志只能追加，不能删除'); END",
)


def _sql(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def _rechain(conn: sqlite3.Connection) -> None:
    """Re-compute every hash so the chain verifies again, and seal it as the program would."""
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_update")
    conn.execute("DROP TRIGGER IF EXISTS audit_log_no_delete")
    cursor = conn.execute("SELECT * FROM audit_log ORDER BY seq")
    names = [d[0] for d in cursor.description]
    entries = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    prev = records.GENESIS_HASH
    for number, entry in enumerate(entries, 1):
        digest = records._entry_hash(prev, entry)
        conn.execute(
            "UPDATE audit_log SET seq = ?, prev_hash = ?, hash = ? WHERE seq = ?",
            (-number, prev, digest, entry["seq"]),
        )
        prev = digest
    conn.execute("UPDATE audit_log SET seq = -seq")
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", (len(entries),))
    for sql in TRIGGERS:
        conn.execute(sql)


def _problems(path: Path, district: Path | None = None) -> list[str]:
    store = session.open_store(path, create=False, clock=fixed_clock)
    try:
        return health.audit_problems(store, district=district)
    finally:
        store.close()


@pytest.fixture
def filled(store: Store, make: Make) -> Iterator[tuple[Path, str]]:
    """A database of two people, backed up (an anchor), then worked on a little more."""
    person = make.person(make.household(), "王芳")
    make.person(make.household("北城三路8号"), "张强")
    backup.backup_file(store.path, reason="manual")
    make.person(make.household("北城三路9号"), "李四")
    yield store.path, person.id
    store.close()


def test_an_untampered_database_passes(filled: tuple[Path, str]) -> None:
    path, _ = filled
    assert _problems(path) == []


def test_a_direct_update_of_a_person_is_named_by_record(filled: tuple[Path, str]) -> None:
    path, person_id = filled
    conn = _sql(path)
    conn.execute("UPDATE persons SET phone = '13900000000' WHERE id = ?", (person_id,))
    conn.close()

    problems = _problems(path)

    assert records.verify_chain(_sql(path)) == []  # the chain alone sees nothing
    assert any(person_id in p and "电话" in p for p in problems), problems
    store = session.open_store(path, create=False, clock=fixed_clock)
    try:
        [audit] = [f for f in health._store_findings(store) if f.topic == "审计日志"]
    finally:
        store.close()
    assert not audit.ok and person_id in audit.detail


def test_a_direct_insert_and_delete_are_named(filled: tuple[Path, str]) -> None:
    path, person_id = filled
    conn = _sql(path)
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("DELETE FROM persons WHERE id = ?", (person_id,))
    conn.execute(
        "INSERT INTO households (id, created_at, updated_at, address) "
        "VALUES ('x-1', '2026-01-01', '2026-01-01', '某路1号')"
    )
    conn.close()

    problems = _problems(path)

    assert any(person_id in p and "删除" in p for p in problems), problems
    assert any("x-1" in p and "没有任何审计记录" in p for p in problems), problems


def test_a_truncated_and_resealed_log_is_reported_with_the_entry_number(
    filled: tuple[Path, str],
) -> None:
    path, _ = filled
    [anchor] = health.backup_anchors(path)
    conn = _sql(path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute("DELETE FROM audit_log WHERE seq >= ?", (anchor.head.seq - 1,))
    last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    conn.execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'audit_log'", (last,))
    conn.execute(TRIGGERS[1])
    conn.close()

    problems = _problems(path)

    assert records.verify_chain(_sql(path)) == []
    assert any("截断" in p and f"第{anchor.head.seq}条" in p for p in problems), problems


def test_an_edited_entry_with_the_chain_recomputed_is_found(filled: tuple[Path, str]) -> None:
    path, person_id = filled
    conn = _sql(path)
    conn.execute("DROP TRIGGER audit_log_no_update")
    seq = conn.execute(
        "SELECT min(seq) FROM audit_log WHERE record_id = ?", (person_id,)
    ).fetchone()[0]
    conn.execute(
        "UPDATE audit_log SET operator_name = '别人' WHERE seq = ?",
        (seq,),
    )
    _rechain(conn)
    conn.close()

    problems = _problems(path)

    assert records.verify_chain(_sql(path)) == []
    assert any(f"从第{seq}条起被改写" in p for p in problems), problems


def test_cutting_out_the_full_id_entries_is_found(store: Store, make: Make) -> None:
    build_month(store, make)
    export_monthly(store, 2026, 11, out=store.path.parent / "out.xlsx", full_ids=True)
    export_monthly(store, 2026, 11, out=store.path.parent / "out2.xlsx", full_ids=True)
    make.person(make.household("北城三路9号"), "李四")  # work goes on after the exports
    backup.backup_file(store.path, reason="manual")
    path = store.path
    store.close()
    conn = _sql(path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    first = conn.execute(
        "SELECT min(seq) FROM audit_log WHERE action LIKE '%完整身份证号%'"
    ).fetchone()[0]
    conn.execute("DELETE FROM audit_log WHERE action LIKE '%完整身份证号%'")
    _rechain(conn)
    conn.close()

    problems = _problems(path)

    assert any(f"从第{first}条起被改写" in p for p in problems), problems


def test_the_district_keeps_each_return_s_head_and_verify_compares(tmp_path: Path) -> None:
    community = open_store(tmp_path / "community.db")
    build_month(community, Make(community))
    returned = export_monthly(community, 2026, 11, out=tmp_path / "return.xlsx")
    head = anchors.chain_head(community.db.conn)
    community.close()
    district = district_store(tmp_path / "district.db")
    [result] = merge(district, [returned])
    assert not result.refused, result.reason
    kept = district.query("SELECT site_code, seq, hash FROM audit_anchors")
    district.close()
    # the return's head is the chain before the export's own entry
    assert kept == [{"site_code": SITE.code, "seq": head.seq - 1, "hash": kept[0]["hash"]}]
    assert _problems(tmp_path / "community.db", tmp_path / "district.db") == []

    conn = _sql(tmp_path / "community.db")
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET operator_name = '别人' WHERE seq = 2")
    _rechain(conn)
    conn.close()

    problems = _problems(tmp_path / "community.db", tmp_path / "district.db")
    assert any("区里收到的 2026-11 月报" in p and "被改写" in p for p in problems), problems


def test_an_upgraded_database_matches_its_log(tmp_path: Path) -> None:
    """Migration 0007 records what earlier migrations changed without an entry."""
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "schema_v1.db"
    path = tmp_path / "old.db"
    path.write_bytes(fixture.read_bytes())
    store = session.open_store(path, create=False, clock=fixed_clock)
    try:
        assert integrity.drifted_records(store.db.conn) == []
    finally:
        store.close()


# -- restore trusts nothing (item 9) -------------------------------------------------------
SPY = (
    "CREATE TABLE copied (id_number TEXT)",
    "CREATE TRIGGER copy_people AFTER INSERT ON persons "
    "BEGIN INSERT INTO copied VALUES (new.id_number); END",
)


def _doctor(path: Path) -> dict[str, health.Finding]:
    return {f.topic: f for f in health.diagnose(path, opener=session.open_store)}


def test_restore_refuses_a_backup_with_a_trigger_of_someone_else(
    filled: tuple[Path, str],
) -> None:
    path, _ = filled
    [saved] = [b.path for b in backup.list_backups(path)]
    conn = _sql(saved)
    for sql in SPY:
        conn.execute(sql)
    conn.close()
    before = path.read_bytes()

    with pytest.raises(StoreError) as caught:
        backup.restore(path, saved)

    assert "不属于残协工作台" in caught.value.message
    assert "copy_people" in caught.value.message and "copied" in caught.value.message
    assert path.read_bytes() == before


def test_restore_refuses_a_backup_whose_chain_is_broken(filled: tuple[Path, str]) -> None:
    path, _ = filled
    [saved] = [b.path for b in backup.list_backups(path)]
    conn = _sql(saved)
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET operator_name = '别人' WHERE seq = 2")
    conn.execute(TRIGGERS[0])
    conn.close()

    with pytest.raises(StoreError) as caught:
        backup.restore(path, saved)

    assert "审计日志不完整" in caught.value.message and "第2条" in caught.value.message


def test_doctor_flags_unknown_tables_and_triggers(filled: tuple[Path, str]) -> None:
    path, _ = filled
    assert _doctor(path)["数据库结构"].ok
    conn = _sql(path)
    for sql in SPY:
        conn.execute(sql)
    conn.close()

    found = _doctor(path)["数据库结构"]

    assert not found.ok
    assert "触发器 copy_people" in found.detail and "表 copied" in found.detail


def test_a_trigger_of_ours_with_another_body_counts_as_foreign(filled: tuple[Path, str]) -> None:
    path, _ = filled
    conn = _sql(path)
    conn.execute("DROP TRIGGER audit_log_no_delete")
    conn.execute(
        "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT 1; END"
    )
    conn.close()

    assert integrity.foreign_objects(_sql(path)) == [("trigger", "audit_log_no_delete")]
