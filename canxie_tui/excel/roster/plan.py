"""Previewing a roster import: what `excel.roster.apply.apply` would write.

`preview(store, roster)` matches people by ID number: new / changed (field by
field, old → new) / unchanged / rejected.  A blank cell never clears what the
register holds; columns the roster does not have are left alone.  Two columns
change part of a set: 困难生活补贴 / 重度护理补贴 add or remove that benefit and
keep the person's others, and 低保情况 replaces the household's poverty flags
(低保, 特困, 低保边缘, 低收入家庭) and keeps its others (独居, 一户多残 ...).  It works
through the spool 500 rows at a time and keeps in memory only what it shows (the
`ImportPlan`): the changes and the rejections.  It reads the database and writes
nothing to it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canxie_tui.domain import codes, validate
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.subsidies import KIND_OF_CODE, RECEIVING, STATES, STOPPED, same_state
from canxie_tui.excel.roster.columns import (
    BENEFIT_FIELDS,
    FACT_FIELDS,
    FIELD_LABELS,
    HOUSEHOLD_COLUMNS,
    NO_POVERTY,
    PERSON_FIELDS,
    POVERTY_FLAGS,
    address_key,
)
from canxie_tui.excel.roster.read import Rejection, RosterFile
from canxie_tui.excel.roster.spool import NEW_TARGET, RosterRow
from canxie_tui.store import register
from canxie_tui.store.bulk import gc_paused
from canxie_tui.store.connection import Store

__all__ = ["FieldDiff", "HouseholdChange", "ImportPlan", "PersonChange", "preview"]

_CHUNK = 500  # rows previewed per batch


@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class PersonChange:
    row: int
    name: str
    id_number: str
    person_id: str
    version: int
    diffs: tuple[FieldDiff, ...]  # person and (for the row that carries them) household
    values: dict[str, Any]  # full person form values (register holds + roster overrides)
    person_changed: bool
    # The 两项补贴 states the roster gives that differ from the history ((code, state)).
    subsidy_states: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class HouseholdChange:
    household_id: str
    version: int
    row: int  # the first roster row that gave the new values
    diffs: tuple[FieldDiff, ...]
    values: dict[str, Any]  # full household form values


@dataclass
class ImportPlan:
    """What `apply` will write.  The new people stay in the roster's spool; the
    changes and rejections, which a person reads, are here."""

    source: Path
    roster: RosterFile
    changed: list[PersonChange] = field(default_factory=list)
    household_changes: list[HouseholdChange] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    new: int = 0  # people to add
    new_households: int = 0  # households to create for them
    unchanged: int = 0  # rows that match the register already
    generation: int = 0  # RosterFile.generation when it was made

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "changed": len(self.changed),
            "unchanged": self.unchanged,
            "rejected": len(self.rejected),
            "new_households": self.new_households,
            "changed_households": len(self.household_changes),
        }

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed or self.household_changes)

    def new_people(self, limit: int = 200) -> list[RosterRow]:
        """The first `limit` people the import adds, in row order (for a preview)."""
        if limit <= 0:
            return []
        return next(self.roster.spool.chunks("kind = ?", ("new",), size=limit), [])


_SHOWN_CODES: dict[str, Any] = {
    "category": codes.CATEGORIES,
    "level": codes.LEVELS,
    "hukou": codes.HUKOU_REGIONS,
    "pension_scheme": codes.INSURANCE_SCHEMES,
    "medical_scheme": codes.INSURANCE_SCHEMES,
}
_YES_NO = {"apart": ("否", "是")}


def _show_value(key: str, value: Any) -> str:
    if key in BENEFIT_FIELDS:
        return codes.label(STATES, value, "未享受") if value != STOPPED else "未享受"
    if value in (None, ""):
        return ""
    if key in _SHOWN_CODES:
        return codes.label(_SHOWN_CODES[key], value, str(value))
    if key in _YES_NO:
        return _YES_NO[key][1 if value else 0]
    return str(value)


def _same(key: str, old: Any, new: Any) -> bool:
    old = old if old is not None else ""
    new = new if new is not None else ""
    if old == new:
        return True
    if key in BENEFIT_FIELDS:
        return same_state(old, new)
    return key == "address" and address_key(str(old)) == address_key(str(new))


def _stored(person: dict[str, Any], key: str) -> Any:
    """A person's value of a roster field (a 两项补贴: the latest state in its history,
    read as `_SUBSIDY_COLUMNS` names it)."""
    return person.get(key)


def _merge_person(form: dict[str, Any], items: tuple[tuple[str, Any], ...]) -> None:
    """The roster's values over a person's form values: a 两项补贴 said 享受 ticks its
    benefit code, any other state unticks it (`apply` writes the state itself); the
    other benefits are kept."""
    benefits: set[str] | None = None
    for key, value in items:
        if key in ("sex", "birth_date"):
            continue
        if key in BENEFIT_FIELDS:
            if benefits is None:
                benefits = set(form["benefits"])
            if value == RECEIVING:
                benefits.add(key)
            else:
                benefits.discard(key)
        else:
            form[key] = value
    if benefits is not None:
        form["benefits"] = sorted(benefits)


def _poverty(flags: frozenset[str] | set[str]) -> set[str]:
    return set(flags) & POVERTY_FLAGS


def _show_poverty(found: set[str]) -> str:
    return codes.labels(codes.HOUSEHOLD_FLAGS, found) or "无"


def _wanted_poverty(value: str) -> set[str]:
    return set() if value == NO_POVERTY else {value}


def _person_form(row: dict[str, Any]) -> dict[str, Any]:
    """A person as register.update_person takes it, from their stored row."""
    return register.person_from_row(row).form_values()


def _household_form(row: dict[str, Any]) -> dict[str, Any]:
    return register.household_from_row(row).form_values()


def _rows_by(
    store: Store, table: str, column: str, keys: list[str], columns: str = "*"
) -> dict[str, dict[str, Any]]:
    """Stored rows of `table` whose `column` is one of `keys` (at most a chunk)."""
    if not keys:
        return {}
    marks = ",".join("?" for _ in keys)
    found = store.query(f"SELECT {columns} FROM {table} WHERE {column} IN ({marks})", keys)
    return {row[column]: row for row in found}


# Each 两项补贴's latest state, under its roster field's name.
_SUBSIDY_COLUMNS = ", ".join(
    "(SELECT s.state FROM subsidies s INDEXED BY idx_subsidies_person "
    f"WHERE s.person_id = persons.id AND s.kind = "
    f"'{KIND_OF_CODE[key]}' ORDER BY s.from_month DESC LIMIT 1) AS {key}"
    for key in BENEFIT_FIELDS
)
# What matching a row needs; the whole record is read only for those that differ.
_MATCH_COLUMNS = ", ".join(
    ("id", "id_number", "household_id", *PERSON_FIELDS, *FACT_FIELDS, "benefits", _SUBSIDY_COLUMNS)
)
_WHOLE_PERSON = f"*, {_SUBSIDY_COLUMNS}"


def _known_addresses(store: Store) -> Iterator[tuple[str, str]]:
    """(address key, id) of every household in the register, oldest first."""
    cursor = store.db.conn.execute(
        "SELECT id, address, building, unit, room FROM households ORDER BY pk"
    )
    for household_id, *parts in cursor:
        yield address_key(*parts), household_id


def _person_diffs(stored: dict[str, Any], row: RosterRow) -> list[FieldDiff]:
    return [
        FieldDiff(
            key, FIELD_LABELS[key], _show_value(key, _stored(stored, key)), _show_value(key, value)
        )
        for key, value in row.person
        if key not in ("sex", "birth_date") and not _same(key, _stored(stored, key), value)
    ]


def preview(store: Store, roster: RosterFile) -> ImportPlan:
    """What `apply` would do (reads the database, writes nothing to it)."""
    with gc_paused():
        return _preview(store, roster)


def _preview(store: Store, roster: RosterFile) -> ImportPlan:
    spool = roster.spool
    spool.reset()
    roster.generation += 1
    plan = ImportPlan(
        source=roster.path,
        roster=roster,
        rejected=list(roster.rejected),
        generation=roster.generation,
    )
    today = store.today()

    def reject(row: int, key: str, value: Any, reason: str) -> None:
        plan.rejected.append(Rejection(row, roster.column(key), value, reason, key))

    # 1. Match each row to the register by ID number (rows left unmarked are new).
    person_diffs: dict[int, tuple[dict[str, Any], list[FieldDiff], dict[str, Any]]] = {}
    states: dict[int, dict[str, str]] = {}  # row -> the 两项补贴 states it gives
    matched = 0
    for chunk in spool.keyed(size=_CHUNK):
        numbers = [number for _, number, _ in chunk]
        stored = _rows_by(store, "persons", "id_number", numbers, _MATCH_COLUMNS)
        rows = spool.rows_of([r for r, n, _ in chunk if n in stored])
        found = {r: _person_diffs(stored[row.id_number], row) for r, row in rows.items()}
        differ = [row.id_number for r, row in rows.items() if found[r]]
        stored |= _rows_by(store, "persons", "id_number", differ, _WHOLE_PERSON)  # whole records
        marks: list[tuple[str, str, int]] = []
        for line, _, hkey in chunk:
            if line not in rows:
                if not hkey:
                    reject(line, "address", "", "新增人员须填写现住址（该人不在库中）")
                    marks.append(("rejected", "", line))
                continue
            row = rows[line]
            person = stored[row.id_number]
            diffs = found[row.row]
            if diffs:
                form = _person_form(person)
                _merge_person(form, row.person)
                try:
                    validate.clean_person(form, today)
                except InputError as err:
                    shown = _show_value(err.field, form.get(err.field))
                    reject(line, err.field, shown, f"{err.message}（与库中已登记的信息合并后）")
                    marks.append(("rejected", "", row.row))
                    continue
                person_diffs[row.row] = (person, diffs, form)
                states[row.row] = {k: v for k, v in row.person if k in BENEFIT_FIELDS}
            marks.append(("match", person["household_id"], row.row))
            matched += 1
        spool.mark(marks)
    spool.mark_new()

    # 2. New people join the register's household at their address, or a new one.
    plan.new = spool.count("new")
    if plan.new:
        spool.match_addresses(_known_addresses(store))

    # 3. Households: the first non-blank value of each field in the file wins.
    carried: dict[int, list[FieldDiff]] = {}  # row -> household diffs it shows
    for batch in spool.households(size=_CHUNK):
        news = [
            (t, {k: v for k, (_, v) in w.items()}) for t, w in batch if t.startswith(NEW_TARGET)
        ]
        spool.add_new_households(news)
        plan.new_households += len(news)
        stored = _rows_by(
            store, "households", "id", [t for t, _ in batch if not t.startswith(NEW_TARGET)]
        )
        for target, wanted in batch:
            if target in stored:
                change = _household_change(stored[target], wanted)
                if change is not None:
                    plan.household_changes.append(change)
                    carried[change.row] = list(change.diffs)

    # 4. People whose row shows a change: their own fields, or their household's.
    kinds = spool.kinds(sorted(set(carried) - set(person_diffs)))
    extra = [number for kind, number in kinds.values() if kind == "match"]
    for start in range(0, len(extra), _CHUNK):
        stored = _rows_by(
            store, "persons", "id_number", extra[start : start + _CHUNK], _WHOLE_PERSON
        )
        for row_number, (kind, number) in kinds.items():
            if kind == "match" and number in stored:
                person = stored[number]
                person_diffs[row_number] = (person, [], _person_form(person))
    for row_number in sorted(person_diffs):
        person, diffs, form = person_diffs[row_number]
        plan.changed.append(
            PersonChange(
                row_number,
                person["name"],
                person["id_number"],
                person["id"],
                person["version"],
                (*diffs, *carried.get(row_number, ())),
                form,
                bool(diffs),
                tuple(
                    (d.field, states[row_number][d.field])
                    for d in diffs
                    if d.field in BENEFIT_FIELDS
                ),
            )
        )
    plan.unchanged = matched - len(plan.changed)
    plan.household_changes.sort(key=lambda c: c.row)
    plan.rejected.sort(key=lambda r: r.row)
    return plan


def _household_change(
    stored: dict[str, Any], wanted: dict[str, tuple[int, str]]
) -> HouseholdChange | None:
    """The fields the file changes in a stored household, attributed to the first row."""
    diffs: list[tuple[int, FieldDiff]] = []
    flags: set[str] | None = None  # the household's flags with the new 低保情况
    for key in HOUSEHOLD_COLUMNS:
        if key not in wanted:
            continue
        row_number, value = wanted[key]
        if key == "poverty":
            had = set(json.loads(stored["flags"]))
            old_set, new_set = _poverty(had), _wanted_poverty(value)
            if old_set != new_set:
                flags = (had - POVERTY_FLAGS) | new_set
                shown = (_show_poverty(old_set), _show_poverty(new_set))
                diffs.append((row_number, FieldDiff(key, FIELD_LABELS[key], *shown)))
        elif not _same(key, stored.get(key), value):
            old = str(stored.get(key) or "")
            diffs.append((row_number, FieldDiff(key, FIELD_LABELS[key], old, value)))
    if not diffs:
        return None
    form = _household_form(stored)
    form.update((d.field, d.new) for _, d in diffs if d.field != "poverty")
    if flags is not None:
        form["flags"] = sorted(flags)
    first = min(row for row, _ in diffs)
    return HouseholdChange(stored["id"], stored["version"], first, tuple(d for _, d in diffs), form)
