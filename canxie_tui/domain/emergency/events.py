"""Emergency events: how long they last, and their summary for the monthly return."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from canxie_tui.domain.emergency.kinds import kind_label
from canxie_tui.domain.emergency.rollcall import RollCallProgress


def format_duration(span: timedelta) -> str:
    """2天3小时 / 5小时20分钟 / 15分钟 (never negative)."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}天{hours}小时" if hours else f"{days}天"
    if hours:
        return f"{hours}小时{minutes}分钟" if minutes else f"{hours}小时"
    return f"{minutes}分钟"


@dataclass(frozen=True)
class EmergencyEvent:
    id: str
    kind: str
    name: str
    started_at: str  # ISO, seconds
    ended_at: str = ""
    scope: tuple[str, ...] = ()  # grids, buildings or addresses; empty = everyone
    is_current: bool = False
    version: int = 1
    created_by: str = ""

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def is_closed(self) -> bool:
        return bool(self.ended_at)

    @property
    def scope_text(self) -> str:
        return "、".join(self.scope) if self.scope else "全部"

    def duration(self, now: datetime) -> timedelta:
        end = datetime.fromisoformat(self.ended_at) if self.ended_at else now
        return end - datetime.fromisoformat(self.started_at)

    def duration_text(self, now: datetime) -> str:
        text = format_duration(self.duration(now))
        return text if self.is_closed else f"进行中（已{text}）"

    @property
    def state_text(self) -> str:
        if self.is_closed:
            return "已结束"
        return "当前" if self.is_current else "进行中"


@dataclass(frozen=True)
class EventSummary:
    """An event for the monthly return: how long, how many, how many helped."""

    event: EmergencyEvent
    progress: RollCallProgress
    duration_text: str

    @property
    def helped(self) -> int:
        return self.progress.helped
