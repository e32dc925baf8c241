"""The month's emergency events and their roll call, as the 急难救助 sheet reports them."""

from __future__ import annotations

from dataclasses import dataclass

from canxie_tui.domain.emergency import summarize as summarize_statuses
from canxie_tui.domain.errors import InputError
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency import event_summary, get_event
from canxie_tui.store.monthly.period import Period


@dataclass(frozen=True)
class EventTotals:
    """An emergency event of the month and its roll call, as the 急难救助 sheet reports it."""

    id: str
    name: str
    kind: str
    started_at: str
    ended_at: str
    listed: int  # 点名人数: people on the event's priority list (as closed, or now)
    by_status: dict[str, int]  # every roll-call status code -> people of the list
    closed: bool = False  # the figures are those kept when the event was closed

    @property
    def total(self) -> int:
        """The people on the list (点名人数)."""
        return self.listed

    @property
    def unreached(self) -> int:
        """未联系: on the list and not marked with another status."""
        return self.by_status.get("pending", 0)

    @property
    def marked(self) -> int:
        """Marked with a status other than 未联系 (联系不上 included)."""
        return self.listed - self.unreached


def _events(store: Store, period: Period) -> list[EventTotals]:
    """The events running at some time in the month, with their roll call (the package doc)."""
    found = []
    for (event_id,) in store.db.conn.execute(
        "SELECT id FROM emergency_events WHERE started_at < :next "
        "AND (ended_at = '' OR ended_at >= :first) ORDER BY started_at, pk",
        period.params,
    ).fetchall():
        event = get_event(store, event_id)
        try:
            progress = event_summary(store, event).progress
        except InputError:  # a kind this program does not rank: the people checked
            progress = summarize_statuses(
                status
                for (status,) in store.db.conn.execute(
                    "SELECT status FROM emergency_checks WHERE event_id = ?", (event.id,)
                )
            )
        found.append(
            EventTotals(
                id=event.id,
                name=event.name,
                kind=event.kind,
                started_at=event.started_at,
                ended_at=event.ended_at,
                listed=progress.total,
                by_status=progress.counts(),
                closed=event.is_closed,
            )
        )
    return found
