"""Each person's stored risk profile: what the emergency list ranks by.

`risk_profile` holds, for everyone in the register, what ranking needs and no
event kind changes (`domain.emergency.profile_bits`: the factors and the level),
the days they turn 80 and 90, and the natural order of their place and name as
one string (`domain.natural.sort_text`).  The first list of the day is then two
plain columns read in the order of an index and a sort, not 22 columns for everyone.

The profile depends on other rows (一户多残 counts the household's certificate
holders), so it is kept per household.  Triggers (migration 0008, schema.py) note in
`risk_dirty` each household whose persons or household row changed in a way that
matters, whatever wrote it; `refresh` computes those households again.  The
store runs it before every commit (`Store.transaction`, `Database.atomic`), so a
written profile is part of the same transaction as the write; a read that finds
households still noted (a write inside a caller's savepoint, not yet committed
through the store) computes theirs in memory with `pending`, never writing.  Derived
data like the search index: not audited itself, rebuilt from audited rows.  A bulk
insert that knows every member of the households it creates (a roster import)
writes their profiles from its rows instead (`write_new`), sparing the commit a
read of them all.
"""

from __future__ import annotations

import json
import sqlite3
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from canxie_tui.store.register_sql import in_register

if TYPE_CHECKING:  # only a roster import writes through one: not imported at each start
    from canxie_tui.store.writer import Writer

__all__ = ["MEMBER_HOUSEHOLD", "MEMBER_PERSON", "pending", "refresh", "refresh_all", "write_new"]

# The noted households after :low, up to and with :high (none: to the end).
_BATCH = (
    "SELECT household_id FROM risk_dirty WHERE household_id > :low AND "
    "(:high IS NULL OR household_id <= :high)"
)
# A member row: the person's pk, then these columns of theirs and of their household.
MEMBER_PERSON = ("household_id", "name", "birth_date", "category", "level", "care_flags")
MEMBER_HOUSEHOLD = ("flags", "building", "unit", "room")
_MEMBER_COLUMNS = (
    "p.pk",
    *(f"p.{c}" for c in MEMBER_PERSON),
    *(f"h.{c}" for c in MEMBER_HOUSEHOLD),
)
_MEMBERS = (
    f"SELECT {', '.join(_MEMBER_COLUMNS)} "
    "FROM persons p JOIN households h ON h.id = p.household_id "
    f"WHERE p.household_id IN ({_BATCH}) AND " + in_register("p")
)
# Households computed at a time: a roster's first import notes every household, and
# holding all their members at once grew the import's peak memory by a sixth.
STEP = 2000


def _turns(birth: str | None, years: int) -> str | None:
    """The day someone born on `birth` (ISO, as stored) turns `years`, as text that
    compares with today's ISO date as `age_on_text` counts: None when unknown."""
    if not birth:
        return None
    return f"{int(birth[:4]) + years:04d}-{birth[5:10]}"


def refresh(conn: sqlite3.Connection) -> int:
    """Compute the profiles of the households noted since the last refresh; returns
    how many people were written.  Call inside a transaction."""
    try:
        if conn.execute("SELECT 1 FROM risk_dirty LIMIT 1").fetchone() is None:
            return 0
    except sqlite3.OperationalError:  # a database from before 0008 (being migrated)
        return 0
    written, low = 0, ""
    while True:
        bound = conn.execute(
            "SELECT household_id FROM risk_dirty WHERE household_id > ? "
            "ORDER BY household_id LIMIT 1 OFFSET ?",
            (low, STEP - 1),
        ).fetchone()
        batch = {"low": low, "high": bound[0] if bound else None}
        rows = conn.execute(_MEMBERS, batch).fetchall()
        conn.execute(f"DELETE FROM risk_profile WHERE household_id IN ({_BATCH})", batch)
        written += _write(conn, rows)
        if bound is None:
            break
        low = bound[0]
    conn.execute("DELETE FROM risk_dirty")
    return written


def pending(conn: sqlite3.Connection) -> list[tuple[Any, ...]]:
    """The rows `refresh` would write for the noted households, computed without
    writing (a read takes no write lock): one rule for stored and in-memory profiles."""
    members = conn.execute(_MEMBERS, {"low": "", "high": None}).fetchall()
    return _values(members, Counter(row[1] for row in members))


def refresh_all(conn: sqlite3.Connection) -> int:
    """Every household noted and computed again (migration 0008 fills the table so)."""
    conn.execute("DELETE FROM risk_dirty")
    conn.execute("INSERT INTO risk_dirty (household_id) SELECT id FROM households")
    return refresh(conn)


def write_new(writer: Writer, rows: Iterable[Any], certified: Mapping[str, int]) -> None:
    """Write the profiles of people who came in households new in this transaction,
    from the values in hand, and take those households off `risk_dirty`: computed
    here, written on `writer`'s thread (`store.writer`).

    For a bulk insert (a roster import) that knows every member of the households it
    creates: `certified` holds the households and how many of their members are in
    the register (all of them, not only those in this call), `rows` those members'
    rows as `_MEMBERS` selects them (pk, `MEMBER_PERSON`, `MEMBER_HOUSEHOLD`).  Call
    inside the transaction that inserted them, after their members: a member
    inserted later notes the household again, and `refresh` computes it whole.
    """
    from canxie_tui.store.writer import encode

    values = _values(rows, certified)
    values.sort()  # as `_insert`
    writer.insert("risk_profile", PROFILE_COLUMNS, values)
    if certified:
        writer.submit(_clean, encode(list(certified)))


def _clean(conn: sqlite3.Connection, households: str) -> None:
    conn.execute(
        "DELETE FROM risk_dirty WHERE household_id IN (SELECT value FROM json_each(?))",
        (households,),
    )


def _write(conn: sqlite3.Connection, rows: Iterable[Any]) -> int:
    rows = list(rows)
    values = _values(rows, Counter(row[1] for row in rows))  # whole households are selected
    _insert(conn, values)
    return len(values)


def _values(rows: Iterable[Any], certified: Mapping[str, int]) -> list[tuple[Any, ...]]:
    """risk_profile's rows for `_MEMBERS`' rows, their households having `certified`
    members in the register."""
    from canxie_tui.domain.emergency import OLDEST, VERY_OLD, PersonRisk, profile_bits
    from canxie_tui.domain.natural import sort_text

    parsed: dict[str, frozenset[str]] = {}  # the same few JSON texts recur
    bits: dict[tuple[Any, ...], int] = {}  # and so do the profiles: a few hundred
    values = []
    for pk, household_id, name, birth, category, level, care, flags, building, unit, room in rows:
        sets = []
        for text in (care, flags):
            found = parsed.get(text)
            if found is None:
                found = parsed[text] = frozenset(json.loads(text))
            sets.append(found)
        count = certified[household_id]
        key = (*sets, min(count, 2), category, level)
        profile = bits.get(key)
        if profile is None:
            person = PersonRisk("", household_id, name, None, category, level)
            profile = bits[key] = profile_bits(
                person._replace(
                    care_flags=sets[0], household_flags=sets[1], certified_in_household=count
                )
            )
        values.append(
            (
                sort_text(building, unit, room, last=name),
                pk,
                household_id,
                profile,
                _turns(birth, VERY_OLD),
                _turns(birth, OLDEST),
            )
        )
    return values


def _insert(conn: sqlite3.Connection, values: list[tuple[Any, ...]]) -> None:
    values.sort()  # in the table's order: a large write appends rather than splits pages
    conn.executemany(
        f"INSERT INTO risk_profile ({', '.join(PROFILE_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
        values,
    )


PROFILE_COLUMNS = ("place_key", "person_pk", "household_id", "profile", "turns_80", "turns_90")
