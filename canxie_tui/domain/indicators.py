"""The 专栏1 indicators of the plan, computed over the community's own register.

Each indicator has a numerator, a denominator, a target and — the actionable part —
a shortfall list: the people who should be counted in the numerator and are not
("eligible for 护理补贴 but does not receive it").  The definitions below are our
reading of the plan's table (DESIGN.md §2); each is documented where it is computed.

Two ways to the same figures:

- `compute` takes the active certified persons one by one (the caller filters) and
  makes one pass over them.  It is the reference: the definitions read most plainly
  there, and it alone lists who falls short.
- `tally` takes the register already counted in groups (people sharing the same
  benefits; households sharing the same flags), which the database can produce
  without handing every person to Python (store.indicators).  It gives the numerators,
  denominators and the length of each shortfall list, by the same definitions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

from canxie_tui.domain import codes

__all__ = [
    "INDICATORS",
    "SHORT_NAMES",
    "Counts",
    "HomesAlike",
    "Indicator",
    "IndicatorSpec",
    "PeopleAlike",
    "PersonFacts",
    "Shortfall",
    "assemble",
    "compute",
    "tally",
]


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
    # A tuple from `compute`; a `Shortfall` (read on first use) from the store.
    shortfall: Sequence[str]

    @property
    def short(self) -> int:
        """How many 人 or 户 (`unit`) fall short.  For a household indicator that is
        the households, not the members listed in `shortfall`."""
        if self.unit == "户":
            return max(0, self.denominator - self.numerator)
        return len(self.shortfall)

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


class Shortfall(Sequence[str]):
    """A shortfall list whose length is known at once; the ids are read on first use.

    The dashboard shows only how many people fall short; who they are is needed when
    someone opens the list.  `load` returns the ids (it is called at most once); once
    read, the length is theirs (the register may have changed in between).
    """

    __slots__ = ("_count", "_ids", "_load")

    def __init__(self, count: int, load: Callable[[], Iterable[str]]) -> None:
        self._count = count
        self._load: Callable[[], Iterable[str]] | None = load
        self._ids: tuple[str, ...] | None = None

    def ids(self) -> tuple[str, ...]:
        if self._ids is None:
            assert self._load is not None
            self._ids = tuple(self._load())
            self._load = None
        return self._ids

    def __len__(self) -> int:
        return self._count if self._ids is None else len(self._ids)

    @overload
    def __getitem__(self, index: int) -> str: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[str, ...]: ...
    def __getitem__(self, index: int | slice) -> str | tuple[str, ...]:
        return self.ids()[index]

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Shortfall | tuple | list):
            return self.ids() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.ids())

    def __repr__(self) -> str:
        return f"Shortfall({len(self)})"


class PeopleAlike(NamedTuple):
    """Register people who share the same benefits, counted by what else is read of them.

    The caller counts by the rules `compute` applies to one person: 重度 is
    codes.SEVERE_LEVELS, ages are whole years on the reporting day (unknown ages in
    neither band), enrolled is codes.ENROLLED_SCHOOL.
    """

    benefits: frozenset[str]
    people: int
    severe: int  # 一级/二级
    adults: int  # aged 16 and over on the reporting day
    children: int  # aged 6-15 on the reporting day
    enrolled: int  # of the children, enrolled at school (codes.ENROLLED_SCHOOL)


class HomesAlike(NamedTuple):
    """Households that share the same flags and whether a renovation is done, counted.

    `done`: some register member has barrier_free_done.  The counts are over the
    households' register members (active certificate holders).
    """

    flags: frozenset[str]
    done: bool
    households: int
    severe_households: int  # of them, with a 重度 member
    members: int
    living: int  # members receiving living_subsidy
    severe: int  # 重度 members


class Counts(NamedTuple):
    numerator: int
    denominator: int
    short: int  # how many ids the shortfall list holds


_SEVERE = codes.SEVERE_LEVELS
_POOR = codes.POOR_FLAGS
_ENROLLED = codes.ENROLLED_SCHOOL


def tally(people: Iterable[PeopleAlike], homes: Iterable[HomesAlike]) -> dict[str, Counts]:
    """The counts of every indicator, by the definitions documented in `compute`.

    `people` covers the whole register; `homes` need only cover the households with a
    困难 flag (others are skipped here), each household's members all in one group.
    """
    n = dict.fromkeys((spec.key for spec in INDICATORS), 0)
    d = dict.fromkeys(n, 0)
    short = dict.fromkeys(n, 0)
    for group in people:
        b = group.benefits
        # Everyone counts for 医疗保险 and 家庭医生.
        d["medical"] += group.people
        d["family_doctor"] += group.people
        if "medical_ins" in b:
            n["medical"] += group.people
        if "family_doctor" in b:
            n["family_doctor"] += group.people
        # 护理补贴: 一级/二级.
        d["care_subsidy"] += group.severe
        if "care_subsidy" in b:
            n["care_subsidy"] += group.severe
        # 养老保险: 16 and over, not a student.
        if "in_school" not in b:
            d["pension"] += group.adults
            if "pension_ins" in b:
                n["pension"] += group.adults
        # 义务教育: 6-15, enrolled.
        d["education"] += group.children
        n["education"] += group.enrolled
        # 康复服务 and 辅具适配: a need or already served.
        if "rehab_received" in b:
            n["rehab"] += group.people
            d["rehab"] += group.people
        elif "rehab_needed" in b:
            d["rehab"] += group.people
        if "device_fitted" in b:
            n["device"] += group.people
            d["device"] += group.people
        elif "device_needed" in b:
            d["device"] += group.people
    for home in homes:
        flags = home.flags
        if _POOR.isdisjoint(flags):
            continue
        # 纳入低保 and 生活补贴: everyone in a 困难 household; 低保/特困 ones are covered.
        d["dibao_coverage"] += home.members
        if "dibao" in flags or "tekun" in flags:
            n["dibao_coverage"] += home.members
            d["living_subsidy"] += home.members
            n["living_subsidy"] += home.living
        # 无障碍改造: 困难 households with a 重度 member; short: those members.
        d["barrier_free"] += home.severe_households
        if home.done:
            n["barrier_free"] += home.severe_households
        else:
            short["barrier_free"] += home.severe
    for key in n:
        if key != "barrier_free":
            short[key] = d[key] - n[key]  # one short person per uncovered person
    return {key: Counts(n[key], d[key], short[key]) for key in n}


def assemble(
    counts: Mapping[str, Counts], shortfall: Mapping[str, Sequence[str]]
) -> list[Indicator]:
    """The indicators in the order of INDICATORS, from their counts and shortfall lists."""
    return [
        Indicator(
            key=spec.key,
            name=spec.name,
            unit=spec.unit,
            numerator=counts[spec.key].numerator,
            denominator=counts[spec.key].denominator,
            target=spec.target,
            strict=spec.strict,
            shortfall=shortfall[spec.key],
        )
        for spec in INDICATORS
    ]


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
    return assemble(
        {key: Counts(n[key], d[key], len(short[key])) for key in n},
        {key: tuple(ids) for key, ids in short.items()},
    )
