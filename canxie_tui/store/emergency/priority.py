"""The priority list of an event with each person's roll-call status, and its progress.

Ranked over the stored risk profiles (see `cache`); an event adds one query for
its checks, a search one over the search index.  The rows are built when read
(`rows.Rows`): the first list of a district costs its ranking, not 20k rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, repeat

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import (
    PENDING,
    EmergencyEvent,
    Priority,
    RollCallProgress,
    grid_key,
    summarize,
)
from canxie_tui.domain.errors import InputError
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency import cache
from canxie_tui.store.emergency.filter import narrow
from canxie_tui.store.emergency.rows import Check, Rows

__all__ = [
    "Listed",
    "RollCall",
    "checks_of",
    "listed",
    "priority_list",
    "progress",
    "roll_call",
    "rows_of",
]


_CHECKS = (
    "SELECT p.pk, c.status, c.note, c.checked_at, c.updated_by "
    "FROM emergency_checks c JOIN persons p ON p.id = c.person_id WHERE c.event_id = ?"
)


def checks_of(store: Store, event_id: str, pks: Sequence[int] | None = None) -> dict[int, Check]:
    """person pk -> (status, note, checked_at, checked by) for one event (of `pks` only)."""
    sql, params = _CHECKS, [event_id]
    if pks is not None:
        sql += " AND p.pk IN (SELECT value FROM json_each(?))"
        params.append(json.dumps(list(pks)))
    return {
        pk: (status, note, at, by)
        for pk, status, note, at, by in store.db.conn.execute(sql, params)
    }


@dataclass(frozen=True)
class RollCall:
    """The priority list of one event (or a hypothetical kind) and its progress."""

    rows: Sequence[Priority]  # after the status and search filters (built when read)
    progress: RollCallProgress  # over the whole list, whatever the filters
    total: int  # people on the whole list


@dataclass(frozen=True)
class Listed:
    """A list before its rows are built: its people's pks in risk order (after the
    filters), their roll-call checks, and what the list was read from."""

    loaded: cache.Loaded
    kind: str
    pks: list[int]
    checks: dict[int, Check]
    progress: RollCallProgress
    total: int

    def rows(self, store: Store, pks: list[int] | None = None) -> Rows:
        """The rows (of `pks` only), built when read on `store`: a page costs a page."""
        return rows_of(store, self.loaded, self.kind, self.pks if pks is None else pks, self.checks)


def rows_of(
    store: Store, loaded: cache.Loaded, kind: str, pks: list[int], checks: dict[int, Check]
) -> Rows:
    """The rows of `pks` in `loaded` for `kind` with their `checks`, built when read."""
    return Rows(pks, checks, lambda some: loaded.rows(store, kind, some))


def listed(
    store: Store,
    event: EmergencyEvent | None,
    *,
    kind: str | None = None,
    status: str | None = None,
    query: str | None = None,
    include_all: bool = False,
) -> Listed:
    """The people of :func:`roll_call` (see there), their rows not built."""
    if event is None and kind is None:
        raise InputError("请选择急难事件，或指定事件类型", "event")
    if status is not None and status not in codes.ROLL_CALL_STATUSES:
        raise InputError(f"未知的点名状态“{status}”", "status")
    event_kind = event.kind if event is not None else str(kind)
    if event_kind not in codes.EMERGENCY_KINDS:
        raise InputError(f"未知的事件类型“{event_kind}”", "kind")
    loaded = cache.get(store, event.scope if event is not None else ())
    ranked = cache.ranking(loaded, event_kind)
    pks = ranked.order if include_all else ranked.order[: ranked.listed]
    checks = checks_of(store, event.id) if event is not None else {}
    if checks:
        position = ranked.position
        if not include_all:  # checked although on no list of this kind (or before a change)
            extra = sorted(i for pk in checks if (i := position.get(pk, -1)) >= ranked.listed)
            pks = pks + [ranked.order[i] for i in extra]
        statuses = [check[0] for pk, check in checks.items() if pk in position]
    else:
        statuses = []
    total = len(pks)
    total_progress = summarize(chain(statuses, repeat(PENDING, total - len(statuses))))
    if status is not None:
        unchecked = (PENDING,)
        pks = [pk for pk in pks if checks.get(pk, unchecked)[0] == status]
    if query:
        pks = narrow(store, loaded, pks, query)
    return Listed(loaded, event_kind, pks, checks, total_progress, total)


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
    found = listed(store, event, kind=kind, status=status, query=query, include_all=include_all)
    rows: Sequence[Priority] = found.rows(store)
    if group_by_grid:
        rows = sorted(rows, key=lambda r: grid_key(r.person))
    return RollCall(rows, found.progress, found.total)


def priority_list(
    store: Store,
    event: EmergencyEvent | None,
    *,
    kind: str | None = None,
    status: str | None = None,
    query: str | None = None,
    group_by_grid: bool = False,
    include_all: bool = False,
) -> Sequence[Priority]:
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
