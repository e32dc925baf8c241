"""The month grid: members × days symbols with totals per member and per day."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from canxie_tui.domain.daycare.days import (
    GRID_LEGEND,
    SYMBOLS,
    _in_month,
    _mark_symbol,
    expected_on,
    month_days,
)
from canxie_tui.domain.daycare.records import ABSENT, LEAVE, Mark, Member


@dataclass(frozen=True)
class GridRow:
    member: Member
    cells: list[str]  # one symbol per day of the month
    person_days: float
    leave: int
    absent: int
    unmarked: int


@dataclass(frozen=True)
class MonthGrid:
    year: int
    month: int
    days: list[date]
    closed: list[bool]  # per day
    rows: list[GridRow]
    day_totals: list[float]  # person-days per day
    day_expected: list[int]  # members expected per day
    total: float  # person-days of the month (= MonthStats.person_days)
    legend: str = GRID_LEGEND


def build_grid(
    members: Iterable[Member],
    marks: Mapping[tuple[str, date], Mark],
    closed_days: Collection[date],
    year: int,
    month: int,
    today: date,
) -> MonthGrid:
    """Members × days symbols with per-member and per-day totals, members in the order given.

    A member appears when enrolled on some day of the month or having a mark in it.
    """
    days = month_days(year, month)
    first, last = days[0], days[-1]
    with_marks = {member_id for (member_id, day) in marks if first <= day <= last}
    shown = [m for m in members if _in_month(m, first, last) or m.id in with_marks]
    day_totals = [0.0] * len(days)
    day_expected = [0] * len(days)
    rows = []
    past = [day <= today for day in days]
    for member in shown:
        cells = []
        person_days = 0.0
        leave = absent = unmarked = 0
        for i, day in enumerate(days):
            mark = marks.get((member.id, day))
            expected = expected_on(member, day, closed_days)
            day_expected[i] += expected
            if mark is None:
                if expected and past[i]:
                    cells.append(SYMBOLS["unmarked"])
                    unmarked += 1
                else:
                    cells.append(SYMBOLS["blank"])
                continue
            cells.append(_mark_symbol(mark))
            value = mark.person_days
            person_days += value
            day_totals[i] += value
            leave += mark.status == LEAVE
            absent += mark.status == ABSENT
        rows.append(GridRow(member, cells, person_days, leave, absent, unmarked))
    return MonthGrid(
        year=year,
        month=month,
        days=days,
        closed=[d in closed_days for d in days],
        rows=rows,
        day_totals=day_totals,
        day_expected=day_expected,
        total=sum(day_totals),
    )
