"""The roll call: a person's status in an event, its changes, and the progress."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from canxie_tui.domain import codes
from canxie_tui.domain.emergency.kinds import PENDING


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
