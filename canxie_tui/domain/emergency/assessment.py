"""Assessing one person: the factors that hold, the score, how to reach them, what to check."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import NamedTuple

from canxie_tui.domain import codes
from canxie_tui.domain.emergency.kinds import weights_for
from canxie_tui.domain.emergency.records import PersonRisk
from canxie_tui.domain.emergency_tables import CHECKLISTS, FACTORS, OLDEST_BONUS, SEVERITY_BONUS

VERY_OLD = 80
OLDEST = 90  # ≥ 90 weighs a little more again


_EVACUATION_KINDS = frozenset({"flood", "quake", "fire", "landslide"})
_HOUSE_KINDS = frozenset({"flood", "quake", "cold", "landslide"})
_INTELLECTUAL_OR_MENTAL = frozenset({5, 6})
_FACTOR_ORDER = {factor: i for i, factor in enumerate(FACTORS)}  # ties between equal weights


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
