"""Backups: what they hold, when they are taken, how many are kept, and restoring one."""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from canxie_tui.store import backup, records, register, schema, session
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StoreError
from tests.conftest import NOW, Clock, Make, dump_database, fixed_clock, folder_state

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX file modes")


def _fill(make: Make) -> None:
    household = make.household("建新东路3号", building="3栋")
    wang = make.person(household, "王芳")
    make.person(household, "单丽", category=1, level=1)
    make.visit(NOW.date(), wang)


def _pretend_backups(db_path: Path, reason: str, days: range) -> list[Path]:
    """Backup files as an earlier month of use would have left them (names are what count)."""
    folder = backup.backup_dir(db_path)
    folder.mkdir(exist_ok=True)
    made = []
    for n in days:
        when = datetime(2026, 9, 1, 8) + timedelta(days=n)
        path = folder / f"{db_path.stem}-{when:%Y%m%d-%H%M%S}-{reason}.db"
        path.write_bytes(b"")
        made.append(path)
    return made


# -- taking a backup ----------------------------------------------------------------------


def test_backup_holds_exactly_what_the_database_holds(store: Store, make: Make) -> None:
    _fill(make)

    out = backup.backup_file(store.path, reason="manual", when=NOW)

    assert out.name == "t-20261129-100000-manual.db"
    assert dump_database(out) == dump_database(store.path)
    conn = sqlite3.connect(out)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == schema.APPLICATION_ID
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # no -wal needed
    conn.close()
    # no .part, no -journal; the audit chain's head beside it (store.anchors)
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name, f"{out.name}.head"]


def test_backup_sees_committed_data_only(store: Store, make: Make) -> None:
    """A backup taken while this connection is half-way through a write leaves that out."""
    _fill(make)
    before = dump_database(store.path)
    with store.transaction():
        make.household("建新东路9号")
        out = backup.backup_before(store, "import")
    assert out.name.endswith("-before-import.db")
    assert dump_database(out) == before


@posix_only
def test_backups_are_private(store: Store, make: Make) -> None:
    _fill(make)
    out = backup.backup_file(store.path, reason="manual")
    assert out.stat().st_mode & 0o777 == 0o600
    assert out.parent.stat().st_mode & 0o777 == 0o700


def test_same_second_backups_get_distinct_names(store: Store) -> None:
    first = backup.backup_file(store.path, reason="manual", when=NOW)
    second = backup.backup_file(store.path, reason="manual", when=NOW)
    assert first != second and first.exists() and second.exists()
    assert [b.path for b in backup.list_backups(store.path)] == [second, first]


def test_backup_before_an_operation_fails_loudly(store: Store) -> None:
    backup.backup_dir(store.path).write_text("not a folder", encoding="utf-8")
    with pytest.raises(StoreError) as caught:
        backup.backup_before(store, "merge")
    assert "备份失败" in caught.value.message and "没有继续" in caught.value.message


# -- the daily backup ---------------------------------------------------------------------


def test_first_open_of_each_day_takes_one_backup(db_path: Path, store: Store, make: Make) -> None:
    _fill(make)
    store.close()
    clock = Clock(NOW)
    assert backup.list_backups(db_path) == []  # a database created today has none yet

    for _ in range(3):
        session.open_store(db_path, clock=clock).close()
    [first] = backup.list_backups(db_path)
    assert (first.reason, first.taken_at) == ("daily", NOW)
    assert dump_database(first.path) == dump_database(db_path)

    clock.set(NOW + timedelta(days=1))
    session.open_store(db_path, clock=clock).close()
    session.open_store(db_path, clock=clock).close()
    assert [b.taken_at.date() for b in backup.list_backups(db_path)] == [
        (NOW + timedelta(days=1)).date(),
        NOW.date(),
    ]


def test_daily_backup_is_skipped_with_a_warning_when_it_cannot_be_written(
    db_path: Path, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    store.close()
    backup.backup_dir(db_path).write_text("a file where the folder should be", encoding="utf-8")

    with caplog.at_level(logging.WARNING, logger="canxie_tui.store.backup"):
        again = session.open_store(db_path, clock=fixed_clock)
    try:
        assert again.scalar("SELECT count(*) FROM operators") == 1  # the open went ahead
    finally:
        again.close()
    assert any("自动备份没有完成" in r.getMessage() for r in caplog.records)


def test_opening_a_backup_does_not_back_up_the_backup(store: Store, make: Make) -> None:
    _fill(make)
    out = backup.backup_file(store.path, reason="manual")
    session.open_store(out, create=False, clock=fixed_clock).close()
    assert not (out.parent / "backups").exists()


def test_pruning_keeps_the_newest_30_of_each_kind(db_path: Path, store: Store) -> None:
    store.close()
    dailies = _pretend_backups(db_path, "daily", range(35))
    imports = _pretend_backups(db_path, "before-import", range(32))
    manual = _pretend_backups(db_path, "manual", range(40))
    folder = backup.backup_dir(db_path)
    stale = folder / "t-20260901-080000-daily.db.123.part"
    stale.write_bytes(b"")
    os.utime(stale, (0, 0))
    unrelated = folder / "说明.txt"
    unrelated.write_text("别删", encoding="utf-8")

    session.open_store(db_path, clock=fixed_clock).close()  # today's daily backup, then pruning

    kept = {b.path for b in backup.list_backups(db_path)}
    today = [b for b in backup.list_backups(db_path) if b.taken_at.date() == NOW.date()]
    assert len(today) == 1 and today[0].reason == "daily"
    assert kept == {today[0].path, *dailies[-29:], *imports[-30:], *manual}
    assert not stale.exists() and unrelated.exists()


# -- the disk budget of the automatic backups ---------------------------------------------

KB = 1000


def _sized(db_path: Path, reason: str, when: datetime, size: int) -> Path:
    """A backup file of `size` bytes, named as the module names them (the name is what counts)."""
    folder = backup.backup_dir(db_path)
    folder.mkdir(exist_ok=True)
    path = folder / f"{db_path.stem}-{when:%Y%m%d-%H%M%S}-{reason}.db"
    path.write_bytes(b"\0" * size)
    return path


def _days(db_path: Path, reason: str, count: int, *, hour: int, size: int) -> list[Path]:
    """One backup a day from 2026-09-01 at `hour`, oldest first."""
    start = datetime(2026, 9, 1, hour)
    return [_sized(db_path, reason, start + timedelta(days=n), size) for n in range(count)]


def _left(db_path: Path) -> set[Path]:
    return {b.path for b in backup.list_backups(db_path)}


@pytest.fixture
def small_budget(monkeypatch: pytest.MonkeyPatch) -> int:
    """A 15 KB budget whatever the database weighs: small files can outweigh it."""
    monkeypatch.setattr(backup.keep, "AUTO_BUDGET_MIN_BYTES", 15 * KB)
    monkeypatch.setattr(backup.keep, "AUTO_BUDGET_DB_MULTIPLE", 0)
    return 15 * KB


def test_budget_is_2_gib_or_10_times_the_database(tmp_path: Path) -> None:
    db_path = tmp_path / "district.db"
    assert backup.automatic_budget(db_path) == 2 * 1024**3  # no database yet
    with db_path.open("wb") as handle:  # sparse: weighs 150 MiB without taking the room
        handle.truncate(150 * 1024**2)
    assert backup.automatic_budget(db_path) == 2 * 1024**3
    with db_path.open("r+b") as handle:
        handle.truncate(1024**3)  # a district database after a year of merges
    assert backup.automatic_budget(db_path) == 10 * 1024**3


def test_over_budget_the_oldest_automatic_backups_go_first_across_both_kinds(
    db_path: Path, store: Store, small_budget: int
) -> None:
    store.close()
    dailies = _days(db_path, "daily", 12, hour=8, size=KB)
    merges = _days(db_path, "before-merge", 6, hour=12, size=KB)
    manual = _days(db_path, "manual", 3, hour=9, size=40 * KB)  # outweigh the budget alone

    removed = backup.prune(db_path)

    # 18 KB of automatic backups, 15 KB allowed: the three oldest go, whichever their kind
    assert removed == [dailies[0], merges[0], dailies[1]]
    assert _left(db_path) == {*dailies[2:], *merges[1:], *manual}
    assert sum(b.size for b in backup.list_backups(db_path) if b.kind != "manual") == small_budget


def test_the_newest_7_daily_and_3_before_operation_stay_whatever_they_weigh(
    db_path: Path, store: Store, small_budget: int
) -> None:
    store.close()
    dailies = _days(db_path, "daily", 10, hour=8, size=5 * KB)
    imports = _days(db_path, "before-import", 3, hour=11, size=5 * KB)
    merges = _days(db_path, "before-merge", 2, hour=12, size=5 * KB)
    manual = _days(db_path, "manual", 2, hour=9, size=KB)

    backup.prune(db_path)

    # 50 KB left over a 15 KB budget: nothing else may go
    newest_operations = sorted([*imports, *merges], key=lambda p: p.name)[-3:]
    assert newest_operations == [imports[1], merges[1], imports[2]]  # 09-02 11:00 .. 09-03 11:00
    assert _left(db_path) == {*dailies[-7:], *newest_operations, *manual}


def test_pruning_by_weight_runs_after_each_backup(
    db_path: Path, store: Store, make: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real budget (10 times the database here), the real pruning after a backup."""
    _fill(make)
    monkeypatch.setattr(backup.keep, "AUTO_BUDGET_MIN_BYTES", 0)  # only the multiple counts
    budget = backup.automatic_budget(db_path)
    old = _days(db_path, "daily", 10, hour=8, size=budget // 4)  # 2.5 budgets
    manual = _sized(db_path, "manual", datetime(2026, 8, 1, 9), 3 * budget)

    made = backup.backup_before(store, "merge")

    # still over after the three oldest dailies; the newest 7 stay, with the new merge one
    assert _left(db_path) == {made, *old[3:], manual}


def test_a_small_database_keeps_all_60_backups(db_path: Path, store: Store) -> None:
    """A community database is far below the 2 GiB floor: only the counts prune."""
    store.close()
    dailies = _days(db_path, "daily", 30, hour=8, size=10 * KB)
    imports = _days(db_path, "before-import", 30, hour=11, size=10 * KB)

    assert backup.prune(db_path) == []
    assert _left(db_path) == {*dailies, *imports}


def test_usage_counts_and_weighs_each_kind(db_path: Path, store: Store) -> None:
    store.close()
    _days(db_path, "daily", 3, hour=8, size=2 * KB)
    _days(db_path, "before-restore", 1, hour=11, size=5 * KB)
    _days(db_path, "manual", 2, hour=9, size=7 * KB)

    room = backup.usage(db_path)

    assert (room.automatic, room.automatic_bytes) == (4, 11 * KB)
    assert (room.manual, room.manual_bytes) == (2, 14 * KB)
    assert room.budget == backup.automatic_budget(db_path) == 2 * 1024**3
    assert room.db_size == db_path.stat().st_size
    assert room.folder == backup.backup_dir(db_path)
    assert room.free is not None and room.free > 0


# -- restoring ------------------------------------------------------------------------------


def _corrupt_copy(source: Path, target: Path) -> Path:
    data = bytearray(source.read_bytes())
    page = 4096
    for n in range(2, len(data) // page, 3):  # trash every third page after the schema
        data[n * page : n * page + 200] = b"\xff" * 200
    target.write_bytes(bytes(data))
    return target


def _foreign(target: Path) -> Path:
    conn = sqlite3.connect(target)
    conn.execute("CREATE TABLE customers (name TEXT)")
    conn.execute("INSERT INTO customers VALUES ('王芳')")
    conn.commit()
    conn.close()
    return target


def _newer(source: Path, target: Path) -> Path:
    out = backup.backup_file(source, reason="manual", out=target)
    conn = sqlite3.connect(out)
    conn.execute(
        "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
        "VALUES ('canxie', '9999_from_the_future', '2027-01-01')"
    )
    conn.commit()
    conn.close()
    return out


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda db, t: _corrupt_copy(db, t), "已损坏"),
        (lambda db, t: _foreign(t), "其他程序"),
        (lambda db, t: _newer(db, t), "更新版本"),
        (lambda db, t: t.write_bytes(b"PK\x03\x04" + bytes(300)) and t, "不是 SQLite 格式"),
        (lambda db, t: t.mkdir() or t, "文件夹"),
        (lambda db, t: t, "找不到备份文件"),
    ],
    ids=["corrupt", "foreign", "newer", "not-sqlite", "folder", "missing"],
)
def test_restore_refuses_a_bad_backup_and_changes_nothing(
    tmp_path: Path,
    store: Store,
    make: Make,
    build: Callable[[Path, Path], Path],
    expected: str,
) -> None:
    _fill(make)
    store.close()
    elsewhere = tmp_path / "u盘"
    elsewhere.mkdir()
    bad = build(store.path, elsewhere / "坏备份.db")
    before = folder_state(tmp_path)

    with pytest.raises(StoreError) as caught:
        backup.restore(store.path, bad)

    assert expected in caught.value.message
    assert folder_state(tmp_path) == before
    assert not backup.backup_dir(store.path).exists()


def test_check_backup_describes_a_good_one(store: Store, make: Make) -> None:
    _fill(make)
    out = backup.backup_file(store.path, reason="manual")
    checked = backup.check_backup(out)
    assert (checked.schema_version, checked.households, checked.persons) == (
        schema.SCHEMA_VERSION,
        1,
        2,
    )
    assert checked.last_change == NOW.isoformat(timespec="seconds")
    # nothing beside it but the chain's head written with the backup
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name, f"{out.name}.head"]


def test_restore_backs_up_the_current_database_then_replaces_it(
    db_path: Path, store: Store, make: Make
) -> None:
    _fill(make)
    saved = backup.backup_file(db_path, reason="manual", when=NOW - timedelta(hours=2))
    saved_dump = dump_database(saved)
    late = make.person(make.household("北城三路8号"), "张强")
    store.close()
    current_dump = dump_database(db_path)

    result = backup.restore(db_path, saved, clock=lambda: NOW)

    assert result.safety_backup is not None
    assert result.safety_backup.name == "t-20261129-100000-before-restore.db"
    assert dump_database(result.safety_backup) == current_dump  # the replaced database is kept
    assert dump_database(db_path) == saved_dump
    for suffix in ("-wal", "-shm", "-journal"):
        assert not Path(f"{db_path}{suffix}").exists()
    assert [p.name for p in db_path.parent.iterdir() if p.name.startswith(".")] == []
    if sys.platform != "win32":
        assert db_path.stat().st_mode & 0o777 == 0o600
    again = session.open_store(db_path, create=False, clock=fixed_clock)
    try:
        assert again.scalar("SELECT count(*) FROM persons WHERE id = ?", (late.id,)) == 0
        assert again.scalar("SELECT count(*) FROM persons") == 2
        assert records.verify_audit_chain(again) == []
        make.store = again
        make.person(make.household("北城三路9号"), "李四")  # work goes on after a restore
        assert records.verify_audit_chain(again) == []
    finally:
        again.close()


def test_restore_database_reopens_the_backup_and_audits_the_restore(
    db_path: Path, store: Store, make: Make
) -> None:
    _fill(make)
    saved = backup.backup_file(db_path, reason="manual", when=NOW - timedelta(hours=2))
    make.person(make.household("北城三路8号"), "张强")
    store.close()

    again, result = session.restore_database(db_path, saved, clock=lambda: NOW)
    try:
        assert again.scalar("SELECT count(*) FROM persons") == 2
        entry = again.query("SELECT action, after FROM audit_log ORDER BY seq DESC LIMIT 1")[0]
        assert entry["action"] == "从备份恢复"
        assert str(saved) in entry["after"] and str(result.safety_backup) in entry["after"]
        assert records.verify_audit_chain(again) == []
    finally:
        again.close()


def test_restore_is_refused_while_another_program_has_the_database_open(
    db_path: Path, store: Store, make: Make
) -> None:
    _fill(make)
    saved = backup.backup_file(db_path, reason="manual")
    make.household("北城三路8号")  # the open store stands for a running app
    before = dump_database(db_path)

    with pytest.raises(StoreError) as caught:
        backup.restore(db_path, saved, busy_timeout=0.1)

    assert "正被其他程序使用" in caught.value.message
    assert dump_database(db_path) == before
    assert store.scalar("SELECT count(*) FROM households") == 2  # it can go on working
    assert [b.reason for b in backup.list_backups(db_path)] == ["manual"]


def test_restore_over_a_damaged_database_keeps_a_copy_of_it(
    tmp_path: Path, db_path: Path, store: Store, make: Make
) -> None:
    _fill(make)
    saved = backup.backup_file(db_path, reason="manual")
    store.close()
    damaged = b"SQLite format 3\x00" + b"\xff" * 8000
    db_path.write_bytes(damaged)

    result = backup.restore(db_path, saved)

    assert result.safety_backup is not None
    assert result.safety_backup.read_bytes() == damaged
    assert dump_database(db_path) == dump_database(saved)


def test_restore_will_not_overwrite_another_programs_database(
    tmp_path: Path, store: Store, make: Make
) -> None:
    _fill(make)
    saved = backup.backup_file(store.path, reason="manual")
    theirs = _foreign(tmp_path / "客户.db")
    before = theirs.read_bytes()

    with pytest.raises(StoreError) as caught:
        backup.restore(theirs, saved)

    assert "其他程序" in caught.value.message
    assert theirs.read_bytes() == before


def test_restore_into_a_missing_file(tmp_path: Path, store: Store, make: Make) -> None:
    _fill(make)
    saved = backup.backup_file(store.path, reason="manual")
    target = tmp_path / "新电脑" / "canxie.db"

    result = backup.restore(target, saved)

    assert result.safety_backup is None
    opened = session.open_store(target, create=False, clock=fixed_clock)
    try:
        [household] = opened.query("SELECT id FROM households")
        assert [p.name for p in register.members(opened, household["id"])] == ["王芳", "单丽"]
    finally:
        opened.close()


def test_no_restore_without_a_backup_of_the_current_database(
    tmp_path: Path, db_path: Path, store: Store, make: Make
) -> None:
    _fill(make)
    saved = backup.backup_file(db_path, reason="manual", out=tmp_path / "u盘" / "留底.db")
    store.close()
    backup.backup_dir(db_path).write_text("a file where the folder should be", encoding="utf-8")
    before = folder_state(tmp_path)

    with pytest.raises(StoreError) as caught:
        backup.restore(db_path, saved)

    assert "恢复前无法备份当前数据库" in caught.value.message
    assert folder_state(tmp_path) == before


def test_backing_up_a_missing_database_creates_nothing(tmp_path: Path) -> None:
    with pytest.raises(sqlite3.OperationalError):
        backup.backup_file(tmp_path / "none.db", reason="manual")
    assert list(tmp_path.iterdir()) == []
