"""采纳到档案: the register facts a finished survey changes, offered back, reviewed, audited.

`proposed_changes` lists them (`domain.survey.register_changes`: only items answered,
never a guess from an absence); `adopt` writes the list the worker reviewed, in one
transaction, and refuses when the register moved on since the review.
"""

from __future__ import annotations

import json
from typing import Any

from canxie_tui.domain import survey as rules
from canxie_tui.domain.errors import InputError
from canxie_tui.store import records, tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.survey import Entry, facts, write_entry


def proposed_changes(store: Store, entry: Entry) -> list[rules.Change]:
    """The register facts this person's finished answers would change (for review)."""
    if entry.status != "done":
        return []
    return rules.register_changes(entry.answers, facts(store, entry.person_id), entry.surveyed_on)


def adopt(store: Store, entry: Entry, changes: list[rules.Change]) -> Entry:
    """Write the reviewed changes into the register, audited, in one transaction.

    Refused when the register moved on since the review (the changes no longer
    match what it holds): nothing is written and the worker reviews again.
    """
    if not changes:
        raise InputError("没有需要采纳到档案的变化")
    if proposed_changes(store, entry) != changes:
        raise InputError("档案在审核后已被修改，请重新核对要采纳的变化")
    person: dict[str, Any] = {}
    household: dict[str, Any] = {}
    for change in changes:
        value = change.after
        if isinstance(value, frozenset):
            value = json.dumps(sorted(value))
        (person if change.table == "persons" else household)[change.field] = value
    action = f"采纳{entry.round.year}年度调查结果到档案"
    with store.transaction():
        if person:
            version = store.scalar("SELECT version FROM persons WHERE id = ?", (entry.person_id,))
            records.update(
                store, "persons", entry.person_id, person, expected_version=version, action=action
            )
        if household:
            version = store.scalar(
                "SELECT version FROM households WHERE id = ?", (entry.household_id,)
            )
            records.update(
                store,
                "households",
                entry.household_id,
                household,
                expected_version=version,
                action=action,
            )
        tiers.refresh(store, household_ids=[entry.household_id])
        adopted = write_entry(store, entry, {"adopted_on": store.today().isoformat()}, "采纳到档案")
    return adopted
