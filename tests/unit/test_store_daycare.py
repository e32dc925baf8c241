"""渝馨家园 in the store: enrolments, closures, the daily sheet, the month, streak follow-ups.

The clock is fixed at Sunday 2026-11-29 10:00.  王芳 comes every day (1234567),
张强 on weekdays (12345), both enrolled since 2026-11-01.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pytest

from canxie_tui.domain.daycare import Member
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Person
from canxie_tui.store import daycare, followups, register
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import NotFoundError, StaleEditError
from tests.conftest import TODAY, Clock, Make

YESTERDAY = TODAY - timedelta(days=1)


def nov(day: int) -> date:
    return date(2026, 11, day)


@dataclass
class Centre:
    wang: Member  # every day
    zhang: Member  # weekdays: not expected on Sunday (today)
    wang_person: Person
    zhang_person: Person


@pytest.fixture
def centre(store: Store, make: Make) -> Centre:
    household = make.household("建新东路8号")
    wang = make.person(household, "王芳")
    zhang = make.person(make.household("建新东路9号"), "张强", category=5, level=3)
    return Centre(
        daycare.enrol(store, wang.id, ["day_care", "rehab"], "1234567", "2026-11-01"),
        daycare.enrol(store, zhang.id, ["work"], "1-5", nov(1)),
        wang,
        zhang,
    )


def attendance_rows(store: Store, member: Member) -> list[dict]:
    return store.query("SELECT * FROM attendance WHERE member_id = ? ORDER BY day", (member.id,))


def daycare_followups(store: Store) -> list:
    return [f for f in followups.open_followups(store) if f.source == "daycare"]


# -- enrolment -----------------------------------------------------------------------
def test_enrol(store: Store, centre: Centre) -> None:
    wang = centre.wang
    assert (wang.name, wang.person_id, wang.household_id) == (
        "王芳",
        centre.wang_person.id,
        centre.wang_person.household_id,
    )
    assert wang.services == {"day_care", "rehab"} and wang.weekdays == "1234567"
    assert (wang.start, wang.end) == (nov(1), None)
    assert centre.zhang.weekdays == "12345"
    assert daycare.member_for_person(store, centre.wang_person.id) == wang
    assert store.scalar(
        "SELECT count(*) FROM audit_log WHERE action = '加入渝馨家园' AND record_id = ?",
        (wang.id,),
    )


def test_enrol_refusals(store: Store, make: Make, centre: Centre) -> None:
    with pytest.raises(InputError, match="王芳已是渝馨家园成员（2026-11-01加入）") as err:
        daycare.enrol(store, centre.wang_person.id, ["rehab"], "12345", TODAY)
    assert err.value.field == "person_id"

    mother = make.person(name="刘秀英", category=None, relation="父母")
    with pytest.raises(InputError, match="刘秀英不是持证残疾人"):
        daycare.enrol(store, mother.id, ["rehab"], "12345", TODAY)

    li = make.person(name="李四")
    with pytest.raises(InputError, match="请至少选择一项服务") as err:
        daycare.enrol(store, li.id, [], "12345", TODAY)
    assert err.value.field == "services"
    with pytest.raises(InputError, match="到园日“89”无法识别") as err:
        daycare.enrol(store, li.id, ["rehab"], "89", TODAY)
    assert err.value.field == "weekdays"
    with pytest.raises(NotFoundError):
        daycare.enrol(store, "no-such-person", ["rehab"], "12345", TODAY)

    moved = make.person(name="赵六")
    moved = register.change_status(store, moved, "moved", "2026-11-20", "迁往渝北区")
    with pytest.raises(InputError, match="赵六已迁出，不在册，不能加入渝馨家园"):
        daycare.enrol(store, moved.id, ["rehab"], "12345", TODAY)
    assert store.scalar("SELECT count(*) FROM daycare_members") == 2


def test_end_enrolment(store: Store, centre: Centre) -> None:
    daycare.mark(store, centre.wang.id, nov(20), "present")
    with pytest.raises(InputError, match="请填写退出原因"):
        daycare.end_enrolment(store, centre.wang, nov(25), " ")
    with pytest.raises(InputError, match="2026-11-20还有考勤记录，退出日期应在2026-11-21或以后"):
        daycare.end_enrolment(store, centre.wang, nov(15), "搬家")
    with pytest.raises(InputError, match="不能早于加入日期"):
        daycare.end_enrolment(store, centre.zhang, "2026-10-01", "搬家")

    ended = daycare.end_enrolment(store, centre.wang, nov(21), "搬家")
    assert (ended.end, ended.end_reason) == (nov(21), "搬家")
    assert daycare.member_for_person(store, centre.wang_person.id) is None
    assert [r.member.name for r in daycare.day_sheet(store, nov(22))] == ["张强"]
    with pytest.raises(
        InputError, match="在2026-11-22不是渝馨家园成员（2026-11-01加入，2026-11-21退出）"
    ):
        daycare.mark(store, centre.wang.id, nov(22), "present")
    with pytest.raises(InputError, match="已于2026-11-21退出"):
        daycare.end_enrolment(store, ended, nov(25), "再次")
    # After the end the person may be enrolled again.
    again = daycare.enrol(store, centre.wang_person.id, ["rehab"], "135", nov(23))
    assert daycare.member_for_person(store, centre.wang_person.id) == again


def test_end_for_person(store: Store, centre: Centre) -> None:
    daycare.mark(store, centre.wang.id, nov(25), "present")
    ended = daycare.end_for_person(store, centre.wang_person.id, "2026-11-20", "死亡：病故")
    # Never refused: attendance already recorded after the date stays as history.
    assert [(m.id, m.end, m.end_reason) for m in ended] == [(centre.wang.id, nov(20), "死亡：病故")]
    assert len(attendance_rows(store, centre.wang)) == 1
    assert daycare.member_for_person(store, centre.wang_person.id) is None
    assert daycare.end_for_person(store, centre.wang_person.id, nov(20), "x") == []
    assert (
        store.scalar(
            "SELECT count(*) FROM audit_log WHERE action = '退出渝馨家园' AND record_id = ?",
            (centre.wang.id,),
        )
        == 1
    )


def test_leaving_the_register_ends_the_enrolment(store: Store, centre: Centre) -> None:
    register.change_status(store, centre.wang_person, "deceased", "2026-11-20", "病故")
    ended = daycare.get_member(store, centre.wang.id)
    assert ended.end == nov(20) and "病故" in ended.end_reason


def test_members_on_lists_expected_first(store: Store, centre: Centre) -> None:
    # By name (张 before 王) when both are expected; on Sunday 王芳, the one expected, first.
    assert [m.name for m in daycare.members_on(store, nov(27))] == ["张强", "王芳"]
    assert [m.name for m in daycare.members_on(store, TODAY)] == ["王芳", "张强"]
    assert daycare.members_on(store, nov(1) - timedelta(days=1)) == []


# -- one row per member per day ------------------------------------------------------
def test_a_second_mark_updates_the_one_row(store: Store, centre: Centre) -> None:
    first = daycare.mark(store, centre.wang.id, TODAY, "present")
    assert first.version == 1 and first.mark is not None and first.mark.status == "present"
    second = daycare.mark(store, centre.wang.id, TODAY, "leave", note="感冒")
    assert second.attendance_id == first.attendance_id and second.version == 2
    rows = attendance_rows(store, centre.wang)
    assert len(rows) == 1 and rows[0]["status"] == "leave" and rows[0]["note"] == "感冒"
    actions = [
        r["action"]
        for r in store.query(
            "SELECT action FROM audit_log WHERE record_id = ? ORDER BY seq", (first.attendance_id,)
        )
    ]
    assert actions == ["登记考勤", "修改考勤"]


def test_unique_member_day_holds_at_sql_level(store: Store, centre: Centre) -> None:
    daycare.mark(store, centre.wang.id, TODAY, "present")
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        store.db.conn.execute(
            "INSERT INTO attendance (id, member_id, day, status, created_at, updated_at) "
            "VALUES ('dup', ?, ?, 'absent', 'x', 'x')",
            (centre.wang.id, TODAY.isoformat()),
        )


def test_stale_mark_is_refused(store: Store, centre: Centre) -> None:
    seen = daycare.mark(store, centre.wang.id, TODAY, "present")
    daycare.mark(store, centre.wang.id, TODAY, "leave")  # someone else, meanwhile
    with pytest.raises(StaleEditError):
        daycare.mark(store, centre.wang.id, TODAY, "absent", expected_version=seen.version)
    assert attendance_rows(store, centre.wang)[0]["status"] == "leave"


def test_unmark_removes_the_row_and_is_audited(store: Store, centre: Centre) -> None:
    row = daycare.mark(store, centre.wang.id, TODAY, "present")
    back = daycare.unmark(store, centre.wang.id, TODAY)
    assert back.mark is None and back.status_label == "未登记"
    assert attendance_rows(store, centre.wang) == []
    assert (
        store.scalar(
            "SELECT count(*) FROM audit_log WHERE action = '撤销考勤' AND record_id = ?",
            (row.attendance_id,),
        )
        == 1
    )


# -- days that cannot be marked ------------------------------------------------------
def test_future_and_closed_days_are_refused(store: Store, centre: Centre) -> None:
    with pytest.raises(InputError, match="不能登记今天以后的考勤（2026-11-30）") as err:
        daycare.mark(store, centre.wang.id, TODAY + timedelta(days=1), "present")
    assert err.value.field == "day"
    daycare.set_closed(store, TODAY, "停电")
    with pytest.raises(InputError, match="今天闭馆（停电）"):
        daycare.mark(store, centre.wang.id, TODAY, "present")
    with pytest.raises(InputError, match="今天闭馆"):
        daycare.mark_all_expected_present(store, TODAY)
    daycare.set_closed(store, nov(20))
    with pytest.raises(InputError, match="11月20日闭馆（闭馆）"):
        daycare.mark(store, centre.wang.id, nov(20), "absent")
    with pytest.raises(InputError, match="不是渝馨家园成员"):
        daycare.mark(store, centre.wang.id, date(2026, 10, 31), "present")
    with pytest.raises(InputError, match="请选择考勤状态"):
        daycare.mark(store, centre.wang.id, YESTERDAY, "late")
    assert store.scalar("SELECT count(*) FROM attendance") == 0


def test_closures(store: Store, centre: Centre) -> None:
    assert daycare.set_closed(store, "2026-12-31", "元旦", until="2027-01-02") == 3
    assert daycare.set_closed(store, date(2027, 1, 1), "元旦") == 0  # already closed
    assert daycare.closed_days(store, date(2026, 12, 1), date(2027, 1, 31)) == {
        date(2026, 12, 31): "元旦",
        date(2027, 1, 1): "元旦",
        date(2027, 1, 2): "元旦",
    }
    assert daycare.closure_reason(store, date(2027, 1, 1)) == "元旦"
    assert daycare.reopen(store, date(2027, 1, 2)) is True
    assert daycare.reopen(store, date(2027, 1, 2)) is False
    assert daycare.closure_reason(store, date(2027, 1, 2)) is None
    assert store.scalar("SELECT count(*) FROM audit_log WHERE action = '取消闭馆'") == 1

    daycare.mark(store, centre.wang.id, YESTERDAY, "present")
    with pytest.raises(InputError, match="2026-11-28已有1条考勤记录，不能设为闭馆"):
        daycare.set_closed(store, nov(27), "停水", until=YESTERDAY)
    assert daycare.closure_reason(store, nov(27)) is None  # nothing of the range was written
    with pytest.raises(InputError, match="截止日期不能早于"):
        daycare.set_closed(store, nov(27), until=nov(26))


# -- the sheet -----------------------------------------------------------------------
def test_day_sheet_expected_first_walk_ins_and_closed_days(store: Store, centre: Centre) -> None:
    sheet = daycare.day_sheet(store, TODAY)  # Sunday: only 王芳 is expected
    assert [(r.member.name, r.expected, r.status_label) for r in sheet] == [
        ("王芳", True, "未登记"),
        ("张强", False, "未登记"),
    ]
    walk_in = daycare.mark(store, centre.zhang.id, TODAY, "present")
    assert walk_in.walk_in and not walk_in.expected
    daycare.set_closed(store, nov(30), "消防检查")
    assert [r.expected for r in daycare.day_sheet(store, nov(30))] == [False, False]


def test_arrival_time(store: Store, centre: Centre) -> None:
    row = daycare.mark(store, centre.wang.id, TODAY, "present")
    assert row.mark is not None and row.mark.arrival_time == "10:00"
    assert row.mark.services == {"day_care", "rehab"}  # the enrolled services by default
    store.clock = Clock(datetime(2026, 11, 29, 11, 30))
    again = daycare.mark(store, centre.wang.id, TODAY, "present", half_day=True)
    assert again.mark is not None and again.mark.arrival_time == "10:00"  # kept
    assert again.mark.half_day
    left = daycare.mark(store, centre.wang.id, TODAY, "leave")
    assert left.mark is not None and (left.mark.arrival_time, left.mark.half_day) == ("", False)
    back = daycare.mark(store, centre.wang.id, TODAY, "present")
    assert back.mark is not None and back.mark.arrival_time == "11:30"
    fixed = daycare.mark(store, centre.wang.id, TODAY, "present", arrival_time="8:05")
    assert fixed.mark is not None and fixed.mark.arrival_time == "08:05"
    with pytest.raises(InputError, match="到达时间“25:00”不对"):
        daycare.mark(store, centre.wang.id, TODAY, "present", arrival_time="25:00")
    # A past day's arrival time is not invented from today's clock.
    past = daycare.mark(store, centre.wang.id, YESTERDAY, "present")
    assert past.mark is not None and past.mark.arrival_time == ""


def test_services_and_meal(store: Store, centre: Centre) -> None:
    row = daycare.mark(store, centre.wang.id, TODAY, "present", services=["culture"])
    assert row.mark is not None and row.mark.services == {"culture"} and not row.mark.meal
    toggled = daycare.toggle_meal(store, centre.wang.id, TODAY)
    assert toggled.mark is not None and toggled.mark.meal and toggled.version == 2
    toggled = daycare.toggle_meal(store, centre.wang.id, TODAY)
    assert toggled.mark is not None and not toggled.mark.meal
    assert toggled.mark.services == {"culture"}  # the rest of the row is kept
    with pytest.raises(InputError, match="未知的服务项目"):
        daycare.mark(store, centre.wang.id, TODAY, "present", services=["swim"])
    with pytest.raises(InputError, match="请先登记出勤"):
        daycare.toggle_meal(store, centre.zhang.id, TODAY)
    daycare.mark(store, centre.zhang.id, TODAY, "absent")
    with pytest.raises(InputError, match="请先登记出勤"):
        daycare.toggle_meal(store, centre.zhang.id, TODAY)
    with pytest.raises(InputError, match="未出勤不能登记用餐"):
        daycare.mark(store, centre.zhang.id, TODAY, "leave", meal=True)


def test_mark_all_expected_present_and_counts(store: Store, make: Make, centre: Centre) -> None:
    li = daycare.enrol(store, make.person(name="李四").id, ["rehab"], "67", nov(1))
    daycare.mark(store, li.id, TODAY, "leave")
    assert daycare.counts(store, TODAY) == {
        "expected": 2,  # 王芳 and 李四 (Sunday); 张强 comes on weekdays
        "present": 0,
        "leave": 1,
        "absent": 0,
        "unmarked": 1,
    }
    before = store.scalar("SELECT count(*) FROM audit_log")
    assert daycare.mark_all_expected_present(store, TODAY) == 1  # only 王芳: 李四 is on leave
    assert store.scalar("SELECT count(*) FROM audit_log") == before + 1
    assert daycare.mark_all_expected_present(store, TODAY) == 0
    daycare.mark(store, centre.zhang.id, TODAY, "present")  # walk-in
    assert daycare.counts(store, TODAY) == {
        "expected": 2,
        "present": 2,
        "leave": 1,
        "absent": 0,
        "unmarked": 0,
    }
    [wang] = attendance_rows(store, centre.wang)
    assert (wang["status"], wang["arrival_time"]) == ("present", "10:00")
    # Friday: 王芳 and 张强 expected; both marked in one go.
    assert daycare.mark_all_expected_present(store, nov(27)) == 2
    assert daycare.counts(store, nov(27))["present"] == 2
    with pytest.raises(InputError, match="今天以后"):
        daycare.mark_all_expected_present(store, TODAY + timedelta(days=1))


def test_mark_all_is_one_transaction(
    store: Store, centre: Centre, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canxie_tui.store import records

    real_insert = records.insert
    calls = []

    def failing_insert(store_: Store, table: str, values: dict, **kw: object) -> str:
        calls.append(table)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real_insert(store_, table, values, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(records, "insert", failing_insert)
    with pytest.raises(RuntimeError):
        daycare.mark_all_expected_present(store, nov(27))
    assert store.scalar("SELECT count(*) FROM attendance") == 0


# -- absence streaks -----------------------------------------------------------------
def test_streak_raises_one_followup(store: Store, centre: Centre) -> None:
    for day in (nov(27), nov(28)):
        daycare.mark(store, centre.wang.id, day, "absent")
    assert daycare_followups(store) == []
    daycare.mark(store, centre.wang.id, TODAY, "absent")
    [raised] = daycare_followups(store)
    assert raised.what == "渝馨家园连续缺勤3天：请电话或上门了解情况"
    assert raised.due_date == "2026-11-30"
    assert raised.household_id == centre.wang_person.household_id
    assert raised.person_id == centre.wang_person.id
    assert raised.source_id == f"{centre.wang.id}:2026-11-27"
    # Marking again, or the streak growing backwards, raises nothing new.
    daycare.mark(store, centre.wang.id, TODAY, "absent", note="电话未接")
    daycare.mark(store, centre.wang.id, nov(26), "absent")
    assert len(daycare_followups(store)) == 1
    # A new streak after a day present is a new streak.
    daycare.mark(store, centre.wang.id, nov(22), "present")
    for day in (nov(19), nov(20), nov(21)):
        daycare.mark(store, centre.wang.id, day, "absent")
    assert sorted(f.source_id for f in daycare_followups(store)) == [
        f"{centre.wang.id}:2026-11-19",
        f"{centre.wang.id}:2026-11-27",
    ]


def test_streak_across_a_closed_day_and_weekend(store: Store, centre: Centre) -> None:
    # 张强 comes on weekdays: Tue 24, Wed 25 absent, Thu 26 closed, Fri 27 absent.
    daycare.set_closed(store, nov(26), "停水")
    for day in (nov(24), nov(25), nov(27)):
        daycare.mark(store, centre.zhang.id, day, "absent")
    [raised] = daycare_followups(store)
    assert raised.source_id == f"{centre.zhang.id}:2026-11-24"
    assert "连续缺勤3天" in raised.what


def test_streak_found_back_across_month_ends(store: Store, make: Make) -> None:
    weekly = daycare.enrol(store, make.person(name="周八").id, ["rehab"], "5", "2026-08-01")
    # Fridays only: present Aug 28, then absent every Friday from Sep 4 to Nov 27 (13 weeks,
    # further back than the first look-back window).
    daycare.mark(store, weekly.id, date(2026, 8, 28), "present")
    fridays = [date(2026, 9, 4) + timedelta(weeks=n) for n in range(13)]
    for day in fridays:
        daycare.mark(store, weekly.id, day, "absent", raise_followups=False)
    assert fridays[-1] == nov(27)
    [streak] = daycare.streaks_on(store, nov(27), member_id=weekly.id)
    assert streak[1:] == (date(2026, 9, 4), nov(27), 13)
    [raised] = daycare.check_streaks(store, nov(27))
    assert raised.source_id == f"{weekly.id}:2026-09-04"
    assert raised.what == "渝馨家园连续缺勤13天：请电话或上门了解情况"
    assert daycare.check_streaks(store, nov(20)) == []  # the same streak


def test_an_old_streak_raises_nothing(store: Store, make: Make) -> None:
    """Correcting last month's sheet does not send anyone to a door today."""
    old = daycare.enrol(store, make.person(name="吴九").id, ["rehab"], "1234567", "2026-09-01")
    for day in (date(2026, 10, 1), date(2026, 10, 2), date(2026, 10, 3)):
        daycare.mark(store, old.id, day, "absent")
    assert daycare.streaks_on(store, date(2026, 10, 2), member_id=old.id)  # it is a streak
    assert daycare.check_streaks(store, date(2026, 10, 2)) == []
    assert daycare_followups(store) == []


# -- the month -----------------------------------------------------------------------
def test_month_grid_totals_equal_month_stats(store: Store, centre: Centre) -> None:
    daycare.set_closed(store, nov(11), "检修")
    daycare.mark_all_expected_present(store, nov(27))
    daycare.mark(store, centre.wang.id, nov(28), "present", half_day=True, meal=True)
    daycare.mark(store, centre.zhang.id, nov(28), "present")  # Saturday walk-in
    daycare.mark(store, centre.wang.id, nov(26), "leave")
    daycare.mark(store, centre.zhang.id, nov(26), "absent")

    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    try:
        grid = daycare.month_grid(store, 2026, 11)
    finally:
        store.db.conn.set_trace_callback(None)
    assert len(statements) <= 4  # set-based: members, marks, closures — not one per cell

    stats = daycare.month_stats(store, 2026, 11)
    assert grid.total == stats.person_days == 3.5
    assert sum(r.person_days for r in grid.rows) == stats.person_days
    assert sum(r.unmarked for r in grid.rows) == stats.unmarked
    assert [r.member.name for r in grid.rows] == ["张强", "王芳"]
    rows = {r.member.name: r for r in grid.rows}
    assert rows["王芳"].cells[26:29] == ["✓", "½", "·"]  # 27, 28, 29 (today, unmarked)
    assert rows["王芳"].cells[25] == "假" and rows["张强"].cells[25] == "✗"
    assert rows["张强"].cells[27] == "✓" and rows["张强"].cells[28] == ""  # walk-in; Sunday
    assert rows["王芳"].cells[10] == "" and grid.closed[10]
    assert grid.day_totals[27] == 1.5
    assert (stats.people, stats.meals, stats.leave, stats.absent) == (2, 1, 1, 1)
    # Open days: Nov 1–29 except the closure (王芳 is expected every day).
    assert stats.open_days == 28
    assert stats.services["day_care"] == 2 and stats.services["work"] == 2
