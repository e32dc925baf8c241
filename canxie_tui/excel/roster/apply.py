"""Applying a roster import: writing an `ImportPlan` to the register.

`apply(store, plan)` backs the database up, then writes everything in ONE
transaction: new people (a household per distinct address, reusing a household
whose normalised address matches), changed people and households through the
register's audited functions.  All or nothing.

New people take a bulk path (the per-row `register.add_person` costs a duplicate
check, an audit lookup and a tier refresh per row): the same rows with one audit
entry per record in the same hash chain, inside the import's transaction, their
search terms, tiers and risk profiles computed from the rows in hand
(`search.new_terms`, `tiers.derived`, `risk.write_new`); households in the
register that gain members are re-tiered at the end and re-profiled at the commit.

SQLite writes on a thread of its own (`store.writer`), each batch as one statement,
while Python builds the next batch, its audit entries (`store.appender`: each row's
JSON as it will be stored, computed here) and search terms.  Tables that the import
more than doubles (a first import) get their indexes built after their rows
(`bulk.defer_indexes`).  A first import of 30k rows, apply alone: 5.6 -> 3.0 s on two
cores; on one core (nothing overlaps) 5.5-6.1 -> 4.9-5.2 s.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from operator import itemgetter
from pathlib import Path
from typing import Any

from canxie_tui.domain import codes, validate
from canxie_tui.domain.subsidies import KIND_OF_CODE, RECEIVING, STOPPED
from canxie_tui.domain.tiers import TierFacts
from canxie_tui.excel.errors import SyncError
from canxie_tui.excel.files import Progress
from canxie_tui.excel.roster.columns import BENEFIT_FIELDS
from canxie_tui.excel.roster.plan import ImportPlan, _wanted_poverty
from canxie_tui.excel.roster.spool import RosterRow
from canxie_tui.store import records, register, risk, scratch, search, subsidies, tiers
from canxie_tui.store.appender import Appender
from canxie_tui.store.bulk import build_indexes, defer_indexes, gc_paused
from canxie_tui.store.connection import Store
from canxie_tui.store.writer import Writer, writing

__all__ = ["ImportResult", "RosterImportError", "apply"]

_CHUNK = 500  # new persons written per batch
# A new person's and household's values in the order of `store.risk`'s member rows.
_RISK_PERSON = itemgetter(*risk.MEMBER_PERSON)
_RISK_HOUSEHOLD = itemgetter(*risk.MEMBER_HOUSEHOLD)
_ACTION = "导入花名册"
_TERMS_PER_PERSON = 8  # search terms a person has, about (a first import of 30k: 9.1)


class RosterImportError(SyncError):
    """The import could not be applied; nothing was written."""


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


# A new household's columns, `validate.clean_household`'s keys in its order, blank.
_NEW_HOUSEHOLD = {
    k: v for k, v in _encode(validate.clean_household({"address": "-"})).items() if k != "address"
}


def _household_columns(values: dict[str, Any]) -> dict[str, Any]:
    """A new household's columns from the roster's values (低保情况 becomes its flag).

    The values are `validate.clean_household`'s output already (`excel.roster.read`
    cleans every row, and cleaning is idempotent): not cleaned a second time.
    """
    columns = {"address": values["address"], **_NEW_HOUSEHOLD, **values}
    poverty = columns.pop("poverty", None)
    if poverty is not None:
        columns["flags"] = json.dumps(sorted(_wanted_poverty(poverty)))
    return columns


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

    def step(count: int = 1, label: str = "写入数据库") -> None:
        nonlocal done
        done += count
        if _fail_after is not None and done >= _fail_after:
            raise RuntimeError(f"模拟故障：写入{done}行后中断（测试用）")
        if progress is not None and (done % 500 < count or done == total):
            progress(label, done, total)

    try:
        with gc_paused(), scratch.busy(store.path, "导入花名册"), store.transaction():
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


def _apply_changes(store: Store, plan: ImportPlan, step: Callable[..., None]) -> int:
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
            _set_states(store, person.id, person_change.subsidy_states)
        step(1)
    return len(plan.household_changes)


def _apply_new(store: Store, plan: ImportPlan, step: Callable[..., None]) -> tuple[int, int]:
    if not plan.new:
        return 0, 0
    from canxie_tui.store.site import get_site

    site = get_site(store)
    spool = plan.roster.spool
    now = store.now()  # one time for every record the import adds
    people = _NewPeople(store, now, spool.facts)
    log = _Log(store, now)
    homes, members = Appender(store, "households", now), Appender(store, "persons", now)
    joining: list[int] = []  # new people of households in the register: indexed at the end
    # A first import fills near-empty tables: their indexes are built after the rows.
    # Persons' only once the households are in: a new household's trigger
    # (`rule_inputs_household_insert`) finds its members by idx_persons_household.
    rebuild = defer_indexes(
        store.db.conn,
        {
            "households": plan.new_households,
            "search_terms": plan.new * _TERMS_PER_PERSON,
            "audit_log": plan.new + plan.new_households,
        },
    )
    # SQLite writes each batch on the writer's thread while Python builds the next one,
    # its audit entries, search terms and risk profiles (`store.writer`).
    with writing(store.db.conn) as writer:
        for batch in spool.new_households(size=_CHUNK * 4):
            houses = [
                {
                    "id": house_id,
                    **_household_columns(values),
                    "division_code": site.code,
                    "division_name": site.name,
                }
                for (_, values), house_id in zip(batch, records.new_ids(len(batch)), strict=True)
            ]
            log.add(writer, homes, houses)
            spool.set_columns(
                [(target, house) for (target, _), house in zip(batch, houses, strict=True)]
            )
        persons = writer.submit(defer_indexes, {"persons": plan.new})
        for chunk in spool.new_people(size=_CHUNK):
            rows, fresh, in_register = people.rows(chunk)
            pks = [pk for pk, _, _ in log.add(writer, members, rows)]
            zipped = list(zip(pks, rows, fresh, strict=True))
            terms, docs = search.new_terms(
                {**house, **row, "pk": pk, "home_phone": house["phone"]}
                for pk, row, house in zipped
                if house
            )
            writer.insert("search_terms", search.TERM_COLUMNS, terms)
            writer.insert("person_fts", search.DOC_COLUMNS, docs)
            joining += [pk for pk, _, house in zipped if not house]
            # Their risk profiles too (`store.risk`: what `refresh` would read back at commit).
            risk.write_new(
                writer,
                [
                    (pk, *_RISK_PERSON(row), *_RISK_HOUSEHOLD(house))
                    for pk, row, house in zipped
                    if house and row["category"] is not None
                ],
                in_register,
            )
            step(len(chunk))
        rebuild += persons.result()
        # What is left: the writer's last batches, the indexes put off, the commit.
        step(0, "保存（建立索引）" if rebuild else "保存")
        if rebuild:
            writer.submit(build_indexes, rebuild)
    search.index_people(store, joining)
    _start_states(store, people.stated)
    joined = spool.joined_households()
    if len(joined) > _CHUNK:
        tiers.refresh(store)
    elif joined:
        tiers.refresh(store, household_ids=joined)
    return plan.new, plan.new_households


class _Log:
    """The import's audit entries, chained here and written by the writer."""

    def __init__(self, store: Store, now: str) -> None:
        self.store, self.now = store, now
        self.prev = records.chain_tail(store.db.conn)  # nothing else appends meanwhile

    def add(
        self, writer: Writer, table: Appender, rows: list[dict[str, Any]]
    ) -> list[tuple[int, str, str]]:
        """Insert `rows` into `table` with an entry each; (pk, id, JSON) of each."""
        stored = table.insert(writer, rows).result()
        entries, self.prev = records.created_entries(
            self.store, self.prev, self.now, _ACTION, table.table, stored
        )
        writer.insert("audit_log", records.AUDIT_COLUMNS, entries, long="after")
        return stored


class _NewPeople:
    """New people's rows from the spool's, with their tiers and 两项补贴.

    Tiers of people in new households are known here (no visits, no follow-ups, no
    care flags, the household's flags and certified members all from this file):
    computed as `tiers.refresh` would, without a query per household.  Households
    that existed get new members, so theirs are refreshed at the end.
    """

    def __init__(self, store: Store, now: str, facts: bool) -> None:
        self.settings = tiers.get_settings(store)
        self.registered = date.fromisoformat(now[:10])
        self.template = _NEW_PERSON_FACTS if facts else _NEW_PERSON
        self.derived: dict[TierFacts, tuple[str, str, str]] = {}
        self.flag_sets: dict[str, frozenset[str]] = {}  # a household's flags decoded once
        self.stated: list[tuple[str, int | None, dict[str, str]]] = []  # their 两项补贴

    def rows(
        self, chunk: list[tuple[RosterRow, str, dict[str, Any] | None, int]]
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dict[str, int]]:
        """(persons rows, each one's household created here or {}, those households'
        certified members) for `Spool.new_people`'s rows."""
        rows: list[dict[str, Any]] = []
        fresh: list[dict[str, Any]] = []  # households created above: indexed from here
        in_register: dict[str, int] = {}  # their members in the register (risk profiles)
        for (item, target, house, certified), person_id in zip(
            chunk, records.new_ids(len(chunk)), strict=True
        ):
            person = {**self.template, **item.person_values(), "id_number": item.id_number}
            said: dict[str, str] = {k: person.pop(k) for k in BENEFIT_FIELDS if k in person}
            if said:
                person["benefits"] = json.dumps(
                    sorted(k for k, v in said.items() if v == RECEIVING)
                )
                self.stated.append((person_id, person["level"], said))
            if house is None:
                person["household_id"] = target
            else:
                person["household_id"] = house["id"]
                in_register[house["id"]] = certified
                if person["category"] is not None:
                    person["tier"], person["tier_reason"], person["next_due_date"] = self._tier(
                        person, house, certified
                    )
            rows.append({"id": person_id, **person})
            fresh.append(house or {})
        return rows, fresh, in_register

    def _tier(
        self, person: dict[str, Any], house: dict[str, Any], certified: int
    ) -> tuple[str, str, str]:
        flags = self.flag_sets.get(house["flags"])
        if flags is None:
            flags = self.flag_sets[house["flags"]] = frozenset(json.loads(house["flags"]))
        facts = TierFacts(
            category=person["category"],
            level=person["level"],
            care_flags=frozenset(),
            device_kind="",
            household_flags=flags,
            certified_in_household=certified,
            urgent_followup=False,
        )
        if facts not in self.derived:  # a few dozen distinct facts among thousands
            self.derived[facts] = tiers.derived(facts, self.settings, self.registered)
        return self.derived[facts]


def _set_states(store: Store, person_id: str, states: Iterable[tuple[str, str]]) -> None:
    """A roster's 申请中 / 暂停 for a person (享受 and 停发 follow the ticks)."""
    month = subsidies.current_month(store)
    for code, state in states:
        if state not in (RECEIVING, STOPPED):
            subsidies.set_state(store, person_id, KIND_OF_CODE[code], state, month, _ACTION)


def _start_states(store: Store, stated: list[tuple[str, int | None, dict[str, str]]]) -> None:
    """New people's 两项补贴 from the roster: 享受 in bulk, 申请中 / 暂停 one by one."""
    subsidies.start_many(
        store,
        (
            (pid, KIND_OF_CODE[code], level)
            for pid, level, said in stated
            for code, state in said.items()
            if state == RECEIVING
        ),
        _ACTION,
    )
    for pid, _, said in stated:
        _set_states(store, pid, said.items())
