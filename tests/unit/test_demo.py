"""The demo database generator: realistic, valid, consistent and deterministic."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from canxie_tui.demo.builder import build_demo
from canxie_tui.domain import codes, ids
from canxie_tui.domain.tiers import next_due
from canxie_tui.store import records, search, session
from canxie_tui.store import tiers as tier_store
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import StoreError
from canxie_tui.store.site import get_site, list_operators

TODAY = date(2026, 11, 27)


def _build(path: Path, seed: int = 1, **kwargs: Any) -> tuple[Store, dict[str, int]]:
    store = session.open_store(path)
    counts = build_demo(store, scale="community", seed=seed, today=TODAY, **kwargs)
    return store, counts


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, dict[str, int]]]:
    store, counts = _build(tmp_path_factory.mktemp("demo") / "d.db")
    yield store, counts
    store.close()


@pytest.fixture(scope="module")
def store(demo: tuple[Store, dict[str, int]]) -> Store:
    return demo[0]


def _column(store: Store, sql: str) -> list[Any]:
    return [row[0] for row in store.db.conn.execute(sql)]


def _count(store: Store, sql: str) -> int:
    return int(store.scalar(f"SELECT count(*) FROM {sql}"))


# -- size and shape -------------------------------------------------------------------
def test_counts_are_those_of_a_community(demo: tuple[Store, dict[str, int]]) -> None:
    store, counts = demo
    assert counts["certified"] == 300
    assert 220 <= counts["households"] <= 290
    assert counts["certified"] + 40 <= counts["persons"] <= counts["certified"] * 1.6
    assert 1_000 <= counts["visits"] <= 4_000  # six months, weekly to quarterly
    assert 40 <= counts["notes"] <= 400
    assert 20 <= counts["members"] <= 30
    assert 1_000 <= counts["attendance"] <= 5_000
    tables = {"daycare_members": "members"}
    for table in ("households", "persons", "visits", "notes", "daycare_members", "attendance"):
        assert _count(store, table) == counts[tables.get(table, table)], table


def test_site_and_operators(store: Store) -> None:
    site = get_site(store)
    assert (site.district_name, site.district_code) == ("江北区", "500105")
    assert (site.street_name, site.street_code) == ("观音桥街道", "500105006")
    assert len(site.community_code) == 12 and site.community_code.startswith("500105006")
    assert site.community_name.endswith("社区")
    operators = list_operators(store)
    assert 2 <= len(operators) <= 4
    assert store.operator_id == operators[0].id
    divisions = _column(store, "SELECT DISTINCT division_code FROM households")
    assert divisions == [site.community_code]


def test_integrity_and_foreign_keys(store: Store) -> None:
    assert store.db.conn.execute("PRAGMA foreign_key_check").fetchall() == []
    assert store.scalar("PRAGMA integrity_check") == "ok"


def test_audit_chain_has_one_summary_entry(
    store: Store, demo: tuple[Store, dict[str, int]]
) -> None:
    assert records.verify_audit_chain(store) == []
    rows = store.query("SELECT record_id, after FROM audit_log WHERE action = '生成演示数据'")
    assert len(rows) == 1
    assert rows[0]["record_id"] == "community"
    assert json.loads(rows[0]["after"]) == demo[1]


# -- persons --------------------------------------------------------------------------
def test_every_id_and_certificate_is_valid_and_consistent(store: Store) -> None:
    rows = store.query("SELECT * FROM persons")
    reissued = 0
    for row in rows:
        ident = ids.parse_id(row["id_number"], TODAY)
        assert ident.number == row["id_number"]
        assert ident.sex == row["sex"]
        assert ident.birth_date.isoformat() == row["birth_date"]
        assert 3 <= ident.age_on(TODAY) <= 99 or row["category"] is None
        if row["category"] is None:
            assert row["cert_number"] is None and row["level"] is None
            continue
        cert = ids.parse_certificate(
            row["cert_number"],
            id_number=row["id_number"],
            category=row["category"],
            level=row["level"],
            today=TODAY,
        )
        reissued += cert.reissue > 0
    assert reissued > 0  # some certificates carry a B1/B2 suffix


def test_area_codes_fit_the_era(store: Store) -> None:
    rows = store.query("SELECT id_number, birth_date FROM persons")
    old = [r["id_number"][:6] for r in rows if r["birth_date"] < "1985"]
    young = [r["id_number"][:6] for r in rows if r["birth_date"] >= "2000"]
    assert sum(a.startswith("5102") for a in old) / len(old) > 0.6  # Sichuan-era 重庆
    assert Counter(old).most_common(1)[0][0] == "510211"  # 江北区 1983-1997
    assert not any(a.startswith("500") for a in old)  # 重庆直辖 codes exist from 1997
    assert sum(a == "500105" for a in young) / len(young) > 0.6
    assert not any(a.startswith("5102") for a in young)
    late = [r["birth_date"] for r in rows if r["id_number"].startswith("500157")]
    assert all(b >= "2019" for b in late)  # 两江新区 numbers only for late registrations


def test_categories_levels_and_statuses(store: Store) -> None:
    rows = store.query("SELECT * FROM persons WHERE category IS NOT NULL")
    by_category = Counter(r["category"] for r in rows)
    assert set(by_category) == set(codes.CATEGORIES)
    assert by_category.most_common(1)[0][0] == 4  # 肢体 is the largest group
    severe = [r for r in rows if r["level"] in (1, 2)]
    assert 0.2 <= len(severe) / len(rows) <= 0.4
    statuses = Counter(r["status"] for r in rows)
    assert statuses["active"] / len(rows) >= 0.9
    assert statuses["active"] < len(rows)
    for r in rows:
        if r["status"] != "active":
            assert r["status_date"] <= TODAY.isoformat() and r["status_reason"]
        else:
            assert r["status_date"] == r["status_reason"] == ""


def test_names_include_duplicates_and_hard_surnames(store: Store) -> None:
    names = Counter(_column(store, "SELECT name FROM persons"))
    assert names["王芳"] >= 2 and names["张伟"] >= 2
    assert any(n.startswith(("欧阳", "司马")) for n in names)
    assert any(n[0] in "单曾解仇查" for n in names)
    assert any(len(n) == 2 for n in names) and any(len(n) == 3 for n in names)
    assert all(2 <= len(n) <= 4 for n in names)


def test_flags_benefits_and_shortfalls(store: Store) -> None:
    households = store.query("SELECT flags FROM households")
    flags = Counter(f for h in households for f in json.loads(h["flags"]))
    assert 0.08 <= flags["dibao"] / len(households) <= 0.25
    for flag in ("alone", "multi_disabled", "elderly_carer", "dibao_edge"):
        assert flags[flag] > 0, flag
    assert set(flags) <= set(codes.HOUSEHOLD_FLAGS)

    persons = store.query("SELECT * FROM persons WHERE category IS NOT NULL")
    care = Counter(f for p in persons for f in json.loads(p["care_flags"]))
    assert care["bedridden"] and care["evac_help"] and care["deaf_text"] and care["blind"]
    assert set(care) <= set(codes.CARE_FLAGS)
    for p in persons:
        assert set(json.loads(p["benefits"])) <= set(codes.BENEFITS)
        if "powered_device" in p["care_flags"]:
            assert p["device_kind"] in codes.POWERED_DEVICES
        else:
            assert p["device_kind"] == ""
        if "deaf_text" in p["care_flags"]:
            assert p["category"] in (2, 7)
        if "blind" in p["care_flags"]:
            assert p["category"] == 1
        age = ids.parse_id(p["id_number"]).age_on(TODAY)
        assert (p["school"] in codes.SCHOOL_STATUSES) and (bool(p["school"]) == (6 <= age <= 15))
    severe = [p for p in persons if p["level"] in (1, 2)]
    covered = [p for p in severe if "care_subsidy" in p["benefits"]]
    assert 0.6 <= len(covered) / len(severe) < 1  # most receive it; the rest are the shortfall


def test_register_facts_show_the_indicator_rules_working(store: Store) -> None:
    """户籍, insurance schemes, certificate dates, training, 工伤护理费, 低收入家庭."""
    from canxie_tui.domain import validate
    from canxie_tui.excel.roster.columns import same_place
    from canxie_tui.store import certificates
    from canxie_tui.store.indicators import indicators

    people = store.query(
        "SELECT p.*, h.address, h.building, h.unit, h.room, h.flags FROM persons p "
        "JOIN households h ON h.id = p.household_id WHERE p.category IS NOT NULL"
    )
    today = TODAY.isoformat()
    for p in people:
        validate.clean_register_facts(p, TODAY)  # every fact as the person form takes it
        assert "pension_ins" not in p["benefits"] and "medical_ins" not in p["benefits"]
        if p["cert_issued"]:
            assert p["birth_date"] < p["cert_issued"] <= today
        # 人户分离 as the roster import decides it from the two addresses.
        if p["hukou"] == "outside":
            assert p["apart"] and not p["hukou_address"].startswith("重庆")
            assert "living_subsidy" not in p["benefits"] and "care_subsidy" not in p["benefits"]
        else:
            assert p["hukou_address"].startswith("重庆市")
            here = p["address"] + p["building"] + p["unit"] + p["room"]
            assert bool(p["apart"]) == (not same_place(p["hukou_address"], here))
    active = [p for p in people if p["status"] == "active"]

    def share(rows: list[dict[str, Any]], column: str, value: str) -> float:
        return sum(r[column] == value for r in rows) / len(rows)

    adults = [p for p in active if p["birth_date"] <= "2010-11-27"]
    old = [p for p in adults if p["birth_date"] <= "1966-11-27"]
    assert share(old, "pension_scheme", "employee") > 0.35  # urban retirees
    assert (
        0.5
        < share(adults, "pension_scheme", "resident") + share(adults, "pension_scheme", "employee")
        < 0.95
    )
    for column in ("pension_scheme", "medical_scheme"):
        assert {p[column] for p in active} == {"", *codes.INSURANCE_SCHEMES}, column
    outside = [p for p in active if p["hukou"] == "outside"]
    apart = [p for p in active if p["apart"]]
    assert 2 <= len(outside) <= len(active) * 0.05 and len(outside) < len(apart)
    expiring = certificates.expiring(store, TODAY)
    assert 5 <= len(expiring) <= len(active) * 0.1
    assert any(r["days_left"] < 0 for r in expiring) and any(r["days_left"] >= 0 for r in expiring)
    assert sum(p["cert_valid_until"] > today for p in active) > 0.8 * len(active)
    trained = [p for p in active if p["trained_on"] >= f"{TODAY.year}-01-01"]
    assert 3 <= len(trained) <= len(active) * 0.15
    injured = [p for p in active if "injury_care" in p["benefits"]]
    assert injured and all("care_subsidy" not in p["benefits"] for p in injured)
    flags = [set(json.loads(h["flags"])) for h in store.query("SELECT flags FROM households")]
    low_income = [f for f in flags if "low_income" in f]
    assert 3 <= len(low_income) <= len(flags) * 0.1
    assert all(not f & codes.POOR_FLAGS for f in low_income)
    found = {i.key: i for i in indicators(store, TODAY)}
    assert found["pension"].short > 0 and found["pension"].numerator > sum(
        p["pension_scheme"] == "resident" for p in adults
    )  # 城镇职工 counts as insured
    assert found["training"].numerator >= len(trained)


def test_phones_guardians_and_addresses(store: Store) -> None:
    phones = _column(store, "SELECT phone FROM persons WHERE phone != ''")
    assert phones and all(len(p) == 11 and p[0] == "1" and p.isdigit() for p in phones)
    rows = store.query("SELECT * FROM households")
    assert all(r["address"].startswith("观音桥街道") for r in rows)
    assert all(r["grid"] for r in rows)
    place = [r for r in rows if r["building"]]
    assert len(place) > len(rows) / 2
    assert all(r["address"].endswith(r["building"] + r["unit"] + r["room"]) for r in place)
    assert len({r["address"] for r in rows}) == len(rows)
    guarded = store.query(
        "SELECT h.guardian_name, h.guardian_phone FROM persons p "
        "JOIN households h ON h.id = p.household_id "
        "WHERE p.category IN (5, 6) AND p.status = 'active'"
    )
    with_guardian = [g for g in guarded if g["guardian_name"]]
    assert len(with_guardian) >= len(guarded) * 0.5
    assert all(len(g["guardian_phone"]) == 11 for g in with_guardian)
    assert _count(store, "households WHERE emergency_phone != ''") > 0
    heads = store.query(
        "SELECT household_id, count(*) AS n FROM persons WHERE relation = '户主' "
        "GROUP BY household_id"
    )
    assert len(heads) == len(rows) and all(h["n"] == 1 for h in heads)


# -- activity -------------------------------------------------------------------------
def test_visits_use_known_codes_and_stay_in_range(store: Store) -> None:
    visits = store.query("SELECT * FROM visits")
    first = min(v["visit_date"] for v in visits)
    assert "2026-05-01" <= first <= "2026-07-01"
    assert max(v["visit_date"] for v in visits) <= TODAY.isoformat()
    assert {v["method"] for v in visits} == set(codes.VISIT_METHODS)
    assert {v["purpose"] for v in visits} <= set(codes.VISIT_PURPOSES)
    for v in visits:
        assert set(json.loads(v["checklist"])) <= set(codes.VISIT_CHECKLIST)
        assert set(json.loads(v["problems"])) <= set(codes.VISIT_PROBLEMS)
        assert set(json.loads(v["referrals"])) <= set(codes.REFERRALS)
        assert bool(v["problem_text"]) == (v["problems"] != "[]")
    assert sum(v["problems"] != "[]" for v in visits) > 20
    assert sum(v["referrals"] != "[]" for v in visits) > 5
    without_people = _count(
        store,
        "visits v WHERE NOT EXISTS (SELECT 1 FROM visit_visitors x WHERE x.visit_id = v.id) "
        "OR NOT EXISTS (SELECT 1 FROM visit_persons x WHERE x.visit_id = v.id)",
    )
    assert without_people == 0
    assert _count(store, "visit_visitors") > len(visits)  # some visits are made in pairs


def test_no_visits_after_a_person_left_the_register(store: Store) -> None:
    late = _count(
        store,
        "visit_persons vp JOIN visits v ON v.id = vp.visit_id "
        "JOIN persons p ON p.id = vp.person_id "
        "WHERE p.status != 'active' AND v.visit_date >= p.status_date",
    )
    assert late == 0


def test_last_visit_date_is_the_latest_visit_seen(store: Store) -> None:
    wrong = store.query(
        "SELECT p.name, p.last_visit_date, max(v.visit_date) AS latest FROM persons p "
        "LEFT JOIN visit_persons vp ON vp.person_id = p.id "
        "LEFT JOIN visits v ON v.id = vp.visit_id AND v.deleted = 0 "
        "GROUP BY p.id HAVING p.last_visit_date != coalesce(max(v.visit_date), '')"
    )
    assert wrong == []
    assert _count(store, "persons WHERE last_visit_date != ''") > 250
    methods = set(_column(store, "SELECT DISTINCT last_visit_method FROM persons"))
    assert methods - {""} <= set(codes.VISIT_METHODS)


def test_tiers_and_due_dates_follow_the_tier_rules(store: Store) -> None:
    settings = tier_store.get_settings(store)
    rows = store.query(
        "SELECT tier, tier_reason, next_due_date, last_visit_date, created_at FROM persons "
        "WHERE status = 'active' AND category IS NOT NULL"
    )
    assert {r["tier"] for r in rows} == set(settings.intervals)
    for r in rows:
        assert r["tier_reason"]
        last = r["last_visit_date"] or None
        due = next_due(
            date.fromisoformat(last) if last else None,
            settings.intervals[r["tier"]],
            date.fromisoformat(r["created_at"][:10]),
        )
        assert r["next_due_date"] == due.isoformat()
    overdue = [r for r in rows if r["next_due_date"] < TODAY.isoformat()]
    assert 0 < len(overdue) < len(rows) / 3  # a due list to work through, not a backlog
    assert _count(store, "persons WHERE next_due_date != '' AND status != 'active'") == 0
    assert set(_column(store, "SELECT DISTINCT tier FROM visits")) == set(settings.intervals)


def test_followups_open_closed_urgent_and_overdue(store: Store) -> None:
    rows = store.query("SELECT * FROM followups")
    today = TODAY.isoformat()
    open_ = [r for r in rows if r["status"] == "open"]
    closed = [r for r in rows if r["status"] == "closed"]
    assert open_ and closed
    assert any(r["urgent"] for r in rows)
    assert any(r["due_date"] < today for r in open_)  # overdue
    assert all(r["closed_date"] and r["outcome"] for r in closed)
    assert all(not r["closed_date"] for r in open_)
    assert {r["source"] for r in rows} <= {"visit", "attendance", "survey"}


def test_notes_and_revisions(store: Store) -> None:
    notes = store.query("SELECT * FROM notes")
    assert {n["category"] for n in notes} == set(codes.NOTE_CATEGORIES)
    revised = store.query(
        "SELECT n.version, count(r.pk) AS revisions, max(r.revision) AS last FROM notes n "
        "JOIN note_revisions r ON r.note_id = n.id GROUP BY n.id"
    )
    assert revised
    assert all(r["version"] == r["revisions"] + 1 == r["last"] + 1 for r in revised)
    unrevised = _count(
        store,
        "notes n WHERE version != 1 AND NOT EXISTS "
        "(SELECT 1 FROM note_revisions r WHERE r.note_id = n.id)",
    )
    assert unrevised == 0


def test_daycare_members_closures_and_attendance(store: Store) -> None:
    members = store.query("SELECT * FROM daycare_members")
    for m in members:
        services = json.loads(m["services"])
        assert services and set(services) <= set(codes.DAYCARE_SERVICES)
        assert m["weekdays"] and set(m["weekdays"]) <= set("12345")
    closures = set(_column(store, "SELECT day FROM daycare_closures"))
    assert {"2026-10-01", "2026-10-02"} <= closures  # 国庆节
    assert all(date.fromisoformat(d).weekday() < 5 for d in closures)
    rows = store.query(
        "SELECT a.*, m.weekdays FROM attendance a JOIN daycare_members m ON m.id = a.member_id"
    )
    statuses = Counter(r["status"] for r in rows)
    assert statuses["present"] > 0.75 * len(rows) and statuses["leave"] and statuses["absent"]
    for r in rows:
        day = date.fromisoformat(r["day"])
        assert r["day"] not in closures
        assert str(day.isoweekday()) in r["weekdays"]
        assert day <= TODAY
        if r["status"] != "present":
            assert r["meal"] == r["half_day"] == 0 and r["arrival_time"] == ""
    assert any(r["half_day"] for r in rows) and any(r["meal"] for r in rows)


# -- search and determinism -----------------------------------------------------------
def test_search_finds_people_by_name_and_id_tail(store: Store) -> None:
    name, person_id, id_number = store.query(
        "SELECT name, id, id_number FROM persons WHERE length(name) = 2 "
        "AND status = 'active' ORDER BY pk LIMIT 1"
    )[0].values()
    found = search.search(store, name, limit=200)
    assert person_id in {h.person_id for h in found.hits}
    assert found.hits[0].name == name
    by_tail = search.search(store, id_number[-4:], limit=200)
    assert person_id in {h.person_id for h in by_tail.hits}
    assert _count(store, "person_fts") == _count(store, "persons")


def test_same_seed_same_content_other_seed_other_content(tmp_path: Path, store: Store) -> None:
    sql = (
        "SELECT name, id_number, cert_number, household_id, benefits, hukou, hukou_address, "
        "pension_scheme, medical_scheme, cert_issued, cert_valid_until, trained_on "
        "FROM persons ORDER BY pk"
    )
    again, _ = _build(tmp_path / "again.db")
    other, _ = _build(tmp_path / "other.db", seed=2)
    try:
        expected = store.query(sql)
        assert again.query(sql) == expected
        assert again.query("SELECT id, visit_date FROM visits ORDER BY pk") == store.query(
            "SELECT id, visit_date FROM visits ORDER BY pk"
        )
        assert other.query(sql) != expected
    finally:
        again.close()
        other.close()


def test_register_only_and_progress(tmp_path: Path) -> None:
    seen: list[tuple[str, int, int]] = []
    store, counts = _build(tmp_path / "r.db", activity=False, progress=lambda *a: seen.append(a))
    try:
        assert counts["visits"] == counts["attendance"] == counts["notes"] == 0
        assert _count(store, "visits") == 0
        assert search.search(store, "王芳").hits
        assert seen[-1][0] == "完成"
        assert all(0 <= done <= total for _, done, total in seen)
        assert {"生成户籍", "建立搜索索引"} <= {label for label, _, _ in seen}
    finally:
        store.close()


def test_refuses_a_database_that_has_data(store: Store) -> None:
    before = _count(store, "audit_log")
    with pytest.raises(StoreError, match="空数据库"):
        build_demo(store, today=TODAY)
    assert _count(store, "audit_log") == before


def test_subsidy_histories_give_the_check_something_to_find(store: Store) -> None:
    """A 一级 person who died two months ago still marked 享受, an eligible 一级 person
    who never applied, and the register's ticks saying each latest decision."""
    from canxie_tui.domain.subsidies import KIND_OF_CODE
    from canxie_tui.store.subsidies import latest_receiving
    from canxie_tui.store.subsidy_check import check

    found = check(store, "2026-11")
    died = [i for i in found.stop if i.reason == "死亡" and i.since == "2026-09-08"]
    assert died and died[0].overpaid_months == ("2026-10", "2026-11")
    assert died[0].overpaid == 2 * died[0].amount > 0
    assert any(i.kind == "care" and i.reason.startswith("一级") for i in found.start)
    ids = _column(store, "SELECT id FROM persons WHERE category IS NOT NULL")
    receiving = latest_receiving(store, ids)
    for pid, text in store.db.conn.execute("SELECT id, benefits FROM persons"):
        ticked = {KIND_OF_CODE[c] for c in json.loads(text) if c in KIND_OF_CODE}
        assert ticked == receiving.get(pid, set()), pid
