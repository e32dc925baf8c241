"""Importing the district's 花名册 (roster workbook) into the register.

Three steps, so that nothing is written before a person has seen what will be:

1. `read_roster(path)` (`excel.roster.read`) refuses what is not a readable roster
   and validates every row; accepted rows go to a spool on disk (memory stays flat).
2. `preview(store, roster)` matches people by ID number: new / changed (field by
   field, old → new) / unchanged / rejected.  A blank cell never clears what the
   register holds; columns the roster does not have are left alone.  Two columns
   change part of a set: 困难生活补贴 / 重度护理补贴 add or remove that benefit and
   keep the person's others, and 低保情况 replaces the household's poverty flags
   (低保, 特困, 低保边缘, 低收入家庭) and keeps its others (独居, 一户多残 ...).  It works
   through the spool 500 rows at a time and keeps in memory only what it shows:
   the changes and the rejections.
3. `apply(store, plan)` backs the database up, then writes everything in ONE
   transaction: new people (a household per distinct address, reusing a
   household whose normalised address matches), changed people and households
   through the register's audited functions.  All or nothing.

New people take a bulk path (the per-row `register.add_person` costs a duplicate
check, an audit lookup and a tier refresh per row): `records.insert_many` writes
the same rows with one audit entry per record in the same hash chain, their
search terms and tiers computed from the rows in hand (`search.index_new`,
`tiers.derived`); households in the register that gain members are re-tiered at
the end.

`write_errors(...)` writes the rejected rows to `exports/导入错误_<file>_<time>.xlsx`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from canxie_tui.domain import codes, validate
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.tiers import TierFacts
from canxie_tui.excel.book import Book
from canxie_tui.excel.errors import SyncError
from canxie_tui.excel.files import Progress, exports_dir, safe_filename
from canxie_tui.excel.roster.read import (
    BENEFIT_FIELDS,
    FACT_FIELDS,
    FIELD_LABELS,
    HEADER_SCAN_ROWS,
    HOUSEHOLD_COLUMNS,
    MASKED_FIELDS,
    NEW_TARGET,
    NO_POVERTY,
    PERSON_FIELDS,
    POVERTY_FLAGS,
    NoHeaderError,
    Rejection,
    RosterFile,
    RosterRow,
    address_key,
    match_header,
    read_roster,
)
from canxie_tui.excel.table import Column
from canxie_tui.store import records, register, search, tiers
from canxie_tui.store.bulk import gc_paused
from canxie_tui.store.connection import Store, new_id

__all__ = [
    "FIELD_LABELS",
    "HEADER_SCAN_ROWS",
    "MASKED_FIELDS",
    "FieldDiff",
    "HouseholdChange",
    "ImportPlan",
    "ImportResult",
    "NoHeaderError",
    "PersonChange",
    "Rejection",
    "RosterFile",
    "RosterImportError",
    "RosterRow",
    "apply",
    "match_header",
    "preview",
    "read_roster",
    "write_errors",
]

_CHUNK = 500  # rows previewed / new persons written per batch
_ACTION = "导入花名册"


class RosterImportError(SyncError):
    """The import could not be applied; nothing was written."""


# -- preview ---------------------------------------------------------------------------
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
_YES_NO = {
    "apart": ("否", "是"),
    "living_subsidy": ("未享受", "享受"),
    "care_subsidy": ("未享受", "享受"),
}


def _show_value(key: str, value: Any) -> str:
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
    return key == "address" and address_key(str(old)) == address_key(str(new))


def _stored(person: dict[str, Any], key: str) -> Any:
    """A person's value of a roster field: a benefit the roster says yes or no to is
    1 or 0 (whether the stored JSON list holds its code)."""
    if key in BENEFIT_FIELDS:
        return int(f'"{key}"' in person["benefits"])
    return person.get(key)


def _merge_person(form: dict[str, Any], items: tuple[tuple[str, Any], ...]) -> None:
    """The roster's values over a person's form values: a benefit said yes or no to
    is added or removed, the other benefits are kept."""
    benefits: set[str] | None = None
    for key, value in items:
        if key in ("sex", "birth_date"):
            continue
        if key in BENEFIT_FIELDS:
            if benefits is None:
                benefits = set(form["benefits"])
            if value:
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


def _household_columns(values: dict[str, Any]) -> dict[str, Any]:
    """A new household's form values from the roster's (低保情况 becomes its flag)."""
    values = dict(values)
    poverty = values.pop("poverty", None)
    if poverty is not None:
        values["flags"] = sorted(_wanted_poverty(poverty))
    return values


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


# What matching a row needs; the whole record is read only for those that differ.
_MATCH_COLUMNS = ", ".join(
    ("id", "id_number", "household_id", *PERSON_FIELDS, *FACT_FIELDS, "benefits")
)


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

    def reject(row: RosterRow, key: str, value: Any, reason: str) -> None:
        plan.rejected.append(Rejection(row.row, roster.column(key), value, reason, key))

    # 1. Match each row to the register by ID number.
    person_diffs: dict[int, tuple[dict[str, Any], list[FieldDiff], dict[str, Any]]] = {}
    matched = 0
    for chunk in spool.chunks(size=_CHUNK):
        numbers = [r.id_number for r in chunk]
        stored = _rows_by(store, "persons", "id_number", numbers, _MATCH_COLUMNS)
        found = {
            r.row: _person_diffs(stored[r.id_number], r) for r in chunk if r.id_number in stored
        }
        differ = [r.id_number for r in chunk if found.get(r.row)]
        stored |= _rows_by(store, "persons", "id_number", differ)  # their whole records
        marks: list[tuple[str, str, int]] = []
        for row in chunk:
            person = stored.get(row.id_number)
            if person is None:
                if row.household_key:
                    marks.append(("new", "", row.row))
                else:
                    reject(row, "address", "", "新增人员须填写现住址（该人不在库中）")
                    marks.append(("rejected", "", row.row))
                continue
            diffs = found[row.row]
            if diffs:
                form = _person_form(person)
                _merge_person(form, row.person)
                try:
                    validate.clean_person(form, today)
                except InputError as err:
                    shown = _show_value(err.field, form.get(err.field))
                    reject(row, err.field, shown, f"{err.message}（与库中已登记的信息合并后）")
                    marks.append(("rejected", "", row.row))
                    continue
                person_diffs[row.row] = (person, diffs, form)
            marks.append(("match", person["household_id"], row.row))
            matched += 1
        spool.mark(marks)

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
        stored = _rows_by(store, "persons", "id_number", extra[start : start + _CHUNK])
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


# -- apply -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    households_added: int
    households_updated: int
    backup: Path | None


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: json.dumps(sorted(v)) if k in ("flags", "care_flags", "benefits") else v
        for k, v in values.items()
    }


_NEW_PERSON: dict[str, Any] = {
    "name": "",
    "sex": "",
    "birth_date": None,
    "cert_number": None,
    "category": None,
    "level": None,
    "relation": "",
    "phone": "",
    "care_flags": "[]",
    "device_kind": "",
    "benefits": "[]",
    "school": "",
    # The schema's defaults; set for certified people in new households below.
    "tier": "C",
    "tier_reason": "",
    "next_due_date": "",
}
# With a roster that has register facts (every row has every key: `insert_many`).
_NEW_PERSON_FACTS: dict[str, Any] = {
    **_NEW_PERSON,
    # FACT_FIELDS as the schema's defaults have them.
    "hukou": codes.HUKOU_CQ,
    "hukou_address": "",
    "apart": 0,
    "cert_issued": "",
    "cert_valid_until": "",
    "pension_scheme": "",
    "medical_scheme": "",
}


def apply(
    store: Store,
    plan: ImportPlan,
    *,
    progress: Progress | None = None,
    _fail_after: int | None = None,
) -> ImportResult:
    """Write the plan: backup, then one transaction (all accepted rows or nothing)."""
    if plan.generation != plan.roster.generation:
        raise RosterImportError("这份预览已过期（同一文件之后又预览过），请按最新的预览导入。")
    if not plan.has_changes:
        return ImportResult(0, 0, 0, 0, None)
    from canxie_tui.store.backup import backup_before

    backup = backup_before(store, "before-import")
    total = plan.new + len(plan.changed) + len(plan.household_changes)
    done = 0

    def step(count: int = 1) -> None:
        nonlocal done
        done += count
        if _fail_after is not None and done >= _fail_after:
            raise RuntimeError(f"模拟故障：写入{done}行后中断（测试用）")
        if progress is not None and (done % 500 < count or done == total):
            progress("写入数据库", done, total)

    try:
        with gc_paused(), store.transaction():
            households_updated = _apply_changes(store, plan, step)
            added, households_added = _apply_new(store, plan, step)
    except sqlite3.IntegrityError as err:
        raise RosterImportError(
            "导入失败：预览之后有人登记了同一身份证号的人员（或数据库约束不满足："
            f"{err}）。已全部撤销，数据库未做任何修改，请重新预览后再导入。"
        ) from err
    return ImportResult(
        added=added,
        updated=sum(1 for c in plan.changed if c.person_changed),
        households_added=households_added,
        households_updated=households_updated,
        backup=backup,
    )


def _apply_changes(store: Store, plan: ImportPlan, step: Callable[[int], None]) -> int:
    from dataclasses import replace

    for change in plan.household_changes:
        household = register.get_household(store, change.household_id)
        register.update_household(
            store, replace(household, version=change.version), dict(change.values)
        )
        step(1)
    for person_change in plan.changed:
        if person_change.person_changed:
            person = register.get_person(store, person_change.person_id)
            register.update_person(
                store, replace(person, version=person_change.version), dict(person_change.values)
            )
        step(1)
    return len(plan.household_changes)


def _apply_new(store: Store, plan: ImportPlan, step: Callable[[int], None]) -> tuple[int, int]:
    if not plan.new:
        return 0, 0
    from canxie_tui.store.site import get_site

    site = get_site(store)
    spool = plan.roster.spool
    now = store.now()  # one time for every record the import adds
    for batch in spool.new_households(size=_CHUNK * 4):
        houses = [
            {
                "id": new_id(),
                **_encode(validate.clean_household(_household_columns(values))),
                "division_code": site.code,
                "division_name": site.name,
            }
            for _, values in batch
        ]
        records.insert_many(store, "households", houses, action=_ACTION, now=now)
        spool.set_columns(
            [(target, house) for (target, _), house in zip(batch, houses, strict=True)]
        )

    # Tiers of people in new households are known here (no visits, no follow-ups,
    # no care flags, the household's flags and certified members all from this file):
    # computed as `tiers.refresh` would, without a query per household.  Households
    # that existed get new members, so theirs are refreshed at the end.
    settings = tiers.get_settings(store)
    registered = date.fromisoformat(now[:10])
    derived: dict[TierFacts, tuple[str, str, str]] = {}
    flag_sets: dict[str, frozenset[str]] = {}  # a household's flags (JSON) decoded once
    template = _NEW_PERSON_FACTS if spool.facts else _NEW_PERSON
    for chunk in spool.new_people(size=_CHUNK):
        rows: list[dict[str, Any]] = []
        fresh: list[dict[str, Any]] = []  # households created above: indexed from here
        for item, target, house, certified in chunk:
            person = {**template, **item.person_values(), "id_number": item.id_number}
            if spool.facts and ("living_subsidy" in person or "care_subsidy" in person):
                said = sorted(k for k in BENEFIT_FIELDS if person.pop(k, 0))
                person["benefits"] = json.dumps(said)
            if house is None:
                person["household_id"] = target
            else:
                person["household_id"] = house["id"]
                if person["category"] is not None:
                    flags = flag_sets.get(house["flags"])
                    if flags is None:
                        flags = flag_sets[house["flags"]] = frozenset(json.loads(house["flags"]))
                    facts = TierFacts(
                        category=person["category"],
                        level=person["level"],
                        care_flags=frozenset(),
                        device_kind="",
                        household_flags=flags,
                        certified_in_household=certified,
                        urgent_followup=False,
                    )
                    if facts not in derived:  # a few dozen distinct facts among thousands
                        derived[facts] = tiers.derived(facts, settings, registered)
                    person["tier"], person["tier_reason"], person["next_due_date"] = derived[facts]
            rows.append({"id": new_id(), **person})
            fresh.append(house or {})
        pks = records.insert_many(store, "persons", rows, action=_ACTION, now=now)
        search.index_new(
            store,
            [
                {**house, **row, "pk": pk, "home_phone": house["phone"]}
                for pk, row, house in zip(pks, rows, fresh, strict=True)
                if house
            ],
        )
        search.index_people(store, [pk for pk, house in zip(pks, fresh, strict=True) if not house])
        step(len(chunk))
    joined = spool.joined_households()
    if len(joined) > _CHUNK:
        tiers.refresh(store)
    elif joined:
        tiers.refresh(store, household_ids=joined)
    return plan.new, plan.new_households


# -- error workbook ---------------------------------------------------------------------
ERROR_COLUMNS = (
    Column("行号", width=8, align="center"),
    Column("列", width=16),
    Column("值", width=26),
    Column("原因", max_width=70, wrap=True),
)


def error_path(source: Path, when: datetime, out_dir: Path | None = None) -> Path:
    folder = out_dir if out_dir is not None else exports_dir()
    stem = safe_filename(source.stem, "花名册")
    path = folder / f"导入错误_{stem}_{when:%Y%m%d-%H%M}.xlsx"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"导入错误_{stem}_{when:%Y%m%d-%H%M}-{n}.xlsx"
    return path


def write_errors(
    roster: RosterFile | ImportPlan,
    source_path: Path | str,
    *,
    out_dir: Path | None = None,
    now: datetime | None = None,
    full_ids: bool = False,
) -> Path | None:
    """Rejected rows → the error workbook (行号, 列, 值, 原因); None when there are none.

    Pass the plan (rather than the file) to include the rows `preview` rejected too.
    ID and certificate numbers are masked (前6后4) unless `full_ids`: the row
    number finds the row in the source file.
    """
    rejected = roster.rejected
    if not rejected:
        return None
    source = Path(source_path)
    path = error_path(source, now or datetime.now(), out_dir)
    with Book() as book:
        table = book.table("导入错误", ERROR_COLUMNS)
        for item in sorted(rejected, key=lambda r: r.row):
            table.append([item.row, item.column, item.shown_value(full_ids), item.reason])
        return book.save(path)
