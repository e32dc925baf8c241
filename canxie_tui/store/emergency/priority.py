"""The priority list of an event with each person's roll-call status, and its progress.

Ranked in `canxie_tui.domain.emergency` over the cached register (see `cache`);
an event adds one query for its checks, a search one over the search index.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import (
    EmergencyEvent,
    Priority,
    RollCallProgress,
    grid_key,
    sort_key,
    summarize,
)
from canxie_tui.domain.errors import InputError
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency import cache
from canxie_tui.store.emergency.filter import narrow

__all__ = ["RollCall", "priority_list", "progress", "roll_call"]


def _checks(store: Store, event_id: str) -> dict[str, tuple[str, str, str, str]]:
    """person id -> (status, note, checked_at, checked by) for one event."""
    return {
        pid: (status, note, at, by)
        for pid, status, note, at, by in store.db.conn.execute(
            "SELECT person_id, status, note, checked_at, updated_by FROM emergency_checks "
            "WHERE event_id = ?",
            (event_id,),
        )
    }


@dataclass(frozen=True)
class RollCall:
    """The priority list of one event (or a hypothetical kind) and its progress."""

    rows: list[Priority]  # after the status and search filters
    progress: RollCallProgress  # over the whole list, whatever the filters
    total: int  # people on the whole list


def roll_call(
    store: Store,
    event: EmergencyEvent | None,
    *,
    kind: str | None = None,
    status: str | None = None,
    query: str | None = None,
    group_by_grid: bool = False,
    include_all: bool = False,
) -> RollCall:
    """The priority list with each person's roll-call status, and the progress.

    `event` None with a `kind`: a hypothetical event over the whole register (no
    statuses).  The list holds everyone in the event's scope with at least one
    risk factor, and anyone already checked in this event (or everyone in
    scope with `include_all`).  `status` and `query` (a name, pinyin, a building
    such as "3栋", a number tail) narrow the rows but not the progress.
    `group_by_grid` orders by community and grid first, risk within each.
    """
    if event is None and kind is None:
        raise InputError("请选择急难事件，或指定事件类型", "event")
    if status is not None and status not in codes.ROLL_CALL_STATUSES:
        raise InputError(f"未知的点名状态“{status}”", "status")
    event_kind = event.kind if event is not None else str(kind)
    if event_kind not in codes.EMERGENCY_KINDS:
        raise InputError(f"未知的事件类型“{event_kind}”", "kind")
    loaded = cache.get(store, event.scope if event is not None else ())
    ranked = cache.ranking(loaded, event_kind, include_all)
    rows = list(ranked.rows)  # never change the cached list
    if event is not None:
        checks = _checks(store, event.id)
        position = ranked.position if checks else {}
        register = loaded.register
        pk_of = register.pk_of if checks else {}
        extra = sorted(pk_of[pid] for pid in checks if pid in pk_of and pid not in position)
        for pid, (state, note, at, by) in checks.items():
            if pid in position:
                i = position[pid]
                rows[i] = rows[i]._replace(status=state, note=note, checked_at=at, checked_by=by)
        if extra:  # checked although on no list of this kind (or checked before a change)
            more = [
                r._replace(
                    status=checks[r.person.person_id][0],
                    note=checks[r.person.person_id][1],
                    checked_at=checks[r.person.person_id][2],
                    checked_by=checks[r.person.person_id][3],
                )
                for r in loaded.ranker(event_kind).rank(
                    [register.facts[bisect.bisect_left(register.pks, pk)] for pk in extra],
                    include_all=True,
                )
            ]
            rows = sorted([*rows, *more], key=sort_key)
    total_progress = summarize(r.status for r in rows)
    total = len(rows)
    if status is not None:
        rows = [r for r in rows if r.status == status]
    if query:
        rows = narrow(store, rows, query)
    if group_by_grid:
        rows.sort(key=lambda r: grid_key(r.person))
    return RollCall(rows, total_progress, total)


def priority_list(
    store: Store,
    event: EmergencyEvent | None,
    *,
    kind: str | None = None,
    status: str | None = None,
    query: str | None = None,
    group_by_grid: bool = False,
    include_all: bool = False,
) -> list[Priority]:
    """The rows of :func:`roll_call` (see there)."""
    return roll_call(
        store,
        event,
        kind=kind,
        status=status,
        query=query,
        group_by_grid=group_by_grid,
        include_all=include_all,
    ).rows


def progress(store: Store, event: EmergencyEvent) -> RollCallProgress:
    """已联系 37/52 · 安全 31 · ...: counts over everyone on the event's list."""
    return roll_call(store, event).progress
