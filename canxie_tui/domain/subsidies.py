"""两项补贴: the rule sets (dated settings), who qualifies, and what a month owes.

Who qualifies comes from 渝民发〔2021〕15号 (重庆市民政局 重庆市财政局 重庆市残疾人联合会):

- 困难残疾人生活补贴: certified, Chongqing 户籍, in 城乡低保; not for 特困供养 people
  (they receive 特困供养 instead).  The plan (专栏2) asks districts to extend it to
  低收入家庭 (低保边缘 and other 低收入 households): `RuleSet.living_low_income`.
- 重度残疾人护理补贴: certified 一级/二级, Chongqing 户籍; not with 工伤保险护理费.  The
  plan asks to extend it to 三、四级 智力/精神: `RuleSet.care_extended` with its amount.
- A person may receive both.

The amounts are the 重庆市民政局 notice's for 2026 (100 元; 一级 110, 二级 100 元/人/月).
Amounts and eligibility are dated settings, not constants: each `RuleSet` is in
force from its start month until the next one starts, and a month is judged by
the rule set in force then (`in_force`).

A register fact that ends eligibility (death, moving away, 注销, a certificate that
expired) ends it from the month after the day it happened: that month is still
paid (次月停发).  `refusal` is the rule in Python; `eligible_sql` is the same rule
as an SQL condition over `rule_inputs m` (what the rules read of a person, their
benefits and household flags as masks: migration 0010) with the parameters
:living_low_income, :care_extended (0/1, the rule set's extensions) and
:month_first (the month's first day, ISO).  A test holds the two equal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, fields
from typing import Any, Protocol

from canxie_tui.domain import codes
from canxie_tui.domain.dates import parse_month
from canxie_tui.domain.errors import InputError

__all__ = [
    "CARE",
    "CHONGQING_2026",
    "KINDS",
    "LIVING",
    "STATES",
    "Facts",
    "RuleSet",
    "eligible_sql",
    "in_force",
    "qualify_reason",
    "refusal",
]

LIVING = "living"
CARE = "care"
KINDS: Mapping[str, str] = {LIVING: "困难残疾人生活补贴", CARE: "重度残疾人护理补贴"}
KIND_SHORT: Mapping[str, str] = {LIVING: "生活补贴", CARE: "护理补贴"}
# The register keeps each person's latest decision as a benefit code too (a cache
# the forms and the roster import tick; see store.subsidies).
BENEFIT_CODES: Mapping[str, str] = {LIVING: "living_subsidy", CARE: "care_subsidy"}
KIND_OF_CODE: Mapping[str, str] = {code: kind for kind, code in BENEFIT_CODES.items()}

APPLYING = "applying"
RECEIVING = "receiving"
PAUSED = "paused"
STOPPED = "stopped"
STATES: Mapping[str, str] = {
    APPLYING: "申请中",
    RECEIVING: "享受",
    PAUSED: "暂停",
    STOPPED: "停发",
}

SOURCE_2021 = "渝民发〔2021〕15号"
SOURCE_2026 = "重庆市民政局关于2026年困难残疾人生活补贴和重度残疾人护理补贴标准的通知"


def parse_state(value: object) -> str | None:
    """A roster's 享受/未享受 (是/否, ticks) or a state's name -> a state code; None unknown.

    未享受 / 否 is 停发: a person never receiving it has nothing to stop (see
    `same_state`), one receiving it stops.
    """
    if isinstance(value, bool):
        return RECEIVING if value else STOPPED
    text = str(value).strip() if value is not None else ""
    for code, label in STATES.items():
        if text in (code, label):
            return code
    if text in ("停止", "已停发", "取消"):
        return STOPPED
    said = codes.parse_yes_no(text)
    return None if said is None else (RECEIVING if said else STOPPED)


def same_state(old: str | None, new: str | None) -> bool:
    """Whether a roster's state says nothing new: none recorded and 停发 are alike."""
    return (old or STOPPED) == (new or STOPPED)


# -- months ("YYYY-MM" text compares in calendar order) ---------------------------------
def check_month(text: str, field: str = "month") -> str:
    """A month as stored ("2026-01") from what a worker types (2026-1, 2026/01, 202601,
    2026年1月: `dates.parse_month`, as the command line's --month); else refused with
    `parse_month`'s own words (月应在 1–12 之间 ...), on the form's `field`."""
    try:
        year, number = parse_month(text)
    except InputError as err:
        raise InputError(err.message, field) from None
    return month_of(year, number)


def month_of(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def next_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return month_of(year + number // 12, number % 12 + 1)


def prev_month(month: str) -> str:
    year, number = int(month[:4]), int(month[5:7])
    return month_of(year - 1, 12) if number == 1 else month_of(year, number - 1)


def months(first: str, last: str) -> list[str]:
    """Every month from `first` to `last`, both included (empty when first > last)."""
    start = int(first[:4]) * 12 + int(first[5:7]) - 1
    end = int(last[:4]) * 12 + int(last[5:7]) - 1
    return [f"{n // 12:04d}-{n % 12 + 1:02d}" for n in range(start, end + 1)]


def month_label(month: str) -> str:
    return f"{int(month[:4])}年{int(month[5:7])}月"


# -- rule sets -------------------------------------------------------------------------
@dataclass(frozen=True)
class RuleSet:
    """Eligibility and monthly amounts (元/人/月) in force from `start` (YYYY-MM)."""

    start: str
    living_amount: int = 100
    care_level1: int = 110
    care_level2: int = 100
    living_low_income: bool = False  # 生活补贴 extended to 低收入家庭
    care_extended: bool = False  # 护理补贴 extended to 三、四级 智力/精神
    care_extended_amount: int = 0  # their monthly amount when extended
    source: str = ""

    def amount(self, kind: str, level: int | None) -> int:
        """The monthly amount of `kind` for a person of this level.

        A 护理补贴 paid at a level the set does not cover (三/四级 without the
        extension) is counted at the extension's amount, 0 when there is none.
        """
        if kind == LIVING:
            return self.living_amount
        if level == 1:
            return self.care_level1
        if level == 2:
            return self.care_level2
        return self.care_extended_amount

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RuleSet:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def summary(self) -> str:
        """生活补贴100元；护理补贴一级110元、二级100元 (and the extensions)."""
        text = f"生活补贴{self.living_amount}元"
        if self.living_low_income:
            text += "（含低收入家庭）"
        text += f"；护理补贴一级{self.care_level1}元、二级{self.care_level2}元"
        if self.care_extended:
            text += f"、三四级智力精神{self.care_extended_amount}元"
        return text


# Shipped: Chongqing's standards from 2026-01-01 (the extensions off until the
# district adopts them in settings).
CHONGQING_2026 = RuleSet(
    start="2026-01",
    living_amount=100,
    care_level1=110,
    care_level2=100,
    source=f"{SOURCE_2021}；{SOURCE_2026}",
)


def clean_rule_set(values: Mapping[str, Any]) -> RuleSet:
    """A rule set from a form's text values; one Chinese message for the first bad one."""

    def amount(key: str, label: str) -> int:
        text = str(values.get(key, "")).strip()
        if not text.isdecimal() or int(text) > 100000:
            raise InputError(f"{label}应为0到100000之间的整数（元/人/月）", key)
        return int(text)

    def yes(key: str, label: str) -> bool:
        value = values.get(key, False)
        if isinstance(value, bool):
            return value
        said = codes.parse_yes_no(value)
        if said is None:
            raise InputError(f"{label}请填“是”或“否”", key)
        return said

    start = check_month(str(values.get("start", "")).strip(), "start")
    rules = RuleSet(
        start=start,
        living_amount=amount("living_amount", "生活补贴标准"),
        care_level1=amount("care_level1", "护理补贴一级标准"),
        care_level2=amount("care_level2", "护理补贴二级标准"),
        living_low_income=yes("living_low_income", "生活补贴是否扩面至低收入家庭"),
        care_extended=yes("care_extended", "护理补贴是否扩面至三、四级智力精神"),
        care_extended_amount=amount("care_extended_amount", "三、四级智力精神护理补贴标准"),
        source=str(values.get("source", "")).strip(),
    )
    if rules.care_extended and not rules.care_extended_amount:
        raise InputError(
            "护理补贴扩面至三、四级智力精神时，请填写其补贴标准", "care_extended_amount"
        )
    return rules


def in_force(rule_sets: Iterable[RuleSet], month: str) -> RuleSet | None:
    """The rule set that judges `month`: the latest one starting on or before it."""
    found = None
    for rules in rule_sets:
        if rules.start <= month and (found is None or rules.start > found.start):
            found = rules
    return found


def sorted_sets(rule_sets: Iterable[RuleSet]) -> list[RuleSet]:
    return sorted(rule_sets, key=lambda r: r.start)


# -- who qualifies ---------------------------------------------------------------------
class Facts(Protocol):
    """What the rules read of a person (PersonFacts and the check's rows both have it)."""

    @property
    def category(self) -> int | None: ...
    @property
    def level(self) -> int | None: ...
    @property
    def hukou(self) -> str: ...
    @property
    def household_flags(self) -> frozenset[str]: ...
    @property
    def benefits(self) -> frozenset[str]: ...
    @property
    def cert_valid_until(self) -> str: ...


def _disability(category: int | None, level: int | None) -> str:
    return codes.label(codes.LEVELS, level) + codes.label(codes.CATEGORIES, category)


def refusal(kind: str, f: Facts, rules: RuleSet, month: str) -> str | None:
    """Why `f` does not qualify for `kind` in `month` by `rules`; None when they do.

    The register status (在册, 死亡, 迁出, 注销) is judged apart: `left_reason`.
    """
    if f.category is None:
        return "非持证"
    if f.cert_valid_until and f.cert_valid_until < f"{month}-01":
        return f"残疾人证已过期（有效期至{f.cert_valid_until}）"
    if f.hukou != codes.HUKOU_CQ:
        return "户籍在重庆市外"
    if kind == LIVING:
        flags = f.household_flags
        if "tekun" in flags:
            return "特困供养人员（享受特困供养，不享受生活补贴）"
        if "dibao" in flags:
            return None
        low_income = not codes.LOW_INCOME_FLAGS.isdisjoint(flags)
        if low_income and rules.living_low_income:
            return None
        return "低收入家庭，生活补贴未扩面" if low_income else "不在城乡低保"
    if "injury_care" in f.benefits:
        return "享受工伤保险护理费"
    if f.level in codes.SEVERE_LEVELS:
        return None
    if f.level is None:
        return "未评定残疾等级"
    if rules.care_extended and f.category in codes.CARE_EXTENDED_CATEGORIES:
        return None
    if rules.care_extended:
        return f"{_disability(f.category, f.level)}，不在护理补贴扩面范围"
    return f"{_disability(f.category, f.level)}，护理补贴限一、二级"


def qualify_reason(kind: str, f: Facts, rules: RuleSet) -> str:
    """Why `f` qualifies, as a worker reads it: "一级肢体 · 重庆户籍"."""
    if kind == LIVING:
        flags = f.household_flags
        why = "城乡低保" if "dibao" in flags else "低收入家庭（扩面）"
        return f"{why} · 重庆户籍 · {_disability(f.category, f.level) or '持证'}"
    extended = "（扩面）" if f.level not in codes.SEVERE_LEVELS else ""
    return f"{_disability(f.category, f.level)}{extended} · 重庆户籍"


LEFT_REASONS: Mapping[str, str] = {"deceased": "死亡", "moved": "迁出", "cancelled": "注销"}


def left_reason(status: str, status_date: str, month: str) -> tuple[str, str] | None:
    """(reason, day) when someone left the register before `month` (else None).

    Leaving in a month keeps that month's subsidy: from the next one it stops.
    """
    if status == codes.ACTIVE or status not in LEFT_REASONS:
        return None
    if status_date and status_date[:7] >= month:
        return None
    return LEFT_REASONS[status], status_date


def stop_day(reason: str, f: Facts) -> str:
    """The day the register says eligibility ended for `reason` ('' when it cannot say)."""
    if reason.startswith("残疾人证已过期") and f.cert_valid_until:
        return f.cert_valid_until
    return ""


# -- the same rule in SQL ----------------------------------------------------------------
def _flag(*found: str) -> str:
    return codes.has_any_sql("m.household_flags", codes.HOUSEHOLD_FLAGS, *found)


_CERTIFIED_SQL = (
    "(m.category IS NOT NULL AND (m.cert_valid_until = '' OR m.cert_valid_until >= :month_first) "
    f"AND m.hukou = '{codes.HUKOU_CQ}')"
)
_SEVERE_SQL = f"m.level IN ({', '.join(str(v) for v in sorted(codes.SEVERE_LEVELS))})"
_EXTENDED_SQL = (
    f"m.category IN ({', '.join(str(v) for v in sorted(codes.CARE_EXTENDED_CATEGORIES))})"
)
# The most selective terms first (SQLite tests them in order): a district's 30k
# people are mostly not 重度 and mostly not in 低保.
_ELIGIBLE_SQL: Mapping[str, str] = {
    LIVING: (
        f"(({_flag('dibao')} OR (:living_low_income AND {_flag(*codes.LOW_INCOME_FLAGS)})) "
        f"AND NOT {_flag('tekun')} AND {_CERTIFIED_SQL})"
    ),
    CARE: (
        f"(({_SEVERE_SQL} OR (:care_extended AND m.level IS NOT NULL AND {_EXTENDED_SQL})) "
        f"AND {_CERTIFIED_SQL} AND NOT "
        f"{codes.has_any_sql('m.benefits', codes.BENEFITS, 'injury_care')})"
    ),
}


def eligible_sql(kind: str) -> str:
    """`refusal(kind, …) is None` as an SQL condition (see the module's parameters)."""
    return _ELIGIBLE_SQL[kind]


def sql_params(rules: RuleSet, month: str) -> dict[str, Any]:
    return {
        "living_low_income": int(rules.living_low_income),
        "care_extended": int(rules.care_extended),
        "month_first": f"{month}-01",
    }


# -- a person's history ------------------------------------------------------------------
@dataclass(frozen=True)
class Entry:
    """One period of a person's history of one subsidy."""

    kind: str
    state: str
    from_month: str
    to_month: str  # '' open-ended
    level: int | None = None  # the level its amount is paid for (护理补贴)
    reason: str = ""
    id: str = ""

    def covers(self, month: str) -> bool:
        return self.from_month <= month and (not self.to_month or self.to_month >= month)


def state_in(entries: Sequence[Entry], kind: str, month: str) -> Entry | None:
    """The entry of `kind` covering `month` (entries never overlap; the latest wins)."""
    found = None
    for entry in entries:
        later = found is None or entry.from_month > found.from_month
        if entry.kind == kind and entry.covers(month) and later:
            found = entry
    return found


def latest(entries: Sequence[Entry]) -> dict[str, Entry]:
    """Each kind's latest entry (the person's latest decision about it)."""
    found: dict[str, Entry] = {}
    for entry in entries:
        if entry.kind not in found or entry.from_month > found[entry.kind].from_month:
            found[entry.kind] = entry
    return found


def overpaid(
    entries: Sequence[Entry],
    kind: str,
    first: str,
    last: str,
    rule_sets: Sequence[RuleSet],
    level: int | None,
) -> tuple[list[str], int]:
    """The months from `first` to `last` marked 享受 in the history, and what they paid
    (each month by the rule set in force then, at the level the history pays)."""
    paid: list[str] = []
    total = 0
    for month in months(first, last):
        entry = state_in(entries, kind, month)
        rules = in_force(rule_sets, month)
        if entry is None or entry.state != RECEIVING or rules is None:
            continue
        paid.append(month)
        total += rules.amount(kind, entry.level if entry.level is not None else level)
    return paid, total
