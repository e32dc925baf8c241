"""Tests for parsing dates as workers type them."""

from __future__ import annotations

from datetime import date

import pytest

from canxie_tui.domain.dates import add_days, days_between, parse_day
from canxie_tui.domain.errors import InputError

TODAY = date(2026, 11, 29)


# --- accepted forms ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-29", date(2026, 11, 29)),
        ("2026/11/29", date(2026, 11, 29)),
        ("2026.11.29", date(2026, 11, 29)),
        ("20261129", date(2026, 11, 29)),
        ("2026-3-5", date(2026, 3, 5)),
        ("2026/03/05", date(2026, 3, 5)),
        ("2025-12-31", date(2025, 12, 31)),
        ("11-29", date(2026, 11, 29)),
        ("11/29", date(2026, 11, 29)),
        ("11.29", date(2026, 11, 29)),
        ("3-5", date(2026, 3, 5)),
        ("11月29日", date(2026, 11, 29)),
        ("11月29号", date(2026, 11, 29)),
        ("11月29", date(2026, 11, 29)),
        ("2026年11月29日", date(2026, 11, 29)),
        ("2026年3月5日", date(2026, 3, 5)),
        ("今天", date(2026, 11, 29)),
        ("今日", date(2026, 11, 29)),
        ("t", date(2026, 11, 29)),
        ("T", date(2026, 11, 29)),
        ("昨天", date(2026, 11, 28)),
        ("y", date(2026, 11, 28)),
        ("Y", date(2026, 11, 28)),
        ("前天", date(2026, 11, 27)),
        # full-width digits and separators, stray spaces
        ("２０２６－１１－２９", date(2026, 11, 29)),
        ("２０２６／１１／２９", date(2026, 11, 29)),
        ("２０２６１１２９", date(2026, 11, 29)),
        ("１１月２９日", date(2026, 11, 29)),
        ("  2026-11-29 ", date(2026, 11, 29)),
        ("2026 年 11 月 29 日", date(2026, 11, 29)),
        ("Ｔ", date(2026, 11, 29)),
    ],
)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


def test_relative_words_cross_month_and_year() -> None:
    assert parse_day("昨天", date(2027, 1, 1)) == date(2026, 12, 31)
    assert parse_day("前天", date(2028, 3, 1)) == date(2028, 2, 28)  # 2028 is a leap year
    assert parse_day("y", date(2028, 3, 1)) == date(2028, 2, 29)
    assert parse_day("前天", date(2027, 3, 1)) == date(2027, 2, 27)


# --- month ends and leap days ------------------------------------------------------------


def test_leap_day_in_a_leap_year() -> None:
    today = date(2028, 3, 10)
    assert parse_day("2028-02-29", today) == date(2028, 2, 29)
    assert parse_day("20280229", today) == date(2028, 2, 29)
    assert parse_day("2-29", today) == date(2028, 2, 29)
    assert parse_day("2月29日", today) == date(2028, 2, 29)


def test_leap_day_in_a_common_year_is_refused() -> None:
    with pytest.raises(InputError) as err:
        parse_day("2027-02-29", date(2027, 6, 1))
    assert err.value.message == "日期“2027-02-29”不是有效日期：2027年2月只有28天"
    assert err.value.field == "visit_date"
    # Month-day means this year, so 2-29 in 2027 is no date at all.
    with pytest.raises(InputError, match="2027年2月只有28天"):
        parse_day("2-29", date(2027, 6, 1))
    # 1900 was not a leap year (divisible by 100, not by 400); 2000 was.
    with pytest.raises(InputError, match="1900年2月只有28天"):
        parse_day("1900-02-29", TODAY)
    assert parse_day("2000-02-29", TODAY) == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("text", "last"),
    [("2026-04-31", 30), ("2026-06-31", 30), ("2026-09-31", 30), ("2025-11-31", 30)],
)
def test_thirty_day_months(text: str, last: int) -> None:
    with pytest.raises(InputError, match=f"只有{last}天"):
        parse_day(text, TODAY)
    assert parse_day(text[:-2] + "30", TODAY).day == 30


def test_month_and_day_out_of_range() -> None:
    with pytest.raises(InputError, match="月份应在 1–12 之间"):
        parse_day("2026-13-01", TODAY)
    with pytest.raises(InputError, match="月份应在 1–12 之间"):
        parse_day("2026-00-10", TODAY)
    with pytest.raises(InputError, match="日应在 1–31 之间"):
        parse_day("2026-10-00", TODAY)
    with pytest.raises(InputError, match="月份应在 1–12 之间"):
        parse_day("13-01", TODAY)
    with pytest.raises(InputError, match="年份应在 1900 年以后"):
        parse_day("1899-12-31", TODAY)


# --- rejections --------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\u3000"])
def test_empty_is_refused(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_day(text, TODAY)
    assert err.value.message == "请填写日期"
    assert err.value.field == "visit_date"


def test_field_and_label_are_used() -> None:
    with pytest.raises(InputError) as err:
        parse_day("", TODAY, field="due_date", label="跟进日期")
    assert (err.value.message, err.value.field) == ("请填写跟进日期", "due_date")
    with pytest.raises(InputError) as err:
        parse_day("abc", TODAY, field="due_date", label="跟进日期")
    assert err.value.message.startswith("跟进日期“abc”无法识别")
    assert err.value.field == "due_date"


@pytest.mark.parametrize(
    "text", ["abc", "明天见", "2026-11", "26-11-29", "2026-11-29-1", "261129", "202611290", "11月"]
)
def test_garbage_is_refused_naming_input_and_forms(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_day(text, TODAY)
    message = err.value.message
    assert message.startswith(f"日期“{text}”无法识别")
    for form in ("2026-11-29", "20261129", "11-29", "11月29日", "今天(t)", "昨天(y)", "前天"):
        assert form in message


@pytest.mark.parametrize("text", ["1129", "１１２９"])
def test_four_bare_digits_are_ambiguous(text: str) -> None:
    with pytest.raises(InputError) as err:
        parse_day(text, TODAY)
    assert err.value.message == (
        f"日期“{text}”有歧义（月日还是年份？），请写成 11-29（今年）或 2026-11-29"
    )


def test_a_bare_year_is_incomplete() -> None:
    with pytest.raises(InputError) as err:
        parse_day("2026", TODAY)
    assert err.value.message == "日期“2026”不完整，请写出月和日，如 2026-11-29 或 11-29"


# --- the future --------------------------------------------------------------------------


def test_future_is_refused() -> None:
    with pytest.raises(InputError) as err:
        parse_day("2026-11-30", TODAY)
    assert err.value.message.startswith("日期不能晚于今天")
    assert "2026-11-30" in err.value.message
    assert err.value.field == "visit_date"
    with pytest.raises(InputError, match=r"^日期不能晚于今天"):
        parse_day("20270101", TODAY)


def test_future_is_allowed_when_asked() -> None:
    assert parse_day("2026-11-30", TODAY, allow_future=True) == date(2026, 11, 30)
    assert parse_day("12-31", TODAY, allow_future=True) == date(2026, 12, 31)


def test_month_day_ahead_is_this_year_not_last_year() -> None:
    # 12-05 typed on 2026-11-29 is 2026-12-05, which is in the future: refused with a
    # hint to write last year explicitly, never silently taken as 2025-12-05.
    with pytest.raises(InputError) as err:
        parse_day("12-05", TODAY)
    message = err.value.message
    assert message.startswith("日期不能晚于今天")
    assert "2026-12-05" in message
    assert "2025-12-05" in message  # the hint
    assert parse_day("2025-12-05", TODAY) == date(2025, 12, 5)


def test_today_is_not_the_future() -> None:
    assert parse_day("11-29", TODAY) == TODAY
    assert parse_day("2026-11-29", TODAY) == TODAY


# --- arithmetic --------------------------------------------------------------------------


def test_days_between_and_add_days() -> None:
    assert days_between(date(2026, 11, 1), date(2026, 11, 29)) == 28
    assert days_between(date(2026, 11, 29), date(2026, 11, 1)) == -28
    assert days_between(TODAY, TODAY) == 0
    assert days_between(date(2028, 2, 1), date(2028, 3, 1)) == 29  # leap February
    assert days_between(date(2027, 2, 1), date(2027, 3, 1)) == 28
    assert add_days(date(2028, 2, 28), 1) == date(2028, 2, 29)
    assert add_days(date(2027, 2, 28), 1) == date(2027, 3, 1)
    assert add_days(date(2026, 12, 31), 1) == date(2027, 1, 1)
    assert add_days(date(2027, 1, 1), -1) == date(2026, 12, 31)
