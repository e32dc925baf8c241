"""The demo's calendar: public holidays, the weekend days worked instead, festival eves."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

__all__ = ["festival_eves", "holidays_in", "iso", "makeup_workdays"]

# Public holidays (放假 first..last) and the weekend days worked instead (调休上班),
# from the State Council notices.  Years not listed fall back to the fixed-date
# holidays only.
_HOLIDAY_TABLE = """
2022 元旦 01-01..01-03 春节 01-31..02-06 清明节 04-03..04-05 劳动节 04-30..05-04
     端午节 06-03..06-05 中秋节 09-10..09-12 国庆节 10-01..10-07
     调休 01-29 01-30 04-02 04-24 05-07 10-08 10-09
2023 元旦 01-01..01-02 春节 01-21..01-27 清明节 04-05..04-05 劳动节 04-29..05-03
     端午节 06-22..06-24 中秋节、国庆节 09-29..10-06
     调休 01-28 01-29 04-23 05-06 06-25 10-07 10-08
2024 元旦 01-01..01-01 春节 02-10..02-17 清明节 04-04..04-06 劳动节 05-01..05-05
     端午节 06-08..06-10 中秋节 09-15..09-17 国庆节 10-01..10-07
     调休 02-04 02-18 04-07 04-28 05-11 09-14 09-29 10-12
2025 元旦 01-01..01-01 春节 01-28..02-04 清明节 04-04..04-06 劳动节 05-01..05-05
     端午节 05-31..06-02 国庆节、中秋节 10-01..10-08
     调休 01-26 02-08 04-27 09-28 10-11
2026 元旦 01-01..01-03 春节 02-15..02-23 清明节 04-04..04-06 劳动节 05-01..05-05
     端午节 06-19..06-21 中秋节 09-25..09-27 国庆节 10-01..10-07
     调休 01-04 02-14 02-28 05-09 09-20 10-10
"""
_FALLBACK_HOLIDAYS = "元旦 01-01..01-01 劳动节 05-01..05-03 国庆节 10-01..10-07"


def _parse_holidays(table: str) -> dict[int, tuple[list[tuple[str, str, str]], list[str]]]:
    """Year -> ([(name, first, last)], [makeup workdays]), dates as MM-DD."""
    out: dict[int, tuple[list[tuple[str, str, str]], list[str]]] = {}
    year = 0
    for line in table.strip().splitlines():
        words = line.split()
        if not line.startswith(" "):
            year, words = int(words[0]), words[1:]
            out[year] = ([], [])
        if words[0] == "调休":
            out[year][1].extend(words[1:])
            continue
        for name, span in zip(words[::2], words[1::2], strict=True):
            first, last = span.split("..")
            out[year][0].append((name, first, last))
    return out


_HOLIDAYS = _parse_holidays(_HOLIDAY_TABLE)


def holidays_in(year: int) -> dict[int, str]:
    """Ordinal -> holiday name for one year."""
    fallback = _parse_holidays(f"{year} {_FALLBACK_HOLIDAYS}")[year]
    out: dict[int, str] = {}
    for name, first, last in _HOLIDAYS.get(year, fallback)[0]:
        day = date.fromisoformat(f"{year}-{first}").toordinal()
        end = date.fromisoformat(f"{year}-{last}").toordinal()
        for o in range(day, end + 1):
            out[o] = name
    return out


def makeup_workdays(year: int) -> list[int]:
    days = _HOLIDAYS[year][1] if year in _HOLIDAYS else []
    return [date.fromisoformat(f"{year}-{d}").toordinal() for d in days]


def festival_eves(year: int) -> list[int]:
    """First day of 春节 and of 中秋 (慰问 visits happen in the days before)."""
    spans = _HOLIDAYS[year][0] if year in _HOLIDAYS else []
    return [
        date.fromisoformat(f"{year}-{first}").toordinal()
        for name, first, _ in spans
        if "春节" in name or "中秋" in name
    ]


@lru_cache(maxsize=8192)
def iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()
