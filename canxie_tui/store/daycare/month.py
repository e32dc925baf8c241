"""The month: loaded with three set-based queries, counted by the rules."""

from __future__ import annotations

import json
from datetime import date

from canxie_tui.domain import daycare as rules
from canxie_tui.domain.daycare import Mark, Member, MonthGrid, MonthStats
from canxie_tui.store.connection import Store
from canxie_tui.store.daycare.closures import closed_days
from canxie_tui.store.daycare.rows import _members


def _month_data(
    store: Store, year: int, month: int
) -> tuple[list[Member], dict[tuple[str, date], Mark], dict[date, str]]:
    """Members (enrolled in the month or with a mark in it), the month's marks and closures."""
    days = rules.month_days(year, month)
    first, last = days[0].isoformat(), days[-1].isoformat()
    members = _members(
        store,
        "WHERE (m.start_date <= ? AND (m.end_date = '' OR m.end_date > ?)) "
        "OR m.id IN (SELECT member_id FROM attendance WHERE day BETWEEN ? AND ?)",
        (last, first, first, last),
    )
    # Only what the grid and the statistics use; each day and services list parsed once.
    day_of = {d.isoformat(): d for d in days}
    services_of: dict[str, frozenset[str]] = {}
    marks: dict[tuple[str, date], Mark] = {}
    for member_id, day, status, half, meal, services in store.db.conn.execute(
        "SELECT member_id, day, status, half_day, meal, services FROM attendance "
        "WHERE day BETWEEN ? AND ?",
        (first, last),
    ):
        parsed = services_of.get(services)
        if parsed is None:
            parsed = services_of[services] = frozenset(json.loads(services))
        marks[(member_id, day_of[day])] = Mark(status, bool(half), bool(meal), parsed)
    return members, marks, closed_days(store, days[0], days[-1])


def month_grid(store: Store, year: int, month: int) -> MonthGrid:
    """Members × days symbols with totals per member and per day (see rules.build_grid)."""
    members, marks, closed = _month_data(store, year, month)
    return rules.build_grid(members, marks, closed, year, month, store.today())


def month_stats(store: Store, year: int, month: int) -> MonthStats:
    members, marks, closed = _month_data(store, year, month)
    return rules.month_stats(members, marks, closed, year, month, today=store.today())
