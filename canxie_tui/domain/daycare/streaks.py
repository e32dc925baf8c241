"""Absence streaks: runs of expected open days marked 缺勤 (they raise a follow-up)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import date, timedelta

from canxie_tui.domain.daycare.days import expected_on
from canxie_tui.domain.daycare.records import ABSENT, PRESENT, Mark, Member, Streak

STREAK_MIN = 3  # consecutive expected open days of 缺勤 that raise a follow-up


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
