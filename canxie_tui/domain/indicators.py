"""The 专栏1 indicators of the plan, computed over the community's own register.

Each indicator has a numerator, a denominator, a target and — the actionable part —
a shortfall list: the people who should be counted in the numerator and are not
("eligible for 护理补贴 but does not receive it").  The definitions below are our
reading of the plan's table (DESIGN.md §2); each is documented where it is computed.

`compute` takes the active certified persons only (the caller filters) and makes one
pass over them; a district's 30k people take a few milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from canxie_tui.domain import codes

__all__ = ["INDICATORS", "SHORT_NAMES", "Indicator", "IndicatorSpec", "PersonFacts", "compute"]


@dataclass(frozen=True, slots=True)
class PersonFacts:
    person_id: str
    household_id: str
    name: str
    age: int | None  # on the reporting day; None when the birth date is unknown
    category: int | None
    level: int | None
    benefits: frozenset[str]  # codes.BENEFITS codes
    school: str  # codes.SCHOOL_STATUSES code
    household_flags: frozenset[str]  # codes.HOUSEHOLD_FLAGS codes


class IndicatorSpec(NamedTuple):
    key: str
    name: str
    target: float  # 0..1
    strict: bool  # True: the rate must exceed the target ("> 90%")
    unit: str  # "人" or "户"


# In the order of the plan's table.
# Short names for narrow tables (80 columns); the full name is shown beside the list.
SHORT_NAMES: dict[str, str] = {
    "dibao_coverage": "纳入低保",
    "living_subsidy": "生活补贴",
    "care_subsidy": "护理补贴",
    "pension": "养老保险",
    "medical": "医疗保险",
    "rehab": "康复服务",
    "device": "辅具适配",
    "barrier_free": "无障碍改造",
    "education": "义务教育入学",
    "family_doctor": "家庭医生签约",
}

INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("dibao_coverage", "符合条件的残疾人纳入最低生活保障比例", 1.0, False, "人"),
    IndicatorSpec("living_subsidy", "困难残疾人生活补贴覆盖率", 1.0, False, "人"),
    IndicatorSpec("care_subsidy", "重度残疾人护理补贴覆盖率", 1.0, False, "人"),
    IndicatorSpec("pension", "城乡居民基本养老保险参保率", 0.90, True, "人"),
    IndicatorSpec("medical", "城乡居民基本医疗保险参保率", 0.95, True, "人"),
    IndicatorSpec("rehab", "基本康复服务覆盖率", 0.85, False, "人"),
    IndicatorSpec("device", "辅助器具适配率", 0.85, False, "人"),
    IndicatorSpec("barrier_free", "困难重度残疾人家庭无障碍改造覆盖率", 1.0, False, "户"),
    IndicatorSpec("education", "残疾儿童少年义务教育入学率", 0.97, False, "人"),
    IndicatorSpec("family_doctor", "家庭医生签约服务率", 0.90, False, "人"),
)


@dataclass(frozen=True)
class Indicator:
    key: str
    name: str
    unit: str  # what numerator and denominator count: "人" or "户"
    numerator: int
    denominator: int
    target: float  # 0..1
    strict: bool
    # Person ids that should be in the numerator and are not; for a household
    # indicator, the qualifying members of the households that fall short.
    shortfall: tuple[str, ...]

    @property
    def rate(self) -> float | None:
        """numerator / denominator, None when nobody is counted."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def met(self) -> bool:
        """Whether the target is reached; vacuously true when nobody is counted.

        Compared in whole numbers (basis points), so 17/20 meets 85% exactly.
        """
        if not self.denominator:
            return True
        lhs = self.numerator * 10000
        rhs = round(self.target * 10000) * self.denominator
        return lhs > rhs if self.strict else lhs >= rhs

    @property
    def target_text(self) -> str:
        """100% / > 90% / ≥ 85%."""
        percent = f"{self.target * 100:g}%"
        if self.target >= 1 and not self.strict:
            return percent
        return f"> {percent}" if self.strict else f"≥ {percent}"

    @property
    def rate_text(self) -> str:
        """93.3% (one decimal), or — when nobody is counted."""
        rate = self.rate
        return "—" if rate is None else f"{rate * 100:.1f}%"


_SEVERE = codes.SEVERE_LEVELS
_POOR = codes.POOR_FLAGS
_ENROLLED = codes.ENROLLED_SCHOOL


def compute(people: Iterable[PersonFacts]) -> list[Indicator]:
    """All indicators of INDICATORS, in that order, over `people` (active, certified)."""
    # Counters live in locals (the loop is the hot path); shortfall lists per key.
    short: dict[str, list[str]] = {spec.key: [] for spec in INDICATORS}
    dibao_short = short["dibao_coverage"]
    living_short = short["living_subsidy"]
    care_short = short["care_subsidy"]
    pension_short = short["pension"]
    medical_short = short["medical"]
    rehab_short = short["rehab"]
    device_short = short["device"]
    education_short = short["education"]
    doctor_short = short["family_doctor"]
    dibao_n = dibao_d = living_n = living_d = care_n = care_d = 0
    pension_n = pension_d = medical_n = rehab_n = rehab_d = device_n = device_d = 0
    education_n = education_d = doctor_n = total = 0
    # household id -> [poor, barrier-free done, severe member ids], for households
    # with a poor flag, a severe member or a finished barrier-free renovation.
    homes: dict[str, list] = {}

    for p in people:
        pid = p.person_id
        b = p.benefits
        flags = p.household_flags
        total += 1
        poor = not _POOR.isdisjoint(flags)
        severe = p.level in _SEVERE

        # 纳入低保: eligible = in a household flagged 低保, 特困 or 低保边缘; covered = the
        # household is in 低保 or 特困 (特困 供养 covers subsistence).  The 低保边缘-only
        # people are the candidates to check, so they are the shortfall.
        # 生活补贴: due to everyone in a 低保 or 特困 household; covered = living_subsidy.
        if poor:
            dibao_d += 1
            if "dibao" in flags or "tekun" in flags:
                dibao_n += 1
                living_d += 1
                if "living_subsidy" in b:
                    living_n += 1
                else:
                    living_short.append(pid)
            else:
                dibao_short.append(pid)

        # 护理补贴: due to 一级/二级; covered = care_subsidy.
        if severe:
            care_d += 1
            if "care_subsidy" in b:
                care_n += 1
            else:
                care_short.append(pid)

        age = p.age
        if age is not None:
            # 养老保险: age 16 and over, not a student; covered = pension_ins.
            # (People aged 60+ drawing the pension are insured, so they count.)
            if age >= 16 and "in_school" not in b:
                pension_d += 1
                if "pension_ins" in b:
                    pension_n += 1
                else:
                    pension_short.append(pid)
            # 义务教育入学: age 6-15 inclusive; covered = enrolled (普通学校, 特殊教育学校
            # or 送教上门).  Unknown ages are left out of both age-based indicators.
            elif 6 <= age <= 15:
                education_d += 1
                if p.school in _ENROLLED:
                    education_n += 1
                else:
                    education_short.append(pid)

        # 医疗保险 and 家庭医生: everyone counts.
        if "medical_ins" in b:
            medical_n += 1
        else:
            medical_short.append(pid)
        if "family_doctor" in b:
            doctor_n += 1
        else:
            doctor_short.append(pid)

        # 康复服务: counted = has a need or already receives it (a need that has been
        # met stays a need); covered = rehab_received.  辅具适配 the same way.
        if "rehab_received" in b:
            rehab_n += 1
            rehab_d += 1
        elif "rehab_needed" in b:
            rehab_d += 1
            rehab_short.append(pid)
        if "device_fitted" in b:
            device_n += 1
            device_d += 1
        elif "device_needed" in b:
            device_d += 1
            device_short.append(pid)

        # 无障碍改造 (households): counted = a 困难 household (低保/低保边缘/特困) with a
        # 重度 member; covered = any member has barrier_free_done.
        done = "barrier_free_done" in b
        if poor or severe or done:
            home = homes.get(p.household_id)
            if home is None:
                home = homes[p.household_id] = [False, False, []]
            if poor:
                home[0] = True
            if done:
                home[1] = True
            if severe:
                home[2].append(pid)

    barrier_n = barrier_d = 0
    barrier_short = short["barrier_free"]
    for is_poor, is_done, severe_ids in homes.values():
        if is_poor and severe_ids:
            barrier_d += 1
            if is_done:
                barrier_n += 1
            else:
                barrier_short.extend(severe_ids)

    n = dict(
        dibao_coverage=dibao_n,
        living_subsidy=living_n,
        care_subsidy=care_n,
        pension=pension_n,
        medical=medical_n,
        rehab=rehab_n,
        device=device_n,
        barrier_free=barrier_n,
        education=education_n,
        family_doctor=doctor_n,
    )
    d = dict(
        dibao_coverage=dibao_d,
        living_subsidy=living_d,
        care_subsidy=care_d,
        pension=pension_d,
        medical=total,
        rehab=rehab_d,
        device=device_d,
        barrier_free=barrier_d,
        education=education_d,
        family_doctor=total,
    )
    return [
        Indicator(
            key=spec.key,
            name=spec.name,
            unit=spec.unit,
            numerator=n[spec.key],
            denominator=d[spec.key],
            target=spec.target,
            strict=spec.strict,
            shortfall=tuple(short[spec.key]),
        )
        for spec in INDICATORS
    ]
