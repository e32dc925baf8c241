"""Absence streaks found in the register, and the follow-ups they raise."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from canxie_tui.domain import daycare as rules
from canxie_tui.domain.daycare import Member, Streak
from canxie_tui.domain.models import Followup
from canxie_tui.store import followups
from canxie_tui.store.connection import Store
from canxie_tui.store.daycare.closures import closed_days
from canxie_tui.store.daycare.members import get_member
from canxie_tui.store.daycare.rows import _marks, _members

FOLLOWUP_SOURCE = "daycare"
STREAK_RECENT_DAYS = 30  # a streak that ended longer ago than this raises nothing
_STREAK_LOOKBACK_DAYS = 63


def _first_expected(member: Member, start: date, end: date, closed: dict[date, str]) -> date | None:
    day = max(start, member.start)
    while day <= end:
        if rules.expected_on(member, day, closed):
            return day
        day += timedelta(days=1)
    return None


def streaks_on(store: Store, day: date, *, member_id: str | None = None) -> list[Streak]:
    """Absence streaks (up to today) that include `day`, found back to where they began."""
    today = store.today()
    if day > today:
        return []
    lookback = _STREAK_LOOKBACK_DAYS
    while True:
        start = day - timedelta(days=lookback)
        where = "WHERE m.start_date <= ? AND (m.end_date = '' OR m.end_date > ?)"
        params: list[Any] = [today.isoformat(), start.isoformat()]
        mark_where, mark_params = (
            "WHERE day BETWEEN ? AND ?",
            [start.isoformat(), today.isoformat()],
        )
        if member_id is not None:
            where += " AND m.id = ?"
            params.append(member_id)
            mark_where += " AND member_id = ?"
            mark_params.append(member_id)
        members = {m.id: m for m in _members(store, where, params)}
        marks = {k: v[0] for k, v in _marks(store, mark_where, mark_params).items()}
        closed = closed_days(store, start, today)
        found = [
            s
            for s in rules.absence_streaks(members.values(), marks, closed, start, today)
            if s.first_day <= day <= s.last_day
        ]
        # A streak that starts on the window's first expected day may go further back.
        cut = [
            s
            for s in found
            if members[s.member_id].start < start
            and s.first_day == _first_expected(members[s.member_id], start, today, closed)
        ]
        if not cut or lookback > 3660:
            return found
        lookback *= 4


def check_streaks(store: Store, day: date, *, member_id: str | None = None) -> list[Followup]:
    """Raise one follow-up per absence streak that includes `day`; returns those created.

    A streak already followed up (a daycare follow-up of the member whose streak
    start lies within it, even if the streak has grown backwards since) is not
    raised again, nor is one that ended more than STREAK_RECENT_DAYS ago.
    """
    today = store.today()
    created: list[Followup] = []
    with store.transaction():
        for streak in streaks_on(store, day, member_id=member_id):
            if (today - streak.last_day).days > STREAK_RECENT_DAYS:
                continue
            raised = store.db.conn.execute(
                "SELECT source_id FROM followups WHERE source = ? AND source_id LIKE ?",
                (FOLLOWUP_SOURCE, f"{streak.member_id}:%"),
            ).fetchall()
            starts = {s.rpartition(":")[2] for (s,) in raised}
            first, last = streak.first_day.isoformat(), streak.last_day.isoformat()
            if any(first <= s <= last for s in starts):
                continue
            member = get_member(store, streak.member_id)
            created.append(
                followups.add_followup(
                    store,
                    member.household_id,
                    f"渝馨家园连续缺勤{streak.length}天：请电话或上门了解情况",
                    (today + timedelta(days=1)).isoformat(),
                    person_id=member.person_id,
                    source=FOLLOWUP_SOURCE,
                    source_id=f"{streak.member_id}:{first}",
                )
            )
    return created
