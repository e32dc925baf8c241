"""The register as the ranking needs it: each person's risk facts, in pk order.

One set-based query over persons and their households (no per-person queries);
`read_register` also serves the cache, which reads the few households an edit
touched through the same columns.
"""

from __future__ import annotations

import bisect
import json
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date
from operator import attrgetter, itemgetter
from typing import Any

from canxie_tui.domain.dates import age_on_text
from canxie_tui.domain.emergency import PersonRisk
from canxie_tui.store.bulk import gc_paused
from canxie_tui.store.connection import Store
from canxie_tui.store.register_sql import in_register

__all__ = [
    "HOUSEHOLD_ID",
    "MEMBERS_SQL",
    "Register",
    "load_facts",
    "load_register",
    "read_register",
    "scope_sql",
]

# A bare building or unit ("3栋", "2单元") names many compounds' buildings: it is
# matched exactly, never as a fragment of an address (where "3栋" is in "13栋").
_BARE_PLACE = re.compile(r"^\d+(栋|幢|号楼|单元)$")


def scope_sql(scope: Sequence[str]) -> tuple[str, list[Any]]:
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
MEMBERS_SQL = (
    _FACTS_COLUMNS
    + "FROM persons p JOIN households h ON h.id = p.household_id "
    + "WHERE p.household_id IN (SELECT value FROM json_each(?))"
    + _IN_REGISTER
)


class Register:
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
HOUSEHOLD_ID = attrgetter("household_id")
_ROW_PK, _ROW_HOUSEHOLD = itemgetter(0), itemgetter(2)  # of a _FACTS_COLUMNS row


def read_register(store: Store, sql: str, params: Sequence[Any], today: date) -> Register:
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
    return Register(facts, list(map(_ROW_PK, rows)))


def load_register(store: Store, scope: Sequence[str], today: date) -> Register:
    where, params = scope_sql(scope)
    return read_register(store, _FACTS_SQL + where, params, today)


def load_facts(
    store: Store, *, scope: Sequence[str] = (), today: date | None = None
) -> list[PersonRisk]:
    """Everyone in the register (active certificate holders) within `scope`: one query."""
    with gc_paused():
        return load_register(store, scope, today or store.today()).facts
