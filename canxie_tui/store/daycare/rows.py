"""Enrolments and attendance rows read into the rules' records (`domain.daycare`)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from canxie_tui.domain.dates import parse_day
from canxie_tui.domain.daycare import Mark, Member
from canxie_tui.store.connection import Store

_MEMBER_SELECT = """
SELECT m.id, m.person_id, m.services, m.weekdays, m.start_date, m.end_date, m.end_reason,
       m.version, p.name, p.household_id
FROM daycare_members m JOIN persons p ON p.id = m.person_id
"""
_MARK_COLUMNS = "id, member_id, day, status, half_day, meal, services, arrival_time, note, version"


def _member(row: dict[str, Any]) -> Member:
    return Member(
        id=row["id"],
        person_id=row["person_id"],
        name=row["name"],
        services=frozenset(json.loads(row["services"])),
        weekdays=row["weekdays"],
        start=date.fromisoformat(row["start_date"]),
        end=date.fromisoformat(row["end_date"]) if row["end_date"] else None,
        end_reason=row["end_reason"],
        household_id=row["household_id"],
        version=row["version"],
    )


def _members(store: Store, where: str, params: Iterable[Any] = ()) -> list[Member]:
    rows = store.query(f"{_MEMBER_SELECT} {where} ORDER BY p.name, m.start_date, m.pk", params)
    return [_member(r) for r in rows]


def _marks(
    store: Store, where: str, params: Iterable[Any]
) -> dict[tuple[str, date], tuple[Mark, str, int]]:
    """(member id, day) -> (mark, attendance id, version) for the rows `where` selects."""
    services_cache: dict[str, frozenset[str]] = {}  # few distinct lists: parse each once
    found: dict[tuple[str, date], tuple[Mark, str, int]] = {}
    cursor = store.db.conn.execute(f"SELECT {_MARK_COLUMNS} FROM attendance {where}", tuple(params))
    for row_id, member_id, day, status, half, meal, services, arrival, note, version in cursor:
        parsed = services_cache.get(services)
        if parsed is None:
            parsed = services_cache[services] = frozenset(json.loads(services))
        mark = Mark(status, bool(half), bool(meal), parsed, arrival, note)
        found[(member_id, date.fromisoformat(day))] = (mark, row_id, version)
    return found


def _day(value: date | str, store: Store, label: str, field: str, *, future: bool = True) -> date:
    if isinstance(value, date):
        return value
    return parse_day(value, store.today(), field=field, label=label, allow_future=future)


def _md(day: date) -> str:
    return f"{day.month}月{day.day}日"
