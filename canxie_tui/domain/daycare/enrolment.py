"""What an enrolment accepts: weekdays as typed (周一至周五, 1-5, 135) and services."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from canxie_tui.domain import codes
from canxie_tui.domain.errors import InputError

WEEKDAY_NAMES = "一二三四五六日"


_CN_WEEKDAYS = str.maketrans({"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6"})
_CN_WEEKDAYS.update({ord("日"): "7", ord("天"): "7", ord("七"): "7"})
_RANGE = re.compile(r"([1-7])(?:-|~|至|到)([1-7])")


def parse_weekdays(value: str | Iterable[int]) -> str:
    """The weekdays a member comes, as canonical digits: "12345".

    Accepts digits 1–7 (1 = 周一 .. 7 = 周日) as text or numbers, Chinese
    一…六/日/天, ranges (1-5, 周一至周五) and separators (、,，空格).
    """
    if isinstance(value, str):
        shown = value.strip()
        text = unicodedata.normalize("NFKC", shown).translate(_CN_WEEKDAYS)
        text = text.replace("星期", "").replace("周", "").replace("礼拜", "")
        text = _RANGE.sub(lambda m: "".join(str(d) for d in range(int(m[1]), int(m[2]) + 1)), text)
        text = re.sub(r"[\s,、，;；/]+", "", text)
        if not text or not re.fullmatch(r"[1-7]+", text):
            raise InputError(
                f"到园日“{shown}”无法识别：请用 1–7 表示周一至周日，如 12345（周一至周五）",
                "weekdays",
            )
        digits = {int(ch) for ch in text}
    else:
        digits = set()
        for item in value:
            number = int(item)
            if not 1 <= number <= 7:
                raise InputError(f"到园日“{item}”不对：应为 1–7（周一至周日）", "weekdays")
            digits.add(number)
        if not digits:
            raise InputError("请至少选择一个到园日（周一至周日）", "weekdays")
    return "".join(str(d) for d in sorted(digits))


def weekdays_label(weekdays: str) -> str:
    """ "12345" -> 周一至周五; "135" -> 周一、三、五; "1234567" -> 每天."""
    digits = sorted({int(ch) for ch in weekdays if ch in "1234567"})
    if not digits:
        return ""
    if len(digits) == 7:
        return "每天"
    if len(digits) >= 3 and digits == list(range(digits[0], digits[-1] + 1)):
        return f"周{WEEKDAY_NAMES[digits[0] - 1]}至周{WEEKDAY_NAMES[digits[-1] - 1]}"
    return "周" + "、".join(WEEKDAY_NAMES[d - 1] for d in digits)


def clean_enrolment(
    services: Iterable[str], weekdays: str | Iterable[int]
) -> tuple[list[str], str]:
    """(services as sorted codes, weekdays as digits); raises InputError naming the field."""
    chosen = clean_services(services)
    if not chosen:
        raise InputError("请至少选择一项服务", "services")
    return chosen, parse_weekdays(weekdays)


def clean_services(services: Iterable[str]) -> list[str]:
    """Service codes, sorted and checked (an empty list is allowed here)."""
    chosen = sorted(set(services))
    unknown = [c for c in chosen if c not in codes.DAYCARE_SERVICES]
    if unknown:
        raise InputError(f"未知的服务项目：{'、'.join(unknown)}", "services")
    return chosen
