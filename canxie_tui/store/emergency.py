"""Emergency events and the roll call (突发公共事件急难救助).

An event (汛期/暴雨, 高温, 停电 ...) has a kind, a name, a start and — once
closed — an end, and optionally a scope: grids, buildings or addresses.  Several
events may exist; at most one is current.  During an event every person on the
priority list gets a roll-call status (未联系, 已联系·安全, 需要帮助, 已转移安置,
联系不上); each status change is one audited write through `records`, so the
audit log holds the whole history.  需要帮助 and 联系不上 raise a follow-up, once
per event and person.

The priority list is ranked in `canxie_tui.domain.emergency` over facts loaded
with one set-based query (plus one for the event's checks and, when narrowing
by a search, one over the search index), with no per-person queries.  The first
list of a district (30k people) takes about a quarter of a second, nearly all of
it SQLite handing over the rows; it is then kept, each refresh and mark costs a
few milliseconds, and so does a register edit: the households written are read
again and patched into the kept list (see the caching notes below).
"""

from __future__ import annotations

import bisect
import calendar
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.dates import age_on_text, parse_day
from canxie_tui.domain.emergency import (
    HELP_STATUSES,
    PENDING,
    CheckChange,
    EmergencyEvent,
    EventSummary,
    PersonRisk,
    Priority,
    Ranker,
    RollCallCheck,
    RollCallProgress,
    grid_key,
    kind_label,
    sort_key,
    summarize,
)
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Followup
from canxie_tui.domain.search_keys import normalize_query
from canxie_tui.store import followups, records, tiers
from canxie_tui.store.bulk import gc_paused
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import NotFoundError
from canxie_tui.store.register_sql import in_register

__all__ = [
    "FOLLOWUP_SOURCE",
    "RollCall",
    "clear_cache",
    "close_event",
    "current_event",
    "event_summary",
    "events_in_month",
    "find_event",
    "followup_for",
    "get_check",
    "get_event",
    "history",
    "list_events",
    "load_facts",
    "preload",
    "priority_list",
    "progress",
    "roll_call",
    "set_current",
    "set_status",
    "start_event",
]

FOLLOWUP_SOURCE = "emergency"
CLOSE_ACTION = "结束急难事件"
NAME_MAX = 40
NOTE_MAX = 200
_EVENT_SELECT = (
    "SELECT id, kind, name, started_at, ended_at, scope, is_current, version, created_by "
    "FROM emergency_events"
)
_CHECK_SELECT = (
    "SELECT id, event_id, person_id, status, note, checked_at, operator_id, updated_by, version "
    "FROM emergency_checks"
)
_TOP = "\U0010ffff"  # sorts after any character: the upper bound of a prefix range
# A bare building or unit ("3栋", "2单元") names many compounds' buildings: it is
# matched exactly, never as a fragment of an address (where "3栋" is in "13栋").
_BARE_PLACE = re.compile(r"^\d+(栋|幢|号楼|单元)$")
_PLACE_QUERY = re.compile(r"^\d+(栋|幢|号楼)")


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


def _check(row: Sequence[Any]) -> RollCallCheck:
    id_, event_id, person_id, status, note, checked_at, operator_id, by, version = row
    return RollCallCheck(
        id_, event_id, person_id, status, note, checked_at, operator_id, by, version
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


def _clean_scope(scope: Iterable[str]) -> list[str]:
    items = [" ".join(str(s).split()) for s in scope]
    return list(dict.fromkeys(s for s in items if s))


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
        _EVENT_SELECT + " WHERE id >= ? AND id < ? LIMIT 2", (ref, ref + _TOP)
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
                "scope": json.dumps(_clean_scope(scope), ensure_ascii=False),
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


# -- the register, as the ranking needs it ---------------------------------------------
def _scope_sql(scope: Sequence[str]) -> tuple[str, list[Any]]:
    """A WHERE fragment over households `h`: grid or building equal, or address contains."""
    if not scope:
        return "", []
    marks = ",".join("?" for _ in scope)
    parts = [f"h.grid IN ({marks})", f"h.building IN ({marks})"]
    params: list[Any] = [*scope, *scope]
    for item in scope:
        if not _BARE_PLACE.match(item):
            parts.append("instr(h.address, ?) > 0")
            params.append(item)
    return f" AND ({' OR '.join(parts)})", params


# The pk, then the fields of PersonRisk in its order, with the flags as JSON text,
# the birth date for the age and nothing yet for the household's count.
_FACTS_COLUMNS = """
SELECT p.pk, p.id, p.household_id, p.name, p.birth_date, p.category, p.level, p.care_flags,
       p.device_kind, h.flags, h.building, h.unit, h.room, h.grid,
       CASE WHEN p.phone != '' THEN p.phone ELSE h.phone END,
       h.guardian_name, h.guardian_relation, h.guardian_phone, h.emergency_contact,
       h.emergency_phone, h.address, h.division_name
"""
_IN_REGISTER = " AND " + in_register("p")
# Everyone.  `persons NOT INDEXED`: a sequential scan of the table is much faster
# here than walking the partial due-list index and fetching each row out of order.
_FACTS_SQL = (
    _FACTS_COLUMNS
    + "FROM persons p NOT INDEXED JOIN households h ON h.id = p.household_id WHERE 1"
    + _IN_REGISTER
)
# The members of a few households (after edits), through the household index.
_MEMBERS_SQL = (
    _FACTS_COLUMNS
    + "FROM persons p JOIN households h ON h.id = p.household_id "
    + "WHERE p.household_id IN (SELECT value FROM json_each(?))"
    + _IN_REGISTER
)


class _Register:
    """Everyone in the register within a scope, in pk order (the order that ties
    keep in the ranking), and each one's pk."""

    def __init__(
        self, facts: list[PersonRisk], pks: list[int], pk_of: dict[str, int] | None = None
    ) -> None:
        self.facts = facts
        self.pks = pks  # ascending
        self._pk_of = pk_of

    @property
    def pk_of(self) -> dict[str, int]:
        """Person id -> pk (made on first use: only edits and checks need it)."""
        if self._pk_of is None:
            self._pk_of = dict(zip(map(_PERSON_ID, self.facts), self.pks, strict=True))
        return self._pk_of

    def get(self, person_id: str) -> PersonRisk | None:
        pk = self.pk_of.get(person_id)
        return None if pk is None else self.facts[bisect.bisect_left(self.pks, pk)]


_PERSON_ID = attrgetter("person_id")
_HOUSEHOLD_ID = attrgetter("household_id")
_ROW_PK, _ROW_HOUSEHOLD = itemgetter(0), itemgetter(2)  # of a _FACTS_COLUMNS row


def _read(store: Store, sql: str, params: Sequence[Any], today: date) -> _Register:
    """The facts of the people `sql` selects, in pk order.  It must select whole
    households: the count of each household's certificate holders is taken here."""
    rows = store.db.conn.execute(sql + " ORDER BY p.pk", params).fetchall()
    certified = Counter(map(_ROW_HOUSEHOLD, rows))
    parsed: dict[str, frozenset[str]] = {}  # the same few JSON texts recur thousands of times
    facts: list[PersonRisk] = []
    append = facts.append
    new = tuple.__new__  # what PersonRisk._make does, without the call around it
    for row in rows:
        household_id, birth, care, flags = row[2], row[4], row[7], row[9]
        care_set = parsed.get(care)
        if care_set is None:
            care_set = parsed[care] = frozenset(json.loads(care))
        flag_set = parsed.get(flags)
        if flag_set is None:
            flag_set = parsed[flags] = frozenset(json.loads(flags))
        age = age_on_text(birth, today)
        person = (row[1], household_id, row[3], age, row[5], row[6], care_set, row[8], flag_set)
        append(new(PersonRisk, (*person, certified[household_id], *row[10:])))
    return _Register(facts, list(map(_ROW_PK, rows)))


def _load(store: Store, scope: Sequence[str], today: date) -> _Register:
    where, params = _scope_sql(scope)
    return _read(store, _FACTS_SQL + where, params, today)


def load_facts(
    store: Store, *, scope: Sequence[str] = (), today: date | None = None
) -> list[PersonRisk]:
    """Everyone in the register (active certificate holders) within `scope`: one query."""
    with gc_paused():
        return _load(store, scope, today or store.today()).facts


# -- caching -------------------------------------------------------------------------------
# Loading 30k people costs over a hundred milliseconds (most of it SQLite handing
# over 600k values), ranking them some tens more.  During a roll call the
# register hardly changes, so both are kept per database file, scope and day,
# and checked on every use against a fingerprint that costs microseconds.  Every
# change to a person or household is written to the hash-chained audit log
# (records.py): the last entry's hash identifies the whole history, and the
# entries added since the load name the people and households written since.
# Those households are read again and patched into a copy of the cache (and of
# the lists ranked from it), so an edit during an emergency costs milliseconds,
# not another load.  Rows added without an audit entry (demo data) show as pks
# above the highest loaded; a shorter log, another history at the loaded entry
# or a large change (an import) mean a fresh load.
_CACHE_LIMIT = 4
_REFRESH_LIMIT = 500  # more records written than this: load afresh
_cache_lock = threading.Lock()


class _Ranked:
    """A ranked list (nobody checked yet) and, once asked for, each person's index in it."""

    def __init__(self, rows: list[Priority]) -> None:
        self.rows = rows
        self._position: dict[str, int] | None = None

    @property
    def position(self) -> dict[str, int]:
        if self._position is None:
            self._position = {r.person.person_id: i for i, r in enumerate(self.rows)}
        return self._position

    def patched(
        self,
        ranker: Ranker,
        include_all: bool,
        before: _Register,
        after: _Register,
        gone: list[PersonRisk],
        changed: list[PersonRisk],
    ) -> _Ranked:
        """A copy, ranked from `before`, made as if ranked from `after`: without the
        rows of `gone`, with those of `changed` where ranking everyone would put
        them (by sort_key, ties in pk order), found by binary search."""
        rows = list(self.rows)
        old, new = _row_order(before), _row_order(after)
        for p in gone:
            row = ranker.row(p, include_all=include_all)
            if row is not None:
                i = bisect.bisect_left(rows, old(row), key=old)
                if i < len(rows) and rows[i].person.person_id == p.person_id:
                    del rows[i]
                else:  # not where it should be: never expected, but then look everywhere
                    rows = [r for r in rows if r.person.person_id != p.person_id]
        for p in changed:
            row = ranker.row(p, include_all=include_all)
            if row is not None:
                bisect.insort(rows, row, key=new)
        return _Ranked(rows)


def _row_order(register: _Register) -> Callable[[Priority], tuple[object, ...]]:
    """The order of a ranked list as a key: sort_key, then pk (the order ties keep)."""
    pk_of = register.pk_of

    def key(row: Priority) -> tuple[object, ...]:
        return (*sort_key(row), pk_of[row.person.person_id])

    return key


@dataclass
class _Loaded:
    register: _Register
    seq: int  # the audit log entry the facts are known good at ...
    hash: str  # ... and its hash
    pks: tuple[int, int]  # the highest pk of persons and households at the load
    rankers: dict[str, Ranker] = field(default_factory=dict)  # pure: kept across refreshes
    ranked: dict[tuple[str, bool], _Ranked] = field(default_factory=dict)

    def ranker(self, kind: str) -> Ranker:
        found = self.rankers.get(kind)
        if found is None:
            found = self.rankers[kind] = Ranker(kind)
        return found


_cache: dict[tuple[str, tuple[str, ...], date], _Loaded] = {}


def _fingerprint(store: Store) -> tuple[int, str, tuple[int, int]]:
    conn = store.db.conn
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    pks = conn.execute(
        "SELECT (SELECT max(pk) FROM persons), (SELECT max(pk) FROM households)"
    ).fetchone()
    seq, hash_ = last if last else (0, "")
    return seq, hash_, (pks[0] or 0, pks[1] or 0)


def _written_since(
    store: Store, loaded: _Loaded, seq: int, pks: tuple[int, int]
) -> tuple[set[str], set[str]] | None:
    """The persons and households written since `loaded` was good, or None when
    only a fresh load will do (another history, a shorter log, a large change)."""
    if seq < loaded.seq or pks[0] < loaded.pks[0] or pks[1] < loaded.pks[1]:
        return None
    conn = store.db.conn
    if (
        loaded.seq
        and store.scalar("SELECT hash FROM audit_log WHERE seq = ?", (loaded.seq,)) != loaded.hash
    ):
        return None  # another history: the file was replaced (a restored backup)
    written = conn.execute(
        "SELECT table_name, record_id FROM audit_log WHERE table_name IN "
        "('persons', 'households') AND seq > ? LIMIT ?",
        (loaded.seq, _REFRESH_LIMIT + 1),
    ).fetchall()
    persons = {rid for table, rid in written if table == "persons"}
    households = {rid for table, rid in written if table == "households"}
    for table, names, above in (
        ("persons", persons, loaded.pks[0]),
        ("households", households, loaded.pks[1]),
    ):
        names.update(
            rid
            for (rid,) in conn.execute(
                f"SELECT id FROM {table} WHERE pk > ? LIMIT ?", (above, _REFRESH_LIMIT + 1)
            )
        )
    if len(written) > _REFRESH_LIMIT or len(persons) + len(households) > _REFRESH_LIMIT:
        return None
    return persons, households


def _refreshed(
    store: Store,
    register: _Register,
    scope: Sequence[str],
    today: date,
    persons: set[str],
    households: set[str],
) -> tuple[_Register, list[PersonRisk], list[PersonRisk]]:
    """A copy of `register` with `households` and the households of `persons`
    (before and now) read again; the facts of everyone who was in them, and of
    everyone who is.  `register` itself is left as it was: other threads may be
    reading it."""
    touched = set(households)
    for pid in persons:
        before = register.get(pid)
        if before is not None:
            touched.add(before.household_id)
    touched.update(
        hid
        for (hid,) in store.db.conn.execute(
            "SELECT household_id FROM persons WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps(sorted(persons)),),
        )
    )
    where, params = _scope_sql(scope)
    fresh = _read(store, _MEMBERS_SQL + where, [json.dumps(sorted(touched)), *params], today)
    facts, pks, pk_of = list(register.facts), list(register.pks), dict(register.pk_of)
    leaving = [i for i, hid in enumerate(map(_HOUSEHOLD_ID, facts)) if hid in touched]
    gone = [facts[i] for i in leaving]
    for i in reversed(leaving):
        del pk_of[facts[i].person_id], facts[i], pks[i]
    for p, pk in zip(fresh.facts, fresh.pks, strict=True):
        i = bisect.bisect(pks, pk)  # its place in pk order: where it was, or where it belongs
        facts.insert(i, p)
        pks.insert(i, pk)
        pk_of[p.person_id] = pk
    return _Register(facts, pks, pk_of), gone, fresh.facts


def _loaded(store: Store, scope: Sequence[str]) -> _Loaded:
    today = store.today()
    key = (str(Path(store.path).resolve()), tuple(scope), today)
    seq, hash_, pks = _fingerprint(store)
    with _cache_lock:
        found = _cache.get(key)
    written = None
    if found is not None:
        if (seq, hash_, pks) == (found.seq, found.hash, found.pks):
            return found
        written = _written_since(store, found, seq, pks)
        if written is not None and not any(written):
            found.seq, found.hash = seq, hash_  # the log grew with other tables only
            return found
    with gc_paused():
        if found is not None and written is not None:
            register, gone, changed = _refreshed(store, found.register, scope, today, *written)
            fresh = _Loaded(register, seq, hash_, pks, found.rankers)
            for (kind, include_all), ranked in list(found.ranked.items()):
                fresh.ranked[kind, include_all] = ranked.patched(
                    fresh.ranker(kind), include_all, found.register, register, gone, changed
                )
        else:
            rankers = found.rankers if found is not None else {}  # assessments are pure
            fresh = _Loaded(_load(store, scope, today), seq, hash_, pks, rankers)
    with _cache_lock:
        _cache.pop(key, None)
        while len(_cache) >= _CACHE_LIMIT:
            _cache.pop(next(iter(_cache)))
        _cache[key] = fresh
    return fresh


def clear_cache() -> None:
    """Forget every loaded register (benchmarks measure the cold path with it)."""
    with _cache_lock:
        _cache.clear()


def preload(store: Store, event: EmergencyEvent | None = None) -> None:
    """Load and rank ahead of need (from a worker when the emergency screen opens):
    the event's scope and kind, or the whole register for every kind."""
    loaded = _loaded(store, event.scope if event is not None else ())
    for kind in (event.kind,) if event is not None else tuple(codes.EMERGENCY_KINDS):
        _ranked(loaded, kind, False)


def _ranked(loaded: _Loaded, kind: str, include_all: bool) -> _Ranked:
    """The ranked list (nobody checked yet) and each person's position in it."""
    key = (kind, include_all)
    found = loaded.ranked.get(key)
    if found is None:
        with gc_paused():
            rows = loaded.ranker(kind).rank(loaded.register.facts, include_all=include_all)
        found = loaded.ranked[key] = _Ranked(rows)
    return found


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


def _matching_ids(store: Store, q: str) -> set[str]:
    """Ids of people a search finds (names, pinyin, initials, buildings, number tails ...).

    The search index: the term index for prefixes and name fragments, the trigram
    index for fragments of 3+ characters (an address, the middle of a number).
    """
    compact = q.replace(" ", "")
    conn = store.db.conn
    ids = {
        pid
        for (pid,) in conn.execute(
            "SELECT p.id FROM search_terms t JOIN persons p ON p.pk = t.person_pk "
            "WHERE t.term >= ? AND t.term < ?",
            (compact, compact + _TOP),
        )
    }
    if len(q) >= 3:
        phrase = '"' + q.replace('"', '""') + '"'
        ids.update(
            pid
            for (pid,) in conn.execute(
                "SELECT p.id FROM person_fts f JOIN persons p ON p.pk = f.rowid "
                "WHERE f.doc MATCH ?",
                (phrase,),
            )
        )
    return ids


def _narrow(store: Store, rows: list[Priority], query: str) -> list[Priority]:
    """A building ("3栋", "3栋2单元") is a place prefix (3栋 is not 13栋); anything
    else goes through the search index."""
    q = normalize_query(query)
    if not q:
        return rows
    if _PLACE_QUERY.match(q):
        place = q.replace(" ", "")
        return [
            r
            for r in rows
            if normalize_query(r.person.building + r.person.unit + r.person.room).startswith(place)
        ]
    ids = _matching_ids(store, q)
    return [r for r in rows if r.person.person_id in ids]


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
    loaded = _loaded(store, event.scope if event is not None else ())
    ranked = _ranked(loaded, event_kind, include_all)
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
        rows = _narrow(store, rows, query)
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


# -- the roll call ----------------------------------------------------------------------
def get_check(store: Store, event: EmergencyEvent, person_id: str) -> RollCallCheck | None:
    row = store.db.conn.execute(
        _CHECK_SELECT + " WHERE event_id = ? AND person_id = ?", (event.id, person_id)
    ).fetchone()
    return _check(row) if row else None


def set_status(
    store: Store,
    event: EmergencyEvent,
    person_id: str,
    status: str,
    note: str | None = None,
    *,
    expected_version: int | None = None,
) -> RollCallCheck:
    """Record a person's roll-call status (and note: None keeps the note as it is).

    The time and the operator are recorded; each change is an audited write, so
    :func:`history` can show every earlier status.  需要帮助 raises an urgent
    follow-up and 联系不上 a follow-up to go in person, once per event and person
    (a 联系不上 follow-up still open becomes urgent when the person then needs help).
    Pass the `expected_version` the screen showed to refuse overwriting someone
    else's change (StaleEditError); by default the latest change wins.
    """
    if status not in codes.ROLL_CALL_STATUSES:
        choices = "、".join(codes.ROLL_CALL_STATUSES.values())
        raise InputError(f"请选择点名状态：{choices}", "status")
    clean_note = None if note is None else " ".join(note.split())
    if clean_note is not None and len(clean_note) > NOTE_MAX:
        raise InputError(f"备注太长（{len(clean_note)}字），请控制在{NOTE_MAX}字以内", "note")
    with store.transaction():
        fresh = get_event(store, event.id)
        if fresh.is_closed:
            raise InputError(f"事件“{fresh.name}”已结束，不能再登记点名", "event")
        person = store.db.conn.execute(
            "SELECT household_id, name FROM persons WHERE id = ?", (person_id,)
        ).fetchone()
        if person is None:
            raise NotFoundError("找不到该人员，可能已被删除。")
        current = get_check(store, fresh, person_id)
        values: dict[str, Any] = {
            "status": status,
            "checked_at": store.now(),
            "operator_id": store.operator_id,
        }
        if clean_note is not None:
            values["note"] = clean_note
        action = f"点名：{codes.ROLL_CALL_STATUSES[status]}"
        if current is None:
            records.insert(
                store,
                "emergency_checks",
                {"event_id": fresh.id, "person_id": person_id, "note": "", **values},
                action=action,
            )
        elif current.status != status or (clean_note is not None and clean_note != current.note):
            records.update(
                store,
                "emergency_checks",
                current.id,
                values,
                expected_version=(
                    current.version if expected_version is None else expected_version
                ),
                action=action,
            )
        if status in HELP_STATUSES:
            _raise_followup(store, fresh, person_id, person[0], person[1], status, clean_note)
        check = get_check(store, fresh, person_id)
    assert check is not None
    return check


def _source_id(event: EmergencyEvent, person_id: str) -> str:
    return f"{event.id}:{person_id}"


def followup_for(store: Store, event: EmergencyEvent, person_id: str) -> Followup | None:
    """The follow-up the roll call raised for this person in this event, if any."""
    found = store.scalar(
        "SELECT id FROM followups WHERE source = ? AND source_id = ? ORDER BY pk LIMIT 1",
        (FOLLOWUP_SOURCE, _source_id(event, person_id)),
    )
    return followups.get_followup(store, found) if found else None


def _raise_followup(
    store: Store,
    event: EmergencyEvent,
    person_id: str,
    household_id: str,
    name: str,
    status: str,
    note: str | None,
) -> None:
    if status == "help":
        what = f"{event.name}：{name}需要帮助" + (f"——{note}" if note else "")
    else:
        what = f"{event.name}：联系不上{name}，请上门查看"
    existing = followup_for(store, event, person_id)
    if existing is None:
        followups.add_followup(
            store,
            household_id,
            what,
            store.today().isoformat(),
            urgent=status == "help",
            person_id=person_id,
            source=FOLLOWUP_SOURCE,
            source_id=_source_id(event, person_id),
        )
    elif status == "help" and existing.status == "open" and not existing.urgent:
        records.update(
            store,
            "followups",
            existing.id,
            {"urgent": 1, "what": what},
            expected_version=existing.version,
            action="改为紧急跟进（急难点名：需要帮助）",
        )
        tiers.refresh(store, household_ids=[household_id])


def history(store: Store, event: EmergencyEvent, person_id: str) -> list[CheckChange]:
    """Every roll-call status this person had in this event, oldest first."""
    check = get_check(store, event, person_id)
    if check is None:
        return []
    changes = []
    for at, operator, action, after in store.db.conn.execute(
        "SELECT at, operator_name, action, after FROM audit_log "
        "WHERE record_id = ? AND table_name = 'emergency_checks' ORDER BY seq",
        (check.id,),
    ):
        row = json.loads(after) if after else {}
        changes.append(
            CheckChange(
                at=row.get("checked_at") or at,
                status=row.get("status", PENDING),
                note=row.get("note", ""),
                operator_name=operator,
                action=action,
            )
        )
    return changes
