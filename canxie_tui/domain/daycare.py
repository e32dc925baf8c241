"""渝馨家园 day-care rules: who is expected when, the month grid, statistics, absence streaks.

Pure functions over plain records; the store loads a month (or a window) with a
few set-based queries and hands it here, so the grid, the monthly statistics and
the monthly return all count the same way.

Conventions:

- An enrolment is active on `day` when ``start <= day < end`` (the end date is
  the first day the person is no longer a member; no end = still enrolled).
- A member is *expected* on a day when the enrolment is active, the weekday is
  one of theirs (``"12345"``: 1 = Monday .. 7 = Sunday) and the centre is open.
- An *open day* of a month is a day, up to today, that is not a closure and on
  which somebody was expected or somebody's attendance was recorded.
- Person-days count a half day as ½; only 出勤 counts.  Services and meals are
  counted on 出勤 marks only.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

from canxie_tui.domain import codes
from canxie_tui.domain.errors import InputError

__all__ = [
    "GRID_LEGEND",
    "STATUS_CYCLE",
    "STREAK_MIN",
    "SYMBOLS",
    "UNMARKED_LABEL",
    "GridRow",
    "Mark",
    "Member",
    "MonthGrid",
    "MonthStats",
    "SheetRow",
    "Streak",
    "absence_streaks",
    "active_on",
    "build_grid",
    "cell_symbol",
    "clean_enrolment",
    "clean_services",
    "expected_on",
    "format_days",
    "month_days",
    "month_stats",
    "next_status",
    "parse_weekdays",
    "weekdays_label",
]

STREAK_MIN = 3  # consecutive expected open days of 缺勤 that raise a follow-up

PRESENT, LEAVE, ABSENT = "present", "leave", "absent"

# One symbol per grid cell.  "假" is two terminal cells wide, the others one:
# pad with rich.cells.cell_len when laying the grid out.
SYMBOLS: Mapping[str, str] = {
    "present": "✓",
    "half": "½",
    "leave": "假",
    "absent": "✗",
    "unmarked": "·",
    "blank": "",
}
GRID_LEGEND = "✓ 出勤  ½ 半天  假 请假  ✗ 缺勤  · 未登记  空白 无需到园/闭馆/未到日期"

WEEKDAY_NAMES = "一二三四五六日"


# -- records -------------------------------------------------------------------
@dataclass(frozen=True)
class Member:
    """One enrolment of a registered person in the centre."""

    id: str
    person_id: str
    name: str
    services: frozenset[str]
    weekdays: str  # canonical digits, "12345"
    start: date
    end: date | None = None  # first day no longer enrolled
    end_reason: str = ""
    household_id: str = ""
    version: int = 1

    @property
    def services_text(self) -> str:
        return codes.labels(codes.DAYCARE_SERVICES, self.services)

    @property
    def weekdays_text(self) -> str:
        return weekdays_label(self.weekdays)


class Mark(NamedTuple):
    """One member's attendance on one day (a NamedTuple: a month loads thousands)."""

    status: str  # present / leave / absent
    half_day: bool = False
    meal: bool = False
    services: frozenset[str] = frozenset()
    arrival_time: str = ""  # HH:MM
    note: str = ""

    @property
    def status_label(self) -> str:
        return codes.label(codes.ATTENDANCE_STATUSES, self.status, self.status)

    @property
    def person_days(self) -> float:
        if self.status != PRESENT:
            return 0.0
        return 0.5 if self.half_day else 1.0


class Streak(NamedTuple):
    member_id: str
    first_day: date
    last_day: date
    length: int  # expected open days marked 缺勤


# -- input -----------------------------------------------------------------------
_CN_WEEKDAYS = str.maketrans({"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6"})
_CN_WEEKDAYS.update({ord("日"): "7", ord("天"): "7", ord("七"): "7"})
_RANGE = re.compile(r"([1-7])(?:-|~|至|到)([1-7])")


def parse_weekdays(value: str | Iterable[int]) -> str:
    """The weekdays a member comes, as canonical digits: "12345".

    Accepts digits 1–7 (1 = 周一 .. 7 = 周日) as text or numbers, Chinese
    一…六/日/天, ranges (1-5, 周一至周五) and separators (、,，空格).
    """
    if isinstance(value, str):
        shown = value.strip()
        text = unicodedata.normalize("NFKC", shown).translate(_CN_WEEKDAYS)
        text = text.replace("星期", "").replace("周", "").replace("礼拜", "")
        text = _RANGE.sub(lambda m: "".join(str(d) for d in range(int(m[1]), int(m[2]) + 1)), text)
        text = re.sub(r"[\s,、，;；/]+", "", text)
        if not text or not re.fullmatch(r"[1-7]+", text):
            raise InputError(
                f"到园日“{shown}”无法识别：请用 1–7 表示周一至周日，如 12345（周一至周五）",
                "weekdays",
            )
        digits = {int(ch) for ch in text}
    else:
        digits = set()
        for item in value:
            number = int(item)
            if not 1 <= number <= 7:
                raise InputError(f"到园日“{item}”不对：应为 1–7（周一至周日）", "weekdays")
            digits.add(number)
        if not digits:
            raise InputError("请至少选择一个到园日（周一至周日）", "weekdays")
    return "".join(str(d) for d in sorted(digits))


def weekdays_label(weekdays: str) -> str:
    """ "12345" -> 周一至周五; "135" -> 周一、三、五; "1234567" -> 每天."""
    digits = sorted({int(ch) for ch in weekdays if ch in "1234567"})
    if not digits:
        return ""
    if len(digits) == 7:
        return "每天"
    if len(digits) >= 3 and digits == list(range(digits[0], digits[-1] + 1)):
        return f"周{WEEKDAY_NAMES[digits[0] - 1]}至周{WEEKDAY_NAMES[digits[-1] - 1]}"
    return "周" + "、".join(WEEKDAY_NAMES[d - 1] for d in digits)


def clean_enrolment(
    services: Iterable[str], weekdays: str | Iterable[int]
) -> tuple[list[str], str]:
    """(services as sorted codes, weekdays as digits); raises InputError naming the field."""
    chosen = clean_services(services)
    if not chosen:
        raise InputError("请至少选择一项服务", "services")
    return chosen, parse_weekdays(weekdays)


def clean_services(services: Iterable[str]) -> list[str]:
    """Service codes, sorted and checked (an empty list is allowed here)."""
    chosen = sorted(set(services))
    unknown = [c for c in chosen if c not in codes.DAYCARE_SERVICES]
    if unknown:
        raise InputError(f"未知的服务项目：{'、'.join(unknown)}", "services")
    return chosen


# -- calendar rules ----------------------------------------------------------------
def month_days(year: int, month: int) -> list[date]:
    return [date(year, month, d) for d in range(1, calendar.monthrange(year, month)[1] + 1)]


def active_on(member: Member, day: date) -> bool:
    return member.start <= day and (member.end is None or day < member.end)


def expected_on(member: Member, day: date, closed_days: Collection[date]) -> bool:
    """Should `member` come on `day`: enrolled, one of their weekdays, centre open."""
    return (
        day not in closed_days
        and active_on(member, day)
        and str(day.isoweekday()) in member.weekdays
    )


def cell_symbol(
    member: Member,
    day: date,
    mark: Mark | None,
    closed_days: Collection[date],
    today: date,
) -> str:
    """The month-grid character: ✓ ½ 假 ✗ for a mark, · expected but unmarked, "" otherwise.

    A recorded mark always shows (a walk-in on a day they were not expected too);
    nothing is owed on a closed day, a day they are not expected, or a future day.
    """
    if mark is not None:
        return _mark_symbol(mark)
    if day <= today and expected_on(member, day, closed_days):
        return SYMBOLS["unmarked"]
    return SYMBOLS["blank"]


def _mark_symbol(mark: Mark) -> str:
    if mark.status == PRESENT:
        return SYMBOLS["half"] if mark.half_day else SYMBOLS["present"]
    return SYMBOLS[mark.status]


def format_days(value: float) -> str:
    """Person-days for display: 12 / 12.5."""
    return f"{value:g}" if value != int(value) else str(int(value))


# -- the month -------------------------------------------------------------------
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


def _in_month(member: Member, first: date, last: date) -> bool:
    return member.start <= last and (member.end is None or member.end > first)


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


# -- absence streaks -----------------------------------------------------------------
def absence_streaks(
    members: Iterable[Member],
    marks: Mapping[tuple[str, date], Mark],
    closed_days: Collection[date],
    start: date,
    end: date,
    minimum: int = STREAK_MIN,
) -> list[Streak]:
    """Runs of at least `minimum` consecutive expected open days marked 缺勤, in [start, end].

    Closed days and days a member is not expected are skipped: they neither break
    nor extend a run, so a run continues across a holiday, a weekend and a month
    end.  On an expected open day anything but 缺勤 (出勤, 请假, nothing recorded)
    ends the run; so does a walk-in 出勤 on a day they were not expected (they came).
    """
    found: list[Streak] = []
    for member in members:
        day = max(start, member.start)
        stop = end if member.end is None else min(end, member.end - timedelta(days=1))
        run: list[date] = []
        while day <= stop:
            mark = marks.get((member.id, day))
            if expected_on(member, day, closed_days):
                if mark is not None and mark.status == ABSENT:
                    run.append(day)
                else:
                    _close_run(found, member.id, run, minimum)
                    run = []
            elif mark is not None and mark.status == PRESENT:
                _close_run(found, member.id, run, minimum)
                run = []
            day += timedelta(days=1)
        _close_run(found, member.id, run, minimum)
    return found


def _close_run(found: list[Streak], member_id: str, run: list[date], minimum: int) -> None:
    if len(run) >= minimum:
        found.append(Streak(member_id, run[0], run[-1], len(run)))


# -- the daily sheet ---------------------------------------------------------------
@dataclass(frozen=True)
class SheetRow:
    """One member on one day's sign-in sheet; `mark` None = 未登记."""

    member: Member
    day: date
    expected: bool
    mark: Mark | None = None
    attendance_id: str = ""
    version: int = 0  # of the attendance row, 0 when none

    @property
    def status(self) -> str:
        return self.mark.status if self.mark else ""

    @property
    def status_label(self) -> str:
        return self.mark.status_label if self.mark else UNMARKED_LABEL

    @property
    def walk_in(self) -> bool:
        """Came on a day they were not expected."""
        return not self.expected and self.mark is not None and self.mark.status == PRESENT


UNMARKED_LABEL = "未登记"

# The sheet's one-key status cycle: 未登记 → 出勤 → 请假 → 缺勤 → 未登记 ("" = 未登记).
STATUS_CYCLE: tuple[str, ...] = ("", PRESENT, LEAVE, ABSENT)


def next_status(status: str) -> str:
    """The status after `status` in the sheet's cycle."""
    index = STATUS_CYCLE.index(status) if status in STATUS_CYCLE else 0
    return STATUS_CYCLE[(index + 1) % len(STATUS_CYCLE)]
