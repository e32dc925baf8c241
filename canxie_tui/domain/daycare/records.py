"""What day care keeps: an enrolment, a day's mark, an absence streak."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from canxie_tui.domain import codes
from canxie_tui.domain.daycare.enrolment import weekdays_label

PRESENT, LEAVE, ABSENT = "present", "leave", "absent"


@dataclass(frozen=True)
class Member:
    """One enrolment of a registered person in the centre."""

    id: str
    person_id: str
    name: str
    services: frozenset[str]
    weekdays: str  # canonical digits, "12345"
    start: date
    end: date | None = None  # first day no longer enrolled
    end_reason: str = ""
    household_id: str = ""
    version: int = 1

    @property
    def services_text(self) -> str:
        return codes.labels(codes.DAYCARE_SERVICES, self.services)

    @property
    def weekdays_text(self) -> str:
        return weekdays_label(self.weekdays)


class Mark(NamedTuple):
    """One member's attendance on one day (a NamedTuple: a month loads thousands)."""

    status: str  # present / leave / absent
    half_day: bool = False
    meal: bool = False
    services: frozenset[str] = frozenset()
    arrival_time: str = ""  # HH:MM
    note: str = ""

    @property
    def status_label(self) -> str:
        return codes.label(codes.ATTENDANCE_STATUSES, self.status, self.status)

    @property
    def person_days(self) -> float:
        if self.status != PRESENT:
            return 0.0
        return 0.5 if self.half_day else 1.0


class Streak(NamedTuple):
    member_id: str
    first_day: date
    last_day: date
    length: int  # expected open days marked 缺勤
