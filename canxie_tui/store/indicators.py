"""The 专栏1 indicators over the register, and who falls short of each.

The dashboard needs only the counts, so they are counted in the database
(`counts`): the register grouped by benefits, and the 困难 households grouped by
flags, each group then judged once by `domain.indicators.tally`.  That avoids
handing every person to Python (a district's 30k people).  Who falls short of one
indicator is read when someone opens that list (`shortfall_ids`): the few people
who can be short are selected in SQL, then `domain.indicators.compute`, the
reference definition, picks them out.

Lists of codes are JSON arrays of known codes (validate.clean_codes), so `"code"`
(with its quotes) occurs in the text exactly when the code is in the list.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.dates import age_on_text
from canxie_tui.domain.indicators import (
    INDICATORS,
    Counts,
    HomesAlike,
    Indicator,
    PeopleAlike,
    PersonFacts,
    Shortfall,
    assemble,
    compute,
    tally,
)
from canxie_tui.domain.natural import natural_key
from canxie_tui.store.connection import Store

# Who is in the register (as every indicator counts it): active certificate holders.
_REGISTER = f"p.status = '{codes.ACTIVE}' AND p.category IS NOT NULL"


def _has(column: str, code: str) -> str:
    """SQL: the JSON list in `column` holds `code` (a known code: no quotes in it)."""
    assert code.isidentifier(), code
    return f"instr({column}, '\"{code}\"')"


def _in(column: str, values: Iterable[object]) -> str:
    """SQL: `column` is one of `values` (constant codes or numbers)."""
    items = sorted(values, key=str)
    assert all(isinstance(v, int) or str(v).isidentifier() for v in items), items
    return f"{column} IN ({', '.join(repr(v) for v in items)})"


_POOR_SQL = "(" + " OR ".join(_has("h.flags", flag) for flag in sorted(codes.POOR_FLAGS)) + ")"
_SEVERE_SQL = _in("p.level", codes.SEVERE_LEVELS)


def _age_bounds(today: date) -> dict[str, str]:
    """Birth dates bounding the age bands, compared as ISO text.

    Someone is 16 or over on `today` when born on or before the same month and day
    16 years earlier: (born.year + 16, born.month, born.day) <= today.  As text,
    `birth_date <= :adult` with adult = today's year minus 16 and today's month-day
    (02-29 in a leap year compares correctly even when that year has no 02-29).
    Likewise 6 or over: `birth_date <= :child`.
    """

    def back(years: int) -> str:
        return f"{today.year - years:04d}-{today.month:02d}-{today.day:02d}"

    return {"adult": back(16), "child": back(6)}


# The register grouped by benefits: how many, how many 重度, adults, children, and
# children at school.  Unknown birth dates (NULL or '') fall in neither age band.
_PEOPLE_SQL = f"""
SELECT p.benefits, count(*),
    count(*) FILTER (WHERE {_SEVERE_SQL}),
    count(*) FILTER (WHERE p.birth_date <= :adult AND p.birth_date <> ''),
    count(*) FILTER (WHERE p.birth_date > :adult AND p.birth_date <= :child),
    count(*) FILTER (WHERE p.birth_date > :adult AND p.birth_date <= :child
        AND {_in("p.school", codes.ENROLLED_SCHOOL)})
FROM persons p NOT INDEXED
WHERE {_REGISTER}
GROUP BY p.benefits
"""
# NOT INDEXED: one straight read of the table beats walking the partial register
# index (the grouping alone: 17 against 35 ms at 28k people).

# The 困难 households, each summed over its register members, then grouped by
# flags and whether a renovation is done.  CROSS JOIN keeps households outside:
# the few thousand 困难 ones find their members through the register index.
_HOMES_SQL = f"""
SELECT flags, done, count(*), count(*) FILTER (WHERE severe > 0),
    sum(members), sum(living), sum(severe)
FROM (
    SELECT h.flags AS flags, count(*) AS members,
        count(*) FILTER (WHERE {_SEVERE_SQL}) AS severe,
        max({_has("p.benefits", "barrier_free_done")} > 0) AS done,
        count(*) FILTER (WHERE {_has("p.benefits", "living_subsidy")}) AS living
    FROM households h CROSS JOIN persons p INDEXED BY idx_persons_register
        ON p.household_id = h.id
    WHERE h.flags <> '[]' AND {_POOR_SQL} AND {_REGISTER}
    GROUP BY h.pk
)
GROUP BY flags, done
"""


def _codes(cache: dict[str, frozenset[str]], text: str) -> frozenset[str]:
    found = cache.get(text)
    if found is None:
        found = cache[text] = frozenset(json.loads(text))
    return found


def counts(store: Store, today: date) -> dict[str, Counts]:
    """Numerator, denominator and shortfall length of every indicator (`tally`'s Counts)."""
    conn = store.db.conn
    parsed: dict[str, frozenset[str]] = {}
    people = [
        PeopleAlike(_codes(parsed, benefits), *numbers)
        for benefits, *numbers in conn.execute(_PEOPLE_SQL, _age_bounds(today))
    ]
    homes = [
        HomesAlike(_codes(parsed, flags), bool(done), *numbers)
        for flags, done, *numbers in conn.execute(_HOMES_SQL)
    ]
    return dict(tally(people, homes))


_age = age_on_text


_FACTS_COLUMNS = (
    "p.id, p.household_id, p.name, p.birth_date, p.category, p.level, p.benefits, p.school, h.flags"
)


def _facts(rows: Iterable[tuple[Any, ...]], today: date) -> list[PersonFacts]:
    # The same few JSON texts recur thousands of times: parse each once.
    parsed: dict[str, frozenset[str]] = {}
    return [
        PersonFacts(
            person_id=pid,
            household_id=hid,
            name=name,
            age=_age(birth, today),
            category=category,
            level=level,
            benefits=_codes(parsed, benefits),
            school=school,
            household_flags=_codes(parsed, flags),
        )
        for pid, hid, name, birth, category, level, benefits, school, flags in rows
    ]


def person_facts(store: Store, today: date) -> list[PersonFacts]:
    """Everyone in the register (active certificate holders), as the indicators need them."""
    rows = store.db.conn.execute(
        f"SELECT {_FACTS_COLUMNS} "
        # NOT INDEXED: reading the whole register straight through beats the partial
        # indexes SQLite would otherwise pick (measured 133 -> 79 ms at 30k people).
        f"FROM persons p NOT INDEXED JOIN households h ON h.id = p.household_id "
        f"WHERE {_REGISTER}"
    )
    return _facts(rows, today)


# Per indicator, the people who can fall short of it: every one of its shortfall and
# (for the household-based ones) the rest of their households.  A superset is
# enough, `compute` decides; each selects a few thousand people at most.
_CANDIDATES: dict[str, str] = {
    "dibao_coverage": "poor",
    "living_subsidy": "poor",
    "barrier_free": "poor",
    "care_subsidy": f"{_SEVERE_SQL} AND NOT {_has('p.benefits', 'care_subsidy')}",
    "pension": (
        f"p.birth_date <= :adult AND p.birth_date <> '' AND NOT {_has('p.benefits', 'pension_ins')}"
    ),
    "medical": f"NOT {_has('p.benefits', 'medical_ins')}",
    "rehab": (
        f"{_has('p.benefits', 'rehab_needed')} AND NOT {_has('p.benefits', 'rehab_received')}"
    ),
    "device": (
        f"{_has('p.benefits', 'device_needed')} AND NOT {_has('p.benefits', 'device_fitted')}"
    ),
    "education": "p.birth_date > :adult AND p.birth_date <= :child",
    "family_doctor": f"NOT {_has('p.benefits', 'family_doctor')}",
}
assert set(_CANDIDATES) == {spec.key for spec in INDICATORS}


def shortfall_ids(store: Store, key: str, today: date) -> list[str]:
    """Who falls short of indicator `key`, exactly as `compute` lists them (same order)."""
    where = _CANDIDATES[key]
    if where == "poor":
        # Every register member of the 困难 households, in register order.
        sql = (
            f"SELECT {_FACTS_COLUMNS} FROM households h CROSS JOIN persons p "
            "INDEXED BY idx_persons_register ON p.household_id = h.id "
            f"WHERE h.flags <> '[]' AND {_POOR_SQL} AND {_REGISTER} ORDER BY p.pk"
        )
    else:
        sql = (
            f"SELECT {_FACTS_COLUMNS} FROM persons p NOT INDEXED "
            f"JOIN households h ON h.id = p.household_id WHERE {_REGISTER} AND {where} "
            "ORDER BY p.pk"
        )
    rows = store.db.conn.execute(sql, _age_bounds(today))
    found = next(i for i in compute(_facts(rows, today)) if i.key == key)
    return list(found.shortfall)


# Indicators depend on the register alone; the last result is kept until a person
# or household changes (every change writes an audit entry) or the day changes (ages).
_cache: dict[tuple[str, date, int], list[Indicator]] = {}


def register_generation(store: Store) -> int:
    """The audit sequence number of the latest change to persons or households."""
    latest = "coalesce((SELECT max(seq) FROM audit_log WHERE table_name = '{}'), 0)"
    return int(
        store.scalar(f"SELECT max({latest.format('persons')}, {latest.format('households')})")
    )


def indicators(store: Store, today: date) -> list[Indicator]:
    """All indicators; each shortfall list is known by its length, read on first use."""
    key = (str(store.path.resolve()), today, register_generation(store))
    found = _cache.get(key)
    if found is None:
        counted = counts(store, today)
        found = assemble(
            counted,
            {
                k: Shortfall(c.short, partial(shortfall_ids, store, k, today))
                for k, c in counted.items()
            },
        )
        _cache.clear()
        _cache[key] = found
    return found


def shortfall(store: Store, key: str, today: date) -> tuple[Indicator, list[dict[str, Any]]]:
    """One indicator and the people it counts as short, with where to find them."""
    ids = shortfall_ids(store, key, today)
    indicator = next(i for i in indicators(store, today) if i.key == key)
    indicator = replace(indicator, shortfall=tuple(ids))
    rows: list[dict[str, Any]] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        rows += store.query(
            "SELECT p.id, p.household_id, p.name, p.sex, p.birth_date, p.category, p.level, "
            "p.phone, h.address, h.building, h.unit, h.room, h.grid FROM persons p "
            f"JOIN households h ON h.id = p.household_id WHERE p.id IN ({','.join('?' * len(chunk))})",
            chunk,
        )
    rows.sort(key=_place_key)
    return indicator, rows


def _place_key(row: dict[str, Any]) -> tuple[object, ...]:
    """Grid, building, unit, room in natural order (第二网格 before 第十网格), no grid last."""
    places = (natural_key(row[k]) for k in ("grid", "building", "unit", "room"))
    return (row["grid"] == "", *places, row["name"])
