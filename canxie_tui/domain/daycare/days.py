"""Who is expected on a day, and the symbol of a member's day in the month grid."""

from __future__ import annotations

import calendar
from collections.abc import Collection, Mapping
from datetime import date

from canxie_tui.domain.daycare.records import PRESENT, Mark, Member

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


def _in_month(member: Member, first: date, last: date) -> bool:
    return member.start <= last and (member.end is None or member.end > first)
