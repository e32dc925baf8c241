"""The home screen's numbers: visits this month, who is due, follow-ups, indicators.

A hand-built November 2026 ("today" is the 29th) and a small register for the 专栏1
indicators, counted by the definitions in canxie_tui.domain.indicators.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from canxie_tui.domain.indicators import INDICATORS, Indicator
from canxie_tui.domain.models import Person
from canxie_tui.store import dashboard, followups, register, visits
from canxie_tui.store import indicators as store_indicators
from canxie_tui.store.connection import Store
from tests.conftest import NOW, TODAY, Clock, Make, open_store


@dataclass
class Month:
    zhao: Person  # A (独居 + 重度)
    qian: Person  # B (低保)
    sun: Person  # C
    li: Person  # B (智力), last seen 10-01: overdue
    fresh: Person  # registered today, never visited: due today


@pytest.fixture
def month(store: Store, make: Make) -> Month:
    clock = Clock(date(2026, 9, 1))
    store.clock = clock
    zhao = make.person(make.household("建新东路1号", flags=["alone"]), "赵一", category=4, level=1)
    h2 = make.household("建新东路2号", flags=["dibao"])
    qian = make.person(h2, "钱二", category=4, level=4)
    make.person(h2, "钱母", category=None, relation="父母")
    sun = make.person(make.household("建新东路3号"), "孙三", category=4, level=4)
    li = make.person(make.household("建新东路4号"), "李四", category=5, level=4)
    gone = make.person(make.household("建新东路5号"), "周五", category=4, level=4)
    clock.set(NOW)
    fresh = make.person(make.household("建新东路6号"), "吴六", category=4, level=3)

    make.visit("2026-10-31", zhao)  # last month: not counted
    make.visit("2026-11-01", zhao)
    make.visit("2026-11-15", zhao)
    make.visit(
        "2026-11-15",
        qian,
        method="phone",
        followup_what="协助办理低保复核",
        followup_due="2026-11-20",
    )
    make.visit("2026-11-29", sun, method="wechat")
    make.visit("2026-10-01", li, method="meet")
    withdrawn = make.visit("2026-11-20", li)
    visits.withdraw_visit(store, withdrawn, "误录")
    register.change_status(store, gone, "moved", "2026-10-15", "迁往渝北区")

    followups.add_followup(store, sun.household_id, "送辅具申请表", "2026-12-05")
    done = followups.add_followup(store, zhao.household_id, "更换制氧机滤芯", "2026-11-25")
    followups.close_followup(store, done, "已更换", "2026-11-24")
    return Month(zhao, qian, sun, li, fresh)


def test_month_visits_and_households(store: Store, month: Month) -> None:
    stats = dashboard.dashboard(store).month

    assert stats.visits == 4
    assert stats.households_visited == 3
    # Households with someone in the register: the moved-out one is not counted.
    assert stats.households_total == 5
    assert stats.by_method == {"home": 2, "phone": 1, "wechat": 1}
    assert stats.by_tier == {"A": 2, "B": 1, "C": 1}


def test_per_day_runs_from_the_first_to_today(store: Store, month: Month) -> None:
    per_day = dashboard.dashboard(store).month.per_day

    assert len(per_day) == TODAY.day == 29
    assert per_day[0] == 1  # 11-01
    assert per_day[14] == 2  # 11-15: two households
    assert per_day[19] == 0  # 11-20: the withdrawn visit
    assert per_day[28] == 1  # today
    assert sum(per_day) == 4


def test_per_day_for_an_earlier_day(store: Store, month: Month) -> None:
    stats = dashboard.month_stats(store, date(2026, 11, 15))
    assert stats.per_day == [1] + [0] * 13 + [2]
    assert stats.visits == 3
    assert stats.by_method == {"home": 2, "phone": 1}


def test_due_and_followup_counts(store: Store, month: Month) -> None:
    board = dashboard.dashboard(store)

    assert board.today == TODAY
    assert board.overdue == 2  # 赵一 (due 11-22), 李四 (due 10-31)
    assert board.due_today == 1  # 吴六, registered today
    assert board.followups_open == 2
    assert board.followups_overdue == 1  # 低保复核, due 11-20
    assert [i.key for i in board.indicators] == [spec.key for spec in INDICATORS]


def test_counts_follow_a_new_visit(store: Store, make: Make, month: Month) -> None:
    make.visit("今天", month.li, method="home")
    make.visit("今天", month.fresh, method="phone")
    board = dashboard.dashboard(store)
    assert (board.overdue, board.due_today) == (1, 0)
    assert board.month.visits == 6
    assert board.month.households_visited == 5
    assert board.month.per_day[-1] == 3
    assert board.month.by_method == {"home": 3, "phone": 2, "wechat": 1}


def test_empty_register(store: Store) -> None:
    board = dashboard.dashboard(store)
    assert (board.overdue, board.due_today, board.followups_open) == (0, 0, 0)
    assert board.month.households_total == 0
    assert board.month.per_day == [0] * 29
    assert all(i.denominator == 0 and i.short == 0 for i in board.indicators)
    assert {i.rate_text for i in board.indicators if i.kind == "rate"} == {"—"}


def test_month_stats_in_leap_february(tmp_path: Path) -> None:
    clock = Clock(date(2028, 1, 2))
    store = open_store(tmp_path / "leap.db", clock=clock)
    try:
        make = Make(store)
        person = make.person(make.household("江北城1号"), "周A", category=4, level=4)
        clock.set(date(2028, 3, 1))
        make.visit("2028-01-31", person)
        make.visit("2028-02-01", person)
        make.visit("2028-02-29", person, method="phone")
        make.visit("2028-03-01", person)

        feb = dashboard.month_stats(store, date(2028, 2, 29))
        assert len(feb.per_day) == 29
        assert (feb.per_day[0], feb.per_day[28], feb.visits) == (1, 1, 2)
        assert feb.by_method == {"home": 1, "phone": 1}
        march = dashboard.dashboard(store).month
        assert (march.per_day, march.visits) == ([1], 1)
    finally:
        store.close()


# -- indicators ---------------------------------------------------------------------------


@dataclass
class Indicated:
    p1: Person  # 低保户, 一级: everything received
    p2: Person  # 低保边缘, 二级: no 护理补贴, no 养老保险
    p3: Person  # 10 years old, at school, needs rehabilitation
    p4: Person  # 10 years old, not enrolled, no 医保
    p7: Person  # 特困, 二级: everything, renovated
    p8: Person  # 16 today: counted for the pension
    p9: Person  # 16 tomorrow: still a child for compulsory education


@pytest.fixture
def indicated(store: Store, make: Make) -> Indicated:
    h1 = make.household("建新东路1号", building="1栋", grid="第一网格", flags=["dibao"])
    p1 = make.person(
        h1,
        "甲一",
        category=4,
        level=1,
        benefits=["living_subsidy", "care_subsidy"],
        pension_scheme="resident",
        medical_scheme="resident",
    )
    make.person(h1, "甲母", category=None, relation="父母")  # no certificate: not counted
    h2 = make.household("建新东路2号", building="2栋", grid="第一网格", flags=["dibao_edge"])
    p2 = make.person(
        h2,
        "乙二",
        category=4,
        level=2,
        birth=date(1970, 3, 8),
        phone="13900000002",
        benefits=["family_doctor", "barrier_free_needed"],
        medical_scheme="resident",
    )
    h3 = make.household("建新东路3号", building="3栋", grid="第二网格")
    p3 = make.person(
        h3,
        "丙三",
        category=5,
        level=4,
        birth=date(2016, 3, 1),
        school="regular",
        benefits=["in_school", "rehab_needed"],
        medical_scheme="resident",
    )
    p4 = make.person(
        h3,
        "丙四",
        category=2,
        level=3,
        birth=date(2015, 12, 15),
        school="not_enrolled",
        relation="子女",
    )
    h7 = make.household("建新东路7号", building="7栋", grid="第二网格", flags=["tekun"])
    p7 = make.person(
        h7,
        "庚七",
        category=1,
        level=2,
        birth=date(1950, 1, 1),
        benefits=["living_subsidy", "care_subsidy", "family_doctor", "barrier_free_done"],
        pension_scheme="resident",
        medical_scheme="resident",
    )
    h8 = make.household("建新东路8号", building="8栋", grid="第二网格")
    p8 = make.person(
        h8, "辛八", category=4, level=4, birth=date(2010, 11, 29), medical_scheme="employee"
    )
    p9 = make.person(
        h8,
        "壬九",
        category=4,
        level=4,
        birth=date(2010, 11, 30),
        school="special",
        medical_scheme="resident",
        relation="子女",
    )
    gone = make.person(make.household("建新东路9号", flags=["dibao"]), "癸十", category=4, level=1)
    register.change_status(store, gone, "moved", "2026-11-01", "迁出")
    return Indicated(p1, p2, p3, p4, p7, p8, p9)


def _by_key(items: list[Indicator]) -> dict[str, Indicator]:
    return {i.key: i for i in items}


def test_indicator_numerators_and_denominators(store: Store, indicated: Indicated) -> None:
    got = _by_key(store_indicators.indicators(store, TODAY))
    ind = indicated

    def check(key: str, n: int, d: int, short: set[Person]) -> None:
        i = got[key]
        assert (i.numerator, i.denominator) == (n, d), key
        assert set(i.shortfall) == {p.id for p in short}, key

    check("dibao_coverage", 2, 3, {ind.p2})  # 低保 + 特困 of the three 困难
    check("living_subsidy", 1, 1, set())  # 低保 only: 特困 people receive 特困供养
    check("care_subsidy", 2, 3, {ind.p2})  # 一级/二级 without 护理补贴
    check("pension", 2, 4, {ind.p2, ind.p8})  # 16+, not at school
    check("medical", 6, 7, {ind.p4})
    check("education", 2, 3, {ind.p4})  # aged 6-15
    check("family_doctor", 2, 7, {ind.p1, ind.p3, ind.p4, ind.p8, ind.p9})
    check("rehab", 0, 1, {ind.p3})
    check("device", 0, 0, set())
    # 困难 households with a 重度 member that need it or have it; 甲一's needs none.
    check("barrier_free", 1, 2, {ind.p2})
    assert got["barrier_free"].unit == "户"
    assert got["care_subsidy"].rate_text == "66.7%"
    assert not got["care_subsidy"].met
    assert got["living_subsidy"].met
    assert got["device"].rate_text == "—"


def test_shortfall_lists_people_with_addresses(store: Store, indicated: Indicated) -> None:
    indicator, rows = store_indicators.shortfall(store, "care_subsidy", TODAY)
    assert indicator.name == "重度残疾人护理补贴覆盖率"
    assert [(r["name"], r["address"], r["building"], r["phone"]) for r in rows] == [
        ("乙二", "建新东路2号", "2栋", "13900000002")
    ]
    assert rows[0]["level"] == 2

    _, rows = store_indicators.shortfall(store, "pension", TODAY)
    assert [(r["name"], r["grid"], r["address"]) for r in rows] == [
        ("乙二", "第一网格", "建新东路2号"),
        ("辛八", "第二网格", "建新东路8号"),
    ]
    _, rows = store_indicators.shortfall(store, "barrier_free", TODAY)
    assert [r["name"] for r in rows] == ["乙二"]
    _, rows = store_indicators.shortfall(store, "device", TODAY)
    assert rows == []


def test_shortfall_shrinks_when_the_benefit_is_recorded(
    store: Store, make: Make, indicated: Indicated
) -> None:
    p2 = register.get_person(store, indicated.p2.id)
    values = {
        "name": p2.name,
        "id_number": p2.id_number,
        "cert_number": p2.cert_number,
        "category": p2.category,
        "level": p2.level,
        "relation": p2.relation,
        "phone": p2.phone,
        "benefits": [*p2.benefits, "care_subsidy"],
    }
    register.update_person(store, p2, values)

    indicator, rows = store_indicators.shortfall(store, "care_subsidy", TODAY)
    assert (indicator.numerator, indicator.denominator) == (3, 3)
    assert indicator.met
    assert rows == []
