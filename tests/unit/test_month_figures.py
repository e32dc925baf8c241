"""The month's figures (store.monthly): one definition for the 汇总 and the district report.

The clock stands at Saturday 2026-12-05, so November is a past month (counted to
its last day, 11-30) and December the current one (counted to today).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Person
from canxie_tui.excel.district import report
from canxie_tui.excel.district.merge import merge
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.store import duelist, register, session, site, visits
from canxie_tui.store.connection import Store
from canxie_tui.store.district import set_district
from canxie_tui.store.monthly import WHOLE, month_figures, month_period, summarize_month
from canxie_tui.store.register_changes import register_changes
from tests.conftest import DISTRICT_SECRET, SITE, Clock, Make, build_month, open_store

LATER = date(2026, 12, 5)


def _person(
    store: Store, make: Make, clock: Clock, day: date, name: str, **values: object
) -> Person:
    """Someone registered on `day`, alone in a household of their own."""
    clock.set(day)
    return make.person(make.household(f"建新东路{name}号"), name, **values)


def _visit(make: Make, clock: Clock, day: date, person: Person) -> None:
    clock.set(day)
    make.visit(day, person)


def test_overdue_at_month_end_is_no_visit_within_the_tiers_interval(
    store: Store, make: Make
) -> None:
    clock = Clock(date(2026, 9, 1))
    store.clock = clock
    september = date(2026, 9, 1)
    # Level 2 is severe: tier B, every 30 days.  Level 4 of 视力: tier C, every 90 days.
    on_time = _person(store, make, clock, september, "甲", category=4, level=2)
    late = _person(store, make, clock, september, "乙", category=4, level=2)
    quarterly = _person(store, make, clock, september, "丙", category=1, level=4)
    _person(store, make, clock, september, "丁", category=1, level=4)  # never visited
    withdrawn = _person(store, make, clock, september, "戊", category=4, level=2)
    left = _person(store, make, clock, september, "庚", category=1, level=4)
    leaves_later = _person(store, make, clock, september, "辛", category=1, level=4)
    _person(store, make, clock, date(2026, 12, 1), "壬", category=1, level=4)
    tier = "SELECT tier FROM persons WHERE id = ?"
    assert [store.scalar(tier, (p.id,)) for p in (on_time, quarterly)] == ["B", "C"]

    _visit(make, clock, date(2026, 10, 31), on_time)  # due 11-30: on the day, not overdue
    _visit(make, clock, date(2026, 10, 30), late)  # due 11-29: overdue at 11-30
    _visit(make, clock, date(2026, 9, 2), quarterly)  # due 12-01
    _visit(make, clock, date(2026, 12, 2), quarterly)  # after November: not counted there
    _visit(make, clock, date(2026, 10, 1), withdrawn)
    clock.set(date(2026, 11, 20))
    mistake = make.visit(date(2026, 11, 20), withdrawn)
    visits.withdraw_visit(store, mistake, "录错了")  # a withdrawn visit is no visit
    clock.set(LATER)
    register.change_status(
        store, register.get_person(store, left.id), "moved", "2026-11-15", "迁出"
    )
    register.change_status(
        store, register.get_person(store, leaves_later.id), "moved", "2026-12-03", "迁出"
    )

    november = month_period(store, 2026, 11)
    assert november.until == date(2026, 11, 30)
    figures = month_figures(store, november)
    # 乙 late, 丁 never visited, 戊 only withdrawn since 10-01, 辛 left after the month.
    assert figures[WHOLE].overdue == 4
    assert figures[WHOLE].persons == 6  # all but 庚 (left 11-15) and 壬 (registered 12-01)
    assert summarize_month(store, 2026, 11).overdue == 4
    # Grouped by division, a community database is one group with the same figures.
    assert month_figures(store, november, by_division=True) == {SITE.code: figures[WHOLE]}

    # The current month counts to today, as the due list does: 甲 and 壬 are due by now,
    # 丙 was visited on 12-02 and 辛 has left.
    december = month_period(store, 2026, 12)
    assert december.until == LATER
    assert month_figures(store, december)[WHOLE].overdue == 5
    assert duelist.due_counts(store, LATER)["overdue"] == 5


def test_the_month_period_refuses_bad_and_future_months(store: Store) -> None:
    with pytest.raises(InputError, match="月应在 1–12 之间"):
        month_period(store, 2026, 13)
    with pytest.raises(InputError, match="年份应在 1900 年以后"):
        month_period(store, 1899, 12)
    with pytest.raises(InputError, match="还没有到，不能导出以后月份的月报"):
        month_period(store, 2026, 12)
    with pytest.raises(InputError, match="还没有到，不能汇总以后月份"):
        month_period(store, 2027, 1, refused="汇总以后月份")


def _clock() -> datetime:
    return datetime(LATER.year, LATER.month, LATER.day, 10)


def test_a_merged_return_gives_the_district_the_communitys_figures(tmp_path: Path) -> None:
    community = open_store(tmp_path / "community.db", clock=_clock)
    make = Make(community)
    clock = Clock(date(2026, 9, 1))
    community.clock = clock
    # Overdue at the end of November: visited 10-01 on a monthly (B) round.
    overdue = _person(community, make, clock, date(2026, 9, 1), "陈刚", category=4, level=2)
    _visit(make, clock, date(2026, 10, 1), overdue)
    # Not overdue: visited 10-08 on a quarterly (C) round, then again after the month, so
    # the register says "last visit 12-02" and only the October visit tells November.
    quarterly = _person(community, make, clock, date(2026, 9, 1), "周丽", category=1, level=4)
    _visit(make, clock, date(2026, 10, 8), quarterly)
    # Visited in the month, then left the register in it.
    leaving = _person(community, make, clock, date(2026, 9, 1), "吴军", category=1, level=4)
    _visit(make, clock, date(2026, 11, 5), leaving)
    clock.set(date(2026, 11, 16))
    register.change_status(
        community, register.get_person(community, leaving.id), "moved", "2026-11-15", "迁出"
    )
    clock.set(datetime(2026, 11, 29, 10))
    build_month(community, make)  # visits, 渝馨家园 days, the urgent follow-up of 王芳
    _visit(make, clock, date(2026, 12, 2), quarterly)
    community.clock = _clock
    path = export_monthly(community, 2026, 11, out=tmp_path / "november.xlsx")

    district = session.open_store(tmp_path / "district.db", clock=_clock)
    set_district(district, "江北区", "500105", secret=DISTRICT_SECRET)
    site.switch_operator(district, site.add_operator(district, "区残联张敏"))
    [result] = merge(district, [path])
    assert not result.refused and result.conflicts == 0

    summary = summarize_month(community, 2026, 11)
    [row] = [r for r in report.district_rows(district, 2026, 11) if r.level == "community"]
    assert row.code == SITE.code
    assert (row.persons, row.households) == (summary.persons, summary.households)
    assert (row.visits, row.households_visited) == (summary.visits, summary.households_visited)
    assert row.coverage == summary.coverage
    assert row.overdue == summary.overdue
    assert row.person_days == summary.daycare.person_days
    # What the month holds: 吴军 left (not counted), visits in it, 渝馨家园 days, and
    # 陈刚 (B, 10-01) and 王芳 (A by the urgent follow-up, last seen 11-10) overdue.
    assert summary.persons == 4 and summary.visits == 4
    assert summary.daycare.person_days == 3.5
    assert summary.overdue == 2
    community.close()
    district.close()


# -- the register's changes (变动情况) ---------------------------------------------------------
def register_people(store: Store, make: Make, clock: Clock) -> dict[str, Person]:
    """Six certificate holders and a family member without one, registered 2026-09-01;
    丁's certificate expires 2026-11-25.  In October 己 is 注销 and 戊's level changes."""
    september = date(2026, 9, 1)
    people = {
        name: _person(store, make, clock, september, name, category=category, level=level, **extra)
        for name, category, level, extra in (
            ("甲", 4, 2, {}),
            ("乙", 1, 4, {}),
            ("丙", 4, 3, {}),
            ("丁", 2, 4, {"cert_issued": "2021-11-25", "cert_valid_until": "2026-11-25"}),
            ("戊", 2, 4, {"cert_issued": "2021-12-10", "cert_valid_until": "2026-12-10"}),
            ("己", 1, 3, {}),
        )
    }
    people["庚"] = _person(store, make, clock, september, "庚", category=None, relation="子女")
    clock.set(date(2026, 10, 16))
    register.change_status(
        store, register.get_person(store, people["己"].id), "cancelled", "2026-10-15", "证件注销"
    )
    _reclassify(store, make, clock, date(2026, 10, 20), people["戊"], 2, 3)
    return people


def _reclassify(
    store: Store, make: Make, clock: Clock, day: date, person: Person, category: int, level: int
) -> Person:
    clock.set(day)
    current = register.get_person(store, person.id)
    values = current.form_values() | {
        "category": category,
        "level": level,
        "cert_number": make.certificate(current.id_number, category, level),
    }
    return register.update_person(store, current, values)


def november_changes(store: Store, make: Make, clock: Clock, people: dict[str, Person]) -> None:
    """甲 dies, 乙 moves out, 丙's level and 庚's certificate change, 辛 壬 (new certificates)
    and 癸 (moved in with a 2019 certificate) are registered."""
    clock.set(date(2026, 11, 10))
    register.change_status(
        store, register.get_person(store, people["甲"].id), "deceased", "2026-11-09", "病故"
    )
    clock.set(date(2026, 11, 21))
    register.change_status(
        store, register.get_person(store, people["乙"].id), "moved", "2026-11-20", "迁往渝北区"
    )
    people["丙"] = _reclassify(store, make, clock, date(2026, 11, 12), people["丙"], 4, 2)
    clock.set(date(2026, 11, 14))
    member = register.get_person(store, people["庚"].id)
    number = make.id_number(date(1990, 3, 3))
    people["庚"] = register.update_person(
        store,
        member,
        member.form_values()
        | {
            "id_number": number,
            "cert_number": make.certificate(number, 5, 1),
            "category": 5,
            "level": 1,
        },
    )
    november = date(2026, 11, 5)
    people["辛"] = _person(
        store, make, clock, november, "辛", category=3, level=4, cert_issued="2026-11-02"
    )
    people["壬"] = _person(store, make, clock, november, "壬", category=6, level=2)
    people["癸"] = _person(
        store, make, clock, november, "癸", category=4, level=4, cert_issued="2019-03-01"
    )


def december_changes(store: Store, make: Make, clock: Clock, people: dict[str, Person]) -> None:
    """After November: 戊 dies, 子 is registered, 丙's phone changes."""
    clock.set(date(2026, 12, 2))
    register.change_status(
        store, register.get_person(store, people["戊"].id), "deceased", "2026-12-01", "病故"
    )
    people["子"] = _person(store, make, clock, date(2026, 12, 2), "子", category=1, level=1)
    clock.set(date(2026, 12, 3))
    current = register.get_person(store, people["丙"].id)
    register.update_person(store, current, current.form_values() | {"phone": "13800000001"})


def test_the_months_register_changes(store: Store, make: Make) -> None:
    clock = Clock(date(2026, 9, 1))
    store.clock = clock
    people = register_people(store, make, clock)
    november_changes(store, make, clock, people)
    december_changes(store, make, clock, people)
    clock.set(LATER)

    summary = summarize_month(store, 2026, 11)
    changes = summary.changes
    listed = [(c.kind, c.name, c.day) for c in changes.rows]
    assert listed == [
        ("new_cert", "壬", "2026-11-05"),  # 发证日期 not recorded
        ("new_cert", "辛", "2026-11-05"),
        ("new_cert", "庚", "2026-11-14"),  # a family member's certificate first recorded
        ("moved_in", "癸", "2026-11-05"),
        ("moved", "乙", "2026-11-20"),
        ("deceased", "甲", "2026-11-09"),
        ("reclassified", "丙", "2026-11-12"),
        ("expiring", "丁", "2026-11-25"),
    ]
    by_name = {c.name: c for c in changes.rows}
    assert by_name["丙"].before == (4, 3) and (by_name["丙"].category, by_name["丙"].level) == (
        4,
        2,
    )
    assert by_name["庚"].before == (None, None) and by_name["庚"].category == 5
    assert by_name["甲"].reason == "病故" and by_name["乙"].reason == "迁往渝北区"
    assert by_name["癸"].cert_issued == "2019-03-01" and by_name["壬"].cert_issued == ""
    assert by_name["丁"].address == "建新东路丁号"
    assert summary.change_counts == {
        "new_cert": 3,
        "moved_in": 1,
        "moved": 1,
        "deceased": 1,
        "cancelled": 0,
        "reclassified": 1,
        "expiring": 1,
    }
    assert changes.founded() == 0
    november = month_period(store, 2026, 11)
    figures = month_figures(store, november)[WHOLE]
    assert figures.changes == summary.change_counts and figures.founding == 0
    assert month_figures(store, november, by_division=True)[SITE.code] == figures

    # October: 己 注销, 戊's level; December (to today): 子 registered, 戊 died.
    october = summarize_month(store, 2026, 10).changes
    assert [(c.kind, c.name) for c in october.rows] == [("cancelled", "己"), ("reclassified", "戊")]
    december = month_figures(store, month_period(store, 2026, 12))[WHOLE]
    assert december.changes["new_cert"] == 1 and december.changes["deceased"] == 1
    assert december.changes["reclassified"] == 0  # a phone number is not a reclassification


def test_the_registers_first_month_is_its_setting_up(store: Store, make: Make) -> None:
    clock = Clock(date(2026, 10, 12))
    store.clock = clock
    for name in ("一号", "二号", "三号"):
        _person(store, make, clock, date(2026, 10, 12), name, category=4, level=3)
    _person(store, make, clock, date(2026, 11, 3), "新人", category=4, level=3)
    clock.set(LATER)
    october = summarize_month(store, 2026, 10)
    assert october.changes.rows == () and october.changes.founded() == 3
    assert month_figures(store, month_period(store, 2026, 10))[WHOLE].founding == 3
    november = summarize_month(store, 2026, 11)
    assert [c.name for c in november.changes.rows] == ["新人"]
    assert november.changes.founded() == 0


def test_the_district_sees_each_communitys_changes(tmp_path: Path) -> None:
    community = open_store(tmp_path / "community.db", clock=_clock)
    make = Make(community)
    clock = Clock(date(2026, 9, 1))
    community.clock = clock
    people = register_people(community, make, clock)
    clock.set(datetime(2026, 11, 1, 9))
    october = export_monthly(community, 2026, 10, out=tmp_path / "october.xlsx")
    november_changes(community, make, clock, people)
    clock.set(datetime(2026, 12, 1, 9))  # exported at the month's end, as returns are
    path = export_monthly(community, 2026, 11, out=tmp_path / "november.xlsx")
    community.clock = _clock

    district = session.open_store(tmp_path / "district.db", clock=_clock)
    set_district(district, "江北区", "500105", secret=DISTRICT_SECRET)
    site.switch_operator(district, site.add_operator(district, "区残联张敏"))
    results = merge(district, [october, path])
    assert all(not r.refused and r.conflicts == 0 for r in results)

    for month in (10, 11):
        period = month_period(community, 2026, month)
        ours = month_figures(community, period)[WHOLE]
        theirs = month_figures(district, month_period(district, 2026, month), by_division=True)
        mine = theirs[SITE.code]
        if month == 10:
            # 戊's level changed before the district ever held 戊 (first received in
            # October's return, already changed): the district cannot tell that one.
            assert (ours.changes["reclassified"], mine.changes["reclassified"]) == (1, 0)
            mine.changes["reclassified"] = 1
        assert mine.changes == ours.changes, month
        assert mine.founding == ours.founding == 0
        assert (mine.by_sex, mine.by_age) == (ours.by_sex, ours.by_age)
        assert sum(ours.by_age.values()) == ours.persons
    listed = summarize_month(community, 2026, 11).changes.rows
    period = month_period(district, 2026, 11)
    found = register_changes(district, period.first, period.until, period.last).rows
    assert len(found) == 8
    assert [(c.kind, c.person_id, c.day, c.before) for c in found] == [
        (c.kind, c.person_id, c.day, c.before) for c in listed
    ]
    community.close()
    district.close()
