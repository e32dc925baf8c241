"""The roster's columns: their names, their labels, and how their values are read.

`match_header` finds a roster's columns among the cells of a row: each field by its
usual name and variants (HEADER_NAMES), compared after `_header_key` folds them
(full-width to half-width, no spaces, brackets or colons).  FIELD_LABELS names the
fields in messages; the *_FIELDS tuples say which of them are the person's, the
household's, the register facts and the benefits.

Register facts (what the 专栏1 indicators read) come from their own columns, each
optional (see HEADER_NAMES for the names and variants; `register_facts` reads the
values, and a value it cannot read rejects the row with its column and reason):
户籍所在地 (重庆市内/市外, or an address, by `codes.parse_hukou`); 户籍地址 (kept as
written; on its own it also gives the 户籍 by `parse_hukou`); 发证日期 and 有效期至
(a date cell or 2026-11-29 / 2026/11/29 / 2026.11.29 / 2026年11月29日; 有效期至 also
"长期", stored as no end date, or a range, whose end counts); 养老保险 and 医疗保险
(城乡居民 / 城镇职工 / 职工 / 未参保); 困难生活补贴 and 重度护理补贴 (是/否/享受/未享受, or
申请中/暂停/停发: the person's 两项补贴 state from the import's month, see
`store.subsidies`; the other benefits kept); 低保情况 (低保 / 特困 /
低保边缘 / 低收入 / 无: the household's, see POVERTY_FLAGS).  人户分离 is derived (by
`excel.roster.read`): yes when the 户籍 is 重庆市外, else, when the row gives both a
户籍地址 and a 现住址, yes exactly when they clearly differ (`same_place`); otherwise
the row leaves it alone.  A blank cell, here as everywhere, says nothing.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.subsidies import parse_state
from canxie_tui.excel.cells import unescape_text

__all__ = [
    "BENEFIT_FIELDS",
    "FACT_FIELDS",
    "FIELD_LABELS",
    "HEADER_NAMES",
    "HEADER_SCAN_ROWS",
    "HOUSEHOLD_COLUMNS",
    "HOUSEHOLD_FIELDS",
    "MASKED_FIELDS",
    "NO_POVERTY",
    "PERSON_FIELDS",
    "POVERTY_FLAGS",
    "address_key",
    "match_header",
    "register_facts",
    "same_place",
]

HEADER_SCAN_ROWS = 30

# field -> names a roster may give its column (compared after `_header_key`).
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "残疾人姓名", "持证人姓名", "名字"),
    "id_number": (
        "身份证号",
        "公民身份号码",
        "身份证号码",
        "证件号码",
        "证件号",
        "身份证",
        "居民身份证号",
        "居民身份证号码",
        "公民身份证号",
        "公民身份证号码",
    ),
    "cert_number": (
        "残疾人证号",
        "残疾证号",
        "残疾人证号码",
        "残疾证号码",
        "残疾人证编号",
        "残疾证编号",
    ),
    "category": ("残疾类别", "类别", "残疾类型", "残疾种类"),
    "level": ("残疾等级", "等级", "残疾级别", "级别"),
    "sex": ("性别",),
    "phone": ("联系电话", "手机号", "电话", "手机", "手机号码", "联系方式", "本人电话", "电话号码"),
    "relation": ("与户主关系", "与户主的关系", "户主关系"),
    "address": (
        "现住址",
        "居住地址",
        "家庭住址",
        "住址",
        "现居住地址",
        "现居住地",
        "居住地",
        "家庭地址",
        "地址",
        "现住地址",
    ),
    "building": ("楼栋", "栋", "楼号", "栋号"),
    "unit": ("单元", "单元号"),
    "room": ("房号", "门牌号", "房间号", "室"),
    "grid": ("网格", "所属网格", "网格名称"),
    "guardian_name": ("监护人", "监护人姓名"),
    "guardian_phone": ("监护人电话", "监护人联系电话", "监护人手机", "监护人手机号"),
    # Register facts the indicators read (issue 12); see "register facts" below.
    "hukou": ("户籍所在地", "户口所在地", "户籍地", "户籍", "户籍地区", "户籍所在区域", "户籍区域"),
    "hukou_address": (
        "户籍地址",
        "户口地址",
        "户籍详细地址",
        "户籍所在地址",
        "户口所在地址",
        "户籍住址",
        "户籍登记地址",
        "户口登记地址",
    ),
    "cert_issued": (
        "发证日期",
        "发证时间",
        "办证日期",
        "办证时间",
        "领证日期",
        "残疾证发证日期",
        "残疾人证发证日期",
    ),
    "cert_valid_until": (
        "有效期至",
        "有效期",
        "有效期限",
        "有效期止",
        "有效期截止",
        "有效期截止日期",
        "有效截止日期",
        "证件有效期",
        "证件有效期至",
        "残疾证有效期",
        "残疾证有效期至",
        "残疾人证有效期",
        "残疾人证有效期至",
        "到期日期",
    ),
    "pension_scheme": (
        "养老保险",
        "养老保险类型",
        "养老保险类别",
        "养老保险险种",
        "养老保险情况",
        "养老保险参保情况",
        "养老保险参保类型",
        "参加养老保险",
        "基本养老保险",
    ),
    "medical_scheme": (
        "医疗保险",
        "医保",
        "医疗保险类型",
        "医疗保险类别",
        "医疗保险险种",
        "医疗保险情况",
        "医疗保险参保情况",
        "医疗保险参保类型",
        "医保类型",
        "医保情况",
        "医保参保情况",
        "参加医疗保险",
        "基本医疗保险",
    ),
    "poverty": (
        "低保情况",
        "低保",
        "是否低保",
        "低保类型",
        "低保类别",
        "低保状态",
        "低保/特困",
        "低保特困",
        "低保特困情况",
        "困难类型",
        "困难类别",
        "家庭困难类型",
        "救助类型",
    ),
    "living_subsidy": (
        "困难生活补贴",
        "困难残疾人生活补贴",
        "生活补贴",
        "困难补贴",
        "享受生活补贴",
        "是否享受生活补贴",
        "是否享受困难生活补贴",
        "是否享受困难残疾人生活补贴",
    ),
    "care_subsidy": (
        "重度护理补贴",
        "重度残疾人护理补贴",
        "护理补贴",
        "享受护理补贴",
        "是否享受护理补贴",
        "是否享受重度护理补贴",
        "是否享受重度残疾人护理补贴",
    ),
}
FIELD_LABELS: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号",
    "cert_number": "残疾人证号",
    "category": "残疾类别",
    "level": "残疾等级",
    "sex": "性别",
    "phone": "联系电话",
    "relation": "与户主关系",
    "address": "现住址",
    "building": "楼栋",
    "unit": "单元",
    "room": "房号",
    "grid": "网格",
    "guardian_name": "监护人",
    "guardian_phone": "监护人电话",
    "hukou": "户籍所在地",
    "hukou_address": "户籍地址",
    "apart": "人户分离",
    "cert_issued": "发证日期",
    "cert_valid_until": "有效期至",
    "pension_scheme": "养老保险",
    "medical_scheme": "医疗保险",
    "poverty": "低保情况",
    "living_subsidy": "困难生活补贴",
    "care_subsidy": "重度护理补贴",
}
MASKED_FIELDS = frozenset({"id_number", "cert_number"})
PERSON_FIELDS = ("name", "cert_number", "category", "level", "phone", "relation")
# The person's register facts a roster may give (a value, '' included, replaces the
# register's; `apart` is derived from the two addresses, see `register_facts`).
FACT_FIELDS = (
    "hukou",
    "hukou_address",
    "apart",
    "cert_issued",
    "cert_valid_until",
    "pension_scheme",
    "medical_scheme",
)
# The 两项补贴 a roster gives a state of (享受/未享受/申请中/暂停/停发); a blank cell
# leaves it.  The person's other benefits are kept.
BENEFIT_FIELDS = ("living_subsidy", "care_subsidy")
HOUSEHOLD_FIELDS = (
    "address",
    "building",
    "unit",
    "room",
    "grid",
    "guardian_name",
    "guardian_phone",
)
# 低保情况 replaces these flags of the household (the others are kept): the value
# is one of them, or NO_POVERTY (无).
POVERTY_FLAGS = codes.POOR_FLAGS | codes.LOW_INCOME_FLAGS
NO_POVERTY = "none"
HOUSEHOLD_COLUMNS = (*HOUSEHOLD_FIELDS, "poverty")
_HEADER_KEYS = {
    unicodedata.normalize("NFKC", name): key
    for key, names in HEADER_NAMES.items()
    for name in names
}
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|<[^>]*>")
_HEADER_DROP = re.compile(r"[\s*※:：.。、]+")


def address_key(*parts: str) -> str:
    """An address as compared: NFKC, no spaces, dashes unified, Latin upper-cased."""
    text = "".join(parts)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = "".join(text.split())  # every kind of whitespace, as str.isspace has it
    return _DASHES.sub("-", text).upper()


_DASHES = re.compile(r"[‐‑‒–—―−﹣－]")


# -- header ----------------------------------------------------------------------------
def _header_key(text: object) -> str:
    """A header cell as compared: NFKC (full-width → half-width), no spaces, line breaks,
    brackets with their content (身份证号（18位）), asterisks or colons."""
    if text is None:
        return ""
    cleaned = unicodedata.normalize("NFKC", str(text))
    cleaned = _BRACKETS.sub("", cleaned)
    return _HEADER_DROP.sub("", cleaned)


def match_header(cells: Sequence[object]) -> dict[str, int]:
    """field -> 0-based column index for the cells of one row (first match wins)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _HEADER_KEYS.get(_header_key(cell))
        if key and key not in found:
            found[key] = index
    return found


def _is_header(found: dict[str, int]) -> bool:
    return "name" in found and "id_number" in found


def _cell_text(value: object) -> Any:
    """A cell value ready for the validators (ID and certificate cells keep floats:
    parse_id rejects them as Excel-mangled)."""
    if isinstance(value, str):
        return unescape_text(value).strip() if "_x" in value else value.strip()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- register facts (issue 12) -----------------------------------------------------------
_FACT_KEYS = frozenset(
    {
        "hukou",
        "hukou_address",
        "cert_issued",
        "cert_valid_until",
        "pension_scheme",
        "medical_scheme",
        "poverty",
        *BENEFIT_FIELDS,
    }
)
# 户口性质 (农业/非农业), which some rosters put in a column headed 户籍: not where the 户籍 is.
_HUKOU_KINDS = frozenset(
    {"农业", "非农业", "农业户口", "非农业户口", "农村", "城镇", "农村户口", "城镇户口", "居民户口"}
)
_LONG_TERM = frozenset({"长期", "长期有效", "永久", "永久有效", "无期限", "终身"})
# "2016-05-01至2026-05-01", "2016.05.01—2026.05.01", "2016.5.1-2026.5.1": the end counts.
_DATE_RANGE = re.compile(
    r"^.+?\s*(?:至|到|~|～|—|–|－)\s*(?P<end>.+)$|^\d{4}[./年]\d{1,2}[./月]\d{1,2}日?\s*-\s*(?P<dot_end>.+)$"
)
# 2026-1-5, 2026/1/5, 2026.1.5, 2026年1月5日, 20260105.
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$|^(\d{4})(\d\d)(\d\d)$"
)
_EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's date serial numbers (1900 system)
# What `same_place` drops before comparing: 重庆市, then a 区/县, then a 街道/镇/乡.
_DIVISIONS = re.compile(
    r"^(?:重庆市?)?(?:[\u4e00-\u9fff]{1,4}?[区县])?(?:[\u4e00-\u9fff]{1,6}?(?:街道|镇|乡))?"
)


def _door(address: str) -> str:
    return _DIVISIONS.sub("", address_key(address), count=1)


def same_place(hukou_address: str, address: str) -> bool:
    """Whether a 户籍地址 names the same place as the 现住址 (else 人户分离).

    Both are compared as `address_key` has them, without the leading 重庆市, 区/县 and
    街道/镇/乡 (rosters write them or not); they are the same place when one contains
    the other (one may add the building and room, or write the district).  So only a
    clear difference counts: another road or number, another building or room.  A
    户籍地址 that names no more than a district or street is not taken as a difference.
    """
    first, second = _door(hukou_address), _door(address)
    return first in second or second in first


def _date_value(value: object, key: str, label: str) -> str:
    """A date cell as ISO text: a date cell, 2026-11-29 / 2026/11/29 / 2026.11.29 /
    20261129 / 2026年11月29日, or Excel's serial number of a date that lost its
    format; for 有效期至 also 长期 ('': no end) and a range (its end)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and float(value).is_integer()
        and 10_000 <= value < 100_000
    ):
        return (_EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
    shown = str(_cell_text(value))
    text = unicodedata.normalize("NFKC", shown).strip()
    if key == "cert_valid_until":
        if text.replace(" ", "") in _LONG_TERM:
            return ""
        ranged = _DATE_RANGE.match(text)
        if ranged:
            text = (ranged["end"] or ranged["dot_end"]).strip()
    found = _iso_date(text)
    if found is None:
        raise InputError(
            f"{label}“{shown}”不是有效日期，请按 2026-11-29 的格式填写"
            + ("（没有期限的填“长期”）" if key == "cert_valid_until" else ""),
            key,
        )
    return found


@functools.lru_cache(maxsize=4096)  # a roster's dates repeat: each parsed once
def _iso_date(text: str) -> str | None:
    parts = _DATE_TEXT.match(text)
    if parts is None:
        return None
    numbers = [int(p) for p in parts.groups() if p is not None]
    try:
        return date(*numbers).isoformat()
    except ValueError:  # 2026-02-30
        return None


def register_facts(
    raw: dict[str, Any], values: dict[str, Any]
) -> tuple[dict[str, Any], tuple[tuple[str, str], ...], str | None]:
    """The register facts of a row's cells (`raw` as read, `values` as text): the
    person's facts (form values for `validate.clean_person`), the 两项补贴 states it
    gives ((code, state code), `domain.subsidies.parse_state`), and its 低保情况 (a POVERTY_FLAGS code, NO_POVERTY for
    无, None when the row says nothing).  Raises InputError (field: the column's key)
    for a value it cannot read.  `apart` is decided by the caller, which knows the
    现住址 as cleaned.
    """
    facts: dict[str, Any] = {}
    if "hukou" in raw:
        text = values["hukou"]
        if text.replace(" ", "") in _HUKOU_KINDS:
            raise InputError(
                f"户籍所在地“{text}”是户口性质，这一列应填重庆市内、重庆市外或户籍地址", "hukou"
            )
        facts["hukou"] = codes.parse_hukou(text)
    if "hukou_address" in raw:
        facts["hukou_address"] = values["hukou_address"]
        facts.setdefault("hukou", codes.parse_hukou(values["hukou_address"]))
    for key in ("cert_issued", "cert_valid_until"):
        if key in raw:
            facts[key] = _date_value(raw[key], key, FIELD_LABELS[key])
    for key in ("pension_scheme", "medical_scheme"):
        if key in raw:
            text = values[key]
            scheme = codes.parse_scheme(text) or codes.parse_scheme(text.replace("基本", ""))
            if scheme is None:
                raise InputError(
                    f"{FIELD_LABELS[key]}“{values[key]}”无法识别，"
                    "应为城乡居民、城镇职工（职工）或未参保",
                    key,
                )
            facts[key] = scheme
    benefits: list[tuple[str, str]] = []
    for key in BENEFIT_FIELDS:
        if key in raw:
            cell = raw[key]
            state = parse_state(cell if isinstance(cell, bool) else values[key])
            if state is None:
                raise InputError(
                    f"{FIELD_LABELS[key]}“{values[key]}”无法识别，应为是/否"
                    "（或享受/未享受/申请中/暂停/停发）",
                    key,
                )
            benefits.append((key, state))
    poverty = None
    if "poverty" in raw:
        text = values["poverty"]
        found = codes.parse_poverty(text)
        for suffix in ("户", "家庭", "人员"):  # 低保户, 低保边缘家庭, 特困人员 ...
            if found is None and text.endswith(suffix):
                found = codes.parse_poverty(text.removesuffix(suffix))
        if found is None and codes.parse_yes_no(text):
            found = "dibao"  # 是否低保：是
        if found is None:
            raise InputError(
                f"低保情况“{text}”无法识别，应为低保、特困、低保边缘、低收入或无", "poverty"
            )
        poverty = found or NO_POVERTY
    return facts, tuple(benefits), poverty
