"""Code tables: the stable codes stored in the database and their Chinese labels.

Codes are short ASCII strings (or the GB/T 26341 digits for category and level) so
that labels can be reworded without a migration.  Every table is an ordered
mapping code -> label; the order is the order shown in forms and exports.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# GB/T 26341-2010 disability categories and levels.
CATEGORIES: Mapping[int, str] = {
    1: "视力",
    2: "听力",
    3: "言语",
    4: "肢体",
    5: "智力",
    6: "精神",
    7: "多重",
}
LEVELS: Mapping[int, str] = {1: "一级", 2: "二级", 3: "三级", 4: "四级"}
SEVERE_LEVELS = frozenset({1, 2})  # 一级、二级 are 重度

SEXES: Mapping[str, str] = {"男": "男", "女": "女"}

PERSON_STATUSES: Mapping[str, str] = {
    "active": "在册",
    "moved": "迁出",
    "deceased": "死亡",
    "cancelled": "注销",
}
ACTIVE = "active"

# Flags that describe the household as a whole.
HOUSEHOLD_FLAGS: Mapping[str, str] = {
    "dibao": "低保",
    "dibao_edge": "低保边缘",
    "tekun": "特困",
    "low_income": "低收入家庭",
    "multi_disabled": "一户多残",
    "elderly_carer": "以老养残",
    "alone": "独居",
    "empty_nest": "空巢",
    "no_carer": "无人照料",
    "unsafe_house": "危房",
    "low_lying": "低洼地带",
}
POOR_FLAGS = frozenset({"dibao", "dibao_edge", "tekun"})  # 困难
# 低收入家庭 in the plan's extension of 困难残疾人生活补贴 (低保边缘 is one of them).
LOW_INCOME_FLAGS = frozenset({"dibao_edge", "low_income"})

# 户籍: benefits such as the 两项补贴 follow it (渝民发〔2021〕15号: 重庆户籍).
HUKOU_CQ = "cq"
HUKOU_REGIONS: Mapping[str, str] = {HUKOU_CQ: "重庆市内", "outside": "重庆市外"}

# 养老保险 / 医疗保险: the scheme a person is in ('' when not recorded yet).
INSURANCE_SCHEMES: Mapping[str, str] = {
    "resident": "城乡居民",
    "employee": "城镇职工",
    "none": "未参保",
}
INSURED_SCHEMES = frozenset({"resident", "employee"})

# Flags about one person's care needs.
CARE_FLAGS: Mapping[str, str] = {
    "bedridden": "卧床",
    "powered_device": "依赖电动设备",
    "evac_help": "需协助撤离",
    "deaf_text": "听障需文字通知",
    "blind": "视障",
}
POWERED_DEVICES: tuple[str, ...] = ("制氧机", "呼吸机", "电动轮椅", "透析设备", "其他")

# Benefits and services: what a person receives or needs.
BENEFITS: Mapping[str, str] = {
    "living_subsidy": "困难残疾人生活补贴",
    "care_subsidy": "重度残疾人护理补贴",
    "family_doctor": "家庭医生签约",
    "rehab_received": "已享受康复服务",
    "rehab_needed": "有康复需求",
    "device_fitted": "已适配辅具",
    "device_needed": "有辅具需求",
    "barrier_free_done": "已无障碍改造",
    "barrier_free_needed": "需无障碍改造",
    "in_school": "在校学生",
    "injury_care": "享受工伤保险护理费",
}
# 重度残疾人护理补贴 extended (a district setting) to 三、四级 智力/精神.
CARE_EXTENDED_CATEGORIES = frozenset({5, 6})

# Compulsory education for children aged 6-15.
SCHOOL_STATUSES: Mapping[str, str] = {
    "": "不适用",
    "regular": "普通学校就读",
    "special": "特殊教育学校",
    "home": "送教上门",
    "not_enrolled": "未入学",
}
ENROLLED_SCHOOL = frozenset({"regular", "special", "home"})

RELATIONS: tuple[str, ...] = ("户主", "配偶", "子女", "父母", "孙子女", "兄弟姐妹", "其他")

NOTE_CATEGORIES: Mapping[str, str] = {
    "need": "需求",
    "difficulty": "困难",
    "plan": "服务计划",
    "progress": "进展",
    "other": "其他",
}

VISIT_METHODS: Mapping[str, str] = {
    "home": "入户",
    "phone": "电话",
    "wechat": "微信/视频",
    "meet": "见面",
}
VISIT_PURPOSES: Mapping[str, str] = {
    "routine": "常规走访",
    "festival": "节日慰问",
    "emergency": "急难救助",
    "survey": "动态更新调查",
    "revisit": "回访",
}
# 六个清楚
VISIT_CHECKLIST: Mapping[str, str] = {
    "address": "住址清楚",
    "phone": "电话清楚",
    "living": "生活状况清楚",
    "needs": "基本需求清楚",
    "family": "家庭及监护人清楚",
    "policies": "享受政策清楚",
}
VISIT_PROBLEMS: Mapping[str, str] = {
    "living": "生活困难",
    "health": "健康/康复",
    "housing": "住房安全",
    "care": "照护缺失",
    "mental": "心理/情绪",
    "employment": "就业",
    "education": "教育",
    "policy": "政策未享受",
    "barrier": "无障碍",
    "other": "其他",
}
REFERRALS: Mapping[str, str] = {
    "civil": "民政",
    "medical_ins": "医保",
    "hr": "人社",
    "health": "卫健",
    "housing": "住建",
    "education": "教育",
    "legal": "司法/法律援助",
    "street": "街道",
    "other": "其他",
}

DAYCARE_SERVICES: Mapping[str, str] = {
    "day_care": "日间照料",
    "residential": "集中照护",
    "rehab": "社区康复",
    "work": "辅助性就业",
    "training": "技能培训",
    "culture": "文化体育",
    "counselling": "心理咨询",
    "errands": "业务代办",
}
ATTENDANCE_STATUSES: Mapping[str, str] = {
    "present": "出勤",
    "leave": "请假",
    "absent": "缺勤",
}

EMERGENCY_KINDS: Mapping[str, str] = {
    "flood": "汛期/暴雨",
    "heat": "高温",
    "cold": "寒潮",
    "power": "停电",
    "epidemic": "疫情",
    "quake": "地震",
    "landslide": "地质灾害（滑坡、崩塌）",
    "fire": "火灾",
    "other": "其他",
}
ROLL_CALL_STATUSES: Mapping[str, str] = {
    "pending": "未联系",
    "safe": "安全",
    "help": "需要帮助",
    "moved": "已转移",
    "unreachable": "联系不上",
}

FOLLOWUP_STATUSES: Mapping[str, str] = {"open": "未完成", "closed": "已完成"}


# Code lists kept as integer masks beside their JSON (the store's `rule_inputs`, for the
# indicators' and the 两项补贴 check's SQL): a code's bit is its place in its table
# above, so these tables are append-only (a new code needs a migration that re-creates
# the masks' triggers: schema.MASKED_CODES).
def bit(table: Mapping[str, str], code: str) -> int:
    """The mask bit of `code` in `table` (a known code)."""
    return 1 << list(table).index(code)


def mask(table: Mapping[str, str], found: Iterable[str]) -> int:
    """The mask of a code list: the bits of its codes that `table` knows."""
    wanted = set(found)
    return sum(1 << i for i, code in enumerate(table) if code in wanted)


def has_any_sql(column: str, table: Mapping[str, str], *found: str) -> str:
    """SQL: the mask in `column` holds any of the codes `found` (of `table`; a code it
    does not know raises: a misspelt code in a rule must not quietly match nobody)."""
    return f"({column} & {sum(bit(table, code) for code in set(found))} <> 0)"


def label(table: Mapping, code: object, default: str = "") -> str:
    """The Chinese label of `code`, or `default` when it is unknown or empty."""
    return table.get(code, default) if code not in (None, "") else default


def labels(table: Mapping[str, str], codes: Iterable[str], sep: str = "、") -> str:
    """Labels of several codes in the table's own order, joined for display."""
    wanted = set(codes)
    return sep.join(text for code, text in table.items() if code in wanted)


def is_severe(level: int | None) -> bool:
    return level in SEVERE_LEVELS


# Values people type or find in the district's spreadsheets.
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "三": 3,
    "四": 4,
    "壹": 1,
    "贰": 2,
    "貳": 2,
    "叁": 3,
    "參": 3,
    "肆": 4,
}


def parse_category(value: object) -> int | None:
    """4 / "4" / "肢体" / "肢体残疾" -> 4; None when it is not a category."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if text.isdecimal():
        number = int(text) if len(text) <= 3 else 0
        return number if number in CATEGORIES else None
    text = text.removesuffix("残疾").removesuffix("残")
    if text in ("多重残疾", "多重"):
        return 7
    for code, name in CATEGORIES.items():
        if text == name:
            return code
    return None


def parse_level(value: object) -> int | None:
    """2 / "2" / "二级" / "贰级" / "二" -> 2; None when it is not a level."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    text = text.removesuffix("级")
    if text.isdecimal():
        number = int(text) if len(text) <= 3 else 0
        return number if number in LEVELS else None
    return _CN_DIGITS.get(text)


# -- register facts as district spreadsheets write them ------------------------------------
_CHONGQING = ("重庆", "渝")


def parse_hukou(value: object) -> str | None:
    """户籍所在地 / 户籍地址 -> "cq" or "outside"; None when blank.

    "重庆市江北区…", "重庆", "市内", "本市" are 重庆市内; "四川省…", "市外", "外省" are not.
    An address without a province (e.g. "江北区观音桥街道…") is taken as 重庆市内: the
    district's own rosters write local addresses that way.
    """
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    if text in HUKOU_REGIONS:
        return text
    if text in ("市内", "本市", "重庆市内", "市内户籍", "本地"):
        return HUKOU_CQ
    if text in ("市外", "外省", "重庆市外", "市外户籍", "外地"):
        return "outside"
    if text.startswith(_CHONGQING):
        return HUKOU_CQ
    if re.match(r"^[^省市]{2,8}(省|自治区)", text) or re.match(r"^(北京|天津|上海)", text):
        return "outside"
    return HUKOU_CQ


_SCHEME_WORDS = {
    "城乡居民": "resident",
    "居民": "resident",
    "城乡居民养老保险": "resident",
    "城乡居民医疗保险": "resident",
    "城乡居民医保": "resident",
    "城镇职工": "employee",
    "职工": "employee",
    "城镇职工养老保险": "employee",
    "城镇职工医疗保险": "employee",
    "职工医保": "employee",
    "企业职工": "employee",
    "未参保": "none",
    "无": "none",
    "否": "none",
    "未参加": "none",
}


def parse_scheme(value: object) -> str | None:
    """养老保险 / 医疗保险 column -> resident / employee / none; None when blank or unknown."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    return text if text in INSURANCE_SCHEMES else _SCHEME_WORDS.get(text.replace(" ", ""))


_YES = frozenset({"是", "享受", "已享受", "有", "√", "✓", "y", "Y", "yes", "1"})
_NO = frozenset({"否", "未享受", "不享受", "无", "没有", "×", "n", "N", "no", "0"})


def parse_yes_no(value: object) -> bool | None:
    """是/否/享受/未享受 (and ticks) -> True/False; None when blank or unknown."""
    text = str(value).strip() if value is not None else ""
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


_POVERTY_WORDS = {
    "低保": "dibao",
    "城乡低保": "dibao",
    "城市低保": "dibao",
    "农村低保": "dibao",
    "低保户": "dibao",
    "特困": "tekun",
    "特困供养": "tekun",
    "特困人员": "tekun",
    "五保": "tekun",
    "低保边缘": "dibao_edge",
    "低保边缘户": "dibao_edge",
    "低收入": "low_income",
    "低收入家庭": "low_income",
    "无": "",
    "否": "",
    "非低保": "",
}


def parse_poverty(value: object) -> str | None:
    """低保情况 -> one of POOR_FLAGS / low_income, "" for 无; None when blank or unknown."""
    text = str(value).strip() if value is not None else ""
    if not text:
        return None
    return _POVERTY_WORDS.get(text.replace(" ", ""))
