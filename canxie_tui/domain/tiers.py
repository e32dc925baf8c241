"""Visit tiers (走访分级): how often each registered person should be visited.

A person's tier is decided by rules over named conditions ("alone", "severe" ...).
The defaults follow DESIGN.md §2 and can be replaced in settings (see
:meth:`TierSettings.from_json`):

- A, 每周: 独居 + 重度; 依赖电动设备 (制氧机, 呼吸机 ...); 卧床 + 无人照料; 有紧急跟进事项.
- B, 每月: 低保/特困/低保边缘; 重度; 智力/精神残疾; 一户多残; 以老养残.
- C, 每季度: everyone else in the register.

Precedence: tiers are tried from the shortest interval to the longest (not by letter,
so a district may redefine the intervals); the first tier with a matching rule wins,
and its reasons are all of that tier's matching rules.  Nobody matching any rule
falls into the tier with the longest interval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.errors import InputError

__all__ = [
    "CONDITIONS",
    "DEFAULT_TIER_SETTINGS",
    "TIERS",
    "TIER_LABELS",
    "Rule",
    "TierFacts",
    "TierResult",
    "TierSettings",
    "conditions_met",
    "interval_label",
    "next_due",
    "overdue_days",
    "tier_for",
]

TIERS: tuple[str, ...] = ("A", "B", "C")
TIER_LABELS: Mapping[str, str] = {"A": "每周", "B": "每月", "C": "每季度"}
FALLBACK_REASON = "其他在册人员"

# Condition name -> generic Chinese label (for the settings screen).  The reason shown
# for one person uses the concrete label from conditions_met(): 依赖制氧机, 低保, 智力残疾.
CONDITIONS: Mapping[str, str] = {
    "alone": "独居",
    "severe": "重度",
    "powered_device": "依赖电动设备",
    "bedridden": "卧床",
    "no_carer": "无人照料",
    "urgent_followup": "有紧急跟进事项",
    "poor": "低保/特困/低保边缘",
    "intellectual_or_mental": "智力/精神残疾",
    "multi_disabled": "一户多残",
    "elderly_carer": "以老养残",
}

_INTELLECTUAL_OR_MENTAL = frozenset({5, 6})
_INTERVAL_WORDS = {
    7: "每周",
    14: "每两周",
    30: "每月",
    60: "每两个月",
    90: "每季度",
    180: "每半年",
    365: "每年",
}


def interval_label(days: int) -> str:
    """每周 / 每月 / 每季度 ... or 每N天 for an interval without a common name."""
    return _INTERVAL_WORDS.get(days, f"每{days}天")


@dataclass(frozen=True)
class TierFacts:
    """What the tier rules look at for one person (the store assembles it)."""

    category: int | None
    level: int | None
    care_flags: frozenset[str]
    device_kind: str
    household_flags: frozenset[str]
    certified_in_household: int  # active certified persons in the household, this one included
    urgent_followup: bool  # an open follow-up marked urgent


def conditions_met(facts: TierFacts) -> dict[str, str]:
    """Every condition that holds for this person -> its concrete label."""
    met: dict[str, str] = {}
    flags = facts.household_flags
    care = facts.care_flags
    if "alone" in flags:
        met["alone"] = CONDITIONS["alone"]
    if codes.is_severe(facts.level):
        met["severe"] = CONDITIONS["severe"]
    if "powered_device" in care:
        kind = facts.device_kind.strip()
        met["powered_device"] = f"依赖{kind}" if kind and kind != "其他" else "依赖电动设备"
    if "bedridden" in care:
        met["bedridden"] = CONDITIONS["bedridden"]
    if "no_carer" in flags or "alone" in flags:
        met["no_carer"] = CONDITIONS["no_carer"]
    if facts.urgent_followup:
        met["urgent_followup"] = CONDITIONS["urgent_followup"]
    if not codes.POOR_FLAGS.isdisjoint(flags):
        met["poor"] = codes.labels(codes.HOUSEHOLD_FLAGS, flags & codes.POOR_FLAGS)
    if facts.category in _INTELLECTUAL_OR_MENTAL:
        met["intellectual_or_mental"] = f"{codes.label(codes.CATEGORIES, facts.category)}残疾"
    if "multi_disabled" in flags or facts.certified_in_household >= 2:
        met["multi_disabled"] = CONDITIONS["multi_disabled"]
    if "elderly_carer" in flags:
        met["elderly_carer"] = CONDITIONS["elderly_carer"]
    return met


@dataclass(frozen=True)
class Rule:
    """One way into `tier`: every condition in `all_of` must hold."""

    tier: str
    all_of: tuple[str, ...]


@dataclass(frozen=True)
class TierSettings:
    intervals: Mapping[str, int] = field(hash=False)  # tier -> days, e.g. {"A": 7}
    rules: tuple[Rule, ...]

    def __post_init__(self) -> None:
        # A read-only copy, so a caller's dict cannot change frozen settings later.
        object.__setattr__(self, "intervals", MappingProxyType(dict(self.intervals)))

    @property
    def order(self) -> tuple[str, ...]:
        """Tiers from the most frequent visits to the least (ties by letter)."""
        return tuple(sorted(self.intervals, key=lambda t: (self.intervals[t], t)))

    @property
    def fallback(self) -> str:
        """The tier of everyone no rule matches: the longest interval."""
        return self.order[-1]

    def to_json(self) -> dict[str, Any]:
        return {
            "intervals": dict(sorted(self.intervals.items())),
            "rules": [{"tier": r.tier, "all_of": list(r.all_of)} for r in self.rules],
        }

    @classmethod
    def from_json(cls, data: Any) -> TierSettings:
        """Settings saved by :meth:`to_json` (or edited by hand), checked thoroughly."""
        if not isinstance(data, Mapping):
            raise InputError("走访分级设置格式不对：应为包含 intervals 和 rules 的对象", "tiers")
        raw_intervals = data.get("intervals")
        if not isinstance(raw_intervals, Mapping):
            raise InputError("走访分级设置缺少各级走访间隔（intervals）", "intervals")
        intervals: dict[str, int] = {}
        for tier, days in raw_intervals.items():
            if tier not in TIERS:
                raise InputError(f"未知的走访等级“{tier}”，只能是 {'、'.join(TIERS)}", "intervals")
            if isinstance(days, bool) or not isinstance(days, int) or days <= 0:
                raise InputError(f"{tier}级的走访间隔应为正整数天数，现为“{days}”", "intervals")
            intervals[tier] = days
        missing = [t for t in TIERS if t not in intervals]
        if missing:
            raise InputError(f"缺少{'、'.join(missing)}级的走访间隔", "intervals")

        raw_rules = data.get("rules")
        if not isinstance(raw_rules, list):
            raise InputError("走访分级设置缺少规则列表（rules）", "rules")
        rules: list[Rule] = []
        for number, raw in enumerate(raw_rules, start=1):
            if not isinstance(raw, Mapping):
                raise InputError(f"第{number}条规则格式不对", "rules")
            tier = raw.get("tier")
            if tier not in intervals:
                raise InputError(
                    f"第{number}条规则的等级“{tier}”未知，只能是 {'、'.join(TIERS)}", "rules"
                )
            all_of = raw.get("all_of")
            if (
                not isinstance(all_of, list | tuple)
                or not all_of
                or not all(isinstance(c, str) for c in all_of)
            ):
                raise InputError(f"第{number}条规则至少要有一个条件", "rules")
            unknown = [c for c in all_of if c not in CONDITIONS]
            if unknown:
                raise InputError(f"第{number}条规则有未知的条件：{'、'.join(unknown)}", "rules")
            rules.append(Rule(str(tier), tuple(all_of)))
        return cls(intervals, tuple(rules))


DEFAULT_TIER_SETTINGS = TierSettings(
    intervals={"A": 7, "B": 30, "C": 90},
    rules=(
        Rule("A", ("alone", "severe")),
        Rule("A", ("powered_device",)),
        Rule("A", ("bedridden", "no_carer")),
        Rule("A", ("urgent_followup",)),
        Rule("B", ("poor",)),
        Rule("B", ("severe",)),
        Rule("B", ("intellectual_or_mental",)),
        Rule("B", ("multi_disabled",)),
        Rule("B", ("elderly_carer",)),
    ),
)


@dataclass(frozen=True)
class TierResult:
    tier: str
    interval_days: int
    reasons: tuple[str, ...]  # one per matching rule: "独居 + 重度"

    @property
    def text(self) -> str:
        """独居 + 重度；依赖制氧机 → 每周, or 其他在册人员 → 每季度."""
        why = "；".join(self.reasons) if self.reasons else FALLBACK_REASON
        return f"{why} → {interval_label(self.interval_days)}"


def tier_for(facts: TierFacts, settings: TierSettings = DEFAULT_TIER_SETTINGS) -> TierResult:
    met = conditions_met(facts)
    for tier in settings.order:
        reasons: list[str] = []
        for rule in settings.rules:
            if rule.tier == tier and all(c in met for c in rule.all_of):
                reason = " + ".join(met[c] for c in rule.all_of)
                if reason not in reasons:
                    reasons.append(reason)
        if reasons:
            return TierResult(tier, settings.intervals[tier], tuple(reasons))
    tier = settings.fallback
    return TierResult(tier, settings.intervals[tier], ())


def next_due(last_visit: date | None, interval_days: int, registered: date) -> date:
    """The day the next visit is due: `interval_days` after the last one, or at once
    (the registration date) for someone never visited."""
    if last_visit is None:
        return registered
    return last_visit + timedelta(days=interval_days)


def overdue_days(next_due: date, today: date) -> int:
    """Days past the due date; 0 when the visit is due today or later."""
    return max(0, (today - next_due).days)
