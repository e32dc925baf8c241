"""Everything the home screen shows, gathered in one call (run in a worker)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from canxie_tui.domain.indicators import Indicator
from canxie_tui.domain.models import Followup
from canxie_tui.store import (
    certificates,
    daycare,
    duelist,
    followups,
    indicators,
    subsidy_check,
)
from canxie_tui.store.connection import Store
from canxie_tui.store.register_sql import in_register


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
    emergency: str | None = None  # the current event and its roll-call progress
    certificates_expiring: int = 0  # 残疾人证 expiring within 90 days (or expired)
    subsidies: dict[str, int] = field(default_factory=dict)  # this month's 两项补贴 check
    # The first few people to visit today (overdue first, in the due list's order) and the
    # first few open follow-ups (most pressing first).
    due_first: list[duelist.DueItem] = field(default_factory=list)
    followups_first: list[Followup] = field(default_factory=list)
    survey: str | None = None  # the survey round under way and its progress


AGENDA = 8  # people and follow-ups named on the home screen (the lists hold the rest)


def due_first(store: Store, today: date, limit: int = AGENDA) -> list[duelist.DueItem]:
    """Today's visits in the due list's order: overdue, then due today (not later)."""
    filters = duelist.DueFilters(within_days=1)
    items, _ = duelist.due_list(store, today, filters, limit=limit, count=False)
    return [i for i in items if i.overdue_days >= 0]


def month_stats(store: Store, today: date) -> MonthStats:
    """This month so far, from index-only reads of the month's visits.

    The counts are grouped in SQL (a few hundred rows rather than a row per visit:
    22k at district scale, 22 -> 13 ms).
    """
    first, last = today.replace(day=1).isoformat(), today.isoformat()
    conn = store.db.conn
    by_method: Counter[str] = Counter()
    by_tier: Counter[str] = Counter()
    by_day: Counter[str] = Counter()
    for day, method, tier, count in conn.execute(
        "SELECT visit_date, method, tier, count(*) FROM visits "
        "WHERE visit_date BETWEEN ? AND ? AND deleted = 0 "
        "GROUP BY visit_date, method, tier",
        (first, last),
    ):
        by_method[method] += count
        by_tier[tier] += count
        by_day[day] += count
    # Coverage counts households still in the register on both sides of the ratio,
    # counted in SQL (at district scale a set of 24k households in Python took 55 ms).
    register = in_register("p")
    visited = conn.execute(
        "SELECT count(DISTINCT v.household_id) FROM visits v INDEXED BY idx_visits_month "
        "WHERE v.visit_date BETWEEN ? AND ? AND v.deleted = 0 AND EXISTS (SELECT 1 FROM "
        f"persons p WHERE p.household_id = v.household_id AND {register})",
        (first, last),
    ).fetchone()[0]
    households_total = conn.execute(
        "SELECT count(DISTINCT household_id) FROM persons p INDEXED BY idx_persons_register "
        f"WHERE {register}"
    ).fetchone()[0]
    return MonthStats(
        households_visited=int(visited),
        households_total=int(households_total),
        visits=sum(by_day.values()),
        by_method=dict(by_method),
        by_tier=dict(by_tier),
        per_day=[by_day.get(today.replace(day=d).isoformat(), 0) for d in range(1, today.day + 1)],
    )


def _attendance(store: Store, today: date) -> dict[str, int] | None:
    """Today's 渝馨家园 counts, or None while the centre has no members at all."""
    if not store.scalar("SELECT EXISTS (SELECT 1 FROM daycare_members)"):
        return None
    return daycare.counts(store, today)


def _followups_first(store: Store, today: date) -> list[Followup]:
    return followups.open_followups(store, limit=AGENDA)


def _emergency_line(store: Store, today: date) -> str | None:
    return _emergency(store)


def _survey(store: Store, today: date) -> str | None:
    return survey_line(store)


# Each figure of the home screen (a field of `Dashboard`) and how it is computed.
PARTS: dict[str, Callable[[Store, date], Any]] = {
    "due": duelist.due_counts,
    "followups": followups.counts,
    "attendance": _attendance,
    "month": month_stats,
    "indicators": indicators.indicators,
    "emergency": _emergency_line,
    "certificates_expiring": certificates.expiring_count,
    "subsidies": subsidy_check.counts_on,
    "due_first": due_first,
    "followups_first": _followups_first,
    "survey": _survey,
}


def dashboard(
    store: Store,
    today: date | None = None,
    *,
    elsewhere: Mapping[str, Callable[[], Any]] | None = None,
) -> Dashboard:
    """Everything the home screen shows.  `elsewhere` gives the parts (keys of PARTS)
    computed in other threads (`store.prefetch`); they are asked for last."""
    today = today or store.today()
    ahead = elsewhere or {}
    found = {key: part(store, today) for key, part in PARTS.items() if key not in ahead}
    found.update((key, get()) for key, get in ahead.items())
    due, follow = found.pop("due"), found.pop("followups")
    return Dashboard(
        today=today,
        overdue=due["overdue"],
        due_today=due["due_today"],
        followups_open=follow["open"],
        followups_overdue=follow["overdue"],
        **found,
    )


def survey_line(store: Store) -> str | None:
    from canxie_tui.store import survey

    return survey.dashboard_line(store)


def _emergency(store: Store) -> str | None:
    # Most days there is no event: the roll-call modules are not loaded for nothing.
    if not store.scalar("SELECT EXISTS (SELECT 1 FROM emergency_events WHERE is_current = 1)"):
        return None
    from canxie_tui.store import emergency

    event = emergency.current_event(store)
    if event is None:
        return None
    return f"{event.name}：{emergency.progress(store, event).text}"
