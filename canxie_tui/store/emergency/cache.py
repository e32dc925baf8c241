"""The ranked register, kept per database file, scope and day.

The ranking reads each person's stored risk profile (`store.risk`): two plain
columns per person — pk and the profile with today's age bits — in the order of
the stored place key (natural order of place and name, then pk: the table's
order), and sorts them by score, stably.  A rank is then a pk; `Loaded.rows` builds
the rows for display from the full facts of only the people asked for (the
visible page, or all of them for a sheet).

The ranking is kept and checked on every use against a fingerprint that costs
microseconds: every change to a person or household is written to the
hash-chained audit log (records.py), so the last entry's hash identifies the
whole history; rows added without an audit entry (demo data) show as pks above
the highest loaded, and as households the triggers noted (`store.risk`).  Entries
of other tables only (a roll-call mark) keep the ranking; a change to the
register means reading the profiles again, a few tens of milliseconds at
district scale.

A read never writes: the profiles of households noted and not computed yet (a
write outside a transaction's commit, or in a savepoint still open) are computed
in memory for the read, and stored by the next transaction's commit, so a roster
import or a district merge holding the write lock leaves the list answering.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import itemgetter
from pathlib import Path

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import (
    FACTOR_BITS,
    OLDEST_BIT,
    EmergencyEvent,
    Priority,
    Ranker,
    profile_score,
)
from canxie_tui.domain.search_keys import normalize_query
from canxie_tui.store import places, risk
from canxie_tui.store.bulk import gc_paused
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency.facts import read_by_pk, scope_sql

__all__ = ["Home", "Loaded", "Ranked", "clear_cache", "get", "preload", "ranking"]

_CACHE_LIMIT = 4
_cache_lock = threading.Lock()

# pk and the stored profile with the age bits of the day, in the order of place and
# name, then pk (the table's own order: SQLite does not sort).  `_aged` is the same
# rule for the profiles computed in memory.
_AGED = (
    "r.profile"
    " | (CASE WHEN r.turns_80 <= ? THEN ? ELSE 0 END)"
    " | (CASE WHEN r.turns_90 <= ? THEN ? ELSE 0 END)"
)
_PROFILES = f"SELECT r.person_pk, {_AGED} FROM risk_profile r"
_SCOPED = " JOIN households h ON h.id = r.household_id WHERE 1"
_ORDER = " ORDER BY r.place_key, r.person_pk"
_PK, _PROFILE = itemgetter(0), itemgetter(1)
_KEY_PK, _KEY_PROFILE = itemgetter(1), itemgetter(2)  # of `_KEYED`'s rows
# Households written since their profiles were computed (`store.risk`).
_NOTED = "SELECT household_id FROM risk_dirty"
# The same with the place key, to take out the stored rows of noted households and
# put their computed ones in (`_read`); and those stored rows.
_KEYED = f"SELECT r.place_key, r.person_pk, {_AGED} FROM risk_profile r"
_STALE = f"SELECT place_key, person_pk FROM risk_profile WHERE household_id IN ({_NOTED})"
_HOMES = (
    "SELECT r.person_pk, h.division_code, h.grid, h.building, h.building || h.unit || h.room"
    " FROM risk_profile r JOIN households h ON h.id = r.household_id"
)
_NOTED_HOMES = (
    "SELECT p.pk, h.division_code, h.grid, h.building, h.building || h.unit || h.room"
    f" FROM persons p JOIN households h ON h.id = p.household_id WHERE h.id IN ({_NOTED})"
)
Home = tuple[str, str, str, str]  # community code, grid, building, 楼栋单元房号


class Ranked:
    """Everyone in the scope's register ranked for one kind: pks in list order
    (score descending, then place and name in natural order, then pk), and how
    many lead with a score (the priority list; the rest have no risk factor)."""

    def __init__(self, order: list[int], listed: int) -> None:
        self.order = order
        self.listed = listed
        self._position: dict[int, int] | None = None

    @property
    def position(self) -> dict[int, int]:
        """pk -> index in `order` (made on first use: only checks need it)."""
        if self._position is None:
            self._position = {pk: i for i, pk in enumerate(self.order)}
        return self._position


@dataclass
class Loaded:
    """A scope's stored profiles as read, and what was ranked and built from them."""

    store_path: str
    scope: tuple[str, ...]
    today: date
    pks: list[int]  # in the order of place and name, then pk
    profiles: list[int]  # of each
    fingerprint: tuple[int, str, tuple[int, int]]
    computed: bool  # some profiles were computed in memory, not read (see `_read`)
    rankers: dict[str, Ranker] = field(default_factory=dict)
    ranked: dict[str, Ranked] = field(default_factory=dict)
    built: dict[tuple[str, int], Priority] = field(default_factory=dict)  # nobody checked
    _homes: dict[int, Home] | None = None
    _places: dict[int, str] | None = None
    _communities: places.Communities | None = None

    def communities(self, store: Store) -> places.Communities:
        """The communities and their labels, read once while the register is unchanged
        (the screen names its groups and filters by them at every keystroke)."""
        if self._communities is None:
            self._communities = places.read(store)
        return self._communities

    def homes(self, store: Store) -> dict[int, Home]:
        """pk -> community code, grid, building and 楼栋单元 of everyone in the register
        (the screen groups its list by them; the filter compares places)."""
        if self._homes is None:
            conn = store.db.conn
            with gc_paused():
                homes = {row[0]: row[1:] for row in conn.execute(_HOMES)}
                if self.computed:  # people of households not stored yet, where they live now
                    homes.update((row[0], row[1:]) for row in conn.execute(_NOTED_HOMES))
            self._homes = homes
        return self._homes

    def places(self, store: Store) -> dict[int, str]:
        """pk -> 楼栋单元房号 as a search compares it, for everyone in the register."""
        if self._places is None:
            self._places = {pk: normalize_query(home[3]) for pk, home in self.homes(store).items()}
        return self._places

    def ranker(self, kind: str) -> Ranker:
        found = self.rankers.get(kind)
        if found is None:
            found = self.rankers[kind] = Ranker(kind)
        return found

    def rows(self, store: Store, kind: str, pks: Sequence[int]) -> list[Priority]:
        """The rows of `pks` (nobody checked), from the full facts of those not built yet."""
        built = self.built
        missing = [pk for pk in dict.fromkeys(pks) if (kind, pk) not in built]
        if missing:
            ranker = self.ranker(kind)
            with gc_paused():
                facts = read_by_pk(store, missing, self.today, scope=self.scope)
                for pk, person in facts.items():
                    row = ranker.row(person, include_all=True)
                    assert row is not None
                    built[kind, pk] = row
        return [built[kind, pk] for pk in pks]

    def still_listed(self, store: Store, kind: str, pks: Sequence[int]) -> list[int]:
        """`pks` without anyone who left the scope's register since they were listed."""
        try:
            self.rows(store, kind, pks)
            return list(pks)
        except KeyError:  # someone left: read once, and not built
            return [pk for pk in pks if (kind, pk) in self.built]


_cache: dict[tuple[str, tuple[str, ...], date], Loaded] = {}


def _fingerprint(store: Store) -> tuple[int, str, tuple[int, int]]:
    conn = store.db.conn
    last = conn.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    pks = conn.execute(
        "SELECT (SELECT max(pk) FROM persons), (SELECT max(pk) FROM households)"
    ).fetchone()
    seq, hash_ = last if last else (0, "")
    return seq, hash_, (pks[0] or 0, pks[1] or 0)


def _read(
    store: Store, scope: Sequence[str], today: date, noted: bool
) -> tuple[list[int], list[int]]:
    """pks and profiles with the age bits of `today`, in the order of place and name,
    then pk; those of `noted` households computed here (see the module's note)."""
    where, params = scope_sql(store, scope)
    day, very_old = today.isoformat(), FACTOR_BITS["very_old"]
    ages = [day, very_old, day, very_old | OLDEST_BIT]
    conn = store.db.conn
    ordered = (_SCOPED + where if scope else "") + _ORDER
    if not noted:
        rows = conn.execute(_PROFILES + ordered, [*ages, *params]).fetchall()
        return list(map(_PK, rows)), list(map(_PROFILE, rows))
    # Everyone's stored rows as above, then the noted households' rows out and their
    # computed ones in, each by a search on place key and pk (unique): a filter or a
    # join per person and a sort of everyone cost a district's list 60 ms.
    keyed = conn.execute(_KEYED + ordered, [*ages, *params]).fetchall()
    stale = conn.execute(_STALE).fetchall()
    in_scope = {
        row[0]
        for row in conn.execute(
            f"SELECT h.id FROM households h WHERE h.id IN ({_NOTED})" + where, params
        )
    }
    computed = [
        (key, pk, _aged(profile, turns_80, turns_90, day))
        for key, pk, household, profile, turns_80, turns_90 in risk.pending(conn)
        if household in in_scope
    ]
    if len(stale) + len(computed) > _FEW:  # each search moves the list's tail: sort once
        gone = set(stale)
        keyed = [row for row in keyed if row[:2] not in gone]
        keyed += computed
        keyed.sort()
    else:
        for key_pk in stale:
            at = bisect.bisect_left(keyed, key_pk)
            if at < len(keyed) and keyed[at][:2] == key_pk:  # not there: out of the scope
                del keyed[at]
        for row in computed:
            bisect.insort(keyed, row)
    return list(map(_KEY_PK, keyed)), list(map(_KEY_PROFILE, keyed))


# Rows swapped one search each up to this many, else the list filtered and sorted once
# (all of a district's households noted: 211 ms by searches against ~30 ms).
_FEW = 500


def _aged(profile: int, turns_80: str | None, turns_90: str | None, day: str) -> int:
    """`_AGED` for a profile computed in memory: with the age bits of `day` (ISO)."""
    very_old = FACTOR_BITS["very_old"]
    if turns_80 is not None and turns_80 <= day:
        profile |= very_old
    if turns_90 is not None and turns_90 <= day:
        profile |= very_old | OLDEST_BIT
    return profile


def _unchanged(
    store: Store, kept: tuple[int, str, tuple[int, int]], now: tuple[int, str, tuple[int, int]]
) -> bool:
    """Whether the register is as it was at `kept`: the same log, or the same history
    grown with entries of other tables only (a roll-call mark, a visit), no new rows."""
    if kept == now:
        return True
    (seq, hash_, pks), (seq_now, _, pks_now) = kept, now
    conn = store.db.conn
    return (
        pks == pks_now
        and seq < seq_now
        and conn.execute("SELECT hash FROM audit_log WHERE seq = ?", (seq,)).fetchone() == (hash_,)
        and conn.execute(
            "SELECT 1 FROM audit_log WHERE seq > ? AND table_name IN ('persons', 'households') "
            "LIMIT 1",
            (seq,),
        ).fetchone()
        is None
    )


def _noted(store: Store) -> bool:
    return store.db.conn.execute(_NOTED + " LIMIT 1").fetchone() is not None


def get(store: Store, scope: Sequence[str]) -> Loaded:
    """The profiles of `scope` as of today: as kept, or read afresh (with those of
    households written outside a transaction's commit computed, not stored)."""
    noted = _noted(store)  # maybe with no audit entry: never kept
    today = store.today()
    path = str(Path(store.path).resolve())
    key = (path, tuple(scope), today)
    fingerprint = _fingerprint(store)
    with _cache_lock:
        found = _cache.get(key)
    if found is not None and not noted and _unchanged(store, found.fingerprint, fingerprint):
        found.fingerprint = fingerprint
        return found
    with gc_paused():
        pks, profiles = _read(store, scope, today, noted)
    rankers = found.rankers if found is not None else {}  # assessments are pure
    fresh = Loaded(path, tuple(scope), today, pks, profiles, fingerprint, noted, rankers)
    with _cache_lock:
        _cache.pop(key, None)
        while len(_cache) >= _CACHE_LIMIT:
            _cache.pop(next(iter(_cache)))
        _cache[key] = fresh
    return fresh


def clear_cache() -> None:
    """Forget every ranking (benchmarks measure the cold path with it)."""
    with _cache_lock:
        _cache.clear()


def preload(store: Store, event: EmergencyEvent | None = None) -> None:
    """Read and rank ahead of need (from a worker when the emergency screen opens):
    the event's scope and kind, or the whole register for every kind."""
    loaded = get(store, event.scope if event is not None else ())
    for kind in (event.kind,) if event is not None else tuple(codes.EMERGENCY_KINDS):
        ranking(loaded, kind)


def ranking(loaded: Loaded, kind: str) -> Ranked:
    """Everyone in `loaded` ranked for `kind` (see `Ranked`): by score, a stable sort
    of people already in the order of place and name, then pk."""
    found = loaded.ranked.get(kind)
    if found is not None:
        return found
    weights = loaded.ranker(kind).weights
    profiles = loaded.profiles
    # A district has a few hundred profiles: score each once, then plain lookups.
    negated = {profile: -profile_score(profile, weights) for profile in set(profiles)}
    keys = list(map(negated.__getitem__, profiles))
    order = list(map(loaded.pks.__getitem__, sorted(range(len(keys)), key=keys.__getitem__)))
    found = loaded.ranked[kind] = Ranked(order, len(keys) - keys.count(0))
    return found
