"""visits.check_visit_for: what the visit form reads before saving (issue 15, items 6, 9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from canxie_tui.domain.errors import InputError
from canxie_tui.excel.roster import importer as roster
from canxie_tui.store import register, visits
from canxie_tui.store.connection import Store
from tests.conftest import Make


def _backdate(store: Store) -> None:
    with store.transaction() as db:
        db.conn.execute("UPDATE households SET created_at = '2025-01-01T09:00:00'")
        db.conn.execute("UPDATE persons SET created_at = '2025-01-01T09:00:00'")


def test_date_before_registration_refused_naming_whose(store: Store, make: Make) -> None:
    person = make.person()
    with pytest.raises(InputError) as refused:
        visits.check_visit_for(
            store, person.household_id, make.visit_values("1990-01-01", [person])
        )
    assert refused.value.field == "visit_date"
    assert "早于本户的登记日期 2026-11-29" in refused.value.message
    assert store.scalar("SELECT count(*) FROM visits") == 0


def test_person_registered_after_the_household_counts(store: Store, make: Make) -> None:
    person = make.person()
    _backdate(store)
    late = make.person(register.get_household(store, person.household_id), name="李四")
    with pytest.raises(InputError, match="早于李四的登记日期 2026-11-29"):
        visits.check_visit_for(
            store, person.household_id, make.visit_values("2026-11-01", [person, late])
        )
    assert (
        visits.check_visit_for(
            store, person.household_id, make.visit_values("2026-11-01", [person])
        )
        == []
    )


def test_same_day_same_purpose_warns_and_a_correction_is_not_its_own_duplicate(
    store: Store, make: Make
) -> None:
    person = make.person()
    _backdate(store)
    values = make.visit_values("2026-11-20", [person])
    assert visits.check_visit_for(store, person.household_id, values) == []
    logged = visits.add_visit(store, person.household_id, values)
    warnings = visits.check_visit_for(store, person.household_id, values)
    assert warnings == ["本户 2026-11-20 已记过1次常规走访，可能重复"]
    assert visits.check_visit_for(store, person.household_id, values, logged) == []
    festival = values | {"purpose": "festival"}
    assert visits.check_visit_for(store, person.household_id, festival) == []


def test_correction_keeping_an_old_date_is_let_through(store: Store, make: Make) -> None:
    person = make.person()
    logged = make.visit("2026-11-29", person)
    with store.transaction() as db:  # e.g. a visit merged from before the register was built
        db.conn.execute("UPDATE visits SET visit_date = '2026-01-05'")
    logged = visits.get_visit(store, logged.id)
    values = make.visit_values("2026-01-05", [person], note="补记")
    warnings = visits.check_visit_for(store, person.household_id, values, logged)
    assert warnings == ["这次走访是328天前（2026-01-05）"]


def test_imported_household_accepts_paper_visits_from_before_the_import(
    store: Store, make: Make, tmp_path: Path
) -> None:
    """A roster imported today: last month's paper visits can still be entered."""
    from tests.unit.test_roster_import import write_roster

    plan = roster.preview(store, roster.read_roster(write_roster(tmp_path / "花名册.xlsx")))
    roster.apply(store, plan)
    person = register.get_person(store, store.scalar("SELECT id FROM persons LIMIT 1"))
    values = make.visit_values("2026-10-20", [person])
    warnings = visits.check_visit_for(store, person.household_id, values)
    assert any("40天前" in w for w in warnings), warnings  # asked about, not refused
