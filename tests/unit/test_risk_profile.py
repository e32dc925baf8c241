"""The stored risk profiles (`store.risk`) after every kind of write that is not a
screen's edit (those are in test_emergency_cache): a roster import, a district
merge, a restored older backup, an upgrade of an existing database.  After each,
the emergency list shows the change and is the reference ranking from scratch."""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path

import pytest

from canxie_tui.excel.roster import importer as roster
from canxie_tui.store import backup, emergency, register, risk, session
from canxie_tui.store.connection import Store
from canxie_tui.store.district.apply import MergeCounts
from canxie_tui.store.district.content import CHILD_TABLES, RECORD_TABLES
from canxie_tui.store.district.merge import Incoming, merge_rows
from tests.conftest import SITE, TODAY, Make, fixed_clock, open_store
from tests.unit.test_emergency_cache import KINDS, assert_as_reference, listed, stored_profiles
from tests.unit.test_roster_import import add_registered, write_roster
from tests.unit.test_upgrade_path import V1


def names(store: Store, kind: str = "power") -> set[str]:
    return {row[0].name for row in listed(store, kind, include_all=True)}


def written_with_the_change(store: Store) -> bool:
    """The profiles were computed in the write's own transaction: nothing is left
    for the list to compute."""
    return store.scalar("SELECT count(*) FROM risk_dirty") == 0


def assert_fresh(store: Store) -> None:
    """Nothing left to compute, and what is stored is what computing afresh gives."""
    assert written_with_the_change(store)
    kept = stored_profiles(store)
    with store.transaction():
        risk.refresh_all(store.db.conn)
    assert stored_profiles(store) == kept
    assert_as_reference(store, KINDS)


def test_a_roster_import_shows_in_the_list(store: Store, tmp_path: Path) -> None:
    add_registered(store)
    emergency.clear_cache()
    assert names(store) == {"周八", "吴九"}
    plan = roster.preview(store, roster.read_roster(write_roster(tmp_path / "r.xlsx"), today=TODAY))
    assert roster.apply(store, plan).added == 3
    assert written_with_the_change(store)
    assert {"王芳", "张强", "李四"} <= names(store)
    assert_fresh(store)


def test_a_district_merge_shows_in_the_list(tmp_path: Path, make: Make, store: Store) -> None:
    """A community's register merged into a district that already lists its own people."""
    community = open_store(tmp_path / "c.db")
    theirs = Make(community)
    theirs._seq = itertools.count(300)  # ID numbers of their own
    house = theirs.household("北城三路8号", building="3栋", flags=["alone"])
    theirs.person(house, "孙丽", care_flags=["bedridden"])
    theirs.person(house, "孙强")  # a second certificate holder: 一户多残 for both
    make.person(make.household("观音桥2号", building="12栋"), "钱进", care_flags=["blind"])
    emergency.clear_cache()
    assert names(store) == {"钱进"}
    tables = {t: community.query(f"SELECT * FROM {t}") for t in (*RECORD_TABLES, *CHILD_TABLES)}
    merge_rows(store, Incoming("c.db", SITE, "2026-11", tables=tables), MergeCounts())
    assert written_with_the_change(store)
    assert names(store) == {"钱进", "孙丽", "孙强"}
    [sun] = [r for r in listed(store, "power") if r[0].name == "孙强"]
    assert "一户多残" in sun[2]
    assert_fresh(store)
    community.close()


def test_a_restored_older_backup_lists_as_it_was(db_path: Path, store: Store, make: Make) -> None:
    make.person(make.household("建新东路1号", building="3栋"), "王芳", care_flags=["bedridden"])
    saved = backup.backup_file(db_path, reason="manual")
    late = make.person(make.household("建新东路2号"), "张强", care_flags=["powered_device"])
    register.update_person(
        store, late, late.form_values() | {"care_flags": ["evac_help"]}
    )  # an edit after the backup too
    assert names(store) == {"王芳", "张强"}
    store.close()
    backup.restore(db_path, saved)
    restored = session.open_store(db_path, clock=fixed_clock)
    try:
        assert names(restored) == {"王芳"}
        assert_fresh(restored)
    finally:
        restored.close()


def test_an_upgraded_database_is_filled_by_the_migration(tmp_path: Path) -> None:
    """The first schema's database: migration 0008 computes everyone's profile."""
    path = tmp_path / "canxie.db"
    shutil.copyfile(V1, path)
    upgraded = session.open_store(path, create=False, clock=fixed_clock)
    try:
        people = upgraded.scalar(
            "SELECT count(*) FROM persons WHERE status = 'active' AND category IS NOT NULL"
        )
        assert people and upgraded.scalar("SELECT count(*) FROM risk_profile") == people
        assert_fresh(upgraded)
    finally:
        upgraded.close()


def test_a_page_builds_only_its_rows(store: Store, make: Make) -> None:
    """The list's rows are made when read: its length and first page cost a page."""
    from canxie_tui.store.emergency import cache

    for n in range(30):
        make.person(
            make.household(f"建新东路{n}号", building=f"{n}栋"), "王芳", care_flags=["blind"]
        )
    emergency.clear_cache()
    rows = emergency.priority_list(store, None, kind="quake")
    assert len(rows) == 30
    page = list(rows[:10])
    [loaded] = [c for c in cache._cache.values()]
    assert len(loaded.built) == 10
    assert [r.person.building for r in page] == [f"{n}栋" for n in range(10)]  # 2栋 before 10栋
    assert list(rows) == [r for r in emergency.priority_list(store, None, kind="quake")]


def test_profiles_computed_a_few_households_at_a_time_are_the_same(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A roster's first import notes every household; they are computed in steps (a
    bounded memory), and the steps' seams lose or double nobody."""
    add_registered(store)
    plan = roster.preview(store, roster.read_roster(write_roster(tmp_path / "r.xlsx"), today=TODAY))
    roster.apply(store, plan)
    whole = stored_profiles(store)
    households = store.scalar("SELECT count(DISTINCT household_id) FROM risk_profile")
    assert households >= 3
    monkeypatch.setattr(risk, "STEP", 2)  # several steps, one household short of the last
    store.db.conn.execute("DELETE FROM risk_profile")
    with store.transaction():
        assert risk.refresh_all(store.db.conn) == len(whole)
    assert stored_profiles(store) == whole
    assert_fresh(store)


def test_an_import_computes_its_new_households_as_refresh_would(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A roster's new households are profiled from the rows in hand, a batch at a
    time: households whose members fall in different batches, people without a
    certificate, households that existed (computed at commit) are all as computing
    afresh gives."""
    from canxie_tui.excel.roster import apply
    from tests.unit.test_roster_content import varied

    add_registered(store)
    monkeypatch.setattr(apply, "_CHUNK", 2)  # a household's members in different batches
    rows = varied(40)
    for i, row in enumerate(rows):
        assert row is not None
        row[8] = f"建新{i % 15}路"  # 15 households, their members rows apart
    rows[-1][8] = "观音桥1号"  # type: ignore[index]  # add_registered's household
    plan = roster.preview(
        store, roster.read_roster(write_roster(tmp_path / "r.xlsx", rows), today=TODAY)
    )
    assert plan.new == 40
    roster.apply(store, plan)
    shared = store.scalar(
        "SELECT count(*) FROM (SELECT household_id FROM risk_profile GROUP BY household_id "
        "HAVING count(*) > 1)"
    )
    assert shared >= 10
    assert_fresh(store)


def test_a_write_through_db_atomic_stores_its_profiles(store: Store, make: Make) -> None:
    """A transaction outside `Store.transaction` (`db.atomic()`, as a tool or a bulk
    load writes): its commit stores the profiles, so no list has to compute them."""
    house = make.household("建新东路3号", building="3栋", flags=["alone"])
    with store.db.atomic():
        store.db.conn.execute(
            "INSERT INTO persons (id, created_at, updated_at, household_id, name, birth_date, "
            "category, level, care_flags) VALUES ('bulk-1', '2026-11-29', '2026-11-29', ?, "
            "'吴九', '1930-01-01', 4, 2, '[\"bedridden\"]')",
            (house.id,),
        )
    assert written_with_the_change(store)
    assert (
        store.scalar(
            "SELECT count(*) FROM risk_profile WHERE person_pk = ("
            "SELECT pk FROM persons WHERE id = 'bulk-1')"
        )
        == 1
    )
    assert names(store) == {"吴九"}
    assert_fresh(store)
