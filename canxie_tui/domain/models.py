"""Plain records the store hands to the UI, sync and CLI layers.

They are frozen so a screen can hold one as "what I opened" and send the edit
back with the version it was based on (optimistic concurrency).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.dates import age_on

# The fields of the person and household forms (what the register's update takes).
PERSON_FORM_FIELDS = (
    "name",
    "id_number",
    "sex",
    "birth_date",
    "cert_number",
    "category",
    "level",
    "relation",
    "phone",
    "device_kind",
    "school",
    "hukou",
    "hukou_address",
    "apart",
    "pension_scheme",
    "medical_scheme",
    "cert_issued",
    "cert_valid_until",
    "trained_on",
)
HOUSEHOLD_FORM_FIELDS = (
    "address",
    "building",
    "unit",
    "room",
    "grid",
    "phone",
    "guardian_name",
    "guardian_phone",
    "guardian_relation",
    "emergency_contact",
    "emergency_phone",
    "note",
)


def address_with_place(address: str, place: str) -> str:
    """The address followed by building/unit/room, unless the address already says it."""
    if not place or place in address:
        return address
    return f"{address} {place}".strip()


@dataclass(frozen=True)
class Site:
    """The divisions this install serves; names and 统计用区划代码 are settings."""

    district_name: str = ""
    district_code: str = ""
    street_name: str = ""
    street_code: str = ""
    community_name: str = ""
    community_code: str = ""

    @property
    def code(self) -> str:
        """The most specific division code: the site's identity in exports."""
        return self.community_code or self.street_code or self.district_code

    @property
    def name(self) -> str:
        return self.community_name or self.street_name or self.district_name

    @property
    def is_configured(self) -> bool:
        return bool(self.name and self.code)

    @property
    def merges_returns(self) -> bool:
        """A district's database, which merges the returns of its communities and streets.

        A street's install sends its return like a community (it holds no district
        secret, so it could not check a community's signature)."""
        return bool(self.district_code and not self.street_code and not self.community_code)

    @property
    def key_code(self) -> str:
        """The code the district issues this site's key for ("" for the district itself)."""
        return self.community_code or self.street_code

    def full_name(self) -> str:
        return "".join(n for n in (self.district_name, self.street_name, self.community_name) if n)


@dataclass(frozen=True)
class Operator:
    id: str
    name: str
    phone: str = ""
    active: bool = True


@dataclass(frozen=True)
class Household:
    id: str
    address: str
    building: str = ""
    unit: str = ""
    room: str = ""
    grid: str = ""
    phone: str = ""
    flags: frozenset[str] = frozenset()
    guardian_name: str = ""
    guardian_phone: str = ""
    guardian_relation: str = ""
    emergency_contact: str = ""
    emergency_phone: str = ""
    note: str = ""
    division_code: str = ""
    division_name: str = ""
    version: int = 1
    updated_at: str = ""
    updated_by: str = ""

    def flag_labels(self) -> str:
        return codes.labels(codes.HOUSEHOLD_FLAGS, self.flags)

    def place(self) -> str:
        """Building/unit/room in the short form workers write: 5栋2单元301."""
        return "".join(p for p in (self.building, self.unit, self.room) if p)

    def form_values(self) -> dict[str, Any]:
        """Every field the household form edits, as `register.update_household` takes
        them: change some and pass them all (a field left out would be cleared)."""
        values: dict[str, Any] = {k: getattr(self, k) for k in HOUSEHOLD_FORM_FIELDS}
        values["flags"] = sorted(self.flags)
        return values


@dataclass(frozen=True)
class Person:
    id: str
    household_id: str
    name: str
    id_number: str = ""
    sex: str = ""
    birth_date: date | None = None
    cert_number: str = ""
    category: int | None = None
    level: int | None = None
    relation: str = ""
    phone: str = ""
    status: str = codes.ACTIVE
    status_date: str = ""
    status_reason: str = ""
    care_flags: frozenset[str] = frozenset()
    device_kind: str = ""
    benefits: frozenset[str] = frozenset()
    school: str = ""
    hukou: str = codes.HUKOU_CQ  # 户籍: 重庆市内 / 重庆市外
    hukou_address: str = ""  # 户籍地址 (现住址 is the household's address)
    apart: bool = False  # 人户分离: lives elsewhere than the 户籍 says
    pension_scheme: str = ""  # codes.INSURANCE_SCHEMES; '' not recorded
    medical_scheme: str = ""
    cert_issued: str = ""  # 残疾人证 发证日期 (ISO)
    cert_valid_until: str = ""  # 有效期至 (ISO); '' when not recorded (or 长期)
    trained_on: str = ""  # the latest 职业技能培训 (ISO)
    last_visit_date: str = ""
    version: int = 1
    updated_at: str = ""
    updated_by: str = ""

    @property
    def is_certified(self) -> bool:
        """Holds a 残疾人证 (family members without one may be recorded too)."""
        return self.category is not None

    def form_values(self) -> dict[str, Any]:
        """Every field the person form edits, as `register.update_person` takes them:
        change some and pass them all (a field left out would be cleared)."""
        values: dict[str, Any] = {k: getattr(self, k) for k in PERSON_FORM_FIELDS}
        values["birth_date"] = self.birth_date.isoformat() if self.birth_date else ""
        values["care_flags"] = sorted(self.care_flags)
        values["benefits"] = sorted(self.benefits)
        return values

    @property
    def is_active(self) -> bool:
        return self.status == codes.ACTIVE

    @property
    def is_severe(self) -> bool:
        return codes.is_severe(self.level)

    def age_on(self, day: date) -> int | None:
        if self.birth_date is None:
            return None
        return age_on(self.birth_date, day)

    def disability_label(self) -> str:
        if self.category is None:
            return "非持证"
        return (
            f"{codes.label(codes.CATEGORIES, self.category)}{codes.label(codes.LEVELS, self.level)}"
        )


@dataclass(frozen=True)
class NoteRevision:
    revision: int
    category: str
    body: str
    author_name: str
    revised_at: str


@dataclass(frozen=True)
class Note:
    id: str
    household_id: str
    person_id: str | None
    category: str
    body: str
    author_name: str
    created_at: str
    updated_at: str
    version: int = 1
    revisions: tuple[NoteRevision, ...] = field(default_factory=tuple)

    @property
    def category_label(self) -> str:
        return codes.label(codes.NOTE_CATEGORIES, self.category, "其他")


@dataclass(frozen=True)
class SearchHit:
    """One person found by search, with enough of the household to show a row."""

    person_id: str
    household_id: str
    name: str
    sex: str
    birth_date: date | None
    id_number: str
    category: int | None
    level: int | None
    status: str
    phone: str
    address: str
    place: str
    rank: int
    matched: str = ""  # why it matched when no field shown in a row says so: 同户电话 …0657


@dataclass(frozen=True)
class SearchResult:
    query: str
    hits: tuple[SearchHit, ...]
    total: int
    total_is_capped: bool = False


@dataclass(frozen=True)
class TimelineEntry:
    """One line of a household's history: a visit or a case note."""

    day: str
    kind: str  # 走访·入户 / 记录·需求 / 跟进·已逾期 ...
    summary: str
    who: str
    note_id: str | None = None
    visit_id: str | None = None
    followup_id: str | None = None
    revisions: int = 0

    @property
    def key(self) -> str:
        return self.note_id or self.visit_id or self.followup_id or self.day


@dataclass(frozen=True)
class Visit:
    id: str
    household_id: str
    visit_date: str
    method: str
    purpose: str = "routine"
    checklist: frozenset[str] = frozenset()
    problems: frozenset[str] = frozenset()
    problem_text: str = ""
    help_given: str = ""
    referrals: frozenset[str] = frozenset()
    note: str = ""
    visitor_ids: tuple[str, ...] = ()
    visitor_names: tuple[str, ...] = ()
    persons_seen: tuple[str, ...] = ()
    tier: str = ""
    version: int = 1
    updated_by: str = ""

    @property
    def method_label(self) -> str:
        return codes.label(codes.VISIT_METHODS, self.method, self.method)


@dataclass(frozen=True)
class Followup:
    id: str
    household_id: str
    person_id: str | None
    what: str
    due_date: str
    urgent: bool
    owner_name: str
    status: str
    closed_date: str = ""
    outcome: str = ""
    source: str = ""
    source_id: str = ""
    version: int = 1
    address: str = ""
    person_name: str = ""

    def is_overdue(self, today: date) -> bool:
        return self.status == "open" and self.due_date < today.isoformat()

    def state_text(self, today: date) -> str:
        """Said in words, never by colour alone."""
        if self.status == "closed":
            return "已完成"
        if self.is_overdue(today):
            return "已逾期"
        return "紧急" if self.urgent else "未完成"
