"""Form and import validation: raw text in, database-ready values out.

Pure functions so that a form can validate as the user types and the roster
import can apply the very same rules.  Every rejection is an InputError whose
`field` is the column it concerns.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from canxie_tui.domain import codes, ids
from canxie_tui.domain.errors import InputError

_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^(0\d{2,3})?[2-9]\d{6,7}$")


# How long free text may be, in characters (一个汉字一个字).  A case note of 10,000
# characters is some six printed pages; anything longer was pasted by mistake.  The
# forms show the count against these, and the store refuses longer text: it would
# not fit an Excel cell of the monthly return's print sheets either (32,767).
NOTE_MAX = 10_000  # 个案记录 (the body)
VISIT_TEXT_MAX = 2_000  # a visit's 问题说明, 提供的帮助, 备注
FOLLOWUP_MAX = 500  # 要跟进什么
TEXT_LIMITS = {
    "body": NOTE_MAX,
    "problem_text": VISIT_TEXT_MAX,
    "help_given": VISIT_TEXT_MAX,
    "note": VISIT_TEXT_MAX,
    "followup_what": FOLLOWUP_MAX,
    "what": FOLLOWUP_MAX,
}


def check_length(text: str, field: str, label: str) -> str:
    """`text` if within its field's limit (`TEXT_LIMITS`), else InputError saying by how much."""
    limit = TEXT_LIMITS[field]
    if len(text) > limit:
        raise InputError(
            f"{label}最多 {limit} 字，现在 {len(text)} 字（多了 {len(text) - limit} 字），"
            "请删减或分成几条记录",
            field,
        )
    return text


def _text(values: Mapping[str, Any], key: str) -> str:
    value = values.get(key)
    if value is None:
        return ""
    return value.strip() if type(value) is str else str(value).strip()


def clean_phone(text: str, field: str = "phone", label: str = "电话") -> str:
    """11-digit mobile or landline with optional area code; spaces and dashes ignored."""
    if not text:
        return ""
    if len(text) == 11 and text.isascii() and text.isdigit() and _MOBILE.match(text):
        return text  # the usual case, without the normalising below
    digits = re.sub(r"[\s\-－()（）]", "", ids.normalize(text))
    if not digits:
        return ""
    if digits.startswith("+86"):
        digits = digits[3:]
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    raise InputError(f"{label}“{text}”不是有效的手机号或固定电话", field)


def clean_codes(values: Iterable[str], table: Mapping[str, str], field: str) -> list[str]:
    if not values:
        return []
    chosen = sorted(set(values))
    unknown = [c for c in chosen if c not in table]
    if unknown:
        raise InputError(f"未知的选项：{'、'.join(unknown)}", field)
    return chosen


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def clean_date(text: str, field: str, label: str, today: date, *, future: bool = False) -> str:
    """A date typed as 2026-11-29, 2026-1-5, 2026/1/5, 2026.1.5, 2026年1月5日 or 20261129
    (full-width digits too); not in the future unless allowed."""
    raw = unicodedata.normalize("NFKC", text).strip() if text else ""
    if not raw:
        return ""
    try:
        if re.fullmatch(r"\d{8}", raw):
            day = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        elif found := _DATE.fullmatch(raw):
            day = date(*(int(part) for part in found.groups()))
        else:
            raise ValueError(raw)
    except ValueError:
        raise InputError(
            f"{label}“{text}”不是有效日期，请按 2026-11-29 的格式填写", field
        ) from None
    if day > today and not future:
        raise InputError(f"{label}不能晚于今天", field)
    return day.isoformat()


def clean_person(
    values: Mapping[str, Any],
    today: date,
    *,
    parsed_id: ids.IdNumber | None = None,
    facts: bool = True,
) -> dict[str, Any]:
    """Validate one person's fields; return the columns to store.

    Certificate holders need an ID number and a certificate consistent with it;
    other household members may be recorded without either.  `parsed_id`, when
    given, is `ids.parse_id(values["id_number"], today)` already done by the caller
    (the ID number is then not parsed again).  `facts=False`: `values` hold no
    register facts (a roster without such columns), and none are returned.
    """
    name = _text(values, "name")
    if not name:
        raise InputError("请填写姓名", "name")
    if len(name) > 30:
        raise InputError("姓名过长（最多30个字）", "name")

    category = codes.parse_category(values.get("category"))
    if _text(values, "category") and category is None:
        raise InputError(f"残疾类别“{_text(values, 'category')}”无法识别", "category")
    level = codes.parse_level(values.get("level"))
    if _text(values, "level") and level is None:
        raise InputError(f"残疾等级“{_text(values, 'level')}”无法识别", "level")
    if (category is None) != (level is None):
        missing, field = ("残疾等级", "level") if level is None else ("残疾类别", "category")
        raise InputError(f"持证残疾人须同时填写残疾类别和等级：缺{missing}", field)

    id_text = values.get("id_number")
    id_number: ids.IdNumber | None = None
    if id_text not in (None, "") and parsed_id is not None:
        id_number = parsed_id
    elif id_text not in (None, ""):
        try:
            id_number = ids.parse_id(id_text, today)
        except ids.IdError as err:
            raise InputError(str(err), "id_number") from None
    elif category is not None:
        raise InputError("持证残疾人须填写身份证号", "id_number")

    cert_text = _text(values, "cert_number")
    cert_number = None
    if cert_text:
        try:
            cert = ids.parse_certificate(
                cert_text,
                id_number=id_number.number if id_number else None,
                category=category,
                level=level,
                today=today,
                parsed_id=id_number,
            )
        except ids.IdError as err:
            raise InputError(str(err), "cert_number") from None
        cert_number = cert.number

    birth: str | None
    if id_number:
        sex, birth = id_number.sex, id_number.birth_date.isoformat()
    else:
        sex = _text(values, "sex")
        if sex and sex not in codes.SEXES:
            raise InputError("性别应为“男”或“女”", "sex")
        birth = clean_date(_text(values, "birth_date"), "birth_date", "出生日期", today) or None

    care_flags = clean_codes(values.get("care_flags") or (), codes.CARE_FLAGS, "care_flags")
    device_kind = _text(values, "device_kind") if "powered_device" in care_flags else ""
    school = _text(values, "school")
    if school not in codes.SCHOOL_STATUSES:
        raise InputError("就学情况无法识别", "school")
    return {
        **_base_person(name, id_number, sex, birth, cert_number, category, level, values),
        "care_flags": care_flags,
        "device_kind": device_kind,
        "benefits": clean_codes(values.get("benefits") or (), codes.BENEFITS, "benefits"),
        "school": school,
        **(clean_register_facts(values, today) if facts else {}),
    }


def _base_person(
    name: str,
    id_number: ids.IdNumber | None,
    sex: str,
    birth: str | None,
    cert_number: str | None,
    category: int | None,
    level: int | None,
    values: Mapping[str, Any],
) -> dict[str, Any]:
    return {
        "name": name,
        "id_number": id_number.number if id_number else None,
        "sex": sex,
        "birth_date": birth,
        "cert_number": cert_number,
        "category": category,
        "level": level,
        "relation": _text(values, "relation"),
        "phone": clean_phone(_text(values, "phone")),
    }


def _code(values: Mapping[str, Any], key: str, table: Mapping[str, str], label: str) -> str:
    code = _text(values, key)
    if code and code not in table:
        raise InputError(f"{label}“{code}”无法识别，应为{'、'.join(table.values())}", key)
    return code


def clean_register_facts(values: Mapping[str, Any], today: date) -> dict[str, Any]:
    """户籍, insurance schemes, certificate dates and training: what the indicators read.

    A missing 户籍 is 重庆市内 (the certificate is issued where the 户籍 is).
    """
    hukou = _code(values, "hukou", codes.HUKOU_REGIONS, "户籍") or codes.HUKOU_CQ
    issued = clean_date(_text(values, "cert_issued"), "cert_issued", "发证日期", today)
    valid = clean_date(
        _text(values, "cert_valid_until"), "cert_valid_until", "有效期至", today, future=True
    )
    if issued and valid and valid <= issued:
        raise InputError("残疾人证“有效期至”应晚于发证日期", "cert_valid_until")
    hukou_address = _text(values, "hukou_address")
    if len(hukou_address) > 100:
        raise InputError("户籍地址过长（最多100个字）", "hukou_address")
    return {
        "hukou": hukou,
        "hukou_address": hukou_address,
        "apart": 1 if values.get("apart") in (True, 1, "1", "是") else 0,
        "pension_scheme": _code(values, "pension_scheme", codes.INSURANCE_SCHEMES, "养老保险"),
        "medical_scheme": _code(values, "medical_scheme", codes.INSURANCE_SCHEMES, "医疗保险"),
        "cert_issued": issued,
        "cert_valid_until": valid,
        "trained_on": clean_date(_text(values, "trained_on"), "trained_on", "培训日期", today),
    }


def clean_household(values: Mapping[str, Any]) -> dict[str, Any]:
    address = _text(values, "address")
    if not address:
        raise InputError("请填写现住址", "address")
    return {
        "address": address,
        "building": _text(values, "building"),
        "unit": _text(values, "unit"),
        "room": _text(values, "room"),
        "grid": _text(values, "grid"),
        "phone": clean_phone(_text(values, "phone")),
        "flags": clean_codes(values.get("flags") or (), codes.HOUSEHOLD_FLAGS, "flags"),
        "guardian_name": _text(values, "guardian_name"),
        "guardian_phone": clean_phone(
            _text(values, "guardian_phone"), "guardian_phone", "监护人电话"
        ),
        "guardian_relation": _text(values, "guardian_relation"),
        "emergency_contact": _text(values, "emergency_contact"),
        "emergency_phone": clean_phone(
            _text(values, "emergency_phone"), "emergency_phone", "紧急联系电话"
        ),
        "note": _text(values, "note"),
    }


def clean_status_change(status: str, when: str, reason: str, today: date) -> dict[str, str]:
    from canxie_tui.domain.dates import parse_day

    if status not in codes.PERSON_STATUSES:
        raise InputError("未知的人员状态", "status")
    day = ""
    if status != codes.ACTIVE and when.strip():
        day = parse_day(when, today, field="status_date", label="日期").isoformat()
    if status != codes.ACTIVE and not day:
        raise InputError("请填写迁出/死亡/注销的日期", "status_date")
    if status != codes.ACTIVE and not reason.strip():
        raise InputError("请填写原因", "status_reason")
    return {"status": status, "status_date": day, "status_reason": reason.strip()}


def clean_note(category: str, body: str) -> dict[str, str]:
    if category not in codes.NOTE_CATEGORIES:
        raise InputError("请选择记录类别", "category")
    if not body.strip():
        raise InputError("记录内容不能为空", "body")
    return {"category": category, "body": check_length(body.strip(), "body", "记录内容")}


VISIT_CONFIRM_DAYS = 30  # older visits need a second confirmation


def clean_visit(values: Mapping[str, Any], today: date) -> tuple[dict[str, Any], list[str]]:
    """Validate a visit form: (columns and lists to store, warnings to confirm)."""
    from canxie_tui.domain.dates import parse_day

    day = parse_day(_text(values, "visit_date"), today, field="visit_date", label="走访日期")
    method = _text(values, "method")
    if method not in codes.VISIT_METHODS:
        raise InputError("请选择走访方式", "method")
    purpose = _text(values, "purpose") or "routine"
    if purpose not in codes.VISIT_PURPOSES:
        raise InputError("请选择走访目的", "purpose")
    visitors = list(dict.fromkeys(values.get("visitors") or ()))
    if not visitors:
        raise InputError("至少要有一名走访人", "visitors")
    seen = list(dict.fromkeys(values.get("persons_seen") or ()))
    if not seen:
        raise InputError("请勾选见到（或通话）的人", "persons_seen")
    clean: dict[str, Any] = {
        "visit_date": day.isoformat(),
        "method": method,
        "purpose": purpose,
        "checklist": clean_codes(values.get("checklist") or (), codes.VISIT_CHECKLIST, "checklist"),
        "problems": clean_codes(values.get("problems") or (), codes.VISIT_PROBLEMS, "problems"),
        "problem_text": check_length(_text(values, "problem_text"), "problem_text", "问题说明"),
        "help_given": check_length(_text(values, "help_given"), "help_given", "提供的帮助"),
        "referrals": clean_codes(values.get("referrals") or (), codes.REFERRALS, "referrals"),
        "note": check_length(_text(values, "note"), "note", "备注"),
        "visitors": visitors,
        "persons_seen": seen,
    }
    if "other" in clean["problems"] and not clean["problem_text"]:
        raise InputError("选了“其他”问题，请在问题说明中写明", "problem_text")
    followup = check_length(_text(values, "followup_what"), "followup_what", "需要跟进的事")
    if followup:
        due = parse_day(
            _text(values, "followup_due"),
            today,
            field="followup_due",
            label="跟进期限",
            allow_future=True,
        )
        if due < day:
            raise InputError("跟进期限不能早于走访日期", "followup_due")
        clean["followup"] = {
            "what": followup,
            "due_date": due.isoformat(),
            "urgent": bool(values.get("followup_urgent")),
        }
    elif _text(values, "followup_due"):
        raise InputError("填写了跟进期限，请写明要跟进什么", "followup_what")
    warnings = []
    if (today - day).days > VISIT_CONFIRM_DAYS:
        warnings.append(f"这次走访是{(today - day).days}天前（{day.isoformat()}）")
    return clean, warnings


def clean_followup(what: str, due: str, today: date) -> dict[str, str]:
    from canxie_tui.domain.dates import parse_day

    if not what.strip():
        raise InputError("请写明要跟进什么", "what")
    check_length(what.strip(), "what", "要跟进的事")
    day = parse_day(due, today, field="due_date", label="跟进期限", allow_future=True)
    return {"what": what.strip(), "due_date": day.isoformat()}
