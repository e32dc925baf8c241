"""The 专栏1 indicators over the register, and who falls short of each.

The rules are `domain.indicators.RULES`: each holds its Python predicate and its
SQL condition side by side.  Here the SQL side is run: one pass over the register
counts every rule's eligible and covered people (`counts`), and a rule's shortfall
(eligible and not covered) is read when someone opens that list (`shortfall_ids`).
`person_facts` hands the register to the Python side (`compute`), which tests hold
equal to these counts.

The rules' SQL reads what it needs of a person from `rule_inputs m` (kept by
triggers: migration 0010): the counts read those short rows alone, not the wide
`persons` ones, join no household and search no JSON text (benefits and household
flags are masks there); the facts for the Python side read the JSON lists themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from canxie_tui.domain.dates import age_on_text
from canxie_tui.domain.indicators import (
    BARRIER_DONE_SQL,
    BARRIER_NEEDED_SQL,
    POOR_SQL,
    RULES,
    RULES_BY_KEY,
    SEVERE_SQL,
    TRAINED_SQL,
    Counts,
    Indicator,
    Options,
    PersonFacts,
    Shortfall,
    assemble,
    barrier_homes,
    trained_sql,
)
from canxie_tui.domain.natural import natural_key, place_key
from canxie_tui.domain.subsidies import KINDS, RECEIVING, in_force
from canxie_tui.domain.survey import school_sql
from canxie_tui.store import places
from canxie_tui.store.connection import Store
from canxie_tui.store.register_sql import in_register

_REGISTER = in_register("p")


def options(store: Store, today: date) -> Options:
    """The 两项补贴 rule set in force on `today` (settings), as the rules read it."""
    from canxie_tui.store.subsidies import month_on, rule_sets

    month = month_on(today)
    rules = in_force(rule_sets(store), month)
    if rules is None:
        return Options(month=month)
    return Options(rules.living_low_income, rules.care_extended, month)


def _params(today: date, opts: Options) -> dict[str, Any]:
    """The rules' SQL parameters for `today` (see domain.indicators).

    Someone is 16 or over on `today` when born on or before the same month and day
    16 years earlier; as ISO text, `birth_date <= :adult`.  A 02-29 `today` compares
    correctly even in a year without that day.
    """

    def back(years: int) -> str:
        return f"{today.year - years:04d}-{today.month:02d}-{today.day:02d}"

    return {
        "adult": back(16),
        "child": back(6),
        "year_start": f"{today.year:04d}-01-01",
        "today": today.isoformat(),
        "living_low_income": int(opts.living_low_income),
        "care_extended": int(opts.care_extended),
        "month": opts.month,
        "month_first": f"{opts.month}-01",
    }


MASKS = "JOIN rule_inputs m ON m.person_pk = p.pk"  # what the rules' SQL reads as `m`


def _households(group: str) -> str:
    """The join a grouping by a household column needs ("1": none)."""
    return "" if group == "1" else "JOIN households h ON h.id = m.household_id"


def _counts_sql(group: str) -> str:
    """How many are counted, then every rule's eligible and covered counts (and the
    trained), in one pass over the register's rule inputs.  The whole register is one
    aggregate, not a GROUP BY (sorting 28k rows into one group cost 9 ms of 50 at
    district scale); its one row counts nobody when the register is empty."""
    columns = [TRAINED_SQL]
    for rule in RULES:
        columns += [rule.eligible_sql, f"({rule.eligible_sql}) AND {rule.covered_sql}"]
    counted = ", ".join(f"count(*) FILTER (WHERE {c})" for c in columns)
    grouped = "" if group == "1" else " GROUP BY 1"
    return (
        f"SELECT {group}, count(*), {counted} FROM rule_inputs m {_households(group)} "
        f"WHERE m.registered{grouped}"
    )


# The 困难 households with a 重度 member, each with whether a member needs or has
# had the renovation; the household indicator counts those needing or done.  Driven
# by the poor households' members in the rule inputs (a narrow table read through).
def _homes_sql(group: str) -> str:
    return (
        f"SELECT g, count(*) FILTER (WHERE needed OR done), count(*) FILTER (WHERE done), "
        f"sum(severe) FILTER (WHERE needed AND NOT done) FROM ("
        f"  SELECT {group} AS g, count(*) FILTER (WHERE {SEVERE_SQL}) AS severe,"
        f"    max({BARRIER_NEEDED_SQL}) AS needed, max({BARRIER_DONE_SQL}) AS done"
        f"  FROM rule_inputs m {_households(group)}"
        f"  WHERE {POOR_SQL} AND m.registered GROUP BY m.household_id"
        f") WHERE severe > 0 GROUP BY g"
    )


def _grouped_counts(store: Store, today: date, group: str) -> dict[Any, dict[str, Counts]]:
    params = _params(today, options(store, today))
    conn = store.db.conn
    found: dict[Any, dict[str, Counts]] = {}
    for key, people, trained, *numbers in conn.execute(_counts_sql(group), params):
        if not people:
            continue
        counts = found[key] = {"training": Counts(trained, 0, 0)}
        for i, rule in enumerate(RULES):
            eligible, covered = numbers[2 * i], numbers[2 * i + 1]
            counts[rule.key] = Counts(covered, eligible, eligible - covered)
    for key, counted, done, severe in conn.execute(_homes_sql(group)):
        found.setdefault(key, {})["barrier_free"] = Counts(done, counted, severe or 0)
    return found


def counts(store: Store, today: date) -> dict[str, Counts]:
    """Numerator, denominator and shortfall length of every counted indicator."""
    return _grouped_counts(store, today, "1").get(1, {})


def counts_by_division(store: Store, today: date) -> dict[str, dict[str, Counts]]:
    """`counts` per community (the household's division code): the district roll-up."""
    return _grouped_counts(store, today, "h.division_code")


def indicators_by_division(store: Store, today: date) -> dict[str, list[Indicator]]:
    """Every community's indicators, by the same rules (no shortfall lists)."""
    return {
        code: assemble(counted, {}) for code, counted in counts_by_division(store, today).items()
    }


_FACTS_COLUMNS = (
    f"p.id, p.household_id, p.name, p.birth_date, p.category, p.level, p.benefits, "
    f"{school_sql('p')}, h.flags, p.hukou, p.pension_scheme, p.medical_scheme, "
    f"{trained_sql('p')}, p.cert_valid_until, "
    "(SELECT group_concat(s.kind) FROM subsidies s INDEXED BY idx_subsidies_person "
    "WHERE s.person_id = p.id "
    f"AND s.state = '{RECEIVING}' AND s.from_month <= :month "
    "AND (s.to_month = '' OR s.to_month >= :month))"
)
_KINDS = frozenset(KINDS)


def _codes(cache: dict[str, frozenset[str]], text: str) -> frozenset[str]:
    found = cache.get(text)
    if found is None:
        found = cache[text] = frozenset(json.loads(text))
    return found


def _facts(rows: Iterable[tuple[Any, ...]], today: date) -> list[PersonFacts]:
    # The same few JSON texts recur thousands of times: parse each once.
    parsed: dict[str, frozenset[str]] = {}
    return [
        PersonFacts(
            person_id=pid,
            household_id=hid,
            name=name,
            age=age_on_text(birth, today),
            category=category,
            level=level,
            benefits=_codes(parsed, benefits),
            school=school,
            household_flags=_codes(parsed, flags),
            hukou=hukou,
            pension_scheme=pension,
            medical_scheme=medical,
            trained=bool(trained),
            cert_valid_until=valid_until,
            receiving=_KINDS & frozenset((receiving or "").split(",")),
        )
        for (
            pid,
            hid,
            name,
            birth,
            category,
            level,
            benefits,
            school,
            flags,
            hukou,
            pension,
            medical,
            trained,
            valid_until,
            receiving,
        ) in rows
    ]


def person_facts(store: Store, today: date, where: str = "1") -> list[PersonFacts]:
    """Everyone in the register (and matching `where`), as the indicator rules read them."""
    rows = store.db.conn.execute(
        f"SELECT {_FACTS_COLUMNS} "
        # NOT INDEXED: reading the whole register straight through beats the partial
        # indexes SQLite would otherwise pick (measured 133 -> 79 ms at 30k people).
        f"FROM persons p NOT INDEXED JOIN households h ON h.id = p.household_id {MASKS} "
        f"WHERE {_REGISTER} AND ({where}) ORDER BY p.pk",
        _params(today, options(store, today)),
    )
    return _facts(rows, today)


def shortfall_ids(store: Store, key: str, today: date) -> list[str]:
    """Who falls short of indicator `key` (register order), by the rule's SQL side."""
    if key == "barrier_free":
        # Every register member of the 困难 households; the rule decides which fall short.
        people = person_facts(store, today, POOR_SQL)
        return barrier_homes(people)[2]
    rule = RULES_BY_KEY.get(key)
    if rule is None:
        return []
    rows = store.db.conn.execute(
        "SELECT m.id FROM rule_inputs m "
        f"WHERE m.registered AND ({rule.eligible_sql}) AND NOT ({rule.covered_sql}) "
        "ORDER BY m.person_pk",
        _params(today, options(store, today)),
    )
    return [row[0] for row in rows]


# Indicators depend on the register alone; the last result is kept until a person,
# household or setting changes (every change writes an audit entry), or the day
# changes (ages, the year's training).
_cache: dict[tuple[str, date, int], list[Indicator]] = {}


def register_generation(store: Store) -> int:
    """The audit sequence number of the latest change the indicators read."""
    tables = ("persons", "households", "settings", "attendance", "subsidies", "survey_entries")
    latest = "coalesce((SELECT max(seq) FROM audit_log WHERE table_name = '{}'), 0)"
    return int(store.scalar(f"SELECT max({', '.join(latest.format(t) for t in tables)})"))


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
                if k != "training"
            },
        )
        _cache.clear()
        _cache[key] = found
    return found


def shortfall(store: Store, key: str, today: date) -> tuple[Indicator, list[dict[str, Any]]]:
    """One indicator and the people it counts as short, with where to find them
    (`community`: the community's label at a street or district, else '')."""
    ids = shortfall_ids(store, key, today)
    indicator = next(i for i in indicators(store, today) if i.key == key)
    indicator = replace(indicator, shortfall=tuple(ids))
    rows = list(
        store.query_in(
            "SELECT p.id, p.household_id, p.name, p.sex, p.birth_date, p.category, p.level, "
            "p.phone, h.address, h.building, h.unit, h.room, h.grid, "
            "h.division_code AS community FROM persons p "
            "JOIN households h ON h.id = p.household_id WHERE p.id IN ({marks})",
            ids,
        )
    )
    places.shown_communities(store, rows).sort(key=_place_key)  # one community: by grid alone
    return indicator, rows


def _place_key(row: dict[str, Any]) -> tuple[object, ...]:
    """Grid, building, unit, room in natural order (第二网格 before 第十网格), no grid
    last; at a street or district each community's grids together."""
    return (row["grid"] == "", natural_key(row["community"]), *place_key(row), row["name"])
