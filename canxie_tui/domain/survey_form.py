"""The 持证残疾人基本状况调查 (动态更新) questionnaire as data: sections, items, codes, skips.

Worded and ordered after the national form 《全国残疾人基本服务状况和需求信息数据动态更新
残疾人登记表》 (动态1表, 中国残联/国家统计局, 国统制〔2016〕57号) so that keying the answers
into the national APP is a straight copy.  `Item.form_no` is the form's item number
(R3, R17…) where a published copy of the form confirms it, '' where it does not; the
answer codes are the digits the form prints before each answer.  README ("持证残疾人基本状况调查")
lists which items and codes are confirmed.

Answers are a dict item key -> code ("1") or, for a multiple choice, a sorted list
of codes.  Skip rules are data too: an item applies by age on the round's reference
day (`min_age`/`max_age`), by category/level (`who`), and by an earlier answer
(`only_if`); an item that does not apply is not shown, not asked and not exported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from canxie_tui.domain.codes import SEVERE_LEVELS

Answers = Mapping[str, Any]  # item key -> "1" or ["1", "3"]


@dataclass(frozen=True)
class Subject:
    """Who is being surveyed, as the skip rules see them."""

    age: int | None  # on the round's reference day (None: birth date unknown)
    category: int | None
    level: int | None


def _care_service_group(s: Subject) -> bool:
    """托养服务 (R29/R30): 智力、精神 and 重度肢体 (the form's ★ note)."""
    return s.category in (5, 6) or (s.category == 4 and s.level in SEVERE_LEVELS)


def _codes(value: Any) -> list[str]:
    """An answer as its list of codes ("1" -> ["1"], None -> [])."""
    return value if isinstance(value, list) else [value] if value else []


@dataclass(frozen=True)
class Item:
    key: str  # stable code in answers and in the results workbook's column names
    form_no: str  # the national form's item number; '' where not confirmed
    label: str
    choices: Mapping[str, str]  # answer code -> label, in the form's order
    multi: bool = False
    min_age: int | None = None
    max_age: int | None = None
    who: Callable[[Subject], bool] | None = None
    only_if: tuple[str, frozenset[str]] | None = None  # (item key, answers that ask this)

    def applies(self, subject: Subject, answers: Answers) -> bool:
        age = subject.age
        if self.min_age is not None and (age is None or age < self.min_age):
            return False
        if self.max_age is not None and (age is None or age > self.max_age):
            return False
        if self.who is not None and not self.who(subject):
            return False
        if self.only_if is not None:
            key, wanted = self.only_if
            given = answers.get(key)
            picked = set(given) if isinstance(given, list) else {given}
            return bool(picked & wanted)
        return True

    def text(self, value: Any) -> str:
        """The answer as the form words it ("1.是"; several joined by "、")."""
        return "、".join(f"{c}.{self.choices[c]}" for c in _codes(value) if c in self.choices)

    @property
    def title(self) -> str:
        return f"{self.form_no}.{self.label}" if self.form_no else self.label


@dataclass(frozen=True)
class Section:
    key: str
    label: str
    items: tuple[Item, ...]


YES_NO = {"1": "是", "2": "否"}
HAVE = {"1": "有", "2": "无"}
SCHEMES = {"1": "城乡居民", "2": "城镇职工", "3": "未参保"}


def _on(key: str, *codes: str) -> tuple[str, frozenset[str]]:
    return (key, frozenset(codes))


SECTIONS: tuple[Section, ...] = (
    Section(
        "basic",
        "基本信息",
        (
            Item("hukou_type", "R3", "户口性质", {"1": "农业", "2": "非农业"}),
            Item(
                "marital",
                "R4",
                "婚姻状况",
                {"1": "未婚", "2": "有配偶", "3": "离婚", "4": "丧偶"},
                min_age=15,
            ),
            Item(
                "living",
                "",
                "居住状况",
                {"1": "与家人同住", "2": "独居", "3": "机构集中居住", "4": "其他"},
            ),
        ),
    ),
    Section(
        "economy",
        "经济与住房",
        (
            Item(
                "assistance",
                "R27",
                "动态更新年度内社会救助情况",
                {
                    "1": "最低生活保障",
                    "2": "特困人员救助供养",
                    "3": "临时救助",
                    "4": "其他救助",
                    "5": "未享受",
                },
                multi=True,
            ),
            Item(
                "housing",
                "",
                "住房类型",
                {"1": "自有住房", "2": "租住", "3": "借住", "4": "集中供养/托养机构", "5": "其他"},
            ),
            Item("unsafe_house", "", "是否居住在危房", YES_NO),
        ),
    ),
    Section(
        "education",
        "教育",
        (
            Item(
                "schooling",
                "",
                "受教育程度",
                {
                    "1": "未上过学",
                    "2": "小学",
                    "3": "初中",
                    "4": "高中（含中专）",
                    "5": "大学专科及以上",
                },
                min_age=6,
            ),
            Item(
                "in_school",
                "",
                "就学情况（6-17周岁）",
                {"1": "普通学校就读", "2": "特殊教育学校就读", "3": "送教上门", "4": "未入学"},
                min_age=6,
                max_age=17,
            ),
        ),
    ),
    Section(
        "employment",
        "就业",
        (
            Item("employed", "R17", "是否就业", {"1": "是", "2": "否"}, min_age=16, max_age=59),
            Item(
                "employ_form",
                "",
                "就业形式",
                {
                    "1": "按比例就业",
                    "2": "集中就业",
                    "3": "个体就业（含自主创业）",
                    "4": "公益性岗位就业",
                    "5": "辅助性就业",
                    "6": "农村种养加",
                    "7": "灵活就业",
                },
                min_age=16,
                max_age=59,
                only_if=_on("employed", "1"),
            ),
            Item(
                "jobless_income",
                "R18",
                "未就业主要生活来源",
                {
                    "1": "退休金（养老金）",
                    "2": "财产性收入",
                    "3": "社会救助与社会福利",
                    "4": "家庭成员供养",
                    "5": "其他",
                },
                min_age=16,
                max_age=59,
                only_if=_on("employed", "2"),
            ),
            Item(
                "jobless_reason",
                "R19",
                "未就业主要原因",
                {
                    "1": "在校学习",
                    "2": "退休",
                    "3": "无意愿就业",
                    "4": "无就业技能",
                    "5": "丧失劳动能力",
                    "6": "农用土地被征用",
                    "7": "其他",
                },
                min_age=16,
                max_age=59,
                only_if=_on("employed", "2"),
            ),
            Item(
                "employ_help",
                "R20",
                "动态更新年度内得到的就业帮扶",
                {
                    "1": "职业技能培训",
                    "2": "职业介绍",
                    "3": "农村实用技术培训",
                    "4": "资金信贷扶持",
                    "5": "其他帮扶",
                    "6": "未得到帮扶",
                },
                multi=True,
                min_age=16,
                max_age=59,
            ),
        ),
    ),
    Section(
        "security",
        "社会保障",
        (
            Item("pension", "", "养老保险参保情况", SCHEMES, min_age=16),
            Item("medical", "", "医疗保险参保情况", SCHEMES),
            Item(
                "welfare",
                "R28",
                "动态更新年度内社会福利补贴情况",
                {
                    "1": "困难残疾人生活补贴",
                    "2": "重度残疾人护理补贴",
                    "3": "其他补贴",
                    "4": "未享受",
                },
                multi=True,
            ),
            Item(
                "care_service",
                "R29",
                "是否享受托养服务",
                YES_NO,
                min_age=16,
                max_age=59,
                who=_care_service_group,
            ),
            Item(
                "care_need",
                "R30",
                "目前托养服务需求",
                {"1": "居家托养", "2": "日间照料", "3": "寄宿制托养", "4": "其他", "5": "无需求"},
                min_age=16,
                max_age=59,
                who=_care_service_group,
            ),
        ),
    ),
    Section(
        "health",
        "医疗康复",
        (
            Item("rehab", "", "动态更新年度内是否得到康复服务", YES_NO),
            Item("device", "", "是否已适配辅助器具", YES_NO),
            Item("family_doctor", "", "是否签约家庭医生", YES_NO),
        ),
    ),
    Section(
        "access",
        "无障碍",
        (
            Item("barrier_need", "", "家庭无障碍改造需求", HAVE),
            Item("barrier_done", "", "家庭是否已进行无障碍改造", YES_NO),
        ),
    ),
    Section(
        "culture",
        "文化体育",
        (
            Item(
                "culture",
                "",
                "参加社区文化体育活动情况",
                {"1": "经常参加", "2": "偶尔参加", "3": "从不参加"},
            ),
        ),
    ),
    Section(
        "needs",
        "服务需求",
        (
            Item(
                "needs",
                "",
                "目前主要服务需求（可多选）",
                {
                    "1": "医疗救助",
                    "2": "康复服务",
                    "3": "辅助器具",
                    "4": "生活救助",
                    "5": "护理照料",
                    "6": "就业扶持",
                    "7": "教育",
                    "8": "无障碍改造",
                    "9": "法律服务",
                    "10": "文化体育",
                    "11": "无需求",
                },
                multi=True,
            ),
        ),
    ),
)

ITEMS: Mapping[str, Item] = {item.key: item for s in SECTIONS for item in s.items}
# Answers that make work for the household (`store.survey` opens a follow-up for each).
NEED_FOLLOWUPS: Mapping[str, str] = {
    "1": "医疗救助",
    "2": "康复服务",
    "3": "辅助器具适配",
    "4": "生活救助",
    "5": "护理照料",
    "6": "就业扶持",
    "7": "教育（入学/送教）",
    "8": "无障碍改造",
    "9": "法律服务",
}
# A multiple-choice answer that excludes the others ("无需求", "未得到帮扶").
EXCLUSIVE = {"needs": "11", "employ_help": "6", "assistance": "5", "welfare": "4"}


def pick_key(choice: str) -> str:
    """The key that picks answer `choice`: 1-9, then 0, a, b … for the 10th and later."""
    number = int(choice)
    return str(number) if number <= 9 else "0abcdefgh"[number - 10]


def choice_for_key(item: Item, key: str) -> str | None:
    """The answer code a pressed key picks for `item` (None: no such answer)."""
    for code in item.choices:
        if pick_key(code) == key:
            return code
    return None


def visible(subject: Subject, answers: Answers) -> list[tuple[Section, list[Item]]]:
    """The sections to ask, each with its items that apply (empty sections left out)."""
    shown = []
    for section in SECTIONS:
        items = [i for i in section.items if i.applies(subject, answers)]
        if items:
            shown.append((section, items))
    return shown


def applicable(subject: Subject, answers: Answers) -> list[Item]:
    return [i for _, items in visible(subject, answers) for i in items]


def clean(subject: Subject, answers: Answers) -> dict[str, Any]:
    """Only the answers of items that apply, valid codes only, multi answers sorted."""
    result: dict[str, Any] = {}
    for item in applicable(subject, answers):
        value = answers.get(item.key)
        if item.multi:
            picked = sorted({c for c in _codes(value) if c in item.choices}, key=int)
            if picked:
                result[item.key] = picked
        elif value in item.choices:
            result[item.key] = value
    return result


def toggle(item: Item, value: Any, code: str) -> Any:
    """A multiple-choice answer with `code` switched (an exclusive answer clears the rest)."""
    codes = set(value) if isinstance(value, list) else set()
    exclusive = EXCLUSIVE.get(item.key)
    if code in codes:
        codes.discard(code)
    elif code == exclusive:
        codes = {code}
    else:
        codes = (codes - {exclusive}) | {code}
    return sorted(codes, key=int)


def missing(subject: Subject, answers: Answers) -> list[Item]:
    """Items that apply but have no answer yet (the survey is complete when none)."""
    answered = clean(subject, answers)
    return [i for i in applicable(subject, answers) if i.key not in answered]
