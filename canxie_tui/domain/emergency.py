"""Emergency mode (突发公共事件急难救助): who to reach first, how, and what to ask.

Pure functions over plain records; the store loads the register with one
set-based query and hands it here.

Risk score.  Each *factor* below that holds for a person adds its weight; the
event kind replaces some weights (a power cut makes dependence on powered
equipment dominant, a flood raises those who need help to evacuate and those
in 危房 or low-lying housing ...).  The factors are DESIGN.md §2's priority
people: 独居/无人照料, 重度智力/精神, 一户多残, 以老养残, 卧床, 依赖电动设备,
需协助撤离, 听障, 视障, ≥ 80 岁, 危房/低洼.  Anyone with at least one factor is
on the priority list; a 一级/二级 certificate adds a small bonus that only
orders people within the same factors (it never puts anyone on the list).

The reasons are the factors in words, heaviest first for the event kind:
"依赖制氧机 · 独居 · 87岁".  Sorting: score descending, then building, unit,
room (numbers compared as numbers: 3栋 before 12栋) and name; Python's sort is
stable, so equal rows keep the order they came in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NamedTuple, TypeVar

from canxie_tui.domain import codes
from canxie_tui.domain.emergency_tables import (
    BASE_WEIGHTS,
    CHECKLISTS,
    FACTORS,
    KIND_WEIGHTS,
    OLDEST_BONUS,
    SEVERITY_BONUS,
)
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.natural import natural_key

__all__ = [
    "BASE_WEIGHTS",
    "CHECKLISTS",
    "FACTORS",
    "FACTOR_BITS",
    "HELP_STATUSES",
    "KIND_WEIGHTS",
    "OLDEST",
    "OLDEST_BIT",
    "PENDING",
    "VERY_OLD",
    "Assessment",
    "CheckChange",
    "EmergencyEvent",
    "EventSummary",
    "PersonRisk",
    "Priority",
    "Ranker",
    "RollCallCheck",
    "RollCallProgress",
    "assess",
    "contact_advice",
    "factors_of",
    "format_duration",
    "grid_key",
    "group",
    "group_by",
    "kind_label",
    "natural_key",
    "parse_kind",
    "parse_status",
    "profile",
    "profile_bits",
    "profile_score",
    "rank",
    "sort_key",
    "summarize",
    "weights_for",
]

T = TypeVar("T")

PENDING = "pending"
HELP_STATUSES = frozenset({"help", "unreachable"})  # these raise a follow-up
VERY_OLD = 80
OLDEST = 90  # ≥ 90 weighs a little more again


_EVACUATION_KINDS = frozenset({"flood", "quake", "fire", "landslide"})
_HOUSE_KINDS = frozenset({"flood", "quake", "cold", "landslide"})
_INTELLECTUAL_OR_MENTAL = frozenset({5, 6})
_FACTOR_ORDER = {factor: i for i, factor in enumerate(FACTORS)}  # ties between equal weights


# -- kinds ---------------------------------------------------------------------
def kind_label(kind: str) -> str:
    return codes.label(codes.EMERGENCY_KINDS, kind, kind)


def parse_kind(text: str) -> str:
    """A kind code from what a user types: "power", "停电", "暴雨", "汛期", "滑坡", "地质灾害"."""
    raw = (text or "").strip()
    if raw in codes.EMERGENCY_KINDS:
        return raw
    for code, label in codes.EMERGENCY_KINDS.items():
        if raw and (raw == label or raw in re.split(r"[/（）、]", label)):
            return code
    choices = "、".join(codes.EMERGENCY_KINDS.values())
    raise InputError(f"未知的事件类型“{raw}”，可选：{choices}", "kind")


# Other words users type, and the labels of earlier versions (kept so old
# scripts and call sheets still parse).
_STATUS_WORDS = {
    "已联系·安全": "safe",
    "已联系": "safe",
    "已转移安置": "moved",
    "转移": "moved",
    "帮助": "help",
    "需帮助": "help",
    "上门": "unreachable",
    "需上门": "unreachable",
}


def parse_status(text: str) -> str:
    """A roll-call status code from "safe", "安全", "已联系·安全", "需要帮助", "已转移" ..."""
    raw = (text or "").strip()
    if raw in codes.ROLL_CALL_STATUSES:
        return raw
    for code, label in codes.ROLL_CALL_STATUSES.items():
        if raw == label:
            return code
    if raw in _STATUS_WORDS:
        return _STATUS_WORDS[raw]
    choices = "、".join(codes.ROLL_CALL_STATUSES.values())
    raise InputError(f"未知的点名状态“{raw}”，可选：{choices}", "status")


def weights_for(kind: str) -> dict[str, int]:
    """Every factor's weight for an event of `kind`."""
    if kind not in KIND_WEIGHTS:
        raise InputError(f"未知的事件类型“{kind}”", "kind")
    return {**BASE_WEIGHTS, **KIND_WEIGHTS[kind]}


# -- the facts and the result ----------------------------------------------------
class PersonRisk(NamedTuple):
    """What the ranking looks at for one person (the store assembles it).

    A NamedTuple rather than a frozen dataclass: the store builds one per person
    in the register (30k in a district) and tuples are several times faster to
    build.
    """

    person_id: str
    household_id: str
    name: str
    age: int | None
    category: int | None
    level: int | None
    care_flags: frozenset[str] = frozenset()
    device_kind: str = ""
    household_flags: frozenset[str] = frozenset()
    certified_in_household: int = 1  # active certificate holders, this one included
    building: str = ""
    unit: str = ""
    room: str = ""
    grid: str = ""
    phone: str = ""  # the person's own, else the household's
    guardian_name: str = ""
    guardian_relation: str = ""
    guardian_phone: str = ""
    emergency_contact: str = ""
    emergency_phone: str = ""
    address: str = ""
    division_name: str = ""

    @property
    def place(self) -> str:
        """5栋2单元301, or the address when there is no building/unit/room."""
        return "".join((self.building, self.unit, self.room)) or self.address

    @property
    def disability(self) -> str:
        if self.category is None:
            return ""
        return (
            f"{codes.label(codes.CATEGORIES, self.category)}{codes.label(codes.LEVELS, self.level)}"
        )

    @property
    def contacts(self) -> str:
        """监护人王强（儿子）13900001111；紧急联系人李四 13500002222."""
        parts = []
        if self.guardian_name or self.guardian_phone:
            relation = f"（{self.guardian_relation}）" if self.guardian_relation else ""
            parts.append(f"监护人{self.guardian_name}{relation} {self.guardian_phone}".strip())
        if (self.emergency_contact or self.emergency_phone) and (
            (self.emergency_contact, self.emergency_phone)
            != (self.guardian_name, self.guardian_phone)
        ):
            parts.append(f"紧急联系人{self.emergency_contact} {self.emergency_phone}".strip())
        return "；".join(parts)


class Priority(NamedTuple):
    """One row of the priority list: the person, the risk, and the roll call so far."""

    person: PersonRisk
    score: int
    reasons: tuple[str, ...]  # in words, heaviest first
    contact: str  # how to reach them
    checks: tuple[str, ...]  # what to check, for this person and event kind
    status: str = PENDING
    note: str = ""
    checked_at: str = ""
    checked_by: str = ""

    @property
    def reasons_text(self) -> str:
        return " · ".join(self.reasons)

    @property
    def checks_text(self) -> str:
        return "、".join(self.checks)

    @property
    def status_label(self) -> str:
        return codes.label(codes.ROLL_CALL_STATUSES, self.status, self.status)

    @property
    def is_priority(self) -> bool:
        return self.score > 0


# -- assessing one person ------------------------------------------------------------
def _deaf(p: PersonRisk) -> bool:
    return "deaf_text" in p.care_flags or (p.category == 2 and codes.is_severe(p.level))


def _no_voice(p: PersonRisk) -> bool:
    """Severe 言语残疾: can hear a call but cannot confirm their safety by voice."""
    return p.category == 3 and codes.is_severe(p.level)


def _blind(p: PersonRisk) -> bool:
    return "blind" in p.care_flags or (p.category == 1 and codes.is_severe(p.level))


def _severe_mental(p: PersonRisk) -> bool:
    return p.category in _INTELLECTUAL_OR_MENTAL and codes.is_severe(p.level)


def _device(p: PersonRisk) -> str:
    kind = p.device_kind.strip()
    return kind if kind and kind != "其他" else "电动设备"


def factors_of(p: PersonRisk) -> dict[str, str]:
    """Every factor that holds for `p` -> its concrete words, in FACTORS order."""
    care, flags = p.care_flags, p.household_flags
    met: dict[str, str] = {}
    if "powered_device" in care:
        met["powered_device"] = f"依赖{_device(p)}"
    if "bedridden" in care:
        met["bedridden"] = "卧床"
    if "alone" in flags:
        met["alone"] = "独居"
    if "no_carer" in flags:
        met["no_carer"] = "无人照料"
    if _severe_mental(p):
        met["severe_mental"] = f"重度{codes.label(codes.CATEGORIES, p.category)}残疾"
    if "evac_help" in care:
        met["evac_help"] = "需协助撤离"
    if _deaf(p):
        met["deaf"] = "听障"
    if _blind(p):
        met["blind"] = "视障"
    if p.age is not None and p.age >= VERY_OLD:
        met["very_old"] = f"{p.age}岁"
    if "elderly_carer" in flags:
        met["elderly_carer"] = "以老养残"
    if "multi_disabled" in flags or p.certified_in_household >= 2:
        met["multi_disabled"] = "一户多残"
    if "unsafe_house" in flags:
        met["unsafe_house"] = "危房"
    if "low_lying" in flags:
        met["low_lying"] = "低洼地带"
    return met


def contact_advice(p: PersonRisk) -> str:
    """How to reach them: 发短信/微信文字 for the deaf, 电话或上门 for the blind ..."""
    deaf, blind = _deaf(p) or _no_voice(p), _blind(p)
    if deaf and blind:
        advice = "上门当面确认（听障且视障，电话和文字都不可靠）"
    elif deaf:
        advice = "发短信/微信文字，不要打电话"
        if not p.phone:
            advice += "；无手机号，请上门或经联系人转达"
    elif blind:
        advice = "电话或上门，勿只发文字"
    elif p.phone:
        advice = "电话"
    else:
        advice = "无电话，联系监护人/紧急联系人或上门"
    if (p.category in _INTELLECTUAL_OR_MENTAL or _no_voice(p)) and p.guardian_phone:
        advice += "；同时联系监护人"
    return advice


def _checks(p: PersonRisk, kind: str, met: Mapping[str, str]) -> tuple[str, ...]:
    own: list[str] = []
    if "powered_device" in met:
        own.append(
            f"{_device(p)}备用电源还能用多久" if kind == "power" else f"{_device(p)}供电是否正常"
        )
    if "bedridden" in met or "no_carer" in met:
        own.append("照护人是否在身边")
    if "evac_help" in met and kind in _EVACUATION_KINDS:
        own.append("安排人手协助撤离")
    if "unsafe_house" in met and kind in _HOUSE_KINDS:
        own.append("危房是否需要提前转移")
    if "low_lying" in met and kind == "flood":
        own.append("低洼进水风险，是否需要提前转移")
    return tuple(dict.fromkeys([*own, *CHECKLISTS[kind]]))


def _score(
    factors: Iterable[str], oldest: bool, level: int | None, weights: Mapping[str, int]
) -> int:
    """The risk score: the weights of the factors met, the ≥ 90 bonus, and — for
    someone with any factor — the severity bonus (the one definition of a score)."""
    score = sum(weights[factor] for factor in factors)
    if oldest:
        score += OLDEST_BONUS
    if score:
        score += SEVERITY_BONUS.get(level or 0, 0)
    return score


# -- the stored risk profile ------------------------------------------------------------
# What ranking needs of a person that does not depend on the event kind, as one
# integer the store keeps for each person (`store.risk`): a bit per factor, one for
# ≥ 90 and the level above them.  The two age bits depend on the day, so the store
# keeps the days the person turns 80 and 90 and sets them when it reads.
FACTOR_BITS: Mapping[str, int] = {factor: 1 << i for i, factor in enumerate(FACTORS)}
OLDEST_BIT = 1 << len(FACTORS)
_LEVEL_SHIFT = len(FACTORS) + 1


def profile_bits(p: PersonRisk) -> int:
    """`p`'s factors and level as a stored profile (without the age bits: `p.age` is
    ignored, the store adds them for the day it ranks)."""
    bits = 0
    for factor in factors_of(p._replace(age=None)):
        bits |= FACTOR_BITS[factor]
    return bits | (p.level or 0) << _LEVEL_SHIFT


def profile_score(profile: int, weights: Mapping[str, int]) -> int:
    """The score of a stored profile (with its age bits) for an event of these weights:
    what `assess` gives the person it was made from."""
    factors = [factor for factor, bit in FACTOR_BITS.items() if profile & bit]
    return _score(factors, bool(profile & OLDEST_BIT), profile >> _LEVEL_SHIFT, weights)


class Assessment(NamedTuple):
    score: int
    reasons: tuple[str, ...]
    contact: str
    checks: tuple[str, ...]


def assess(p: PersonRisk, kind: str, weights: Mapping[str, int] | None = None) -> Assessment:
    """Score, reasons, contact advice and checks of one person for an event of `kind`."""
    weights = weights if weights is not None else weights_for(kind)
    met = factors_of(p)
    oldest = "very_old" in met and p.age is not None and p.age >= OLDEST
    score = _score(met, oldest, p.level, weights)
    heaviest = sorted(met, key=lambda f: (-weights[f], _FACTOR_ORDER[f]))
    return Assessment(
        score, tuple(met[f] for f in heaviest), contact_advice(p), _checks(p, kind, met)
    )


# -- ranking --------------------------------------------------------------------------
def sort_key(row: Priority) -> tuple[object, ...]:
    """Risk first, then building, unit, room, name."""
    p = row.person
    return (-row.score, natural_key(p.building), natural_key(p.unit), natural_key(p.room), p.name)


def profile(p: PersonRisk) -> tuple[object, ...]:
    """Everything an assessment of `p` depends on (people with equal profiles are
    assessed alike): many people share the same flags, so a district's 30k people
    have a few thousand profiles."""
    age = p.age
    return (
        p.care_flags,
        p.device_kind,
        p.household_flags,
        p.certified_in_household >= 2,
        p.category,
        p.level,
        age if age is not None and age >= VERY_OLD else None,
        bool(p.phone),
        bool(p.guardian_phone),
    )


_UNCHECKED = (PENDING, "", "", "")  # a row's roll call before anyone is checked


class Ranker:
    """Ranks people for an event of one kind, remembering the assessment of each
    profile: keep one to rank the same register again, or a few people in it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.weights = weights_for(kind)
        self._memo: dict[tuple[object, ...], Assessment] = {}

    def assess(self, p: PersonRisk) -> Assessment:
        key = profile(p)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = assess(p, self.kind, self.weights)
        return found

    def row(self, p: PersonRisk, *, include_all: bool = False) -> Priority | None:
        """`p`'s row of the list (nobody checked yet), or None when not on it."""
        found = self.assess(p)
        if found.score or include_all:
            return Priority._make((p, *found, *_UNCHECKED))
        return None

    def rank(self, facts: Iterable[PersonRisk], *, include_all: bool = False) -> list[Priority]:
        """The priority list, highest risk first (see `rank`)."""
        memo, kind, weights = self._memo, self.kind, self.weights
        rows: list[Priority] = []
        append = rows.append
        new = tuple.__new__  # what Priority._make does: several times faster than Priority(...)
        for p in facts:
            age = p.age
            key = (  # profile(p), inline: this loop runs for everyone in the register
                p.care_flags,
                p.device_kind,
                p.household_flags,
                p.certified_in_household >= 2,
                p.category,
                p.level,
                age if age is not None and age >= VERY_OLD else None,
                bool(p.phone),
                bool(p.guardian_phone),
            )
            found = memo.get(key)
            if found is None:
                found = memo[key] = assess(p, kind, weights)
            if found.score or include_all:
                append(new(Priority, (p, *found, *_UNCHECKED)))
        rows.sort(key=sort_key)
        return rows


def rank(facts: Iterable[PersonRisk], kind: str, *, include_all: bool = False) -> list[Priority]:
    """The priority list for an event of `kind`, highest risk first (see `sort_key`).

    Only people with at least one factor are listed, unless `include_all`.
    Assessments are memoised on each person's `profile`.
    """
    return Ranker(kind).rank(facts, include_all=include_all)


def grid_key(p: PersonRisk) -> tuple[object, ...]:
    """Community, then grid in natural order (第二网格 before 第十网格), no grid last."""
    return (natural_key(p.division_name), p.grid == "", natural_key(p.grid))


def group(rows: Iterable[Priority], by: str = "grid") -> list[tuple[str, list[Priority]]]:
    """Rows grouped by grid (or building), groups in natural order, rows kept in order.

    When the rows come from several communities (a street or district install),
    a group's label carries the community: 第1网格 exists in each of them.
    """
    return group_by(rows, lambda r: (r.person.division_name, r.person.grid, r.person.building), by)


def group_by(
    items: Iterable[T], home: Callable[[T], tuple[str, str, str]], by: str = "grid"
) -> list[tuple[str, list[T]]]:
    """`group` for anything with a home: `home(item)` is its community, grid and
    building (the roll-call screen groups people it has not read yet)."""
    if by not in ("grid", "building"):
        raise ValueError(f"group by 'grid' or 'building', not {by!r}")
    groups: dict[tuple[str, str], list[T]] = {}
    for item in items:
        division, grid, building = home(item)
        groups.setdefault((division, grid if by == "grid" else building), []).append(item)
    several = len({division for division, _ in groups}) > 1
    empty = "未分网格" if by == "grid" else "无楼栋"

    def label(key: tuple[str, str]) -> str:
        return " ".join(part for part in (key[0] if several else "", key[1] or empty) if part)

    ordered = sorted(groups, key=lambda k: (natural_key(k[0]), k[1] == "", natural_key(k[1])))
    return [(label(key), groups[key]) for key in ordered]


# -- roll call ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RollCallProgress:
    """How far the roll call has come: counts per status over everyone on the list."""

    total: int
    pending: int = 0
    safe: int = 0
    help: int = 0
    moved: int = 0
    unreachable: int = 0

    @property
    def contacted(self) -> int:
        """Reached (safe, needing help or moved); 联系不上 is not contacted."""
        return self.safe + self.help + self.moved

    @property
    def helped(self) -> int:
        """People who needed help or were moved: what the monthly return counts."""
        return self.help + self.moved

    def counts(self) -> dict[str, int]:
        return {status: getattr(self, status) for status in codes.ROLL_CALL_STATUSES}

    @property
    def text(self) -> str:
        """已联系 37/52 · 安全 31 · 需要帮助 4 · 已转移 2 · 联系不上 3."""
        return (
            f"已联系 {self.contacted}/{self.total} · 安全 {self.safe} · 需要帮助 {self.help} · "
            f"已转移 {self.moved} · 联系不上 {self.unreachable}"
        )


def summarize(statuses: Iterable[str]) -> RollCallProgress:
    counts = dict.fromkeys(codes.ROLL_CALL_STATUSES, 0)
    total = 0
    for status in statuses:
        counts[status if status in counts else PENDING] += 1
        total += 1
    return RollCallProgress(total=total, **counts)


@dataclass(frozen=True)
class RollCallCheck:
    """The current roll-call status of one person in one event."""

    id: str
    event_id: str
    person_id: str
    status: str
    note: str
    checked_at: str
    operator_id: str
    checked_by: str
    version: int = 1

    @property
    def status_label(self) -> str:
        return codes.label(codes.ROLL_CALL_STATUSES, self.status, self.status)


@dataclass(frozen=True)
class CheckChange:
    """One change of a person's roll-call status, from the audit log."""

    at: str
    status: str
    note: str
    operator_name: str
    action: str

    @property
    def status_label(self) -> str:
        return codes.label(codes.ROLL_CALL_STATUSES, self.status, self.status)


# -- events ---------------------------------------------------------------------------------
def format_duration(span: timedelta) -> str:
    """2天3小时 / 5小时20分钟 / 15分钟 (never negative)."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{minutes}分钟" if minutes else f"{hours}小时"
    return f"{minutes}分钟"


@dataclass(frozen=True)
class EmergencyEvent:
    id: str
    kind: str
    name: str
    started_at: str  # ISO, seconds
    ended_at: str = ""
    scope: tuple[str, ...] = ()  # grids, buildings or addresses; empty = everyone
    is_current: bool = False
    version: int = 1
    created_by: str = ""

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def is_closed(self) -> bool:
        return bool(self.ended_at)

    @property
    def scope_text(self) -> str:
        return "、".join(self.scope) if self.scope else "全部"

    def duration(self, now: datetime) -> timedelta:
        end = datetime.fromisoformat(self.ended_at) if self.ended_at else now
        return end - datetime.fromisoformat(self.started_at)

    def duration_text(self, now: datetime) -> str:
        text = format_duration(self.duration(now))
        return text if self.is_closed else f"进行中（已{text}）"

    @property
    def state_text(self) -> str:
        if self.is_closed:
            return "已结束"
        return "当前" if self.is_current else "进行中"


@dataclass(frozen=True)
class EventSummary:
    """An event for the monthly return: how long, how many, how many helped."""

    event: EmergencyEvent
    progress: RollCallProgress
    duration_text: str

    @property
    def helped(self) -> int:
        return self.progress.helped
