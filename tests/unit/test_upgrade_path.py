"""A database made by an earlier schema opens in this version, after a backup.

`tests/fixtures/schema_v<N>.db` is a small database written by the program when
its schema was at version N (see tests/fixtures/README.md).  Keep one per
released schema: each must open, keep its rows and, when there is something to
upgrade, leave a backup of itself as it was.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from canxie_tui.store import backup, records, register, schema, session
from canxie_tui.store.errors import StoreError
from tests.conftest import fixed_clock

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
V1 = FIXTURES / "schema_v1.db"
V1_COUNTS = {
    "households": 3,
    "persons": 4,
    "visits": 2,
    "notes": 1,
    "daycare_members": 1,
    "attendance": 1,
    "followups": 1,
    "audit_log": 16,
}


def _dump(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return list(conn.iterdump())
    finally:
        conn.close()


def _applied(path: Path) -> list[str]:
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    finally:
        conn.close()


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    """The fixture as a user would have it: data/canxie.db, in WAL mode."""
    target = tmp_path / "data" / "canxie.db"
    target.parent.mkdir()
    shutil.copyfile(V1, target)
    conn = sqlite3.connect(target, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.close()
    return target


def test_schema_v1_fixture_is_what_it_claims() -> None:
    assert _applied(V1) == ["0001_initial"]


def test_schema_v1_database_opens_and_keeps_its_rows(v1_copy: Path) -> None:
    fixture_bytes = V1.read_bytes()
    original = _dump(v1_copy)

    store = session.open_store(v1_copy, create=False, clock=fixed_clock)
    try:
        assert store.schema_version == schema.SCHEMA_VERSION
        for table, count in V1_COUNTS.items():
            assert store.scalar(f"SELECT count(*) FROM {table}") == count, table
        names = {p["name"] for p in store.query("SELECT name FROM persons")}
        assert names == {"王芳", "李强", "张强", "单丽"}
        [wang] = store.query("SELECT id FROM persons WHERE name = '王芳'")
        assert register.get_person(store, wang["id"]).category == 4
        assert store.operator_name == "李明"
        assert records.verify_audit_chain(store) == []
    finally:
        store.close()

    upgrades = [b for b in backup.list_backups(v1_copy) if b.reason == "before-migration"]
    if schema.SCHEMA_VERSION > 1:
        [before] = upgrades  # the upgrade left the file as it was, beside it
        assert _applied(before.path) == ["0001_initial"]
        assert _dump(before.path) == original
    else:
        assert upgrades == []
    assert V1.read_bytes() == fixture_bytes  # the fixture itself is never touched


# The merge tables as a district database got them before `0002_district_merge`: the
# merge created them on first use with these statements (the earliest without resolved_by).
_MERGE_TABLES_BEFORE_0002 = (
    """CREATE TABLE IF NOT EXISTS merge_state (
        table_name TEXT NOT NULL,
        record_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        row_hash TEXT NOT NULL,
        site_code TEXT NOT NULL DEFAULT '',
        merged_at TEXT NOT NULL,
        PRIMARY KEY (table_name, record_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS merge_conflicts (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        table_name TEXT NOT NULL,
        record_id TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'edit',  -- edit / duplicate / delete
        reason TEXT NOT NULL DEFAULT '',
        district_version TEXT,  -- JSON of the district's row (NULL: none)
        incoming_version TEXT,  -- JSON of the workbook's row (NULL: deleted there)
        incoming_hash TEXT NOT NULL,
        source_file TEXT NOT NULL,
        site_code TEXT NOT NULL DEFAULT '',
        month TEXT NOT NULL DEFAULT '',
        detected_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',  -- open / resolved
        resolved_at TEXT NOT NULL DEFAULT '',
        resolution TEXT NOT NULL DEFAULT ''%s
    )""",
    "CREATE INDEX IF NOT EXISTS idx_merge_conflicts_record "
    "ON merge_conflicts(table_name, record_id, incoming_hash)",
    """CREATE TABLE IF NOT EXISTS merge_sources (
        site_code TEXT PRIMARY KEY,
        district_code TEXT NOT NULL DEFAULT '',
        district_name TEXT NOT NULL DEFAULT '',
        street_code TEXT NOT NULL DEFAULT '',
        street_name TEXT NOT NULL DEFAULT '',
        community_code TEXT NOT NULL DEFAULT '',
        community_name TEXT NOT NULL DEFAULT '',
        last_month TEXT NOT NULL DEFAULT '',
        last_file TEXT NOT NULL DEFAULT '',
        last_merged_at TEXT NOT NULL DEFAULT ''
    )""",
)
_MERGE_TABLES = ("merge_state", "merge_conflicts", "merge_sources")


def _shape(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """Columns (name, type, not null, default, key) of the merge tables, and their indexes."""
    conn = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        shape = {t: [r[1:] for r in conn.execute(f"PRAGMA table_info({t})")] for t in _MERGE_TABLES}
        shape["indexes"] = [
            r[1:3] for t in _MERGE_TABLES for r in conn.execute(f"PRAGMA index_list({t})")
        ]
        return shape
    finally:
        conn.close()


def test_a_new_database_has_the_merge_tables(tmp_path: Path) -> None:
    session.open_store(tmp_path / "new.db", clock=fixed_clock).close()
    shape = _shape(tmp_path / "new.db")
    assert [c[0] for c in shape["merge_conflicts"]][-1] == "resolved_by"
    assert ("idx_merge_conflicts_record", 0) in shape["indexes"]


@pytest.mark.parametrize("resolved_by", [True, False], ids=["resolved_by", "earliest"])
def test_merge_tables_made_before_their_migration_upgrade_cleanly(
    v1_copy: Path, tmp_path: Path, resolved_by: bool
) -> None:
    from canxie_tui.store.district.conflicts import list_conflicts, resolve_conflict

    extra = ",\n        resolved_by TEXT NOT NULL DEFAULT ''" if resolved_by else ""
    conn = sqlite3.connect(v1_copy, isolation_level=None)
    for statement in _MERGE_TABLES_BEFORE_0002:
        conn.execute(statement.replace("%s", extra))
    conn.execute(
        "INSERT INTO merge_state VALUES ('households', 'h1', 2, '2026-11-20T09:00:00', "
        "'abc', '500105006001', '2026-11-21T09:00:00')"
    )
    conn.execute(
        "INSERT INTO merge_conflicts (id, table_name, record_id, kind, reason, district_version, "
        "incoming_version, incoming_hash, source_file, site_code, month, detected_at) "
        "VALUES (?, 'households', 'h1', 'edit', '两边都改过', ?, ?, 'def', 'a.xlsx', "
        "'500105006001', '2026-11', '2026-11-21T09:00:00')",
        (
            "c0ffee00-0000-4000-8000-000000000001",
            json.dumps({"id": "h1", "phone": "1"}),
            json.dumps({"id": "h1", "phone": "2"}),
        ),
    )
    conn.execute(
        "INSERT INTO merge_sources (site_code, last_month) VALUES ('500105006001', '2026-11')"
    )
    conn.close()
    before = _dump(v1_copy)

    store = session.open_store(v1_copy, create=False, clock=fixed_clock)
    try:
        assert _applied(v1_copy) == list(schema.MIGRATION_NAMES)
        for table in _MERGE_TABLES:
            assert store.scalar(f"SELECT count(*) FROM {table}") == 1, table
        (conflict,) = list_conflicts(store)
        assert conflict["resolved_by"] == "" and conflict["incoming_version"]["phone"] == "2"
        done = resolve_conflict(store, conflict["id"], "district")
        assert (done["status"], done["resolved_by"]) == ("resolved", "李明")
        assert store.scalar("SELECT row_hash FROM merge_state WHERE record_id = 'h1'") == "def"
        assert records.verify_audit_chain(store) == []
    finally:
        store.close()

    session.open_store(tmp_path / "new.db", clock=fixed_clock).close()
    assert _shape(v1_copy) == _shape(tmp_path / "new.db")  # as if made by the migration
    [backed_up] = [b for b in backup.list_backups(v1_copy) if b.reason == "before-migration"]
    assert _dump(backed_up.path) == before


@pytest.fixture
def next_migration(monkeypatch: pytest.MonkeyPatch) -> str:
    """Pretend the program has one more migration than it has (as the next release will)."""
    extended = Migrations(schema.migrations.name)
    extended._migrations = list(schema.migrations._migrations)
    name = "9000_person_nickname"

    @extended(name=name)
    def add_nickname(db: Database) -> None:
        db.execute("ALTER TABLE persons ADD COLUMN nickname TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(schema, "migrations", extended)
    monkeypatch.setattr(schema, "MIGRATION_NAMES", (*schema.MIGRATION_NAMES, name))
    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    return name


def test_an_upgrade_backs_up_first(v1_copy: Path, next_migration: str) -> None:
    original = _dump(v1_copy)

    store = session.open_store(v1_copy, create=False, clock=fixed_clock)
    try:
        assert _applied(v1_copy)[-1] == next_migration
        assert "nickname" in store.db["persons"].columns_dict
        assert store.scalar("SELECT count(*) FROM persons") == V1_COUNTS["persons"]
    finally:
        store.close()

    [before] = [b for b in backup.list_backups(v1_copy) if b.reason == "before-migration"]
    assert _dump(before.path) == original
    assert next_migration not in _applied(before.path)
    assert backup.check_backup(before.path).schema_version == len(_applied(V1))


def test_no_upgrade_without_a_backup(v1_copy: Path, next_migration: str) -> None:
    backup.backup_dir(v1_copy).write_text("a file where the folder should be", encoding="utf-8")
    before = v1_copy.read_bytes()

    with pytest.raises(StoreError) as caught:
        session.open_store(v1_copy, create=False, clock=fixed_clock)

    assert "升级数据库结构前无法备份" in caught.value.message
    assert v1_copy.read_bytes() == before
    assert next_migration not in _applied(v1_copy)


def test_register_facts_migration_turns_insurance_ticks_into_schemes(v1_copy: Path) -> None:
    """0003: the old yes/no 养老/医疗 ticks become the 城乡居民 scheme and leave the benefits;
    everyone gets 重庆市内 户籍 and empty certificate dates."""
    conn = sqlite3.connect(v1_copy, isolation_level=None)
    conn.execute(
        "UPDATE persons SET benefits = ? WHERE name = '王芳'",
        (json.dumps(["care_subsidy", "medical_ins", "pension_ins"]),),
    )
    conn.execute(
        "UPDATE persons SET benefits = ? WHERE name = '张强'", (json.dumps(["medical_ins"]),)
    )
    conn.close()

    store = session.open_store(v1_copy, create=False, clock=fixed_clock)
    try:
        rows = {
            r["name"]: r
            for r in store.query(
                "SELECT name, benefits, pension_scheme, medical_scheme, hukou, apart, "
                "cert_issued, cert_valid_until, trained_on FROM persons"
            )
        }
        assert json.loads(rows["王芳"]["benefits"]) == ["care_subsidy"]
        assert (rows["王芳"]["pension_scheme"], rows["王芳"]["medical_scheme"]) == (
            "resident",
            "resident",
        )
        assert json.loads(rows["张强"]["benefits"]) == []
        assert (rows["张强"]["pension_scheme"], rows["张强"]["medical_scheme"]) == ("", "resident")
        assert (rows["单丽"]["pension_scheme"], rows["单丽"]["medical_scheme"]) == ("", "")
        for row in rows.values():
            assert (row["hukou"], row["apart"]) == ("cq", 0)
            assert row["cert_issued"] == row["cert_valid_until"] == row["trained_on"] == ""
        wang = register.get_person(
            store, store.scalar("SELECT id FROM persons WHERE name = '王芳'")
        )
        assert wang.benefits == frozenset({"care_subsidy"})  # a form can save it again
    finally:
        store.close()
