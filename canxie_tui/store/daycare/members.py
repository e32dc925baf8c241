"""Enrolments: who is a member of the centre, since and until when, for which services."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, timedelta

from canxie_tui.domain import codes
from canxie_tui.domain import daycare as rules
from canxie_tui.domain.daycare import Member
from canxie_tui.domain.errors import InputError
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.daycare.closures import closed_days
from canxie_tui.store.daycare.rows import _day, _members
from canxie_tui.store.errors import NotFoundError


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
