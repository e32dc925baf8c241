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

Modules: `records` (enrolment, mark, streak), `enrolment` (weekdays and services
as typed), `days` (who is expected when, grid symbols), `stats` (the month in
figures), `grid` (the month grid), `streaks` (absence streaks), `sheet` (the
daily sign-in sheet).  Callers use this package's names.
"""

from __future__ import annotations

from canxie_tui.domain.daycare.days import (
    GRID_LEGEND,
    SYMBOLS,
    active_on,
    cell_symbol,
    expected_on,
    format_days,
    month_days,
)
from canxie_tui.domain.daycare.enrolment import (
    WEEKDAY_NAMES,
    clean_enrolment,
    clean_services,
    parse_weekdays,
    weekdays_label,
)
from canxie_tui.domain.daycare.grid import GridRow, MonthGrid, build_grid
from canxie_tui.domain.daycare.records import ABSENT, LEAVE, PRESENT, Mark, Member, Streak
from canxie_tui.domain.daycare.sheet import STATUS_CYCLE, UNMARKED_LABEL, SheetRow, next_status
from canxie_tui.domain.daycare.stats import MonthStats, month_stats
from canxie_tui.domain.daycare.streaks import STREAK_MIN, absence_streaks

__all__ = [
    "ABSENT",
    "GRID_LEGEND",
    "LEAVE",
    "PRESENT",
    "STATUS_CYCLE",
    "STREAK_MIN",
    "SYMBOLS",
    "UNMARKED_LABEL",
    "WEEKDAY_NAMES",
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
