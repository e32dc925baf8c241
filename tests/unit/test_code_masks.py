"""The code masks (migration 0009) after every kind of write: each person's mask row
holds exactly the codes of their benefits and of their household's flags, as the
indicators' and the 两项补贴 check's SQL reads them.  Writes through the forms, plain
SQL, a roster import, a district merge, a restored older backup and an upgrade of an
existing database each leave every mask equal to its JSON list."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import date
from pathlib import Path

from canxie_tui.domain import codes
from canxie_tui.domain.indicators import INDICATORS, compute
from canxie_tui.excel.roster import importer as roster
from canxie_tui.store import backup, register, schema, session
from canxie_tui.store import indicators as store_indicators
from canxie_tui.store.connection import Store
from canxie_tui.store.district.apply import MergeCounts
from canxie_tui.store.district.content import CHILD_TABLES, RECORD_TABLES
from canxie_tui.store.district.merge import Incoming, merge_rows
from tests.conftest import SITE, TODAY, Make, fixed_clock, open_store
from tests.unit.test_roster_import import HE, MA, SUN, fact_row, write_facts
from tests.unit.test_upgrade_path import V1


def stored(store: Store) -> dict[str, tuple[int, int]]:
    """Every person's (benefits, household flags) masks as stored, by person id."""
    return {
        pid: (benefits, flags)
        for pid, benefits, flags in store.db.conn.execute(
            "SELECT p.id, m.benefits, m.household_flags FROM code_masks m "
            "JOIN persons p ON p.pk = m.person_pk"
        )
    }


def from_lists(store: Store) -> dict[str, tuple[int, int]]:
    """The same computed from the JSON lists themselves."""
    return {
        pid: (
            codes.mask(codes.BENEFITS, json.loads(benefits)),
            codes.mask(codes.HOUSEHOLD_FLAGS, json.loads(flags)),
        )
        for pid, benefits, flags in store.db.conn.execute(
            "SELECT p.id, p.benefits, h.flags FROM persons p "
            "JOIN households h ON h.id = p.household_id"
        )
    }


def assert_masks_match(store: Store) -> None:
    assert store.scalar("SELECT count(*) FROM code_masks") == store.scalar(
        "SELECT count(*) FROM persons"
    )
    assert stored(store) == from_lists(store)


def test_the_bits_are_the_code_tables_in_order() -> None:
    """A code added to a table needs a migration that re-creates the triggers: until
    then its bit would never be set and the indicators would miss it silently."""
    tables = {"benefits": tuple(codes.BENEFITS), "flags": tuple(codes.HOUSEHOLD_FLAGS)}
    assert tables == schema.MASKED_CODES
    assert codes.mask(codes.BENEFITS, ["care_subsidy", "family_doctor"]) == 0b110
    assert codes.bit(codes.HOUSEHOLD_FLAGS, "tekun") == 0b100


def test_form_edits_and_plain_sql_keep_the_masks(store: Store, make: Make) -> None:
    poor = make.household("建新东路1号", flags=["dibao", "alone"])
    other = make.household("建新东路2号")
    wang = make.person(poor, "王芳", benefits=["family_doctor", "rehab_needed"])
    zhang = make.person(poor, "张强")
    li = make.person(other, "李四", benefits=["injury_care"])
    assert_masks_match(store)
    assert stored(store)[wang.id] == (0b10100, 0b1000001)

    register.update_person(store, wang, wang.form_values() | {"benefits": ["rehab_received"]})
    register.update_household(store, poor, poor.form_values() | {"flags": ["tekun"]})
    assert_masks_match(store)
    assert stored(store)[zhang.id] == (0, 0b100)

    # Imported data and tools outside the forms write plain SQL: the triggers still see it.
    conn = store.db.conn
    conn.execute("UPDATE persons SET household_id = ? WHERE id = ?", (other.id, zhang.id))
    conn.execute("UPDATE households SET flags = '[\"low_income\"]' WHERE id = ?", (other.id,))
    conn.execute("UPDATE persons SET benefits = '[\"in_school\"]' WHERE id = ?", (li.id,))
    conn.execute("DELETE FROM persons WHERE id = ?", (wang.id,))
    conn.commit()
    assert_masks_match(store)
    assert stored(store)[zhang.id] == (0, 0b1000)


def test_a_roster_import_writes_the_masks(store: Store, tmp_path: Path) -> None:
    path = write_facts(
        tmp_path / "facts.xlsx",
        [
            fact_row("孙丽", SUN, 4, 1, "北城三路8号", poverty="低保", living="是", care="是"),
            fact_row("马强", MA, 5, 2, "北城三路9号", poverty="低保边缘"),
            fact_row("何平", HE, 1, 4, "北城三路10号"),
        ],
    )
    plan = roster.preview(store, roster.read_roster(path, today=TODAY))
    assert roster.apply(store, plan).added == 3
    assert_masks_match(store)
    masks = set(stored(store).values())
    assert (0b11, 0b1) in masks and (0, 0b10) in masks


def test_a_district_merge_writes_the_masks(tmp_path: Path, make: Make, store: Store) -> None:
    community = open_store(tmp_path / "c.db")
    theirs = Make(community)
    theirs._seq = itertools.count(300)  # ID numbers of their own
    house = theirs.household("北城三路8号", flags=["dibao_edge"])
    theirs.person(house, "孙丽", benefits=["device_needed"], level=1)
    theirs.person(house, "孙强")
    make.person(make.household("观音桥2号", flags=["tekun"]), "钱进")
    tables = {t: community.query(f"SELECT * FROM {t}") for t in (*RECORD_TABLES, *CHILD_TABLES)}
    merge_rows(store, Incoming("c.db", SITE, "2026-11", tables=tables), MergeCounts())
    assert len(stored(store)) == 3
    assert_masks_match(store)
    community.close()


def test_a_restored_older_backup_has_its_own_masks(db_path: Path, store: Store, make: Make) -> None:
    home = make.household("建新东路1号", flags=["dibao"])
    make.person(home, "王芳", benefits=["family_doctor"])
    saved = backup.backup_file(db_path, reason="manual")
    register.update_household(store, home, home.form_values() | {"flags": []})
    make.person(make.household("建新东路2号"), "张强", benefits=["in_school"])
    store.close()
    backup.restore(db_path, saved)
    restored = session.open_store(db_path, clock=fixed_clock)
    try:
        assert set(stored(restored).values()) == {(0b100, 0b1)}
        assert_masks_match(restored)
    finally:
        restored.close()


def test_an_upgraded_database_is_filled_by_the_migration(tmp_path: Path) -> None:
    """The first schema's database: 0009 writes everyone's masks, and the indicators
    counted over them are those of the Python rules over the JSON lists."""
    path = tmp_path / "canxie.db"
    shutil.copyfile(V1, path)
    upgraded = session.open_store(path, create=False, clock=fixed_clock)
    try:
        assert upgraded.scalar("SELECT count(*) FROM persons")
        assert_masks_match(upgraded)
        day = date(2026, 11, 29)
        counted = store_indicators.counts(upgraded, day)
        options = store_indicators.options(upgraded, day)
        reference = compute(store_indicators.person_facts(upgraded, day), options)
        for indicator in reference:
            if indicator.key in counted:
                got = counted[indicator.key]
                assert (got.numerator, got.denominator) == (
                    indicator.numerator,
                    indicator.denominator,
                ), indicator.key
        assert {spec.key for spec in INDICATORS} >= set(counted)
    finally:
        upgraded.close()
