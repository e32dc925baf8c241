"""The centre's month in figures, as the monthly return reports it."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from canxie_tui.domain import codes
from canxie_tui.domain.daycare.days import _in_month, expected_on
from canxie_tui.domain.daycare.records import ABSENT, LEAVE, PRESENT, Mark, Member


@dataclass(frozen=True)
class MonthStats:
    """The centre's month, as the monthly return reports it."""

    year: int
    month: int
    person_days: float  # 出勤人天 (half day = ½)
    attendances: int  # 出勤人次 (full and half days)
    half_days: int
    people: int  # distinct persons with at least one 出勤
    open_days: int
    average_daily: float  # person_days / open_days, 0 when no open day
    expected: int  # member-days expected on open days up to today
    leave: int
    absent: int
    unmarked: int  # expected, open, up to today, nothing recorded
    meals: int
    members: int  # enrolments active on at least one day of the month
    services: dict[str, int] = field(default_factory=dict)  # code -> 出勤 with that service

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def services_labelled(self) -> dict[str, int]:
        return {codes.DAYCARE_SERVICES[k]: v for k, v in self.services.items()}


def _month_bounds(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def month_stats(
    members: Iterable[Member],
    marks: Mapping[tuple[str, date], Mark],
    closed_days: Collection[date],
    year: int,
    month: int,
    today: date | None = None,
) -> MonthStats:
    """Statistics of one month from its enrolments, marks and closures.

    `marks` is keyed by (member id, day); marks outside the month are ignored.
    `today` (default: the month's last day) caps the open and expected days of a
    month in progress.
    """
    first, last = _month_bounds(year, month)
    until = min(last, today) if today is not None else last
    members = list(members)
    by_id = {m.id: m for m in members}
    month_marks = {k: v for k, v in marks.items() if first <= k[1] <= last}

    marked_days = {day for (_, day) in month_marks}
    expected = 0
    unmarked = 0
    open_days: set[date] = set()
    day = first
    while day <= until:
        if day not in closed_days:
            for member in members:
                if expected_on(member, day, closed_days):
                    expected += 1
                    open_days.add(day)
                    if (member.id, day) not in month_marks:
                        unmarked += 1
            if day in marked_days:
                open_days.add(day)
        day += timedelta(days=1)

    services = dict.fromkeys(codes.DAYCARE_SERVICES, 0)
    person_days = 0.0
    attendances = half_days = leave = absent = meals = 0
    people: set[str] = set()
    for (member_id, _), mark in month_marks.items():
        if mark.status == PRESENT:
            attendances += 1
            half_days += mark.half_day
            person_days += mark.person_days
            meals += mark.meal
            enrolment = by_id.get(member_id)
            people.add(enrolment.person_id if enrolment else member_id)
            for code in mark.services:
                if code in services:
                    services[code] += 1
        elif mark.status == LEAVE:
            leave += 1
        elif mark.status == ABSENT:
            absent += 1
    return MonthStats(
        year=year,
        month=month,
        person_days=person_days,
        attendances=attendances,
        half_days=half_days,
        people=len(people),
        open_days=len(open_days),
        average_daily=round(person_days / len(open_days), 2) if open_days else 0.0,
        expected=expected,
        leave=leave,
        absent=absent,
        unmarked=unmarked,
        meals=meals,
        members=sum(_in_month(m, first, last) for m in members),
        services=services,
    )
