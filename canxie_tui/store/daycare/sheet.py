"""The daily sign-in sheet: every member of a day with their mark, and its counts."""

from __future__ import annotations

from datetime import date

from canxie_tui.domain import daycare as rules
from canxie_tui.domain.daycare import ABSENT, PRESENT, Member, SheetRow
from canxie_tui.store.connection import Store
from canxie_tui.store.daycare.closures import closed_days
from canxie_tui.store.daycare.rows import _marks, _members


def day_sheet(store: Store, day: date) -> list[SheetRow]:
    """Everyone on the sheet of `day`: expected members first, then the other members
    (walk-ins), each with their mark or none (未登记).  A closed day expects nobody."""
    on = day.isoformat()
    members = _members(
        store,
        "WHERE (m.start_date <= ? AND (m.end_date = '' OR m.end_date > ?)) "
        "OR m.id IN (SELECT member_id FROM attendance WHERE day = ?)",
        (on, on, on),
    )
    marks = _marks(store, "WHERE day = ?", (on,))
    closed = closed_days(store, day, day)
    rows = []
    for member in members:
        mark, attendance_id, version = marks.get((member.id, day), (None, "", 0))
        expected = rules.expected_on(member, day, closed)
        rows.append(SheetRow(member, day, expected, mark, attendance_id, version))
    return sorted(rows, key=lambda r: not r.expected)


def counts(store: Store, day: date) -> dict[str, int]:
    """应到 / 实到 / 请假 / 缺勤 / 未登记 of `day` (walk-ins count as 实到)."""
    rows = day_sheet(store, day)
    return {
        "expected": sum(r.expected for r in rows),
        "present": sum(r.status == PRESENT for r in rows),
        "leave": sum(r.status == rules.LEAVE for r in rows),
        "absent": sum(r.status == ABSENT for r in rows),
        "unmarked": sum(r.expected and r.mark is None for r in rows),
    }


def _sheet_row(store: Store, member: Member, day: date) -> SheetRow:
    marks = _marks(store, "WHERE member_id = ? AND day = ?", (member.id, day.isoformat()))
    mark, attendance_id, version = marks.get((member.id, day), (None, "", 0))
    expected = rules.expected_on(member, day, closed_days(store, day, day))
    return SheetRow(member, day, expected, mark, attendance_id, version)
