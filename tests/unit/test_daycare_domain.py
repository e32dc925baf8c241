"""渝馨家园 rules on a hand-built month: February 2021 (starts on a Monday, 28 days).

The centre is closed on Thu 11 and Fri 12 (春节).  Members:
- A (周一、三、五) enrolled since January; walks in on Tue 2 (half day).
- B (周一至周五) enrolled from Mon 15.
- C (Saturdays) enrolled until Sun 14 (the end date is the first day not enrolled).
"""

from __future__ import annotations

from datetime import date

import pytest

from canxie_tui.domain import daycare as dc
from canxie_tui.domain.dates import parse_month
from canxie_tui.domain.daycare import Mark, Member, Streak
from canxie_tui.domain.errors import InputError


def d(day: int, month: int = 2) -> date:
    return date(2021, month, day)


A = Member("a", "pa", "王芳", frozenset({"day_care", "rehab"}), "135", date(2021, 1, 1))
B = Member("b", "pb", "张强", frozenset({"work"}), "12345", d(15))
C = Member("c", "pc", "刘秀英", frozenset({"day_care"}), "6", date(2021, 1, 1), end=d(14))
MEMBERS = [A, B, C]
CLOSED = {d(11): "春节", d(12): "春节"}

MARKS: dict[tuple[str, date], Mark] = {
    ("a", d(1)): Mark("present", meal=True, services=frozenset({"day_care", "rehab"})),
    ("a", d(2)): Mark("present", half_day=True, services=frozenset({"culture"})),  # walk-in
    ("a", d(3)): Mark("leave"),
    ("a", d(5)): Mark("absent"),
    ("a", d(8)): Mark("present", half_day=True, meal=True),
    ("b", d(15)): Mark("present", meal=True, services=frozenset({"work"})),
    ("b", d(16)): Mark("present", half_day=True, services=frozenset({"work"})),
    ("b", d(17)): Mark("absent"),
    ("c", d(6)): Mark("present", services=frozenset({"day_care"})),
    ("a", date(2021, 1, 29)): Mark("present"),  # another month: ignored
}


# -- expected days -------------------------------------------------------------------
def test_expected_on_weekday_enrolment_and_closures() -> None:
    assert dc.expected_on(A, d(1), CLOSED)  # Monday
    assert not dc.expected_on(A, d(2), CLOSED)  # Tuesday: not one of A's days
    assert not dc.expected_on(A, d(12), CLOSED)  # Friday, but closed
    assert not dc.expected_on(B, d(12), CLOSED)  # before B's start (and closed)
    assert not dc.expected_on(B, d(8), CLOSED)  # before B's start
    assert dc.expected_on(B, d(15), CLOSED)  # the start day itself
    assert dc.expected_on(C, d(13), CLOSED)  # last Saturday before the end
    assert not dc.expected_on(C, d(20), CLOSED)  # after the end


# -- statistics ----------------------------------------------------------------------
def test_month_stats_on_a_hand_built_month() -> None:
    stats = dc.month_stats(MEMBERS, MARKS, CLOSED, 2021, 2)
    assert stats.person_days == 4.5  # A 1 + ½ + ½, B 1 + ½, C 1
    assert stats.attendances == 6
    assert stats.half_days == 3
    assert stats.people == 3
    assert stats.members == 3
    # Days somebody was expected or came (walk-in Tue 2), closures excluded:
    # 1 2 3 5 6 8 10 13, 15–19, 22–26.
    assert stats.open_days == 18
    assert stats.average_daily == 0.25
    assert stats.expected == 11 + 10 + 2  # A (Fri 12 closed), B from 15, C two Saturdays
    assert stats.unmarked == 23 - 8  # marks on expected days: A 1 3 5 8, B 15 16 17, C 6
    assert (stats.leave, stats.absent, stats.meals) == (1, 2, 3)
    assert stats.services == {
        "day_care": 2,
        "residential": 0,
        "rehab": 1,
        "work": 2,
        "training": 0,
        "culture": 1,
        "counselling": 0,
        "errands": 0,
    }
    assert stats.services_labelled["日间照料"] == 2
    assert stats.label == "2021年2月"


def test_month_stats_of_a_month_in_progress_counts_open_days_up_to_today() -> None:
    marks = {k: v for k, v in MARKS.items() if k[1] <= d(16)}
    stats = dc.month_stats(MEMBERS, marks, CLOSED, 2021, 2, today=d(16))
    assert stats.open_days == 10  # 1 2 3 5 6 8 10 13 15 16
    assert stats.expected == 6 + 2 + 2  # A 1 3 5 8 10 15, B 15 16, C 6 13
    assert stats.person_days == 4.5
    assert stats.average_daily == 0.45


def test_month_stats_counts_one_person_once_across_two_enrolments() -> None:
    again = Member("a2", "pa", "王芳", frozenset({"rehab"}), "2", d(20))
    marks = {**MARKS, ("a2", d(23)): Mark("present")}
    stats = dc.month_stats([*MEMBERS, again], marks, CLOSED, 2021, 2)
    assert stats.people == 3
    assert stats.person_days == 5.5


def test_empty_month() -> None:
    stats = dc.month_stats([], {}, {}, 2021, 2)
    assert (stats.person_days, stats.open_days, stats.average_daily, stats.people) == (0, 0, 0, 0)


# -- the grid ------------------------------------------------------------------------
def test_grid_symbols() -> None:
    grid = dc.build_grid(MEMBERS, MARKS, CLOSED, 2021, 2, today=d(16))
    rows = {r.member.id: r for r in grid.rows}
    a, b, c = (rows[k].cells for k in "abc")
    assert len(a) == 28 and grid.days[0] == d(1) and grid.days[-1] == d(28)
    assert a[0] == "✓"  # 1: present
    assert a[1] == "½"  # 2: walk-in, half day
    assert a[2] == "假"  # 3: leave
    assert a[3] == ""  # 4: Thursday, not expected
    assert a[4] == "✗"  # 5: absent
    assert a[7] == "½"  # 8: half day
    assert a[9] == "·"  # 10: expected, open, past, nothing recorded
    assert a[11] == ""  # 12: closed
    assert a[16] == ""  # 17: expected but in the future
    assert b[13] == ""  # 14: before B's start
    assert b[15] == "½" and b[16] == "✗"  # a mark shows even after "today"
    assert c[12] == "·"  # 13: C's last Saturday
    assert c[19] == ""  # 20: after C's end
    assert grid.closed[10] and grid.closed[11] and not grid.closed[9]
    assert grid.legend == dc.GRID_LEGEND
    for symbol in ("✓", "½", "假", "✗", "·"):
        assert symbol in dc.GRID_LEGEND


def test_grid_totals_agree_with_the_statistics() -> None:
    grid = dc.build_grid(MEMBERS, MARKS, CLOSED, 2021, 2, today=d(28))
    stats = dc.month_stats(MEMBERS, MARKS, CLOSED, 2021, 2, today=d(28))
    rows = {r.member.id: r for r in grid.rows}
    assert (rows["a"].person_days, rows["b"].person_days, rows["c"].person_days) == (2, 1.5, 1)
    assert (rows["a"].leave, rows["a"].absent, rows["b"].absent) == (1, 1, 1)
    assert grid.total == sum(grid.day_totals) == sum(r.person_days for r in grid.rows)
    assert grid.total == stats.person_days
    assert sum(r.unmarked for r in grid.rows) == stats.unmarked
    assert grid.day_totals[0] == 1 and grid.day_totals[15] == 0.5
    assert grid.day_expected[14] == 2  # Monday 15: A and B
    assert grid.day_expected[11] == 0  # closed


def test_grid_shows_a_member_with_marks_after_the_end() -> None:
    ended = Member("e", "pe", "赵六", frozenset(), "12345", date(2021, 1, 4), end=date(2021, 1, 20))
    grid = dc.build_grid([ended], {("e", d(1)): Mark("present")}, {}, 2021, 2, today=d(28))
    assert [r.member.id for r in grid.rows] == ["e"]
    assert grid.rows[0].cells[0] == "✓" and grid.rows[0].cells[1] == ""
    assert dc.build_grid([ended], {}, {}, 2021, 2, today=d(28)).rows == []


# -- absence streaks -----------------------------------------------------------------
WEEKDAYS = Member("w", "pw", "孙七", frozenset({"day_care"}), "12345", date(2020, 1, 1))


def absent(member: str, *days: date) -> dict[tuple[str, date], Mark]:
    return {(member, day): Mark("absent") for day in days}


def test_streak_across_a_closed_day() -> None:
    # Mon 8, Tue 9, Wed 10 absent; Thu 11 and Fri 12 closed; Mon 15 absent; Tue 16 present.
    marks = {**absent("w", d(8), d(9), d(10), d(15)), ("w", d(16)): Mark("present")}
    found = dc.absence_streaks([WEEKDAYS], marks, CLOSED, d(1), d(28))
    assert found == [Streak("w", d(8), d(15), 4)]


def test_streak_across_a_month_end_and_days_not_expected() -> None:
    # A comes Mon/Wed/Fri: Fri Jan 29, Mon Feb 1, Wed Feb 3; the weekend and Tue 2 are skipped.
    marks = absent("a", date(2021, 1, 29), d(1), d(3))
    found = dc.absence_streaks([A], marks, CLOSED, date(2021, 1, 1), d(28))
    assert found == [Streak("a", date(2021, 1, 29), d(3), 3)]


@pytest.mark.parametrize(
    ("breaker", "expected"),
    [
        (Mark("leave"), []),  # 请假 on an expected day breaks the run
        (None, []),  # nothing recorded on an expected day breaks it too
        (Mark("present", half_day=True), []),
    ],
)
def test_anything_but_absent_on_an_expected_day_breaks_a_streak(
    breaker: Mark | None, expected: list[Streak]
) -> None:
    marks = absent("w", d(1), d(2), d(4), d(5))  # Wed 3 is the breaker
    if breaker is not None:
        marks[("w", d(3))] = breaker
    assert dc.absence_streaks([WEEKDAYS], marks, {}, d(1), d(28)) == expected


def test_a_walk_in_on_a_day_not_expected_breaks_a_streak() -> None:
    marks = {**absent("a", d(1), d(3), d(5)), ("a", d(4)): Mark("present")}  # came Thu 4
    assert dc.absence_streaks([A], marks, {}, d(1), d(28)) == []
    del marks[("a", d(4))]
    assert dc.absence_streaks([A], marks, {}, d(1), d(28)) == [Streak("a", d(1), d(5), 3)]


def test_two_absences_are_not_a_streak_and_range_limits_apply() -> None:
    marks = absent("w", d(1), d(2))
    assert dc.absence_streaks([WEEKDAYS], marks, {}, d(1), d(28)) == []
    marks = absent("w", d(1), d(2), d(3))
    assert dc.absence_streaks([WEEKDAYS], marks, {}, d(2), d(28)) == []  # starts inside the run
    assert dc.absence_streaks([WEEKDAYS], marks, {}, d(1), d(28), minimum=2) == [
        Streak("w", d(1), d(3), 3)
    ]


def test_streak_stops_at_the_end_of_an_enrolment() -> None:
    ends = Member("x", "px", "周八", frozenset(), "12345", date(2021, 1, 1), end=d(3))
    marks = absent("x", d(1), d(2), d(3), d(4))  # 3 and 4 are after the end
    assert dc.absence_streaks([ends], marks, {}, d(1), d(28)) == []


# -- input ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12345", "12345"),
        ("54321", "12345"),
        ("1-5", "12345"),
        ("周一至周五", "12345"),
        ("一、三、五", "135"),
        ("１３５", "135"),
        ("周六,周日", "67"),
        ("星期天", "7"),
    ],
)
def test_parse_weekdays(text: str, expected: str) -> None:
    assert dc.parse_weekdays(text) == expected


def test_parse_weekdays_from_numbers_and_refusals() -> None:
    assert dc.parse_weekdays([5, 1, 3]) == "135"
    for bad in ("", "8", "周一到周八", "abc"):
        with pytest.raises(InputError) as err:
            dc.parse_weekdays(bad)
        assert err.value.field == "weekdays" and "1–7" in err.value.message
    with pytest.raises(InputError, match="至少选择一个到园日"):
        dc.parse_weekdays([])
    with pytest.raises(InputError, match="应为 1–7"):
        dc.parse_weekdays([0])


def test_weekdays_label() -> None:
    assert dc.weekdays_label("12345") == "周一至周五"
    assert dc.weekdays_label("135") == "周一、三、五"
    assert dc.weekdays_label("1234567") == "每天"
    assert A.weekdays_text == "周一、三、五"
    assert A.services_text == "日间照料、社区康复"


def test_clean_enrolment_refusals() -> None:
    assert dc.clean_enrolment(["rehab", "day_care"], "1-5") == (["day_care", "rehab"], "12345")
    with pytest.raises(InputError, match="请至少选择一项服务") as err:
        dc.clean_enrolment([], "12345")
    assert err.value.field == "services"
    with pytest.raises(InputError, match="未知的服务项目：swimming"):
        dc.clean_enrolment(["swimming"], "12345")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11", (2026, 11)),
        ("2026/1", (2026, 1)),
        ("202611", (2026, 11)),
        ("2026年11月", (2026, 11)),
    ],
)
def test_parse_month(text: str, expected: tuple[int, int]) -> None:
    assert parse_month(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"), [("2026-13", "1–12"), ("11月", "2026-11"), ("", "2026-11")]
)
def test_parse_month_refusals(text: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as err:
        parse_month(text)
    assert err.value.field == "month"


def test_status_cycle_and_format() -> None:
    assert [dc.next_status(s) for s in ("", "present", "leave", "absent")] == [
        "present",
        "leave",
        "absent",
        "",
    ]
    assert (dc.format_days(12.0), dc.format_days(12.5)) == ("12", "12.5")
