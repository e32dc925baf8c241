"""The household register: households, their members, status changes, ID reveals."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from canxie_tui.domain import codes, ids, validate
from canxie_tui.domain.models import Household, Person
from canxie_tui.store import daycare, records, search, subsidies, tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import DuplicateError, NotFoundError
from canxie_tui.store.register_sql import in_register

_JSON_COLUMNS = ("flags", "care_flags", "benefits")


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {k: json.dumps(sorted(v)) if k in _JSON_COLUMNS else v for k, v in values.items()}


def household_from_row(row: dict[str, Any]) -> Household:
    return Household(
        id=row["id"],
        address=row["address"],
        building=row["building"],
        unit=row["unit"],
        room=row["room"],
        grid=row["grid"],
        phone=row["phone"],
        flags=frozenset(json.loads(row["flags"])),
        guardian_name=row["guardian_name"],
        guardian_phone=row["guardian_phone"],
        guardian_relation=row["guardian_relation"],
        emergency_contact=row["emergency_contact"],
        emergency_phone=row["emergency_phone"],
        note=row["note"],
        division_code=row["division_code"],
        division_name=row["division_name"],
        version=row["version"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


def person_from_row(row: dict[str, Any]) -> Person:
    return Person(
        id=row["id"],
        household_id=row["household_id"],
        name=row["name"],
        id_number=row["id_number"] or "",
        sex=row["sex"],
        birth_date=date.fromisoformat(row["birth_date"]) if row["birth_date"] else None,
        cert_number=row["cert_number"] or "",
        category=row["category"],
        level=row["level"],
        relation=row["relation"],
        phone=row["phone"],
        status=row["status"],
        status_date=row["status_date"],
        status_reason=row["status_reason"],
        care_flags=frozenset(json.loads(row["care_flags"])),
        device_kind=row["device_kind"],
        benefits=frozenset(json.loads(row["benefits"])),
        school=row["school"],
        hukou=row["hukou"],
        hukou_address=row["hukou_address"],
        apart=bool(row["apart"]),
        pension_scheme=row["pension_scheme"],
        medical_scheme=row["medical_scheme"],
        cert_issued=row["cert_issued"],
        cert_valid_until=row["cert_valid_until"],
        trained_on=row["trained_on"],
        last_visit_date=row["last_visit_date"],
        version=row["version"],
        updated_at=row["updated_at"],
        updated_by=row["updated_by"],
    )


# -- reading -----------------------------------------------------------------
def get_household(store: Store, household_id: str) -> Household:
    rows = store.query("SELECT * FROM households WHERE id = ?", (household_id,))
    if not rows:
        raise NotFoundError("找不到该户，可能已被删除。")
    return household_from_row(rows[0])


def get_person(store: Store, person_id: str) -> Person:
    rows = store.query("SELECT * FROM persons WHERE id = ?", (person_id,))
    if not rows:
        raise NotFoundError("找不到该人员，可能已被删除。")
    return person_from_row(rows[0])


def members(store: Store, household_id: str) -> list[Person]:
    """Members of a household: active first, then certificate holders, then by name."""
    rows = store.query(
        "SELECT * FROM persons WHERE household_id = ? "
        "ORDER BY status != 'active', category IS NULL, relation != '户主', pk",
        (household_id,),
    )
    return [person_from_row(r) for r in rows]


def register_counts(store: Store) -> dict[str, int]:
    row = store.query(
        "SELECT count(DISTINCT household_id) AS households, count(*) AS persons, "
        f"sum(level IN (1, 2)) AS severe FROM persons WHERE {in_register('')}"
    )[0]
    return {k: int(v or 0) for k, v in row.items()}


# -- households --------------------------------------------------------------
def add_household(store: Store, values: dict[str, Any]) -> Household:
    clean = validate.clean_household(values)
    from canxie_tui.store.site import get_site

    site = get_site(store)
    clean.setdefault("division_code", values.get("division_code") or site.code)
    clean.setdefault("division_name", values.get("division_name") or site.name)
    household_id = records.insert(store, "households", _encode(clean))
    return get_household(store, household_id)


def update_household(store: Store, household: Household, values: dict[str, Any]) -> Household:
    """Save an edit of `household` (as the editor opened it); re-index its members."""
    clean = validate.clean_household(values)
    with store.transaction():
        records.update(
            store, "households", household.id, _encode(clean), expected_version=household.version
        )
        for pk in store.db.conn.execute(
            "SELECT pk FROM persons WHERE household_id = ?", (household.id,)
        ):
            search.index_person(store, pk[0])
        tiers.refresh(store, household_ids=[household.id])
    return get_household(store, household.id)


# -- persons -----------------------------------------------------------------
def person_warnings(
    store: Store, clean: dict[str, Any], exclude_id: str | None = None
) -> list[str]:
    """Soft duplicate check: the same name and birth year already in the register."""
    if not clean.get("birth_date"):
        return []
    rows = store.query(
        "SELECT p.name, p.birth_date, h.address FROM persons p "
        "JOIN households h ON h.id = p.household_id "
        "WHERE p.name = ? AND substr(p.birth_date, 1, 4) = ? AND p.id IS NOT ?",
        (clean["name"], clean["birth_date"][:4], exclude_id),
    )
    return [
        f"已有同名同年出生的人员：{r['name']}（{r['birth_date'][:4]}年生，{r['address']}），"
        "请确认不是同一人"
        for r in rows
    ]


def _refuse_duplicate_id(store: Store, id_number: str | None, exclude_id: str | None) -> None:
    if not id_number:
        return
    rows = store.query(
        "SELECT id, household_id, name FROM persons WHERE id_number = ? AND id IS NOT ?",
        (id_number, exclude_id),
    )
    if rows:
        found = rows[0]
        raise DuplicateError(
            f"身份证号{ids.mask_id(id_number)}已登记为“{found['name']}”，不能重复添加。"
            "可打开已有记录。",
            found["id"],
            found["household_id"],
        )


def check_person(
    store: Store, values: dict[str, Any], exclude_id: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Validate a person form: (clean columns, warnings); raises on hard errors."""
    clean = validate.clean_person(values, store.today())
    _refuse_duplicate_id(store, clean["id_number"], exclude_id)
    return clean, person_warnings(store, clean, exclude_id)


def add_person(store: Store, household_id: str, values: dict[str, Any]) -> Person:
    """Add a member; refused for an ID already registered (DuplicateError)."""
    clean, _ = check_person(store, values)
    get_household(store, household_id)
    with store.transaction():
        person_id = records.insert(
            store, "persons", {**_encode(clean), "household_id": household_id}
        )
        pk = store.scalar("SELECT pk FROM persons WHERE id = ?", (person_id,))
        search.index_person(store, pk)
        tiers.refresh(store, household_ids=[household_id])
        subsidies.follow_ticks(store, person_id, (), clean["benefits"], "新增人员")
    return get_person(store, person_id)


def update_person(store: Store, person: Person, values: dict[str, Any]) -> Person:
    """Save an edit of `person` as the editor opened it (StaleEditError if changed since)."""
    clean, _ = check_person(store, values, exclude_id=person.id)
    with store.transaction():
        records.update(store, "persons", person.id, _encode(clean), expected_version=person.version)
        subsidies.follow_ticks(store, person.id, person.benefits, clean["benefits"], "修改人员")
        search.index_person(
            store, store.scalar("SELECT pk FROM persons WHERE id = ?", (person.id,))
        )
        tiers.refresh(store, household_ids=[person.household_id])
    return get_person(store, person.id)


def change_status(store: Store, person: Person, status: str, when: str, reason: str) -> Person:
    """迁出/死亡/注销 (or back to 在册): leaves the active register, history stays."""
    clean = validate.clean_status_change(status, when, reason, store.today())
    action = f"状态变更为{codes.PERSON_STATUSES[status]}"
    with store.transaction():
        records.update(
            store, "persons", person.id, clean, expected_version=person.version, action=action
        )
        if status != codes.ACTIVE:
            daycare.end_for_person(
                store,
                person.id,
                clean["status_date"],
                f"{codes.PERSON_STATUSES[status]}：{clean['status_reason']}",
            )
        tiers.refresh(store, household_ids=[person.household_id])
    return get_person(store, person.id)


def reveal_id(store: Store, person: Person, purpose: str = "查看") -> str:
    """The full ID number; every reveal is recorded in the audit log with the operator."""
    records.write_audit(
        store, f"显示完整身份证号（{purpose}）", "persons", person.id, None, {"name": person.name}
    )
    return person.id_number
