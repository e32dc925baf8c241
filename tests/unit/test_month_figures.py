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
from tests.conftest import SITE, Clock, Make, build_month, open_store

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
    set_district(district, "江北区", "500105")
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
