"""Everything the home screen shows, gathered in one call (run in a worker)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from canxie_tui.domain.indicators import Indicator
from canxie_tui.store import daycare, duelist, followups, indicators
from canxie_tui.store.db import Store


@dataclass(frozen=True)
class MonthStats:
    households_visited: int
    households_total: int
    visits: int
    by_method: dict[str, int]
    by_tier: dict[str, int]
    per_day: list[int]  # visits on day 1..today of the month


@dataclass(frozen=True)
class Dashboard:
    today: date
    overdue: int
    due_today: int
    followups_open: int
    followups_overdue: int
    attendance: dict[str, int] | None  # None until the day-care sheet exists
    month: MonthStats
    indicators: list[Indicator] = field(default_factory=list)


def month_stats(store: Store, today: date) -> MonthStats:
    first, last = today.replace(day=1).isoformat(), today.isoformat()
    window = "FROM visits WHERE deleted = 0 AND visit_date BETWEEN ? AND ?"
    conn = store.db.conn
    total_visits = conn.execute(f"SELECT count(*) {window}", (first, last)).fetchone()[0]
    # Coverage counts households still in the register on both sides of the ratio.
    visited = conn.execute(
        f"SELECT count(DISTINCT household_id) {window} AND household_id IN "
        "(SELECT household_id FROM persons WHERE status = 'active' AND category IS NOT NULL)",
        (first, last),
    ).fetchone()[0]
    by_method = dict(
        conn.execute(f"SELECT method, count(*) {window} GROUP BY method", (first, last))
    )
    by_tier = dict(conn.execute(f"SELECT tier, count(*) {window} GROUP BY tier", (first, last)))
    days = dict(
        conn.execute(f"SELECT visit_date, count(*) {window} GROUP BY visit_date", (first, last))
    )
    per_day = [int(days.get(today.replace(day=d).isoformat(), 0)) for d in range(1, today.day + 1)]
    households_total = conn.execute(
        "SELECT count(DISTINCT household_id) FROM persons "
        "WHERE status = 'active' AND category IS NOT NULL"
    ).fetchone()[0]
    return MonthStats(
        households_visited=int(visited),
        households_total=int(households_total),
        visits=int(total_visits),
        by_method=by_method,
        by_tier=by_tier,
        per_day=per_day,
    )


def _attendance(store: Store, today: date) -> dict[str, int] | None:
    """Today's 渝馨家园 counts, or None while the centre has no members at all."""
    if not store.scalar("SELECT EXISTS (SELECT 1 FROM daycare_members)"):
        return None
    return daycare.counts(store, today)


def dashboard(store: Store, today: date | None = None) -> Dashboard:
    today = today or store.today()
    due = duelist.due_counts(store, today)
    follow = followups.counts(store, today)
    return Dashboard(
        today=today,
        overdue=due["overdue"],
        due_today=due["due_today"],
        followups_open=follow["open"],
        followups_overdue=follow["overdue"],
        attendance=_attendance(store, today),
        month=month_stats(store, today),
        indicators=indicators.indicators(store, today),
    )
