"""The indicators counted in SQL give what the reference `compute` gives, person by person.

A register built through the store's own write path, with the cases that SQL could
get wrong: birthdays today and tomorrow at both age limits (6 and 16), leap-day
births counted on 02-28, 02-29 and 03-01, empty code lists, people no longer active,
family members without a certificate, households with several members, unknown
birth dates and a certificate holder without a level (imported data).  For several
reporting days, every indicator's numerator, denominator and shortfall list must
match `compute(person_facts(...))`, and the numbers a worker would read are checked
by hand for the reporting day.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pytest

from canxie_tui.domain.indicators import INDICATORS, Indicator, Shortfall, compute
from canxie_tui.domain.models import Household, Person
from canxie_tui.domain.subsidies import CHONGQING_2026
from canxie_tui.store import dashboard, register, subsidies
from canxie_tui.store import indicators as store_indicators
from canxie_tui.store.connection import Store
from tests.conftest import TODAY, Make

ALL = ["living_subsidy", "care_subsidy", "pension_ins", "medical_ins", "family_doctor"]
# The old yes/no insurance ticks, written as the schemes the register now records.
SCHEMES = {"pension_ins": "pension_scheme", "medical_ins": "medical_scheme"}
# Reporting days around the leap-day births and the register's own day (2026-11-29).
DAYS = [
    TODAY,
    date(2026, 11, 30),
    date(2026, 2, 28),
    date(2026, 3, 1),
    date(2027, 2, 28),
    date(2027, 3, 1),
    date(2028, 2, 28),
    date(2028, 2, 29),
    date(2028, 3, 1),
    date(2032, 2, 29),
]


@dataclass
class Register:
    people: dict[str, Person]  # by name (the second 甲孩 is "甲孩7")


def _set(store: Store, person: Person, **columns: object) -> None:
    """Imported data the form would refuse (no birth date, no level): written directly."""
    sets = ", ".join(f"{column} = ?" for column in columns)
    store.db.conn.execute(f"UPDATE persons SET {sets} WHERE id = ?", [*columns.values(), person.id])
    store.db.conn.commit()


@pytest.fixture
def built(store: Store, make: Make) -> Register:
    p: dict[str, Person] = {}

    def add(home: Household, name: str, key: str = "", **values: Any) -> None:
        benefits = values.pop("benefits", [])
        for tick, column in SCHEMES.items():
            if tick in benefits:
                values.setdefault(column, "resident")
        values["benefits"] = [b for b in benefits if b not in SCHEMES]
        p[key or name] = make.person(home, name, **values)

    # 低保 household of three: 一级 with everything; a child at school (birthday
    # today: 12); a family member without a certificate (not counted, even renovated).
    h1 = make.household("建新东路1号", building="1栋", grid="第一网格", flags=["dibao"])
    add(h1, "甲户主", level=1, birth=date(1975, 6, 1), benefits=[*ALL, "barrier_free_done"])
    add(
        h1,
        "甲孩",
        category=5,
        level=2,
        birth=date(2014, 11, 29),
        school="regular",
        benefits=["medical_ins", "in_school", "rehab_received", "living_subsidy"],
        relation="子女",
    )
    add(h1, "甲母", category=None, relation="父母", benefits=["barrier_free_done"])

    # 特困 and 低保边缘 together: covered.  Two 重度 members, nobody renovated; the
    # renovated one has moved away (no longer counts).
    h2 = make.household(
        "建新东路2号", building="2栋", grid="第一网格", flags=["dibao_edge", "tekun"]
    )
    add(
        h2,
        "乙一",
        level=2,
        birth=date(1950, 2, 28),
        benefits=["pension_ins", "device_needed", "barrier_free_needed"],
    )
    add(h2, "乙二", level=1, birth=date(1952, 3, 1), benefits=["care_subsidy", "medical_ins"])
    add(h2, "乙走", level=1, birth=date(1960, 1, 1), benefits=[*ALL, "barrier_free_done"])

    # 低保边缘 only: candidates to check.  The 重度 member is short; a 四级 member has
    # the renovation, which covers the household.
    h3 = make.household("建新东路3号", building="3栋", grid="第二网格", flags=["dibao_edge"])
    add(h3, "丙一", level=1, birth=date(1980, 12, 31), benefits=[])
    add(h3, "丙二", level=4, birth=date(1982, 1, 1), benefits=["barrier_free_done", "medical_ins"])

    # 困难 without a 重度 member (not counted for renovation); a deceased 一级 member.
    h4 = make.household("建新东路4号", building="4栋", grid="第二网格", flags=["dibao", "alone"])
    add(h4, "丁一", level=3, birth=date(1990, 5, 5), benefits=["living_subsidy"])
    add(h4, "丁故", level=1, birth=date(1940, 5, 5), benefits=[])

    # No flags at all ('[]'), several members around the age limits.
    h5 = make.household("建新东路5号", building="5栋", grid="第二网格")
    add(h5, "戊十六今", level=4, birth=date(2010, 11, 29), benefits=["medical_ins"])
    add(h5, "戊十六明", level=4, birth=date(2010, 11, 30), school="special", benefits=[])
    add(h5, "戊六今", level=3, birth=date(2020, 11, 29), school="not_enrolled", benefits=[])
    add(h5, "戊六明", category=6, level=3, birth=date(2020, 11, 30), school="regular")
    add(h5, "戊学生", level=2, birth=date(2008, 9, 1), benefits=["in_school", "care_subsidy"])
    add(h5, "戊闰十六", level=4, birth=date(2012, 2, 29), school="home", benefits=["medical_ins"])
    add(h5, "戊闰六", level=4, birth=date(2020, 2, 29), school="home", benefits=["rehab_needed"])

    # Other flags only; 重度 with the renovation but not 困难.  Unknown birth dates
    # (NULL and empty) and a certificate without a level, as imported data may hold.
    h6 = make.household("建新东路6号", building="6栋", grid="第三网格", flags=["empty_nest"])
    add(h6, "己一", level=2, birth=date(1958, 8, 8), benefits=["barrier_free_done", *ALL])
    add(h6, "己无生日", level=4, benefits=["pension_ins", "device_fitted", "device_needed"])
    add(h6, "己空生日", level=4, benefits=["rehab_needed", "rehab_received"])
    add(h6, "己无等级", level=4, birth=date(1970, 7, 7), benefits=["family_doctor"])

    # A second person of the same name, building and grid (the list keeps both).  特困
    # and 重度, but no renovation needed: the household is not counted for it.
    h7 = make.household("建新东路7号", building="1栋", grid="第一网格", flags=["tekun"])
    add(h7, "甲孩", "甲孩7", level=1, birth=date(1999, 9, 9), benefits=["medical_ins"])

    # 低保 with 户籍 outside Chongqing (no 两项补贴 due); an employee-scheme retiree
    # (insured); 一级 on 工伤保险护理费 (no 护理补贴 due); trained this year.
    h8 = make.household("建新东路8号", building="8栋", grid="第三网格", flags=["dibao"])
    add(h8, "庚外地", level=1, birth=date(1970, 3, 3), hukou="outside", benefits=["medical_ins"])
    add(
        h8,
        "庚职工",
        level=4,
        birth=date(1958, 4, 4),
        pension_scheme="employee",
        medical_scheme="employee",
        benefits=["living_subsidy"],
        trained_on="2026-05-06",
    )
    add(h8, "庚工伤", level=1, birth=date(1975, 5, 5), benefits=["injury_care", "living_subsidy"])

    register.change_status(store, p["乙走"], "moved", "2026-11-01", "迁出")
    register.change_status(store, p["丁故"], "deceased", "2026-10-01", "去世")
    _set(store, p["己无生日"], birth_date=None)
    _set(store, p["己空生日"], birth_date="")
    _set(store, p["己无等级"], level=None)
    store_indicators._cache.clear()  # the direct writes leave no audit entry
    return Register(p)


def _reference(store: Store, day: date) -> dict[str, Indicator]:
    facts = store_indicators.person_facts(store, day)
    return {i.key: i for i in compute(facts, store_indicators.options(store, day))}


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_sql_counts_match_the_reference(store: Store, built: Register, day: date) -> None:
    reference = _reference(store, day)
    store_indicators._cache.clear()
    got = store_indicators.indicators(store, day)
    assert [i.key for i in got] == [spec.key for spec in INDICATORS]
    for ind in got:
        ref = reference[ind.key]
        assert (ind.numerator, ind.denominator) == (ref.numerator, ref.denominator), ind.key
        assert len(ind.shortfall) == len(ref.shortfall), ind.key
        assert (ind.rate_text, ind.met) == (ref.rate_text, ref.met), ind.key
        # The list itself, in the same order, read for this one indicator.
        assert tuple(store_indicators.shortfall_ids(store, ind.key, day)) == ref.shortfall
        assert ind == ref  # every field, the lazily read list included


@pytest.mark.parametrize(("low_income", "extended"), [(True, False), (False, True), (True, True)])
def test_the_districts_extensions_count_alike(
    store: Store, built: Register, low_income: bool, extended: bool
) -> None:
    rules = replace(
        CHONGQING_2026,
        living_low_income=low_income,
        care_extended=extended,
        care_extended_amount=90 if extended else 0,
    )
    subsidies.save_rule_set(store, rules)
    got = {i.key: i for i in store_indicators.indicators(store, TODAY)}
    reference = _reference(store, TODAY)
    for key in ("living_subsidy", "care_subsidy"):
        assert got[key] == reference[key], key
    # 生活补贴 for 低收入: the 低保边缘 丙一 丙二 join; 护理补贴 extended: 三、四级 智力/精神
    # (戊六明, 三级精神, joins; 甲孩, 二级智力, was eligible already).
    assert got["living_subsidy"].denominator == (7 if low_income else 5)
    assert got["care_subsidy"].denominator == (9 if extended else 8)


def _names(store: Store, ids: Iterable[str]) -> list[str]:
    found = {r["id"]: r["name"] for r in store.query("SELECT id, name FROM persons")}
    return sorted(found[pid] for pid in ids)


def test_what_the_dashboard_shows_on_the_day(store: Store, built: Register) -> None:
    got = {i.key: i for i in dashboard.dashboard(store).indicators}

    def check(key: str, n: int, d: int, short: list[str]) -> None:
        ind = got[key]
        assert (ind.numerator, ind.denominator) == (n, d), key
        assert _names(store, ind.shortfall) == sorted(short), key

    # 22 active certificate holders (甲母 has no certificate; 乙走 moved; 丁故 died).
    # 低保/特困 households 1 2 4 7 8 (9 people) + the 一级 丙一 of the 低保边缘 3号;
    # 丙二 (四级, 低保边缘) is not eligible.
    check("dibao_coverage", 9, 10, ["丙一"])
    # 低保, 重庆户籍, not 特困: 甲户主 甲孩 丁一 庚职工 庚工伤 (2号 is 特困; 庚外地 市外).
    check("living_subsidy", 5, 5, [])
    # 重度 with 重庆户籍, not on 工伤护理费: 甲户主 甲孩 乙一 乙二 丙一 戊学生 己一 甲孩(7号).
    check("care_subsidy", 4, 8, ["甲孩", "乙一", "丙一", "甲孩"])
    # 16 and over, not at school: 戊十六今 turns 16 today (counted), 戊十六明 tomorrow
    # (not); 戊学生 is a student; unknown birth dates are left out; 庚职工 is insured
    # on the employee scheme.
    check(
        "pension",
        4,
        13,
        ["乙二", "丙一", "丙二", "丁一", "戊十六今", "己无等级", "甲孩", "庚外地", "庚工伤"],
    )
    medical_short = ["乙一", "丙一", "丁一", "戊十六明", "戊六今", "戊六明", "戊学生", "戊闰六"]
    check("medical", 10, 22, [*medical_short, "己无生日", "己空生日", "己无等级", "庚工伤"])
    # 家庭医生: only 甲户主, 己一 and 己无等级 have signed.
    assert (got["family_doctor"].numerator, got["family_doctor"].denominator) == (3, 22)
    assert len(got["family_doctor"].shortfall) == 19
    check("rehab", 2, 3, ["戊闰六"])
    check("device", 1, 2, ["乙一"])
    # 无障碍: 困难 with a 重度 member needing or having had it: 1号 (done by 甲户主),
    # 2号 (乙一 needs it; the renovated member moved away), 3号 (done by the 四级 丙二).
    # 7号 and 8号 need none; 4号's 一级 member died.
    check("barrier_free", 2, 3, ["乙一", "乙二"])
    # 6-15: 甲孩 (12 today), 戊十六明 (15), 戊六今 (6 today), 戊闰十六 (14), 戊闰六 (6);
    # not 戊六明 (6 tomorrow).  Not enrolled: 戊六今.
    check("education", 4, 5, ["戊六今"])
    assert got["barrier_free"].unit == "户"
    assert (got["training"].numerator, got["training"].rate_text) == (1, "1人")
    assert (got["medical"].rate_text, got["pension"].rate_text) == ("45.5%", "30.8%")


def test_a_benefit_recorded_moves_the_counts(store: Store, make: Make, built: Register) -> None:
    before = {i.key: i for i in store_indicators.indicators(store, TODAY)}
    person = register.get_person(store, built.people["丙一"].id)
    values = {
        "name": person.name,
        "id_number": person.id_number,
        "cert_number": person.cert_number,
        "category": person.category,
        "level": person.level,
        "relation": person.relation,
        "benefits": ["care_subsidy"],
        "pension_scheme": "employee",
    }
    register.update_person(store, person, values)
    after = {i.key: i for i in store_indicators.indicators(store, TODAY)}
    assert (before["care_subsidy"].numerator, after["care_subsidy"].numerator) == (4, 5)
    assert (before["pension"].numerator, after["pension"].numerator) == (4, 5)
    assert len(after["care_subsidy"].shortfall) == 3
    assert person.id not in after["care_subsidy"].shortfall
    assert after == _reference(store, TODAY)


def test_empty_register_counts_nothing(store: Store) -> None:
    for ind in store_indicators.indicators(store, TODAY):
        assert (ind.numerator, ind.denominator, len(ind.shortfall)) == (0, 0, 0)
        assert ind.rate_text == {"rate": "—", "count": "0人", "external": "由区残联统计"}[ind.kind]
        assert list(ind.shortfall) == []


def test_shortfall_is_read_only_when_opened() -> None:
    calls: list[int] = []

    def load() -> list[str]:
        calls.append(1)
        return ["P1", "P2"]

    short = Shortfall(2, load)
    assert len(short) == 2 and bool(short)
    assert repr(short) == "Shortfall(2)"
    assert calls == []  # the dashboard's "缺2人" reads no one
    assert list(short) == ["P1", "P2"]
    assert short[1] == "P2" and short[:1] == ("P1",)
    assert short == ("P1", "P2")
    assert ("P1", "P2") == short  # noqa: SIM300 (a tuple on the left: the reflected ==)
    assert "P1" in short
    assert calls == [1]  # read once
    assert not Shortfall(0, lambda: [])


def test_each_persons_subsidies_are_looked_up_by_person(store: Store, built: Register) -> None:
    """Issue 17: without statistics SQLite chose the index led by the state for the
    per-person 两项补贴 lookups, reading every 享受 entry for each person: the
    dashboard's first figures took 4 s at district scale instead of 0.15 s.  Every
    per-person lookup (the indicator counts, the facts, the roster's matching) names
    the person's index."""
    from canxie_tui.excel.roster import plan

    day = TODAY
    params = store_indicators._params(day, store_indicators.options(store, day))
    queries = [
        store_indicators._counts_sql("1"),
        f"SELECT {store_indicators._FACTS_COLUMNS} FROM persons p "
        "JOIN households h ON h.id = p.household_id",
        f"SELECT {plan._SUBSIDY_COLUMNS} FROM persons",
    ]
    for sql in queries:
        steps = [row[3] for row in store.db.conn.execute(f"EXPLAIN QUERY PLAN {sql}", params)]
        lookups = [s for s in steps if "subsidies" in s or " s " in f" {s} "]
        assert lookups and all("idx_subsidies_person" in s for s in lookups), steps
