"""Natural order for the names people give places: 第二网格 before 第十网格, 3栋 before 13栋.

Grid, building, unit and group names mix text with numbers written in Arabic digits
(half- or full-width: 2, ２) or in Chinese numerals (二, 十一, 二十, 两).  Sorting them
as text puts 第三 before 第二 and 10网格 before 2网格; `natural_key` compares the
numbers as numbers and the rest as text, so 第二网格 = 第2网格 < 第10网格 = 第十网格.

Only a run of Chinese numerals that reads as a number is one: 十一, 二十, 一百零五,
二〇二四 (digit by digit), not 千 or 百 on their own (千厮门 stays text).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache

__all__ = ["chinese_number", "natural_key", "place_key", "sort_text"]

_PLACE = ("grid", "building", "unit", "room")
_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}

# \d is any Unicode decimal digit (2, ２, …), which int() reads; runs of Chinese
# numerals come as one part and are checked by chinese_number.  The one group
# puts the runs at the odd positions of re.split's result.
_NUMBER = re.compile(r"(\d+|[" + "".join([*_DIGITS, *_UNITS]) + "]+)")


def chinese_number(text: str) -> int | None:
    """十一 -> 11, 二十 -> 20, 一百零五 -> 105, 两千 -> 2000, 二〇二四 -> 2024; None if not a number.

    Units must fall (一千一百, not 一百一千) and each takes at most one digit
    before it; only 十 may stand without one (十五 = 15).
    """
    if not text:
        return None
    if not any(ch in _UNITS for ch in text):
        if any(ch not in _DIGITS for ch in text):
            return None
        value = 0
        for ch in text:  # digit by digit: 二〇二四, 一二
            value = value * 10 + _DIGITS[ch]
        return value
    total = 0
    digit: int | None = None  # the digit waiting for its unit
    last_unit = 10_000
    for index, ch in enumerate(text):
        if ch in _DIGITS:
            if digit:
                return None  # 二三十: two digits before a unit
            digit = _DIGITS[ch]
        else:
            unit = _UNITS[ch]
            if unit >= last_unit:
                return None  # 一百一千: units must fall
            if not digit:
                # 十 stands alone at the start (十五) or after 零 (一千零十); 百 and 千 never.
                if unit != 10 or (index and digit is None):
                    return None
                digit = 1
            total += digit * unit
            digit, last_unit = None, unit
    return total + (digit or 0)


@lru_cache(maxsize=8192)
def natural_key(text: str) -> tuple[tuple[str | int, ...], str]:
    """第十一网格 -> (('第', 11, '网格'), '第十一网格'): compare numbers as numbers.

    The parts alternate text and number, text first and last (maybe ''), so two
    keys never compare a number with a text.  The text itself breaks ties
    (第2网格 and 第二网格), so the order is total and does not depend on the input's.
    """
    pieces = _NUMBER.split(text)
    if len(pieces) == 1:
        return (text,), text
    parts: list[str | int] = [pieces[0]]
    for index in range(1, len(pieces), 2):
        run, after = pieces[index], pieces[index + 1]
        number = _number(run)
        if number is None:
            # Not a number (千厮门): the run is text and joins its neighbours.
            parts[-1] = f"{parts[-1]}{run}{after}"
        else:
            parts += [number, after]
    return tuple(parts), text


def _number(run: str) -> int | None:
    if run[0] in _DIGITS or run[0] in _UNITS:
        return chinese_number(run)
    try:
        return int(run)
    except ValueError:  # more digits than int() converts
        return None


def place_key(row: Mapping[str, str]) -> tuple[tuple[tuple[str | int, ...], str], ...]:
    """A row's grid, building, unit and room, each in natural order: where to walk first."""
    return tuple(natural_key(row[k]) for k in _PLACE)


# -- natural order as one plain string -------------------------------------------------
# `sort_text` writes keys as text that compares as the keys do, so a store can keep
# it and sort plain strings.  Each text part is its characters, then a mark: _LAST
# when the part is the last, _DIGITS_NEXT when a number follows (as its digit count in
# four digits, then its digits).  The marks sort below any character written as
# itself; the four characters that would not (the escape too) are written as _ESCAPE and a digit.
_LAST, _DIGITS_NEXT, _ESCAPE = "\x01", "\x02", "\x03"
_ESCAPED = str.maketrans({chr(c): _ESCAPE + chr(0x30 + c) for c in range(4)})


def _text(part: str, mark: str) -> str:
    return part.translate(_ESCAPED) + mark


@lru_cache(maxsize=8192)  # buildings, units and rooms recur across a register
def _natural_text(text: str) -> str:
    parts, whole = natural_key(text)
    out = []
    for index in range(0, len(parts) - 1, 2):
        digits = str(parts[index + 1])
        out.append(f"{_text(str(parts[index]), _DIGITS_NEXT)}{len(digits):04d}{digits}")
    out.append(_text(str(parts[-1]), _LAST))
    return "".join(out) + _text(whole, _LAST)


def sort_text(*naturals: str, last: str = "") -> str:
    """One string that sorts as (natural_key(n) for n in naturals) then `last` as text.

    sort_text("3栋", "2单元", "101", last="王芳") < sort_text("12栋", "1单元", "", last="李")
    exactly when the tuples of their natural keys and names compare so; equal
    strings mean equal tuples.
    """
    return "".join(map(_natural_text, naturals)) + _text(last, _LAST)
