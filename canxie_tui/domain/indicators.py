"""The 专栏1 indicators of the plan, each rule written once, with the document it comes from.

The plan's table has eleven rows (seed 专栏1, in this order and these words); the
register can count nine of them.  Row 1 (family income) is the district's own
statistics, said so on the row; row 2 is a count of people trained this year,
not a rate.  家庭医生签约 comes from the plan's text (第二节), not from 专栏1: it is
listed after the table.

Each rate is a `Rule`: who is eligible (the denominator) and who of them is
covered (the numerator); the shortfall list is "eligible and not covered".  A
rule is written twice on purpose, side by side in the same entry: as a Python
predicate over one person's `PersonFacts` (the reference, read by `compute`) and
as an SQL condition over `rule_inputs m` (what the store counts with, so a
district's 30k people are never handed to Python one by one; `m` holds what the rules
read of a person: persons' columns of the same names, and the benefits
and household flags as masks, migration 0010).  Person by person, it is joined to
`persons p` on `m.person_pk = p.pk`.
A test builds a register and checks both give the same people.

The SQL uses these parameters (the store supplies them): :adult and :child (the
latest birth dates of a 16- and a 6-year-old on the day, ISO text), :year_start
(1 January of the day's year), :today, :living_low_income and :care_extended
(0/1, the extensions of the 两项补贴 rule set in force), :month and :month_first
(the day's month and its first day: the subsidies' history and certificates).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple, overload

from canxie_tui.domain import codes, subsidies
from canxie_tui.domain.subsidies import CARE, LIVING, RECEIVING
from canxie_tui.domain.survey import school_sql

__all__ = [
    "INDICATORS",
    "RULES",
    "SHORT_NAMES",
    "Counts",
    "Indicator",
    "IndicatorSpec",
    "Options",
    "PersonFacts",
    "Rule",
    "Shortfall",
    "assemble",
    "compute",
]


@dataclass(frozen=True, slots=True)
class PersonFacts:
    """What the rules read of one person in the register (and of their household)."""

    person_id: str
    household_id: str
    name: str
    age: int | None  # on the reporting day; None when the birth date is unknown
    category: int | None
    level: int | None
    benefits: frozenset[str]  # codes.BENEFITS codes
    school: str  # codes.SCHOOL_STATUSES code
    household_flags: frozenset[str]  # codes.HOUSEHOLD_FLAGS codes
    hukou: str = codes.HUKOU_CQ  # codes.HUKOU_REGIONS code
    pension_scheme: str = ""  # codes.INSURANCE_SCHEMES code, '' unknown
    medical_scheme: str = ""
    trained: bool = False  # 职业技能培训 this year (a training entry or 渝馨家园 技能培训)
    cert_valid_until: str = ""  # 有效期至 (ISO), '' not recorded
    receiving: frozenset[str] = frozenset()  # 两项补贴 marked 享受 that month (subsidies.KINDS)


@dataclass(frozen=True)
class Options:
    """The 两项补贴 rule set in force (its extensions) and the month judged.

    The store builds it from the rule set in force on the day (store.indicators).
    """

    # 困难残疾人生活补贴 extended to 低收入家庭 (低保边缘 and other 低收入 households).
    living_low_income: bool = False
    # 重度残疾人护理补贴 extended to 三、四级 智力/精神.
    care_extended: bool = False
    # The month judged (YYYY-MM): a certificate that ended before it does not count;
    # '' judges no certificate dates.
    month: str = ""

    @property
    def rules(self) -> subsidies.RuleSet:
        return subsidies.RuleSet(
            start=self.month,
            living_low_income=self.living_low_income,
            care_extended=self.care_extended,
        )


class IndicatorSpec(NamedTuple):
    key: str
    number: int  # the plan's 序号; 0 for one from the plan's text, shown after the table
    name: str  # the plan's words
    target: float  # 0..1 for a rate
    strict: bool  # True: the rate must exceed the target ("＞90%")
    unit: str  # "人" or "户"
    kind: str = "rate"  # rate / count / external
    target_words: str = ""  # the target as the plan writes it, where it is not a rate


INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec(
        "income", 1, "残疾人家庭人均收入年均增长", 0, False, "人", "external",
        "与全区地区生产总值增长基本同步",
    ),
    IndicatorSpec("training", 2, "城乡残疾人职业技能培训人数", 0, False, "人", "count", "0.2万人（全区）"),
    IndicatorSpec("dibao_coverage", 3, "符合条件的残疾人纳入最低生活保障比例", 1.0, False, "人"),
    IndicatorSpec("living_subsidy", 4, "困难残疾人生活补贴覆盖率", 1.0, False, "人"),
    IndicatorSpec("care_subsidy", 5, "重度残疾人护理补贴覆盖率", 1.0, False, "人"),
    IndicatorSpec("pension", 6, "残疾人城乡居民基本养老保险参保率", 0.90, True, "人"),
    IndicatorSpec("medical", 7, "残疾人城乡居民基本医疗保险参保率", 0.95, True, "人"),
    IndicatorSpec("rehab", 8, "残疾人基本康复服务覆盖率", 0.85, False, "人"),
    IndicatorSpec("device", 9, "残疾人辅助器具适配率", 0.85, False, "人"),
    IndicatorSpec("barrier_free", 10, "困难重度残疾人家庭无障碍改造覆盖率", 1.0, False, "户"),
    IndicatorSpec("education", 11, "残疾儿童少年义务教育入学率", 0.97, False, "人"),
    IndicatorSpec("family_doctor", 0, "持证残疾人家庭医生签约服务率", 0.90, True, "人"),
)  # fmt: skip

# Short names for narrow tables (80 columns); the full name is shown beside the list.
SHORT_NAMES: dict[str, str] = {
    "income": "家庭人均收入",
    "training": "技能培训",
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
EXTERNAL_NOTE = "由区残联统计"  # what a row the register cannot count says


# -- the rules -------------------------------------------------------------------------
def _benefit(*found: str) -> str:
    """SQL: the person's benefits hold any of `found` (their mask in rule_inputs m)."""
    return codes.has_any_sql("m.benefits", codes.BENEFITS, *found)


def _flag(*found: str) -> str:
    """SQL: the person's household flags hold any of `found`."""
    return codes.has_any_sql("m.household_flags", codes.HOUSEHOLD_FLAGS, *found)


def _one_of(column: str, values: Iterable[object]) -> str:
    items = sorted(values, key=str)
    assert all(isinstance(v, int) or str(v).isidentifier() for v in items), items
    return f"{column} IN ({', '.join(repr(v) for v in items)})"


_SEVERE = codes.SEVERE_LEVELS
_INSURED = codes.INSURED_SCHEMES
_ENROLLED = codes.ENROLLED_SCHOOL

SEVERE_SQL = _one_of("m.level", _SEVERE)
ADULT_SQL = "(m.birth_date <= :adult AND m.birth_date <> '')"  # 16 and over
CHILD_SQL = "(m.birth_date > :adult AND m.birth_date <= :child)"  # 6 to 15


def _in_dibao(f: frozenset[str]) -> bool:
    return "dibao" in f or "tekun" in f


_IN_DIBAO_SQL = _flag("dibao", "tekun")


class Rule(NamedTuple):
    """One rate: eligible (denominator) and covered (numerator), in Python and in SQL."""

    key: str
    source: str  # the document the rule comes from
    eligible: Callable[[PersonFacts, Options], bool]
    covered: Callable[[PersonFacts], bool]
    eligible_sql: str
    covered_sql: str


def _subsidy_rule(kind: str) -> Callable[[PersonFacts, Options], bool]:
    """Eligible for `kind` by domain.subsidies (the monthly check's very rule)."""
    return lambda p, o: subsidies.refusal(kind, p, o.rules, o.month) is None


def _receiving_sql(kind: str) -> str:
    """SQL: the person's history marks `kind` 享受 in :month (store.subsidy_check).

    The index is named: without statistics SQLite may pick the one led by the state,
    which reads every 享受 entry for each person (4 s instead of 0.1 s at 40k people)."""
    return (
        "EXISTS (SELECT 1 FROM subsidies s INDEXED BY idx_subsidies_person "
        f"WHERE s.person_id = m.id AND s.kind = '{kind}' "
        f"AND s.state = '{RECEIVING}' AND s.from_month <= :month "
        "AND (s.to_month = '' OR s.to_month >= :month))"
    )


def _need_rule(key: str, source: str, needed: str, served: str) -> Rule:
    """A service rate: counted = has the need or already served (a need met stays a
    need); covered = served."""
    return Rule(
        key,
        f"{source}（已享受的算作有需求）",
        lambda p, o: needed in p.benefits or served in p.benefits,
        lambda p: served in p.benefits,
        _benefit(needed, served),
        _benefit(served),
    )


RULES: tuple[Rule, ...] = (
    Rule(
        "dibao_coverage",
        "专栏2（1）：低保边缘家庭中的重度残疾人，经本人申请参照单人户纳入低保",
        # Members of 低保/特困 households, and the 重度 members of 低保边缘 households.
        lambda p, o: (
            _in_dibao(p.household_flags)
            or ("dibao_edge" in p.household_flags and p.level in _SEVERE)
        ),
        lambda p: _in_dibao(p.household_flags),
        f"({_IN_DIBAO_SQL} OR ({_flag('dibao_edge')} AND {SEVERE_SQL}))",
        _IN_DIBAO_SQL,
    ),
    Rule(
        "living_subsidy",
        "渝民发〔2021〕15号：持证、重庆户籍、城乡低保；特困供养人员不享受（享受特困供养）；"
        "按补贴发放记录当月为“享受”计为已覆盖",
        _subsidy_rule(LIVING),
        lambda p: LIVING in p.receiving,
        subsidies.eligible_sql(LIVING),
        _receiving_sql(LIVING),
    ),
    Rule(
        "care_subsidy",
        "渝民发〔2021〕15号：一、二级持证、重庆户籍；享受工伤保险护理费的不享受；"
        "按补贴发放记录当月为“享受”计为已覆盖",
        _subsidy_rule(CARE),
        lambda p: CARE in p.receiving,
        subsidies.eligible_sql(CARE),
        _receiving_sql(CARE),
    ),
    Rule(
        "pension",
        "专栏1（6）：16周岁及以上、不在校；城乡居民或城镇职工养老保险均为已参保",
        lambda p, o: p.age is not None and p.age >= 16 and "in_school" not in p.benefits,
        lambda p: p.pension_scheme in _INSURED,
        f"({ADULT_SQL} AND NOT {_benefit('in_school')})",
        _one_of("m.pension_scheme", _INSURED),
    ),
    Rule(
        "medical",
        "专栏1（7）：全部持证残疾人；城乡居民或城镇职工医疗保险均为已参保",
        lambda p, o: True,
        lambda p: p.medical_scheme in _INSURED,
        "1",
        _one_of("m.medical_scheme", _INSURED),
    ),
    _need_rule("rehab", "专栏1（8）：有基本康复服务需求的", "rehab_needed", "rehab_received"),
    _need_rule("device", "专栏1（9）：有辅助器具适配需求的", "device_needed", "device_fitted"),
    Rule(
        "education",
        "专栏1（11）：6至15周岁；普通学校、特殊教育学校或送教上门均为入学",
        lambda p, o: p.age is not None and 6 <= p.age <= 15,
        lambda p: p.school in _ENROLLED,  # the register's, else the survey's (domain.survey)
        CHILD_SQL,
        _one_of(school_sql("m"), _ENROLLED),
    ),
    Rule(
        "family_doctor",
        "规划第三章第二节：持证残疾人获得家庭医生签约服务率达90%以上",
        lambda p, o: True,
        lambda p: "family_doctor" in p.benefits,
        "1",
        _benefit("family_doctor"),
    ),
)
RULES_BY_KEY: dict[str, Rule] = {rule.key: rule for rule in RULES}


def trained_sql(person: str) -> str:
    """职业技能培训人数 (专栏1 (2)): whether the person `person` (the alias of `persons`
    or of the rule inputs: the same columns) trained this year, as the store reads
    `trained`: a training entry on the person, or 渝馨家园 技能培训 received.

    The members who trained are found once rather than looked for under every person
    of the register (30 -> 25 ms at 42k people), each member's training days by the
    index of 0010 whose condition the attendance's terms here repeat word for word."""
    return (
        f"({person}.trained_on >= :year_start OR {person}.id IN (SELECT dm.person_id "
        "FROM daycare_members dm WHERE EXISTS (SELECT 1 FROM attendance a "
        "WHERE a.member_id = dm.id AND a.day >= :year_start AND a.day <= :today "
        "AND a.status = 'present' AND instr(a.services, '\"training\"') > 0)))"
    )


TRAINED_SQL = trained_sql("m")  # over the rule inputs, as the rules

# 困难重度残疾人家庭无障碍改造覆盖率 (专栏1 (10)), counted in households: a 困难
# household (低保/特困/低保边缘) with a 重度 member that needs the renovation
# (barrier_free_needed on a member) or has had it (barrier_free_done); covered =
# done.  The shortfall lists the 重度 members of the households not yet done.
BARRIER_SOURCE = "专栏1（10）：困难家庭中有重度残疾人且需要改造的家庭"
# Where the rows without a Rule come from.
OTHER_SOURCES = {
    "income": "专栏1（1）：家庭人均收入来自统计部门的住户调查，花名册不能计算",
    "training": "专栏1（2）：本年度参加职业技能培训的人数（本人培训记录，或渝馨家园技能培训出勤）",
    "barrier_free": BARRIER_SOURCE,
}
POOR_SQL = _flag(*codes.POOR_FLAGS)
BARRIER_NEEDED_SQL = _benefit("barrier_free_needed")
BARRIER_DONE_SQL = _benefit("barrier_free_done")


class _Home:
    __slots__ = ("done", "needed", "poor", "severe")

    def __init__(self) -> None:
        self.poor = self.needed = self.done = False
        self.severe: list[str] = []


def barrier_homes(people: Iterable[PersonFacts]) -> tuple[int, int, list[str]]:
    """(households counted, households done, 重度 members of those not done)."""
    homes: dict[str, _Home] = {}
    for p in people:
        home = homes.get(p.household_id)
        if home is None:
            home = homes[p.household_id] = _Home()
        home.poor = home.poor or not codes.POOR_FLAGS.isdisjoint(p.household_flags)
        home.needed = home.needed or "barrier_free_needed" in p.benefits
        home.done = home.done or "barrier_free_done" in p.benefits
        if p.level in _SEVERE:
            home.severe.append(p.person_id)
    counted = done = 0
    short: list[str] = []
    for home in homes.values():
        if home.poor and home.severe and (home.needed or home.done):
            counted += 1
            if home.done:
                done += 1
            else:
                short.extend(home.severe)
    return counted, done, short


# -- results ---------------------------------------------------------------------------
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
    # indicator, the 重度 members of the households that fall short.
    # A tuple from `compute`; a `Shortfall` (read on first use) from the store.
    shortfall: Sequence[str]
    number: int = 0  # the plan's 序号 (0: from the plan's text, after the table)
    kind: str = "rate"  # rate / count / external
    target_words: str = ""
    source: str = ""

    @property
    def short(self) -> int:
        """How many 人 or 户 (`unit`) fall short.  For a household indicator that is
        the households, not the members listed in `shortfall`."""
        if self.kind != "rate":
            return 0
        if self.unit == "户":
            return max(0, self.denominator - self.numerator)
        return len(self.shortfall)

    @property
    def rate(self) -> float | None:
        """numerator / denominator, None when nobody is counted or it is not a rate."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def met(self) -> bool:
        """Whether the target is reached; vacuously true when nobody is counted.

        Compared in whole numbers (basis points), so 17/20 meets 85% exactly.
        A count or a figure kept by the district has no target here to meet.
        """
        if self.kind != "rate" or not self.denominator:
            return True
        lhs = self.numerator * 10000
        rhs = round(self.target * 10000) * self.denominator
        return lhs > rhs if self.strict else lhs >= rhs

    @property
    def target_text(self) -> str:
        """As the plan writes it: 100% / ＞90% / 85% / 0.2万人（全区）."""
        if self.target_words:
            return self.target_words
        percent = f"{self.target * 100:g}%"
        return f"＞{percent}" if self.strict else percent

    @property
    def rate_text(self) -> str:
        """93.3% (one decimal); N人 for a count; 由区残联统计; — when nobody is counted."""
        if self.kind == "count":
            return f"{self.numerator}人"
        if self.kind == "external":
            return EXTERNAL_NOTE
        rate = self.rate
        return "—" if rate is None else f"{rate * 100:.1f}%"

    @property
    def in_table(self) -> bool:
        """A row of 专栏1 (not one from the plan's text, shown after the table)."""
        return self.number > 0


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


class Counts(NamedTuple):
    numerator: int
    denominator: int
    short: int  # how many ids the shortfall list holds


def assemble(
    counts: Mapping[str, Counts], shortfall: Mapping[str, Sequence[str]]
) -> list[Indicator]:
    """The indicators in the order of INDICATORS, from their counts and shortfall lists.

    `counts` needs the rates and `training`; `income` is never counted here.
    """
    found: list[Indicator] = []
    for spec in INDICATORS:
        counted = counts.get(spec.key, Counts(0, 0, 0))
        rule = RULES_BY_KEY.get(spec.key)
        found.append(
            Indicator(
                key=spec.key,
                name=spec.name,
                unit=spec.unit,
                numerator=counted.numerator,
                denominator=counted.denominator,
                target=spec.target,
                strict=spec.strict,
                shortfall=shortfall.get(spec.key, ()),
                number=spec.number,
                kind=spec.kind,
                target_words=spec.target_words,
                source=rule.source if rule else OTHER_SOURCES.get(spec.key, ""),
            )
        )
    return found


def compute(people: Iterable[PersonFacts], options: Options | None = None) -> list[Indicator]:
    """Every indicator over `people` (in the register), by the Python side of each rule.

    The reference: the store counts with the SQL side, and a test holds them equal.
    """
    options = options or Options()
    people = list(people)
    counts: dict[str, Counts] = {}
    short: dict[str, tuple[str, ...]] = {}
    for rule in RULES:
        eligible = [p for p in people if rule.eligible(p, options)]
        missing = tuple(p.person_id for p in eligible if not rule.covered(p))
        counts[rule.key] = Counts(len(eligible) - len(missing), len(eligible), len(missing))
        short[rule.key] = missing
    counted, done, severe = barrier_homes(people)
    counts["barrier_free"] = Counts(done, counted, len(severe))
    short["barrier_free"] = tuple(severe)
    counts["training"] = Counts(sum(p.trained for p in people), 0, 0)
    return assemble(counts, short)
