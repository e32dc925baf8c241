"""The cached priority list, and its patching after register edits.

Loading 30k people costs over a hundred milliseconds (most of it SQLite handing
over 600k values), ranking them some tens more.  During a roll call the
register hardly changes, so both are kept per database file, scope and day,
and checked on every use against a fingerprint that costs microseconds.  Every
change to a person or household is written to the hash-chained audit log
(records.py): the last entry's hash identifies the whole history, and the
entries added since the load name the people and households written since.
Those households are read again and patched into a copy of the cache (and of
the lists ranked from it), so an edit during an emergency costs milliseconds,
not another load.  Rows added without an audit entry (demo data) show as pks
above the highest loaded; a shorter log, another history at the loaded entry
or a large change (an import) mean a fresh load.
"""

from __future__ import annotations

import bisect
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import EmergencyEvent, PersonRisk, Priority, Ranker, sort_key
from canxie_tui.store.bulk import gc_paused
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency.facts import (
    HOUSEHOLD_ID,
    MEMBERS_SQL,
    Register,
    load_register,
    read_register,
    scope_sql,
)

__all__ = ["Loaded", "Ranked", "clear_cache", "get", "preload", "ranking"]

_CACHE_LIMIT = 4
_REFRESH_LIMIT = 500  # more records written than this: load afresh
_cache_lock = threading.Lock()


class Ranked:
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
        before: Register,
        after: Register,
        gone: list[PersonRisk],
        changed: list[PersonRisk],
    ) -> Ranked:
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
        return Ranked(rows)


def _row_order(register: Register) -> Callable[[Priority], tuple[object, ...]]:
    """The order of a ranked list as a key: sort_key, then pk (the order ties keep)."""
    pk_of = register.pk_of

    def key(row: Priority) -> tuple[object, ...]:
        return (*sort_key(row), pk_of[row.person.person_id])

    return key


@dataclass
class Loaded:
    """A register as loaded (and patched since), and the lists ranked from it."""

    register: Register
    seq: int  # the audit log entry the facts are known good at ...
    hash: str  # ... and its hash
    pks: tuple[int, int]  # the highest pk of persons and households at the load
    rankers: dict[str, Ranker] = field(default_factory=dict)  # pure: kept across refreshes
    ranked: dict[tuple[str, bool], Ranked] = field(default_factory=dict)

    def ranker(self, kind: str) -> Ranker:
        found = self.rankers.get(kind)
        if found is None:
            found = self.rankers[kind] = Ranker(kind)
        return found


_cache: dict[tuple[str, tuple[str, ...], date], Loaded] = {}


def _fingerprint(store: Store) -> tuple[int, str, tuple[int, int]]:
    conn = store.db.conn
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    pks = conn.execute(
        "SELECT (SELECT max(pk) FROM persons), (SELECT max(pk) FROM households)"
    ).fetchone()
    seq, hash_ = last if last else (0, "")
    return seq, hash_, (pks[0] or 0, pks[1] or 0)


def _written_since(
    store: Store, loaded: Loaded, seq: int, pks: tuple[int, int]
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
    register: Register,
    scope: Sequence[str],
    today: date,
    persons: set[str],
    households: set[str],
) -> tuple[Register, list[PersonRisk], list[PersonRisk]]:
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
    where, params = scope_sql(scope)
    fresh = read_register(store, MEMBERS_SQL + where, [json.dumps(sorted(touched)), *params], today)
    facts, pks, pk_of = list(register.facts), list(register.pks), dict(register.pk_of)
    leaving = [i for i, hid in enumerate(map(HOUSEHOLD_ID, facts)) if hid in touched]
    gone = [facts[i] for i in leaving]
    for i in reversed(leaving):
        del pk_of[facts[i].person_id], facts[i], pks[i]
    for p, pk in zip(fresh.facts, fresh.pks, strict=True):
        i = bisect.bisect(pks, pk)  # its place in pk order: where it was, or where it belongs
        facts.insert(i, p)
        pks.insert(i, pk)
        pk_of[p.person_id] = pk
    return Register(facts, pks, pk_of), gone, fresh.facts


def get(store: Store, scope: Sequence[str]) -> Loaded:
    """The register of `scope` as of today: as kept, patched with the edits made
    since, or loaded afresh."""
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
            fresh = Loaded(register, seq, hash_, pks, found.rankers)
            for (kind, include_all), ranked in list(found.ranked.items()):
                fresh.ranked[kind, include_all] = ranked.patched(
                    fresh.ranker(kind), include_all, found.register, register, gone, changed
                )
        else:
            rankers = found.rankers if found is not None else {}  # assessments are pure
            fresh = Loaded(load_register(store, scope, today), seq, hash_, pks, rankers)
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
    loaded = get(store, event.scope if event is not None else ())
    for kind in (event.kind,) if event is not None else tuple(codes.EMERGENCY_KINDS):
        ranking(loaded, kind, False)


def ranking(loaded: Loaded, kind: str, include_all: bool) -> Ranked:
    """The ranked list (nobody checked yet) and each person's position in it."""
    key = (kind, include_all)
    found = loaded.ranked.get(key)
    if found is None:
        with gc_paused():
            rows = loaded.ranker(kind).rank(loaded.register.facts, include_all=include_all)
        found = loaded.ranked[key] = Ranked(rows)
    return found
