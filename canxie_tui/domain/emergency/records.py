"""What the ranking reads of a person, and a row of the priority list."""

from __future__ import annotations

from typing import NamedTuple

from canxie_tui.domain import codes
from canxie_tui.domain.emergency.kinds import PENDING


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
    # The community's name; where another community shares it, the label telling
    # them apart (the store's `places.labels`), so they are grouped apart.
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
