"""渝馨家园: enrolments, the centre calendar, the daily sign-in sheet, the month.

One attendance row per member per day (UNIQUE in the schema): marking again
updates the row.  Every change goes through `records` (versioned and audited);
changes of several rows run in one transaction.  The month grid and the monthly
statistics load a month with three set-based queries and leave the counting to
`canxie_tui.domain.daycare`, so both always agree.

Modules: `rows` (the rows read into the rules' records), `members` (enrolments),
`closures` (the centre calendar), `sheet` (a day's sign-in sheet), `marking`
(attendance marks), `month` (the month grid and statistics), `streaks` (absence
streaks and their follow-ups).  Callers use this package's names.
"""

from __future__ import annotations

from canxie_tui.store.daycare.closures import closed_days, closure_reason, reopen, set_closed
from canxie_tui.store.daycare.marking import mark, mark_all_expected_present, toggle_meal, unmark
from canxie_tui.store.daycare.members import (
    end_enrolment,
    end_for_person,
    enrol,
    get_member,
    member_for_person,
    members_on,
    update_enrolment,
)
from canxie_tui.store.daycare.month import month_grid, month_stats
from canxie_tui.store.daycare.sheet import counts, day_sheet
from canxie_tui.store.daycare.streaks import (
    FOLLOWUP_SOURCE,
    STREAK_RECENT_DAYS,
    check_streaks,
    streaks_on,
)

__all__ = [
    "FOLLOWUP_SOURCE",
    "STREAK_RECENT_DAYS",
    "check_streaks",
    "closed_days",
    "closure_reason",
    "counts",
    "day_sheet",
    "end_enrolment",
    "end_for_person",
    "enrol",
    "get_member",
    "mark",
    "mark_all_expected_present",
    "member_for_person",
    "members_on",
    "month_grid",
    "month_stats",
    "reopen",
    "set_closed",
    "streaks_on",
    "toggle_meal",
    "unmark",
    "update_enrolment",
]
