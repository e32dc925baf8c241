"""Emergency events: start, make current, close (with their totals), find and list.

An event (汛期/暴雨, 高温, 停电 ...) has a kind, a name, a start and — once
closed — an end, and optionally a scope: grids, buildings or addresses.  Several
events may exist; at most one is current.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.dates import parse_day
from canxie_tui.domain.emergency import EmergencyEvent, EventSummary, RollCallProgress, kind_label
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.search_keys import normalize_query
from canxie_tui.store import places, records
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency.filter import TOP
from canxie_tui.store.emergency.priority import progress
from canxie_tui.store.errors import NotFoundError

__all__ = [
    "CLOSE_ACTION",
    "NAME_MAX",
    "close_event",
    "current_event",
    "event_summary",
    "events_in_month",
    "find_event",
    "get_event",
    "list_events",
    "set_current",
    "start_event",
]

CLOSE_ACTION = "结束急难事件"
NAME_MAX = 40
_EVENT_SELECT = (
    "SELECT id, kind, name, started_at, ended_at, scope, is_current, version, created_by "
    "FROM emergency_events"
)


# -- conversions ------------------------------------------------------------------
def _event(row: Sequence[Any]) -> EmergencyEvent:
    id_, kind, name, started, ended, scope, current, version, created_by = row
    return EmergencyEvent(
        id=id_,
        kind=kind,
        name=name,
        started_at=started,
        ended_at=ended,
        scope=tuple(json.loads(scope or "[]")),
        is_current=bool(current),
        version=version,
        created_by=created_by,
    )


def _when(value: datetime | str | None, store: Store, label: str, field: str) -> str:
    """An ISO timestamp (seconds) from a datetime or what a user typed; now when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return store.now()
    if isinstance(value, datetime):
        return value.replace(microsecond=0, tzinfo=None).isoformat(timespec="seconds")
    text = normalize_query(value).replace("：", ":")
    try:
        return datetime.fromisoformat(text.replace(" ", "T")).isoformat(timespec="seconds")
    except ValueError:
        pass
    day_part, _, time_part = text.partition(" ")
    day = parse_day(day_part, store.today(), field=field, label=label, allow_future=True)
    if not time_part:
        return datetime(day.year, day.month, day.day).isoformat(timespec="seconds")
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", time_part)
    if not match:
        raise InputError(f"{label}的时间“{time_part}”不对，请写成 08:30 这样的格式", field)
    return datetime(day.year, day.month, day.day, int(match[1]), int(match[2])).isoformat(
        timespec="seconds"
    )


def _clean_scope(store: Store, scope: Iterable[str]) -> list[str]:
    """The scope's items; at a street or district a grid or building several
    communities have must be named with one ("建新东路社区·第1网格"): refused otherwise."""
    items = list(dict.fromkeys(s for s in (" ".join(str(s).split()) for s in scope) if s))
    held = places.holders(store, "? IN (h.grid, h.building)")
    for item in items:
        places.resolve(store, item, held, "scope")
    return items


# -- events -------------------------------------------------------------------------
def get_event(store: Store, event_id: str) -> EmergencyEvent:
    row = store.db.conn.execute(_EVENT_SELECT + " WHERE id = ?", (event_id,)).fetchone()
    if row is None:
        raise NotFoundError("找不到该急难事件，可能已被删除。")
    return _event(row)


def find_event(store: Store, ref: str) -> EmergencyEvent:
    """An event by its id or a unique beginning of it (at least 4 characters)."""
    ref = ref.strip().lower()
    if len(ref) < 4:
        raise InputError("事件编号至少要写前4位", "event")
    rows = store.db.conn.execute(
        _EVENT_SELECT + " WHERE id >= ? AND id < ? LIMIT 2", (ref, ref + TOP)
    ).fetchall()
    if not rows:
        raise NotFoundError(f"找不到编号为“{ref}”的急难事件。可用 canxie emergency events 查看。")
    if len(rows) > 1:
        raise InputError(f"编号“{ref}”对应多个事件，请多写几位", "event")
    return _event(rows[0])


def list_events(store: Store) -> list[EmergencyEvent]:
    """Every event: the current one first, then open ones, then by start (newest first)."""
    rows = store.db.conn.execute(
        _EVENT_SELECT + " ORDER BY is_current DESC, ended_at != '', started_at DESC, pk DESC"
    ).fetchall()
    return [_event(r) for r in rows]


def current_event(store: Store) -> EmergencyEvent | None:
    row = store.db.conn.execute(
        _EVENT_SELECT + " WHERE is_current = 1 ORDER BY started_at DESC LIMIT 1"
    ).fetchone()
    return _event(row) if row else None


def _unset_current(store: Store, keep: str = "") -> None:
    for row in store.db.conn.execute(
        "SELECT id, version FROM emergency_events WHERE is_current = 1 AND id != ?", (keep,)
    ).fetchall():
        records.update(
            store,
            "emergency_events",
            row[0],
            {"is_current": 0},
            expected_version=row[1],
            action="取消当前急难事件",
        )


def start_event(
    store: Store,
    kind: str,
    name: str = "",
    started_at: datetime | str | None = None,
    scope: Iterable[str] = (),
) -> EmergencyEvent:
    """Start an event; it becomes the current one (no other stays current)."""
    if kind not in codes.EMERGENCY_KINDS:
        choices = "、".join(codes.EMERGENCY_KINDS.values())
        raise InputError(f"请选择事件类型：{choices}", "kind")
    started = _when(started_at, store, "开始时间", "started_at")
    name = " ".join(name.split())
    if not name:
        name = f"{started[5:7].lstrip('0')}月{started[8:10].lstrip('0')}日{kind_label(kind)}"
    if len(name) > NAME_MAX:
        raise InputError(f"事件名称太长（{len(name)}字），请控制在{NAME_MAX}字以内", "name")
    with store.transaction():
        _unset_current(store)
        event_id = records.insert(
            store,
            "emergency_events",
            {
                "kind": kind,
                "name": name,
                "started_at": started,
                "ended_at": "",
                "scope": json.dumps(_clean_scope(store, scope), ensure_ascii=False),
                "is_current": 1,
            },
            action="启动急难事件",
        )
    return get_event(store, event_id)


def set_current(store: Store, event: EmergencyEvent) -> EmergencyEvent:
    """Make `event` the current one (an event that has ended cannot be)."""
    with store.transaction():
        fresh = get_event(store, event.id)
        if fresh.is_closed:
            raise InputError(f"事件“{fresh.name}”已结束，不能设为当前事件", "event")
        _unset_current(store, keep=fresh.id)
        if not fresh.is_current:
            records.update(
                store,
                "emergency_events",
                fresh.id,
                {"is_current": 1},
                expected_version=fresh.version,
                action="设为当前急难事件",
            )
    return get_event(store, event.id)


def close_event(
    store: Store, event: EmergencyEvent, ended_at: datetime | str | None = None
) -> EventSummary:
    """End an event; it is kept, with its totals as they stood, for the monthly return.

    The totals are snapshotted into the audit entry of the closing (the schema
    has no column for them), so later changes to the register do not alter what
    the event reported.
    """
    with store.transaction():
        fresh = get_event(store, event.id)
        if fresh.is_closed:
            when = fresh.ended_at.replace("T", " ")[:16]
            raise InputError(f"事件“{fresh.name}”已于{when}结束", "event")
        ended = _when(ended_at, store, "结束时间", "ended_at")
        if ended < fresh.started_at:
            start = fresh.started_at.replace("T", " ")[:16]
            raise InputError(f"结束时间不能早于开始时间（{start}）", "ended_at")
        totals = progress(store, fresh)
        records.update(
            store,
            "emergency_events",
            fresh.id,
            {"ended_at": ended, "is_current": 0},
            expected_version=fresh.version,
            action=CLOSE_ACTION,
            related=({}, {"summary": {"total": totals.total, **totals.counts()}}),
        )
        closed = get_event(store, fresh.id)
    return EventSummary(closed, totals, closed.duration_text(store.clock()))


def event_summary(store: Store, event: EmergencyEvent) -> EventSummary:
    """Duration and totals: as snapshotted at closing, or as they stand now."""
    event = get_event(store, event.id)
    totals: RollCallProgress | None = None
    if event.is_closed:
        raw = store.scalar(
            "SELECT json_extract(after, '$.summary') FROM audit_log WHERE table_name = ? "
            "AND record_id = ? AND action = ? ORDER BY seq DESC LIMIT 1",
            ("emergency_events", event.id, CLOSE_ACTION),
        )
        if raw:
            totals = RollCallProgress(**json.loads(raw))
    if totals is None:
        totals = progress(store, event)
    return EventSummary(event, totals, event.duration_text(store.clock()))


def events_in_month(store: Store, year: int, month: int) -> list[EventSummary]:
    """Events that were running at some time in the month (for the monthly return)."""
    first = date(year, month, 1)
    after = first + timedelta(days=calendar.monthrange(year, month)[1])
    rows = store.db.conn.execute(
        _EVENT_SELECT + " WHERE started_at < ? AND (ended_at = '' OR ended_at >= ?) "
        "ORDER BY started_at, pk",
        (after.isoformat(), first.isoformat()),
    ).fetchall()
    return [event_summary(store, _event(r)) for r in rows]
