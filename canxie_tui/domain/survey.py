"""The yearly survey round's rules: who counts, how it went, what the register already says.

- Status of each person in a round: 未调查 / 调查中 (answers saved, not finished) /
  已调查 (入户, 见面 or 电话) / 失访 (with a reason).
- 入户率 = 入户 ÷ 应调查; 完成率 = (已调查 + 失访) ÷ 应调查 (the district's two measures).
- 人户分离 people are surveyed where the district says (`APART_PLACES`, a setting): at
  the residence (counted here, like everyone) or at the 户籍 (listed here, marked, but
  not in this community's 应调查).
- The register facts the questionnaire mirrors (`register_answers`) pre-fill the form,
  and a changed answer is offered back to the register (`register_changes`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.survey_form import ITEMS

STATUSES: Mapping[str, str] = {
    "pending": "未调查",
    "draft": "调查中",
    "done": "已调查",
    "lost": "失访",
}
METHODS: Mapping[str, str] = {"home": "入户", "meet": "见面", "phone": "电话"}
LOST_REASONS: Mapping[str, str] = {
    "away": "外出",
    "unknown": "查无此人",
    "refused": "拒访",
    "deceased": "死亡",
    "moved": "迁出",
    "other": "其他",
}
APART_SETTING = "survey.apart_where"
APART_PLACES: Mapping[str, str] = {
    "residence": "在现居住地调查（计入本社区应调查）",
    "hukou": "在户籍地调查（本社区只列出，不计入应调查）",
}
DEFAULT_APART = "residence"
NO_GRID = "（未分网格）"  # how a list without a grid is named (and asked for)
NO_BUILDING = "（无楼栋）"


def place_value(name: str | None) -> str | None:
    """A grid or building as stored, from the name shown (NO_GRID/NO_BUILDING -> '')."""
    return "" if name in (NO_GRID, NO_BUILDING) else name


# The columns of a progress line (`Counts.figures`, then 入户率 and 完成率).
PROGRESS_COLUMNS = ("应调查", "入户", "见面", "电话", "失访", "未调查", "入户率", "完成率")


@dataclass
class Counts:
    """One line of progress: a community, a grid or a building."""

    name: str = ""
    grid: str = ""  # a building's grid ('' for a grid's or the round's line)
    community: str = ""  # the community's name where the database holds several
    due: int = 0  # 应调查
    home: int = 0
    meet: int = 0
    phone: int = 0
    lost: int = 0
    draft: int = 0
    lost_reasons: dict[str, int] = field(default_factory=dict)

    @property
    def surveyed(self) -> int:
        return self.home + self.meet + self.phone

    @property
    def left(self) -> int:
        return max(self.due - self.surveyed - self.lost, 0)

    def figures(self) -> list[int]:
        """应调查, 入户, 见面, 电话, 失访, 未调查 (the counts of `PROGRESS_COLUMNS`)."""
        return [self.due, self.home, self.meet, self.phone, self.lost, self.left]

    @property
    def home_rate(self) -> float | None:
        return self.home / self.due if self.due else None

    @property
    def completion(self) -> float | None:
        return (self.surveyed + self.lost) / self.due if self.due else None

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            **({"grid": self.grid} if self.grid else {}),
            **({"community": self.community} if self.community else {}),
            "due": self.due,
            "surveyed": self.surveyed,
            "home": self.home,
            "meet": self.meet,
            "phone": self.phone,
            "lost": self.lost,
            "in_progress": self.draft,
            "left": self.left,
            "home_rate": self.home_rate,
            "completion": self.completion,
            "lost_reasons": dict(self.lost_reasons),
        }


def rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def add(counts: Counts, status: str, method: str, reason: str, n: int, counted: bool) -> None:
    """Add `n` people of one (status, method, reason) to `counts` (none unless `counted`)."""
    if not counted:
        return
    counts.due += n
    if status == "done" and method in METHODS:
        setattr(counts, method, getattr(counts, method) + n)
    elif status == "lost":
        counts.lost += n
        counts.lost_reasons[reason] = counts.lost_reasons.get(reason, 0) + n
    elif status == "draft":
        counts.draft += n


# -- the register's facts as answers, and answers as register facts -------------------------
_SCHEME_CODES = {"resident": "1", "employee": "2", "none": "3"}
_SCHOOL_CODES = {"regular": "1", "special": "2", "home": "3", "not_enrolled": "4"}
# Yes/no items that mirror one benefit code of the person.
_BENEFIT_ITEMS = {
    "rehab": "rehab_received",
    "device": "device_fitted",
    "family_doctor": "family_doctor",
    "barrier_need": "barrier_free_needed",
    "barrier_done": "barrier_free_done",
}
_WELFARE = {"1": "living_subsidy", "2": "care_subsidy"}
_ASSISTANCE = {"1": "dibao", "2": "tekun"}
_NEEDS = {"2": "rehab_needed", "3": "device_needed"}
TRAINING = "1"  # employ_help: 职业技能培训
SCHOOL_FROM_ANSWER = {code: school for school, code in _SCHOOL_CODES.items()}


# -- the indicators read the survey where the register has no fact --------------------------
def school_of(register_school: str, in_school_answer: str | None) -> str:
    """就学情况 as the indicators count it: the register's, else the latest finished
    survey's answer (codes.SCHOOL_STATUSES code, '' unknown).  `school_sql` is its twin."""
    return register_school or SCHOOL_FROM_ANSWER.get(in_school_answer or "", "")


def school_sql(person: str) -> str:
    """The SQL side of `school_of` for the person `person` (the alias of `persons`, or of
    the rule inputs, which have the same columns), asked only of children (6-15 on
    `:adult` and `:child`, the indicators' parameters: nobody else's survey is read)."""
    return (
        f"(CASE WHEN {person}.school <> '' THEN {person}.school "
        f"WHEN {person}.birth_date > :adult AND {person}.birth_date <= :child THEN coalesce(("
        "SELECT CASE json_extract(e.answers, '$.in_school') "
        + " ".join(f"WHEN '{a}' THEN '{s}'" for a, s in SCHOOL_FROM_ANSWER.items())
        + " ELSE '' END FROM survey_entries e JOIN survey_rounds r ON r.id = e.round_id "
        f"WHERE e.person_id = {person}.id AND e.status = 'done' ORDER BY r.year DESC LIMIT 1), '') "
        "ELSE '' END)"
    )


@dataclass(frozen=True)
class Facts:
    """What the register holds about a person and their household (plain values)."""

    benefits: frozenset[str]
    flags: frozenset[str]  # the household's
    pension_scheme: str
    medical_scheme: str
    school: str
    trained_on: str


def register_answers(facts: Facts, year: int) -> dict[str, Any]:
    """Answers the register already gives: a fact it records, never a guess from an absence."""
    answers: dict[str, Any] = {}
    for item, benefit in _BENEFIT_ITEMS.items():
        if benefit in facts.benefits:
            answers[item] = "1"
    welfare = [c for c, b in _WELFARE.items() if b in facts.benefits]
    if welfare:
        answers["welfare"] = welfare
    assistance = [c for c, f in _ASSISTANCE.items() if f in facts.flags]
    if assistance:
        answers["assistance"] = assistance
    if "unsafe_house" in facts.flags:
        answers["unsafe_house"] = "1"
    if "alone" in facts.flags:
        answers["living"] = "2"
    for item, scheme in (("pension", facts.pension_scheme), ("medical", facts.medical_scheme)):
        if scheme in _SCHEME_CODES:
            answers[item] = _SCHEME_CODES[scheme]
    if facts.school in _SCHOOL_CODES:
        answers["in_school"] = _SCHOOL_CODES[facts.school]
    if facts.trained_on[:4] == str(year):
        answers["employ_help"] = [TRAINING]
    needs = [c for c, b in _NEEDS.items() if b in facts.benefits]
    if needs:
        answers["needs"] = needs
    return answers


def prefill(
    register: Mapping[str, Any], last_year: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(answers, source per item: "档案" / "上年"): the register first, then last year's."""
    answers: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key in ITEMS:
        if key in register:
            answers[key], sources[key] = register[key], "档案"
        elif key in last_year:
            answers[key], sources[key] = last_year[key], "上年"
    return answers, sources


@dataclass(frozen=True)
class Change:
    """One register fact the answers would change: which record, field, before and after."""

    table: str  # persons / households
    field: str  # benefits / flags / pension_scheme …
    label: str  # what a person reads
    before: Any
    after: Any
    before_text: str
    after_text: str


def _set_change(
    table: str, column: str, label: str, current: frozenset[str], wanted: Mapping[str, bool]
) -> Change | None:
    """A set of codes (benefits, household flags) with `wanted` codes switched on or off."""
    kept = {c for c in current if wanted.get(c, True)}
    after = frozenset(kept | {c for c, v in wanted.items() if v})
    if after == current:
        return None
    labels = codes.BENEFITS if column == "benefits" else codes.HOUSEHOLD_FLAGS
    return Change(
        table,
        column,
        label,
        current,
        after,
        codes.labels(labels, current) or "（无）",
        codes.labels(labels, after) or "（无）",
    )


def register_changes(answers: Mapping[str, Any], facts: Facts, surveyed_on: str) -> list[Change]:
    """The register facts that differ from the answers (only items that were answered)."""
    benefits: dict[str, bool] = {}
    for item, benefit in _BENEFIT_ITEMS.items():
        if item in answers:
            benefits[benefit] = answers[item] == "1"
    if "welfare" in answers:
        benefits |= {b: c in answers["welfare"] for c, b in _WELFARE.items()}
    if "needs" in answers:
        benefits |= {b: c in answers["needs"] for c, b in _NEEDS.items()}
    flags: dict[str, bool] = {}
    if "assistance" in answers:
        flags |= {f: c in answers["assistance"] for c, f in _ASSISTANCE.items()}
    if "unsafe_house" in answers:
        flags["unsafe_house"] = answers["unsafe_house"] == "1"
    changes = [
        change
        for change in (
            _set_change("persons", "benefits", "补贴与服务", facts.benefits, benefits),
            _set_change("households", "flags", "家庭情况", facts.flags, flags),
        )
        if change is not None
    ]
    schemes = {v: k for k, v in _SCHEME_CODES.items()}
    for item, column, label in (
        ("pension", "pension_scheme", "养老保险"),
        ("medical", "medical_scheme", "医疗保险"),
    ):
        now = getattr(facts, column)
        after = schemes.get(answers.get(item, ""), now)
        if after != now:
            changes.append(_scalar(column, label, now, after, codes.INSURANCE_SCHEMES))
    schools = {v: k for k, v in _SCHOOL_CODES.items()}
    school = schools.get(answers.get("in_school", ""), facts.school)
    if school != facts.school:
        changes.append(_scalar("school", "就学情况", facts.school, school, codes.SCHOOL_STATUSES))
    trained = TRAINING in answers.get("employ_help", [])
    if trained and facts.trained_on[:4] != surveyed_on[:4]:
        changes.append(
            Change(
                "persons",
                "trained_on",
                "最近一次职业技能培训",
                facts.trained_on,
                surveyed_on,
                facts.trained_on or "（无）",
                f"{surveyed_on}（调查日）",
            )
        )
    return changes


def _scalar(column: str, label: str, before: str, after: str, table: Mapping[str, str]) -> Change:
    return Change(
        "persons",
        column,
        label,
        before,
        after,
        codes.label(table, before, "（未记录）"),
        codes.label(table, after, "（未记录）"),
    )
