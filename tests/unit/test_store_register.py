"""The household register: every write lands in the database with its audit entry, or not at all."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from canxie_tui.domain import codes, ids, validate
from canxie_tui.domain.errors import InputError
from canxie_tui.store import register, search, site
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import DuplicateError, StaleEditError
from tests.conftest import TODAY, Make


def _counts(store: Store) -> tuple[int, int, int]:
    return (
        store.scalar("SELECT count(*) FROM households"),
        store.scalar("SELECT count(*) FROM persons"),
        store.scalar("SELECT count(*) FROM audit_log"),
    )


def _audit(store: Store, record_id: str) -> list[dict[str, Any]]:
    return store.query(
        "SELECT operator_name, action, table_name, record_id, before, after "
        "FROM audit_log WHERE record_id = ? ORDER BY seq",
        (record_id,),
    )


def _other_store(store: Store, operator: str = "张华") -> Store:
    """A second connection to the same file, as another worker at another PC."""
    other = store.clone()
    site.switch_operator(other, site.add_operator(other, operator))
    return other


# -- adding -------------------------------------------------------------------------------


def test_add_household_writes_row_and_audit(store: Store) -> None:
    household = register.add_household(
        store,
        {
            "address": "建新东路3号",
            "building": "3栋",
            "unit": "2单元",
            "room": "301",
            "phone": "023-6771 2345",
            "flags": ["dibao", "alone"],
        },
    )

    row = store.query("SELECT * FROM households WHERE id = ?", (household.id,))[0]
    assert row["address"] == "建新东路3号"
    assert row["phone"] == "02367712345"
    assert json.loads(row["flags"]) == ["alone", "dibao"]
    # The site's community is the household's division unless told otherwise.
    assert (row["division_code"], row["division_name"]) == ("500105006001", "建新东路社区")
    assert (row["created_by"], row["updated_by"], row["version"]) == ("李明", "李明", 1)
    assert household.place() == "3栋2单元301"

    [entry] = _audit(store, household.id)
    assert entry["operator_name"] == "李明"
    assert entry["action"] == "新增"
    assert entry["table_name"] == "households"
    assert entry["before"] is None
    after = json.loads(entry["after"])
    assert after["id"] == household.id
    assert after["address"] == "建新东路3号"


def test_add_person_writes_row_and_audit(store: Store, make: Make) -> None:
    household = make.household()
    id_number = ids.make_id("510211", date(1961, 3, 8), 22)  # Sichuan-era 江北区 code
    person = register.add_person(
        store,
        household.id,
        {
            "name": " 单丽 ",
            "id_number": id_number.lower(),
            "cert_number": ids.make_certificate(id_number, 5, 1),
            "category": "智力",
            "level": "一级",
            "phone": "138 1234 5678",
            "relation": "户主",
        },
    )

    row = store.query("SELECT * FROM persons WHERE id = ?", (person.id,))[0]
    assert row["household_id"] == household.id
    assert row["name"] == "单丽"
    assert row["id_number"] == id_number
    assert (row["sex"], row["birth_date"]) == ("女", "1961-03-08")
    assert (row["category"], row["level"]) == (5, 1)
    assert row["phone"] == "13812345678"
    assert row["status"] == "active"

    [entry] = _audit(store, person.id)
    assert (entry["operator_name"], entry["action"], entry["table_name"]) == (
        "李明",
        "新增",
        "persons",
    )
    assert entry["before"] is None
    after = json.loads(entry["after"])
    assert after["id_number"] == id_number
    assert after["household_id"] == household.id
    assert register.register_counts(store) == {"households": 1, "persons": 1, "severe": 1}


@pytest.mark.parametrize(
    ("id_number", "words"),
    [
        ("500105196805120031", "校验位"),
        ("5.00105E+17", "Excel"),
        ("500105196802300012", "出生日期"),
        ("50010519680512003", "18位"),
    ],
)
def test_person_with_invalid_id_is_refused_and_nothing_written(
    store: Store, make: Make, id_number: str, words: str
) -> None:
    household = make.household()
    before = _counts(store)

    with pytest.raises(InputError) as caught:
        register.add_person(
            store, household.id, {"name": "王芳", "id_number": id_number, "category": 4, "level": 2}
        )

    assert caught.value.field == "id_number"
    assert words in caught.value.message
    assert _counts(store) == before


def test_certificate_holder_without_id_is_refused(store: Store, make: Make) -> None:
    household = make.household()
    before = _counts(store)
    with pytest.raises(InputError) as caught:
        register.add_person(store, household.id, {"name": "王芳", "category": 4, "level": 2})
    assert caught.value.field == "id_number"
    assert _counts(store) == before


def test_family_member_without_certificate_may_have_no_id(store: Store, make: Make) -> None:
    household = make.household()
    person = register.add_person(
        store,
        household.id,
        {"name": "王建国", "relation": "配偶", "sex": "男", "birth_date": "1950/2/3"},
    )
    assert person.id_number == ""
    assert not person.is_certified
    assert person.birth_date == date(1950, 2, 3)
    assert store.scalar("SELECT id_number FROM persons WHERE id = ?", (person.id,)) is None


@pytest.mark.parametrize(
    ("cert", "category", "level", "words"),
    [
        # The certificate of somebody else.
        (ids.make_certificate(ids.make_id("500105", date(1970, 1, 1), 11), 4, 2), 4, 2, "不一致"),
        # Right person, but the register says 肢体 while the certificate says 视力.
        (None, 4, 2, "残疾类别"),
        # Right person and category, wrong level.
        (None, 4, 3, "残疾等级"),
    ],
)
def test_certificate_inconsistent_with_person_is_refused(
    store: Store, make: Make, cert: str | None, category: int, level: int, words: str
) -> None:
    household = make.household()
    id_number = make.id_number()
    if cert is None:
        cert = ids.make_certificate(id_number, 1 if words == "残疾类别" else category, 2)
    before = _counts(store)

    with pytest.raises(InputError) as caught:
        register.add_person(
            store,
            household.id,
            {
                "name": "王芳",
                "id_number": id_number,
                "cert_number": cert,
                "category": category,
                "level": level,
            },
        )

    assert caught.value.field == "cert_number"
    assert words in caught.value.message
    assert _counts(store) == before


def test_duplicate_id_is_refused_and_points_at_existing_person(store: Store, make: Make) -> None:
    first_home = make.household("建新东路1号")
    existing = make.person(first_home, "王芳")
    other_home = make.household("北城天街8号")
    before = _counts(store)

    values = make.person_values("王芳芳") | {
        "id_number": existing.id_number,
        "cert_number": existing.cert_number,
    }
    with pytest.raises(DuplicateError) as caught:
        register.add_person(store, other_home.id, values)

    assert caught.value.existing_id == existing.id
    assert caught.value.household_id == first_home.id
    assert "王芳" in caught.value.message
    # The message names the ID masked, never in full.
    assert ids.mask_id(existing.id_number) in caught.value.message
    assert existing.id_number not in caught.value.message
    assert _counts(store) == before


def test_duplicate_id_typed_differently_is_still_a_duplicate(store: Store, make: Make) -> None:
    existing = make.person(make.household(), "王芳")
    full_width = existing.id_number.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    with pytest.raises(DuplicateError):
        register.add_person(
            store,
            make.household("北城天街8号").id,
            {"name": "王芳", "id_number": full_width, "category": 4, "level": 2},
        )


def test_same_name_and_birth_year_is_a_warning_not_a_refusal(store: Store, make: Make) -> None:
    make.person(make.household("建新东路1号"), "王芳", birth=date(1968, 5, 12))
    values = make.person_values("王芳", birth=date(1968, 9, 30))

    clean, warnings = register.check_person(store, values)

    assert clean["name"] == "王芳"
    assert len(warnings) == 1
    assert "王芳" in warnings[0]
    assert "1968" in warnings[0]
    assert "建新东路1号" in warnings[0]

    second = register.add_person(store, make.household("北城天街8号").id, values)
    assert store.scalar("SELECT count(*) FROM persons WHERE name = '王芳'") == 2
    # Editing the second person does not warn about itself.
    again = make.person_values("王芳", birth=date(1980, 1, 1)) | {
        "id_number": second.id_number,
        "cert_number": second.cert_number,
    }
    assert register.check_person(store, again, exclude_id=second.id)[1] == warnings


def test_different_birth_year_gives_no_warning(store: Store, make: Make) -> None:
    make.person(make.household(), "王芳", birth=date(1968, 5, 12))
    _, warnings = register.check_person(store, make.person_values("王芳", birth=date(1969, 5, 12)))
    assert warnings == []


# -- editing ------------------------------------------------------------------------------


def _edit_values(person: Any, **changes: Any) -> dict[str, Any]:
    values = {
        "name": person.name,
        "id_number": person.id_number,
        "cert_number": person.cert_number,
        "category": person.category,
        "level": person.level,
        "relation": person.relation,
        "phone": person.phone,
    }
    return values | changes


def test_update_person_writes_before_and_after(store: Store, make: Make) -> None:
    person = make.person(make.household(), "王芳", phone="13800001111")

    updated = register.update_person(store, person, _edit_values(person, phone="13900002222"))

    assert updated.phone == "13900002222"
    assert updated.version == 2
    entry = _audit(store, person.id)[-1]
    assert (entry["operator_name"], entry["action"]) == ("李明", "修改")
    assert json.loads(entry["before"])["phone"] == "13800001111"
    assert json.loads(entry["after"])["phone"] == "13900002222"
    assert search.search(store, "2222").hits[0].person_id == person.id
    assert search.search(store, "1111").total == 0


def test_stale_edit_is_refused_and_names_the_changed_field(store: Store, make: Make) -> None:
    person = make.person(make.household(), "王芳", phone="13800001111")
    opened = register.get_person(store, person.id)  # 李明 opens the form

    other = _other_store(store, "张华")
    try:
        theirs = register.get_person(other, person.id)
        register.update_person(other, theirs, _edit_values(theirs, phone="13900002222"))

        audit_before = store.scalar("SELECT count(*) FROM audit_log")
        with pytest.raises(StaleEditError) as caught:
            register.update_person(store, opened, _edit_values(opened, name="王芳芳"))
    finally:
        other.close()

    message = caught.value.message
    assert "电话" in message
    assert "张华" in message
    assert "没有写入" in message
    assert caught.value.changed_fields == ["phone"]
    row = store.query(
        "SELECT name, phone, version, updated_by FROM persons WHERE id = ?", (person.id,)
    )[0]
    assert row == {"name": "王芳", "phone": "13900002222", "version": 2, "updated_by": "张华"}
    assert store.scalar("SELECT count(*) FROM audit_log") == audit_before
    # The refused name never reached the search index either.
    assert search.search(store, "王芳芳").total == 0


def test_stale_household_edit_is_refused(store: Store, make: Make) -> None:
    household = make.household("建新东路3号", building="3栋")
    other = _other_store(store)
    try:
        register.update_household(
            other,
            register.get_household(other, household.id),
            {"address": "建新东路3号", "building": "3栋", "guardian_name": "赵德明"},
        )
    finally:
        other.close()

    with pytest.raises(StaleEditError) as caught:
        register.update_household(store, household, {"address": "建新东路5号", "building": "3栋"})

    assert "监护人" in caught.value.message
    assert register.get_household(store, household.id).address == "建新东路3号"


def test_update_household_reindexes_members(store: Store, make: Make) -> None:
    household = make.household("建新东路3号", building="3栋")
    first = make.person(household, "王芳")
    second = make.person(household, "李强")
    assert {h.person_id for h in search.search(store, "3栋").hits} == {first.id, second.id}

    moved = register.update_household(
        store, household, {"address": "北城天街8号", "building": "8栋", "room": "1202"}
    )

    assert moved.place() == "8栋1202"
    assert {h.person_id for h in search.search(store, "8栋").hits} == {first.id, second.id}
    assert search.search(store, "3栋").total == 0
    assert {h.person_id for h in search.search(store, "北城天街").hits} == {first.id, second.id}
    assert search.search(store, "建新东路").total == 0
    entry = _audit(store, household.id)[-1]
    assert json.loads(entry["before"])["building"] == "3栋"
    assert json.loads(entry["after"])["building"] == "8栋"


# -- status changes and privacy -----------------------------------------------------------


def test_move_out_keeps_person_and_lists_them_last(store: Store, make: Make) -> None:
    household = make.household()
    leaving = make.person(household, "王建国", relation="户主")
    staying = make.person(household, "王芳", relation="子女")
    assert [p.id for p in register.members(store, household.id)] == [leaving.id, staying.id]

    moved = register.change_status(store, leaving, "moved", "2026-11-20", "  迁往渝北区  ")

    assert (moved.status, moved.status_date, moved.status_reason) == (
        "moved",
        "2026-11-20",
        "迁往渝北区",
    )
    assert store.scalar("SELECT count(*) FROM persons WHERE id = ?", (leaving.id,)) == 1
    assert [p.id for p in register.members(store, household.id)] == [staying.id, leaving.id]
    assert register.register_counts(store)["persons"] == 1
    entry = _audit(store, leaving.id)[-1]
    assert entry["action"] == "状态变更为迁出"
    assert json.loads(entry["before"])["status"] == "active"
    assert json.loads(entry["after"])["status"] == "moved"


@pytest.mark.parametrize(
    ("when", "reason", "field", "words"),
    [
        ("2026-11-30", "迁往渝北区", "status_date", "晚于今天"),  # tomorrow, by the fixed clock
        ("", "迁往渝北区", "status_date", "日期"),
        ("2026-11-20", "", "status_reason", "原因"),
        ("2026-11-20", "   ", "status_reason", "原因"),
        ("2026-02-30", "迁往渝北区", "status_date", "不是有效日期"),
    ],
)
def test_bad_status_change_is_refused(
    store: Store, make: Make, when: str, reason: str, field: str, words: str
) -> None:
    person = make.person(make.household(), "王芳")
    audit_before = store.scalar("SELECT count(*) FROM audit_log")

    with pytest.raises(InputError) as caught:
        register.change_status(store, person, "moved", when, reason)

    assert caught.value.field == field
    assert words in caught.value.message
    assert register.get_person(store, person.id).status == "active"
    assert store.scalar("SELECT count(*) FROM audit_log") == audit_before


def test_reveal_id_is_recorded_in_audit_log(store: Store, make: Make) -> None:
    person = make.person(make.household(), "王芳")

    shown = register.reveal_id(store, person, "打印花名册")

    assert shown == person.id_number
    entry = _audit(store, person.id)[-1]
    assert entry["operator_name"] == "李明"
    assert entry["table_name"] == "persons"
    assert "显示完整身份证号" in entry["action"]
    assert "打印花名册" in entry["action"]
    # The audit log itself does not spread the full number.
    assert person.id_number not in (entry["after"] or "")


# -- whatever is typed into the form ------------------------------------------------------

_FORM_KEYS = (
    "name",
    "id_number",
    "cert_number",
    "category",
    "level",
    "sex",
    "birth_date",
    "phone",
    "relation",
    "school",
    "device_kind",
)
_TEXT = st.text(max_size=25)
_VALUE = st.one_of(
    st.none(),
    _TEXT,
    st.integers(-10, 10**18),
    st.sampled_from(
        ["王芳", "4", "二级", "肢体残疾", "2026-11-29", "5.00105E+17", "500105196805120038"]
    ),
)


@settings(max_examples=300, deadline=None)
@given(
    values=st.dictionaries(st.sampled_from(_FORM_KEYS), _VALUE),
    flags=st.lists(st.text(max_size=8), max_size=3),
)
def test_clean_person_refuses_only_with_input_error(
    values: dict[str, Any], flags: list[str]
) -> None:
    values = {"name": "王芳", **values, "care_flags": flags}
    try:
        clean = validate.clean_person(values, TODAY)
    except InputError as err:
        assert err.message  # a Chinese sentence to show, naming a known field
        assert err.field in (*_FORM_KEYS, "care_flags", "benefits", "")
        return
    # What it accepts is ready to store.
    assert clean["name"] and clean["name"] == clean["name"].strip()
    assert clean["id_number"] is None or ids.parse_id(clean["id_number"], TODAY)
    assert (clean["category"] is None) == (clean["level"] is None)
    if clean["cert_number"]:
        assert clean["cert_number"][:18] == clean["id_number"]


@settings(max_examples=100, deadline=None)
@given(
    born=st.dates(date(1900, 1, 1), TODAY),
    seq=st.integers(0, 999),
    category=st.integers(1, 7),
    level=st.integers(1, 4),
)
def test_every_valid_certificate_holder_is_accepted(
    born: date, seq: int, category: int, level: int
) -> None:
    id_number = ids.make_id("500105", born, seq)
    clean = validate.clean_person(
        {
            "name": "王芳",
            "id_number": id_number,
            "cert_number": ids.make_certificate(id_number, category, level),
            "category": codes.CATEGORIES[category],
            "level": codes.LEVELS[level],
        },
        TODAY,
    )
    assert (clean["category"], clean["level"]) == (category, level)
    assert clean["birth_date"] == born.isoformat()
    assert clean["sex"] == ("男" if seq % 2 else "女")


@pytest.mark.parametrize(("key", "value"), [("category", "④"), ("level", "②级"), ("level", "²")])
def test_circled_digits_are_refused_with_a_message(make: Make, key: str, value: str) -> None:
    values = make.person_values("王芳") | {key: value}
    with pytest.raises(InputError) as caught:
        validate.clean_person(values, TODAY)
    assert caught.value.field == key


def test_form_values_carry_every_field_an_update_would_otherwise_clear(
    store: Store, make: Make
) -> None:
    """Edits build on `form_values()`: saved back unchanged, nothing is lost."""
    house = make.household(
        "建新东路9号",
        building="5栋",
        grid="第二网格",
        flags=["alone", "dibao"],
        guardian_name="王大",
        guardian_phone="13900000001",
        emergency_contact="王二",
        note="门口有台阶",
    )
    person = make.person(
        house,
        "王芳",
        care_flags=["powered_device"],
        device_kind="制氧机",
        benefits=["care_subsidy"],
        relation="户主",
        phone="13800000001",
    )
    kept_person = {k: v for k, v in register.get_person(store, person.id).__dict__.items()}
    kept_house = {k: v for k, v in register.get_household(store, house.id).__dict__.items()}
    register.update_household(store, house, house.form_values())
    register.update_person(store, register.get_person(store, person.id), person.form_values())
    after_person = register.get_person(store, person.id).__dict__
    after_house = register.get_household(store, house.id).__dict__
    bookkeeping = {"version", "updated_at", "updated_by"}
    assert {k: v for k, v in after_person.items() if k not in bookkeeping} == {
        k: v for k, v in kept_person.items() if k not in bookkeeping
    }
    assert {k: v for k, v in after_house.items() if k not in bookkeeping} == {
        k: v for k, v in kept_house.items() if k not in bookkeeping
    }
    assert after_person["care_flags"] == {"powered_device"} and after_house["note"] == "门口有台阶"
