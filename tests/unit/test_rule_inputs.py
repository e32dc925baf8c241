"""The rule inputs (migration 0010, after 0009's code masks) after every kind of write:
each person's row holds exactly the codes of their benefits and of their household's
flags as masks, whether they are in the register, and their own columns the rules read,
as the indicators' and the 两项补贴 check's SQL reads them.  Writes through the forms,
plain SQL, a roster import, a district merge, a survey adopted, a restored older backup
and an upgrade of an existing database each leave every row equal to the register."""

from __future__ import annotations

import itertools
import json
import shutil
from datetime import date
from pathlib import Path

from canxie_tui.domain import codes
from canxie_tui.domain.indicators import INDICATORS, compute
from canxie_tui.excel.roster import importer as roster
from canxie_tui.store import backup, register, schema, session, survey, survey_adopt
from canxie_tui.store import indicators as store_indicators
from canxie_tui.store.connection import Store
from canxie_tui.store.district.apply import MergeCounts
from canxie_tui.store.district.content import CHILD_TABLES, RECORD_TABLES
from canxie_tui.store.district.merge import Incoming, merge_rows
from tests.conftest import SITE, TODAY, Make, fixed_clock, open_store
from tests.unit.test_roster_import import HE, MA, SUN, fact_row, write_facts
from tests.unit.test_survey import _complete
from tests.unit.test_upgrade_path import V1

# The persons columns the rules read, copied as they are.
COPIED = (
    "category", "level", "birth_date", "hukou", "cert_valid_until", "pension_scheme",
    "medical_scheme", "school", "trained_on", "household_id", "status", "status_date",
    "created_at",
)  # fmt: skip


def stored(store: Store) -> dict[str, tuple[int, int]]:
    """Every person's (benefits, household flags) masks as stored, by person id."""
    return {
        pid: (benefits, flags)
        for pid, benefits, flags in store.db.conn.execute(
            "SELECT p.id, m.benefits, m.household_flags FROM rule_inputs m "
            "JOIN persons p ON p.pk = m.person_pk"
        )
    }


def inputs(store: Store) -> dict[str, tuple[object, ...]]:
    """Every person's rule inputs as stored (masks, in the register, copied columns)."""
    columns = ", ".join(f"m.{c}" for c in COPIED)
    return {
        pid: rest
        for pid, *rest in store.db.conn.execute(
            f"SELECT m.id, m.benefits, m.household_flags, m.registered, {columns} "
            "FROM rule_inputs m"
        )
    }


def from_register(store: Store) -> dict[str, tuple[object, ...]]:
    """The same computed from the register itself (the JSON lists, the register rule)."""
    columns = ", ".join(f"p.{c}" for c in COPIED)
    return {
        pid: [
            codes.mask(codes.BENEFITS, json.loads(benefits)),
            codes.mask(codes.HOUSEHOLD_FLAGS, json.loads(flags or "[]")),
            int(status == "active" and rest[0] is not None and not held),
            *rest,
        ]
        for pid, benefits, flags, status, held, *rest in store.db.conn.execute(
            f"SELECT p.id, p.benefits, h.flags, p.status, p.held, {columns} FROM persons p "
            "LEFT JOIN households h ON h.id = p.household_id"
        )
    }


def assert_masks_match(store: Store) -> None:
    assert store.scalar("SELECT count(*) FROM rule_inputs") == store.scalar(
        "SELECT count(*) FROM persons"
    )
    assert inputs(store) == from_register(store)


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


def test_every_fact_the_rules_read_follows_the_register(store: Store, make: Make) -> None:
    """Form edits and plain SQL to each column the rules read (level, birth date, 户籍,
    certificate, insurance, school, training, leaving the register, held out), and the
    counts over the rule inputs stay those of the Python rules over the register."""
    home = make.household("建新东路1号", flags=["dibao"])
    wang = make.person(home, "王芳", level=1, pension_scheme="resident")
    child = make.person(home, "王小", birth=date(2016, 3, 1), level=3, school="regular")
    li = make.person(make.household("建新东路2号"), "李四", level=4)
    register.update_person(
        store,
        wang,
        wang.form_values()
        | {
            "hukou": "outside",
            "medical_scheme": "employee",
            "trained_on": "2026-03-02",
        },
    )
    register.update_person(store, child, child.form_values() | {"school": ""})
    conn = store.db.conn
    conn.execute(
        "UPDATE persons SET status = 'deceased', status_date = '2026-10-01' WHERE id = ?", (li.id,)
    )
    conn.execute(
        "UPDATE persons SET cert_valid_until = '2026-01-31', held = 1, level = 3 WHERE id = ?",
        (wang.id,),
    )
    conn.execute(
        "UPDATE persons SET birth_date = '2010-06-30', category = NULL WHERE id = ?", (child.id,)
    )
    conn.commit()
    assert_masks_match(store)
    assert inputs(store)[li.id][2] == 0  # left the register
    conn.execute(
        "UPDATE persons SET held = 0, category = 4 WHERE id IN (?, ?)", (wang.id, child.id)
    )
    conn.commit()
    assert_masks_match(store)
    counted = store_indicators.counts(store, TODAY)
    options = store_indicators.options(store, TODAY)
    for indicator in compute(store_indicators.person_facts(store, TODAY), options):
        if indicator.key in counted:
            got = counted[indicator.key]
            assert (got.numerator, got.denominator) == (indicator.numerator, indicator.denominator)


def test_a_survey_adopted_into_the_register_writes_the_inputs(store: Store, make: Make) -> None:
    home = make.household()
    person = make.person(home, "王芳", birth=date(1980, 1, 1))
    survey.start_round(store, 2026, "2026-11-29")
    entry = survey.entry_for_person(store, person.id)
    answers = _complete(entry, {"medical": "1", "device": "1", "unsafe_house": "1", "needs": ["2"]})
    done = survey.finish(store, entry, answers, "home", "2026-11-20")
    survey_adopt.adopt(store, done, survey_adopt.proposed_changes(store, done))
    assert_masks_match(store)
    [row] = inputs(store).values()
    assert row[0] == codes.mask(codes.BENEFITS, register.get_person(store, person.id).benefits)
    assert row[1] & codes.bit(codes.HOUSEHOLD_FLAGS, "unsafe_house")


def test_the_trained_this_year_are_found_by_their_training_days(store: Store) -> None:
    """0010's index of 渝馨家园 training days serves the rule as written: were the
    attendance's terms in `trained_sql` to drift from the index's, every member's
    year would be read again (9 ms at district scale)."""
    params = store_indicators._params(TODAY, store_indicators.options(store, TODAY))
    plan = " ".join(
        row[3]
        for row in store.db.conn.execute(
            f"EXPLAIN QUERY PLAN {store_indicators._counts_sql('1')}", params
        )
    )
    assert "idx_attendance_training" in plan
