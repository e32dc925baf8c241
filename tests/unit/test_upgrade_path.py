"""A database made by an earlier schema opens in this version, after a backup.

`tests/fixtures/schema_v<N>.db` is a small database written by the program when
its schema was at version N (see tests/fixtures/README.md).  Keep one per
released schema: each must open, keep its rows and, when there is something to
upgrade, leave a backup of itself as it was.
"""

from __future__ import annotations

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
