"""Dates as workers type them: 2026-11-29, 20261129, 11-29, 11月29日, 今天, t, y ...

Pure functions, no I/O.  `today` is always passed in so that the caller's clock
(fixed in tests) decides what "today" means.  Every rejection is an
:class:`InputError` with a complete Chinese message and the form field at fault.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date, timedelta

from canxie_tui.domain.errors import InputError

__all__ = ["ACCEPTED_FORMS", "add_days", "days_between", "parse_day", "parse_month"]

ACCEPTED_FORMS = "2026-11-29、2026/11/29、20261129、11-29、11月29日、今天(t)、昨天(y)、前天"
MIN_YEAR = 1900

# Words for "n days ago" (compared after lower-casing).
_RELATIVE = {
    "今天": 0,
    "今日": 0,
    "t": 0,
    "昨天": 1,
    "昨日": 1,
    "y": 1,
    "前天": 2,
    "前日": 2,
}

# Separators a Chinese input method may produce besides - / . (after NFKC).
_SEPARATORS = str.maketrans({"—": "-", "–": "-", "‐": "-", "−": "-", "。": ".", "、": "/"})

_SEP = r"[-/.]"
_FULL = re.compile(rf"(\d{{4}}){_SEP}(\d{{1,2}}){_SEP}(\d{{1,2}})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_FULL_CN = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})[日号]?")
_MONTH_DAY = re.compile(rf"(\d{{1,2}}){_SEP}(\d{{1,2}})")
_MONTH_DAY_CN = re.compile(r"(\d{1,2})月(\d{1,2})[日号]?")
_FOUR_DIGITS = re.compile(r"\d{4}")


def _normalize(text: str) -> str:
    """Full-width to half-width, other dashes to "-", no whitespace, lower case."""
    folded = unicodedata.normalize("NFKC", text).translate(_SEPARATORS)
    return "".join(ch for ch in folded if not ch.isspace()).lower()


def _make(year: int, month: int, day: int, shown: str, field: str, label: str) -> date:
    """The calendar date, or an InputError that says which part is wrong."""
    if year < MIN_YEAR:
        raise InputError(f"{label}“{shown}”不是有效日期：年份应在 {MIN_YEAR} 年以后", field)
    if not 1 <= month <= 12:
        raise InputError(f"{label}“{shown}”不是有效日期：月份应在 1–12 之间", field)
    last = calendar.monthrange(year, month)[1]
    if day > last:
        raise InputError(f"{label}“{shown}”不是有效日期：{year}年{month}月只有{last}天", field)
    if day < 1:
        raise InputError(f"{label}“{shown}”不是有效日期：日应在 1–{last} 之间", field)
    return date(year, month, day)


def parse_day(
    text: str,
    today: date,
    *,
    field: str = "visit_date",
    label: str = "日期",
    allow_future: bool = False,
) -> date:
    """The date `text` stands for, as of `today`.

    Accepted: 2026-11-29, 2026/11/29, 2026.11.29 (month and day may have one digit),
    20261129, 2026年11月29日, 11-29 / 11/29 / 11.29 / 11月29日 (this year), 今天 / t,
    昨天 / y, 前天; full-width digits and separators too.  Four bare digits (1129) are
    ambiguous and refused with a hint.  A month-day without a year is always this year:
    when that is still ahead and future dates are not allowed it is refused (never
    silently moved to last year).
    """
    shown = (text or "").strip()
    raw = _normalize(shown)
    if not raw:
        raise InputError(f"请填写{label}", field)

    month_day_only = False
    if raw in _RELATIVE:
        day = today - timedelta(days=_RELATIVE[raw])
    elif m := (_FULL.fullmatch(raw) or _COMPACT.fullmatch(raw) or _FULL_CN.fullmatch(raw)):
        day = _make(int(m[1]), int(m[2]), int(m[3]), shown, field, label)
    elif m := (_MONTH_DAY.fullmatch(raw) or _MONTH_DAY_CN.fullmatch(raw)):
        day = _make(today.year, int(m[1]), int(m[2]), shown, field, label)
        month_day_only = True
    elif _FOUR_DIGITS.fullmatch(raw):
        if 1 <= int(raw[:2]) <= 12 and 1 <= int(raw[2:]) <= 31:
            md = f"{raw[:2]}-{raw[2:]}"
            raise InputError(
                f"{label}“{shown}”有歧义（月日还是年份？），"
                f"请写成 {md}（今年）或 {today.year}-{md}",
                field,
            )
        raise InputError(
            f"{label}“{shown}”不完整，请写出月和日，如 {today.isoformat()} 或 {today:%m-%d}",
            field,
        )
    else:
        raise InputError(f"{label}“{shown}”无法识别，可以这样填写：{ACCEPTED_FORMS}", field)

    if day > today and not allow_future:
        if month_day_only:
            raise InputError(
                f"{label}不能晚于今天：“{shown}”按今年算是 {day.isoformat()}；"
                f"如果是去年，请写上年份，如 {day.year - 1}-{day.month:02d}-{day.day:02d}",
                field,
            )
        raise InputError(f"{label}不能晚于今天（填写的是 {day.isoformat()}）", field)
    return day


def days_between(a: date, b: date) -> int:
    """Days from `a` to `b`: positive when `b` is later, 0 on the same day."""
    return (b - a).days


def add_days(d: date, n: int) -> date:
    """`d` moved by `n` days (negative goes back)."""
    return d + timedelta(days=n)


def age_on(born: date, day: date) -> int:
    """Full years of life on `day` (negative when `day` is before the birth date).

    The one age rule: a person turns N on their birthday (29 February birthdays
    on 1 March in other years).
    """
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_on_text(birth: str | None, day: date) -> int | None:
    """`age_on` for an ISO birth date as the database holds it; None when unknown.

    Compares the "MM-DD" text instead of parsing a date: the emergency list calls
    this for every person of a district, and it gives the same answer.
    """
    if not birth:
        return None
    return day.year - int(birth[:4]) - (birth[5:10] > f"{day.month:02d}-{day.day:02d}")


_MONTH = re.compile(r"(\d{4})(?:[-/.年]?)(\d{1,2})月?")


def parse_month(text: str) -> tuple[int, int]:
    """ "2026-11" / 2026/11 / 202611 / 2026年11月 -> (2026, 11)."""
    shown = (text or "").strip()
    raw = unicodedata.normalize("NFKC", shown).replace(" ", "")
    match = _MONTH.fullmatch(raw)
    if not match:
        raise InputError(f"月份“{shown}”无法识别，请按 2026-11 的格式填写", "month")
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12:
        raise InputError(f"月份“{shown}”不对：月应在 1–12 之间", "month")
    if year < 1900:
        raise InputError(f"月份“{shown}”不对：年份应在 1900 年以后", "month")
    return year, month
