"""The daily sign-in sheet: one row per member, and its one-key status cycle."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from canxie_tui.domain.daycare.records import ABSENT, LEAVE, PRESENT, Mark, Member


@dataclass(frozen=True)
class SheetRow:
    """One member on one day's sign-in sheet; `mark` None = 未登记."""

    member: Member
    day: date
    expected: bool
    mark: Mark | None = None
    attendance_id: str = ""
    version: int = 0  # of the attendance row, 0 when none

    @property
    def status(self) -> str:
        return self.mark.status if self.mark else ""

    @property
    def status_label(self) -> str:
        return self.mark.status_label if self.mark else UNMARKED_LABEL

    @property
    def walk_in(self) -> bool:
        """Came on a day they were not expected."""
        return not self.expected and self.mark is not None and self.mark.status == PRESENT


UNMARKED_LABEL = "未登记"

# The sheet's one-key status cycle: 未登记 → 出勤 → 请假 → 缺勤 → 未登记 ("" = 未登记).
STATUS_CYCLE: tuple[str, ...] = ("", PRESENT, LEAVE, ABSENT)


def next_status(status: str) -> str:
    """The status after `status` in the sheet's cycle."""
    index = STATUS_CYCLE.index(status) if status in STATUS_CYCLE else 0
    return STATUS_CYCLE[(index + 1) % len(STATUS_CYCLE)]
