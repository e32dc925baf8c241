"""The register as the ranking needs it: each person's risk facts.

One set-based query over persons and their households (no per-person queries):
`load_facts` for everyone in a scope, `read_by_pk` for the people a list shows
(the ranking itself reads the stored profiles, `store.risk`).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from operator import itemgetter
from typing import Any

from canxie_tui.domain.dates import age_on_text
from canxie_tui.domain.emergency import PersonRisk
from canxie_tui.domain.places import split
from canxie_tui.store import places
from canxie_tui.store.bulk import gc_paused
from canxie_tui.store.connection import Store
from canxie_tui.store.register_sql import in_register

__all__ = ["load_facts", "read_by_pk", "scope_sql"]

# A bare building or unit ("3栋", "2单元") names many compounds' buildings: it is
# matched exactly, never as a fragment of an address (where "3栋" is in "13栋").
_BARE_PLACE = re.compile(r"^\d+(栋|幢|号楼|单元)$")


def scope_sql(store: Store, scope: Sequence[str]) -> tuple[str, list[Any]]:
    """A WHERE fragment over households `h`: grid or building equal, or address contains;
    a grid or building named with its community ("建新东路社区·第1网格", by code or
    label) only there (an event's scope named before labels: each of that name)."""
    if not scope:
        return "", []
    marks = ",".join("?" for _ in scope)
    parts = [f"h.grid IN ({marks})", f"h.building IN ({marks})"]
    params: list[Any] = [*scope, *scope]
    found: places.Communities | None = None  # read for the first item named so
    for item in scope:
        community, name = split(item)
        if community is not None:
            found = found or places.read(store)
            codes = found.named(community)
            within = ",".join("?" for _ in codes) or "NULL"  # no such community: nobody
            parts.append(f"(h.division_code IN ({within}) AND ? IN (h.grid, h.building))")
            params += [*codes, name]
        if not _BARE_PLACE.match(item):
            parts.append("instr(h.address, ?) > 0")
            params.append(item)
    return f" AND ({' OR '.join(parts)})", params


# The pk, then the fields of PersonRisk in its order, with the flags as JSON text,
# the birth date for the age and nothing yet for the household's count; then the
# community's code (for its label, `_Reader`).
_FACTS_COLUMNS = """
SELECT p.pk, p.id, p.household_id, p.name, p.birth_date, p.category, p.level, p.care_flags,
       p.device_kind, h.flags, h.building, h.unit, h.room, h.grid,
       CASE WHEN p.phone != '' THEN p.phone ELSE h.phone END,
       h.guardian_name, h.guardian_relation, h.guardian_phone, h.emergency_contact,
       h.emergency_phone, h.address, h.division_name, h.division_code
"""
_IN_REGISTER = " AND " + in_register("p")
# Everyone.  `persons NOT INDEXED`: a sequential scan of the table is much faster
# here than walking the partial due-list index and fetching each row out of order.
_FACTS_SQL = (
    _FACTS_COLUMNS
    + "FROM persons p NOT INDEXED JOIN households h ON h.id = p.household_id WHERE 1"
    + _IN_REGISTER
)
# Some people by pk, with the count of their household's certificate holders.
_BY_PK_SQL = (
    _FACTS_COLUMNS
    + ", (SELECT count(*) FROM persons q WHERE q.household_id = p.household_id AND "
    + in_register("q")
    + ") FROM persons p JOIN households h ON h.id = p.household_id "
    + "WHERE p.pk IN (SELECT value FROM json_each(?))"
    + _IN_REGISTER
)
_ROW_HOUSEHOLD = itemgetter(2)  # of a _FACTS_COLUMNS row
_BY_PK_LIMIT = 2_000  # more people than this are read with one scan of everyone


class _Reader:
    """Makes PersonRisk from _FACTS_COLUMNS rows, parsing each flags text once; a
    community whose name another shares takes its label (`relabel`: code -> label,
    `places.relabelled`), so the two are listed and grouped apart."""

    def __init__(self, today: date, relabel: dict[str, str]) -> None:
        self.today = today
        self.relabel = relabel
        self.parsed: dict[str, frozenset[str]] = {}  # the same few JSON texts recur

    def person(self, row: Sequence[Any], certified: int) -> PersonRisk:
        parsed = self.parsed
        care, flags = row[7], row[9]
        care_set = parsed.get(care)
        if care_set is None:
            care_set = parsed[care] = frozenset(json.loads(care))
        flag_set = parsed.get(flags)
        if flag_set is None:
            flag_set = parsed[flags] = frozenset(json.loads(flags))
        age = age_on_text(row[4], self.today)
        person = (row[1], row[2], row[3], age, row[5], row[6], care_set, row[8], flag_set)
        relabel, home = self.relabel, row[10:22]
        if relabel and row[22] in relabel:  # a few communities' people: built anew
            home = (*row[10:21], relabel[row[22]])
        # what PersonRisk._make does, without the call around it
        return tuple.__new__(PersonRisk, (*person, certified, *home))


def read_by_pk(
    store: Store, pks: Sequence[int], today: date, *, scope: Sequence[str] = ()
) -> dict[int, PersonRisk]:
    """The facts of the people `pks` who are in the register (within `scope`), by pk.
    Many of them (a whole sheet): one scan of everyone, as `load_facts`, is faster."""
    if len(pks) > _BY_PK_LIMIT:
        wanted = set(pks)
        return {pk: p for pk, p in _load(store, scope, today) if pk in wanted}
    where, params = scope_sql(store, scope)
    rows = store.db.conn.execute(_BY_PK_SQL + where, [json.dumps(list(pks)), *params]).fetchall()
    reader = _Reader(today, places.relabelled(store))
    return {row[0]: reader.person(row, row[23]) for row in rows}


def _load(store: Store, scope: Sequence[str], today: date) -> list[tuple[int, PersonRisk]]:
    where, params = scope_sql(store, scope)
    rows = store.db.conn.execute(_FACTS_SQL + where + " ORDER BY p.pk", params).fetchall()
    certified = Counter(map(_ROW_HOUSEHOLD, rows))  # whole households are selected
    reader = _Reader(today, places.relabelled(store))
    return [(row[0], reader.person(row, certified[row[2]])) for row in rows]


def load_facts(
    store: Store, *, scope: Sequence[str] = (), today: date | None = None
) -> list[PersonRisk]:
    """Everyone in the register (active certificate holders) within `scope`, in pk
    order: one query."""
    with gc_paused():
        return [p for _, p in _load(store, scope, today or store.today())]
