"""Marking attendance: one row per member per day, inserted, updated or removed."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain import daycare as rules
from canxie_tui.domain.daycare import ABSENT, PRESENT, Member, SheetRow
from canxie_tui.domain.errors import InputError
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.daycare.closures import closure_reason
from canxie_tui.store.daycare.members import get_member
from canxie_tui.store.daycare.rows import _md
from canxie_tui.store.daycare.sheet import _sheet_row, day_sheet
from canxie_tui.store.daycare.streaks import check_streaks

_TIME = re.compile(r"([01]?\d|2[0-3])[:：]([0-5]\d)")


def _check_open(store: Store, day: date) -> None:
    today = store.today()
    if day > today:
        raise InputError(f"不能登记今天以后的考勤（{day.isoformat()}）", "day")
    reason = closure_reason(store, day)
    if reason is not None:
        when = "今天" if day == today else _md(day)
        raise InputError(f"{when}闭馆（{reason}），不需要登记考勤", "day")


def _check_markable(store: Store, member: Member, day: date) -> None:
    _check_open(store, day)
    if not rules.active_on(member, day):
        span = f"{member.start.isoformat()}加入"
        if member.end is not None:
            span += f"，{member.end.isoformat()}退出"
        raise InputError(f"{member.name}在{day.isoformat()}不是渝馨家园成员（{span}）", "day")


def _clean_time(text: str) -> str:
    raw = text.strip()
    if not raw:
        return ""
    match = _TIME.fullmatch(raw)
    if not match:
        raise InputError(f"到达时间“{raw}”不对，请按 08:30 的格式填写", "arrival_time")
    return f"{int(match[1]):02d}:{match[2]}"


def _attendance(store: Store, member_id: str, day: date) -> dict[str, Any] | None:
    rows = store.query(
        "SELECT * FROM attendance WHERE member_id = ? AND day = ?", (member_id, day.isoformat())
    )
    return rows[0] if rows else None


def mark(
    store: Store,
    member_id: str,
    day: date,
    status: str,
    *,
    half_day: bool | None = None,
    meal: bool | None = None,
    services: Iterable[str] | None = None,
    note: str | None = None,
    arrival_time: str | None = None,
    expected_version: int | None = None,
    raise_followups: bool = True,
) -> SheetRow:
    """Record `status` (present / leave / absent) for a member on a day; returns the row.

    Inserts the day's one row or updates it (audited, versioned; pass the
    `expected_version` the screen showed to refuse overwriting someone else's
    edit).  Options left None keep their current value; a new 出勤 gets the
    member's enrolled services and, on today's sheet, the clock's time as arrival
    time.  Leaving 出勤 clears half day, meal, services and arrival time.  A 缺勤
    checks for an absence streak (pass raise_followups=False to defer that while
    a user is still cycling through statuses, then call check_streaks).
    """
    if status not in codes.ATTENDANCE_STATUSES:
        raise InputError("请选择考勤状态：出勤、请假或缺勤", "status")
    with store.transaction():
        member = get_member(store, member_id)
        _check_markable(store, member, day)
        current = _attendance(store, member_id, day)
        was_present = current is not None and current["status"] == PRESENT
        values: dict[str, Any] = {"status": status}
        if status == PRESENT:
            kept = current if was_present else None  # what 出勤 had; nothing carries over
            if services is not None:
                chosen = rules.clean_services(services)
            elif kept is not None:
                chosen = sorted(json.loads(kept["services"]))
            else:
                chosen = sorted(member.services)
            if arrival_time is not None:
                arrival = _clean_time(arrival_time)
            elif kept is not None and kept["arrival_time"]:
                arrival = kept["arrival_time"]
            else:
                arrival = store.clock().strftime("%H:%M") if day == store.today() else ""
            values |= {
                "half_day": int(
                    half_day if half_day is not None else bool(kept and kept["half_day"])
                ),
                "meal": int(meal if meal is not None else bool(kept and kept["meal"])),
                "services": json.dumps(chosen),
                "arrival_time": arrival,
            }
        else:
            if meal:
                raise InputError("未出勤不能登记用餐", "meal")
            values |= {"half_day": 0, "meal": 0, "services": "[]", "arrival_time": ""}
        if note is not None:
            values["note"] = note.strip()
        if current is None:
            records.insert(
                store,
                "attendance",
                {"member_id": member_id, "day": day.isoformat(), "note": "", **values},
                action="登记考勤",
            )
        else:
            records.update(
                store,
                "attendance",
                current["id"],
                values,
                expected_version=(
                    current["version"] if expected_version is None else expected_version
                ),
                action="修改考勤",
            )
        if status == ABSENT and raise_followups:
            check_streaks(store, day, member_id=member_id)
    return _sheet_row(store, member, day)


def unmark(store: Store, member_id: str, day: date) -> SheetRow:
    """Back to 未登记: the day's row is removed (the audit log keeps what it said)."""
    with store.transaction():
        member = get_member(store, member_id)
        current = _attendance(store, member_id, day)
        if current is not None:
            store.db.conn.execute("DELETE FROM attendance WHERE id = ?", (current["id"],))
            records.write_audit(store, "撤销考勤", "attendance", current["id"], current, None)
    return _sheet_row(store, member, day)


def toggle_meal(store: Store, member_id: str, day: date) -> SheetRow:
    """Meal taken / not taken, for a member marked 出勤 that day."""
    with store.transaction():
        current = _attendance(store, member_id, day)
        if current is None or current["status"] != PRESENT:
            raise InputError("请先登记出勤，再登记用餐", "meal")
        return mark(store, member_id, day, PRESENT, meal=not current["meal"], raise_followups=False)


def mark_all_expected_present(store: Store, day: date) -> int:
    """Mark every member expected on `day` and not yet marked as 出勤; returns how many."""
    _check_open(store, day)
    with store.transaction():
        rows = [r for r in day_sheet(store, day) if r.expected and r.mark is None]
        arrival = store.clock().strftime("%H:%M") if day == store.today() else ""
        for row in rows:
            records.insert(
                store,
                "attendance",
                {
                    "member_id": row.member.id,
                    "day": day.isoformat(),
                    "status": PRESENT,
                    "half_day": 0,
                    "meal": 0,
                    "services": json.dumps(sorted(row.member.services)),
                    "arrival_time": arrival,
                    "note": "",
                },
                action="登记考勤（全部出勤）",
            )
    return len(rows)
