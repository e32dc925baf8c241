"""渝馨家园: enrolments, the centre calendar, the daily sign-in sheet, the month.

One attendance row per member per day (UNIQUE in the schema): marking again
updates the row.  Every change goes through `records` (versioned and audited);
changes of several rows run in one transaction.  The month grid and the monthly
statistics load a month with three set-based queries and leave the counting to
`canxie_tui.domain.daycare`, so both always agree.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain import daycare as rules
from canxie_tui.domain.dates import parse_day
from canxie_tui.domain.daycare import (
    ABSENT,
    PRESENT,
    Mark,
    Member,
    MonthGrid,
    MonthStats,
    SheetRow,
    Streak,
)
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Followup
from canxie_tui.store import followups, records
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import NotFoundError

FOLLOWUP_SOURCE = "daycare"
STREAK_RECENT_DAYS = 30  # a streak that ended longer ago than this raises nothing
_STREAK_LOOKBACK_DAYS = 63

_MEMBER_SELECT = """
SELECT m.id, m.person_id, m.services, m.weekdays, m.start_date, m.end_date, m.end_reason,
       m.version, p.name, p.household_id
FROM daycare_members m JOIN persons p ON p.id = m.person_id
"""
_MARK_COLUMNS = "id, member_id, day, status, half_day, meal, services, arrival_time, note, version"
_TIME = re.compile(r"([01]?\d|2[0-3])[:：]([0-5]\d)")


# -- conversions -----------------------------------------------------------------
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


# -- enrolments --------------------------------------------------------------------
def get_member(store: Store, member_id: str) -> Member:
    found = _members(store, "WHERE m.id = ?", (member_id,))
    if not found:
        raise NotFoundError("找不到该渝馨家园成员记录。")
    return found[0]


def member_for_person(store: Store, person_id: str, day: date | None = None) -> Member | None:
    """The person's enrolment active on `day` (default today), or None."""
    on = (day or store.today()).isoformat()
    found = _members(
        store,
        "WHERE m.person_id = ? AND m.start_date <= ? AND (m.end_date = '' OR m.end_date > ?)",
        (person_id, on, on),
    )
    return found[0] if found else None


def enrol(
    store: Store,
    person_id: str,
    services: Iterable[str],
    weekdays: str | Iterable[int],
    start: date | str,
) -> Member:
    """Enrol a registered (在册) certificate holder with their services and weekdays."""
    rows = store.query("SELECT name, status, category FROM persons WHERE id = ?", (person_id,))
    if not rows:
        raise NotFoundError("找不到该人员，可能已被删除。")
    person = rows[0]
    if person["status"] != codes.ACTIVE:
        status = codes.label(codes.PERSON_STATUSES, person["status"], person["status"])
        raise InputError(f"{person['name']}已{status}，不在册，不能加入渝馨家园", "person_id")
    if person["category"] is None:
        raise InputError(f"{person['name']}不是持证残疾人，不能加入渝馨家园", "person_id")
    clean_services, clean_weekdays = rules.clean_enrolment(services, weekdays)
    start_day = _day(start, store, "加入日期", "start_date")
    with store.transaction():
        current = _members(
            store,
            "WHERE m.person_id = ? AND (m.end_date = '' OR m.end_date > ?)",
            (person_id, start_day.isoformat()),
        )
        if current:
            since = current[0].start.isoformat()
            raise InputError(
                f"{person['name']}已是渝馨家园成员（{since}加入），不能重复加入", "person_id"
            )
        member_id = records.insert(
            store,
            "daycare_members",
            {
                "person_id": person_id,
                "services": json.dumps(clean_services),
                "weekdays": clean_weekdays,
                "start_date": start_day.isoformat(),
            },
            action="加入渝馨家园",
        )
    return get_member(store, member_id)


def update_enrolment(
    store: Store, member: Member, services: Iterable[str], weekdays: str | Iterable[int]
) -> Member:
    """Change the services and weekdays of `member` (as the editor opened it)."""
    clean_services, clean_weekdays = rules.clean_enrolment(services, weekdays)
    records.update(
        store,
        "daycare_members",
        member.id,
        {"services": json.dumps(clean_services), "weekdays": clean_weekdays},
        expected_version=member.version,
        action="修改渝馨家园服务",
    )
    return get_member(store, member.id)


def end_enrolment(store: Store, member: Member, end: date | str, reason: str) -> Member:
    """End an enrolment: from `end` on, `member` is no longer expected.

    Refused when already ended, before the start, or before a day that already
    has attendance recorded (correct or remove those first).
    """
    if not reason.strip():
        raise InputError("请填写退出原因", "end_reason")
    end_day = _day(end, store, "退出日期", "end_date")
    with store.transaction():
        current = get_member(store, member.id)
        if current.end is not None:
            raise InputError(f"{current.name}已于{current.end.isoformat()}退出渝馨家园", "end_date")
        if end_day < current.start:
            raise InputError(f"退出日期不能早于加入日期{current.start.isoformat()}", "end_date")
        last = store.scalar(
            "SELECT max(day) FROM attendance WHERE member_id = ? AND day >= ?",
            (member.id, end_day.isoformat()),
        )
        if last:
            after = date.fromisoformat(last) + timedelta(days=1)
            raise InputError(
                f"{current.name}在{last}还有考勤记录，退出日期应在{after.isoformat()}或以后",
                "end_date",
            )
        records.update(
            store,
            "daycare_members",
            member.id,
            {"end_date": end_day.isoformat(), "end_reason": reason.strip()},
            expected_version=member.version,
            action="退出渝馨家园",
        )
    return get_member(store, member.id)


def end_for_person(store: Store, person_id: str, day: date | str, reason: str) -> list[Member]:
    """End every enrolment of a person leaving the register (迁出/死亡/注销) from `day`.

    Never refuses: the register change must go through.  Attendance recorded on
    or after `day` stays as it was (it is history); returns the enrolments ended.
    """
    end_day = _day(day, store, "日期", "status_date")
    ended = []
    with store.transaction():
        for member in _members(
            store,
            "WHERE m.person_id = ? AND (m.end_date = '' OR m.end_date > ?)",
            (person_id, end_day.isoformat()),
        ):
            records.update(
                store,
                "daycare_members",
                member.id,
                {
                    "end_date": max(end_day, member.start).isoformat(),
                    "end_reason": reason.strip() or "离开户籍名册",
                },
                expected_version=member.version,
                action="退出渝馨家园",
            )
            ended.append(get_member(store, member.id))
    return ended


def members_on(store: Store, day: date) -> list[Member]:
    """Members enrolled on `day`: those expected that day first, then the others, by name."""
    on = day.isoformat()
    found = _members(
        store, "WHERE m.start_date <= ? AND (m.end_date = '' OR m.end_date > ?)", (on, on)
    )
    closed = closed_days(store, day, day)
    return sorted(found, key=lambda m: not rules.expected_on(m, day, closed))


# -- the centre calendar -------------------------------------------------------------
def closed_days(store: Store, start: date, end: date) -> dict[date, str]:
    """Days the centre is closed in [start, end], with the reason."""
    rows = store.db.conn.execute(
        "SELECT day, reason FROM daycare_closures WHERE day BETWEEN ? AND ? ORDER BY day",
        (start.isoformat(), end.isoformat()),
    )
    return {date.fromisoformat(day): reason for day, reason in rows}


def closure_reason(store: Store, day: date) -> str | None:
    """Why the centre is closed on `day`, or None when it is open."""
    return closed_days(store, day, day).get(day)


def set_closed(
    store: Store, day: date | str, reason: str = "", *, until: date | str | None = None
) -> int:
    """Close the centre on `day` (through `until`, inclusive); returns days newly closed.

    Refused for a day with attendance already recorded: nobody can be absent,
    or present, on a closed day.
    """
    first = _day(day, store, "闭馆日期", "day")
    last = _day(until, store, "闭馆截止日期", "until") if until is not None else first
    if last < first:
        raise InputError("闭馆截止日期不能早于开始日期", "until")
    if (last - first).days > 366:
        raise InputError("一次最多设置一年的闭馆日期", "until")
    reason = reason.strip() or "闭馆"
    added = 0
    with store.transaction():
        marked = store.query(
            "SELECT day, count(*) AS n FROM attendance WHERE day BETWEEN ? AND ? "
            "GROUP BY day ORDER BY day LIMIT 1",
            (first.isoformat(), last.isoformat()),
        )
        if marked:
            raise InputError(
                f"{marked[0]['day']}已有{marked[0]['n']}条考勤记录，不能设为闭馆；"
                "请先撤销这些考勤记录",
                "day",
            )
        existing = {
            r["day"]: r
            for r in store.query(
                "SELECT id, day, reason, version FROM daycare_closures WHERE day BETWEEN ? AND ?",
                (first.isoformat(), last.isoformat()),
            )
        }
        current = first
        while current <= last:
            row = existing.get(current.isoformat())
            if row is None:
                records.insert(
                    store,
                    "daycare_closures",
                    {"day": current.isoformat(), "reason": reason},
                    action="设置闭馆",
                )
                added += 1
            elif row["reason"] != reason:
                records.update(
                    store,
                    "daycare_closures",
                    row["id"],
                    {"reason": reason},
                    expected_version=row["version"],
                    action="修改闭馆原因",
                )
            current += timedelta(days=1)
    return added


def reopen(store: Store, day: date | str) -> bool:
    """Undo a closure (audited); False when the centre was not closed that day."""
    on = _day(day, store, "日期", "day")
    with store.transaction():
        rows = store.query("SELECT * FROM daycare_closures WHERE day = ?", (on.isoformat(),))
        if not rows:
            return False
        store.db.conn.execute("DELETE FROM daycare_closures WHERE id = ?", (rows[0]["id"],))
        records.write_audit(store, "取消闭馆", "daycare_closures", rows[0]["id"], rows[0], None)
    return True


# -- the daily sheet ------------------------------------------------------------------
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


# -- the month -------------------------------------------------------------------------
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


# -- absence streaks ----------------------------------------------------------------------
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
