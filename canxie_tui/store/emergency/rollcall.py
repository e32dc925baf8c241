"""The roll call: each person's status in an event, its history, and the follow-ups it raises.

Every status change is one audited write through `records`, so the audit log
holds the whole history.  需要帮助 and 联系不上 raise a follow-up, once per
event and person.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import (
    HELP_STATUSES,
    PENDING,
    CheckChange,
    EmergencyEvent,
    RollCallCheck,
)
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Followup
from canxie_tui.store import followups, records, tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency.events import get_event
from canxie_tui.store.errors import NotFoundError

__all__ = ["FOLLOWUP_SOURCE", "NOTE_MAX", "followup_for", "get_check", "history", "set_status"]

FOLLOWUP_SOURCE = "emergency"
NOTE_MAX = 200
_CHECK_SELECT = (
    "SELECT id, event_id, person_id, status, note, checked_at, operator_id, updated_by, version "
    "FROM emergency_checks"
)


def _check(row: Sequence[Any]) -> RollCallCheck:
    id_, event_id, person_id, status, note, checked_at, operator_id, by, version = row
    return RollCallCheck(
        id_, event_id, person_id, status, note, checked_at, operator_id, by, version
    )


def get_check(store: Store, event: EmergencyEvent, person_id: str) -> RollCallCheck | None:
    row = store.db.conn.execute(
        _CHECK_SELECT + " WHERE event_id = ? AND person_id = ?", (event.id, person_id)
    ).fetchone()
    return _check(row) if row else None


def set_status(
    store: Store,
    event: EmergencyEvent,
    person_id: str,
    status: str,
    note: str | None = None,
    *,
    expected_version: int | None = None,
) -> RollCallCheck:
    """Record a person's roll-call status (and note: None keeps the note as it is).

    The time and the operator are recorded; each change is an audited write, so
    :func:`history` can show every earlier status.  需要帮助 raises an urgent
    follow-up and 联系不上 a follow-up to go in person, once per event and person
    (a 联系不上 follow-up still open becomes urgent when the person then needs help).
    Pass the `expected_version` the screen showed to refuse overwriting someone
    else's change (StaleEditError); by default the latest change wins.
    """
    if status not in codes.ROLL_CALL_STATUSES:
        choices = "、".join(codes.ROLL_CALL_STATUSES.values())
        raise InputError(f"请选择点名状态：{choices}", "status")
    clean_note = None if note is None else " ".join(note.split())
    if clean_note is not None and len(clean_note) > NOTE_MAX:
        raise InputError(f"备注太长（{len(clean_note)}字），请控制在{NOTE_MAX}字以内", "note")
    with store.transaction():
        fresh = get_event(store, event.id)
        if fresh.is_closed:
            raise InputError(f"事件“{fresh.name}”已结束，不能再登记点名", "event")
        person = store.db.conn.execute(
            "SELECT household_id, name FROM persons WHERE id = ?", (person_id,)
        ).fetchone()
        if person is None:
            raise NotFoundError("找不到该人员，可能已被删除。")
        current = get_check(store, fresh, person_id)
        values: dict[str, Any] = {
            "status": status,
            "checked_at": store.now(),
            "operator_id": store.operator_id,
        }
        if clean_note is not None:
            values["note"] = clean_note
        action = f"点名：{codes.ROLL_CALL_STATUSES[status]}"
        if current is None:
            records.insert(
                store,
                "emergency_checks",
                {"event_id": fresh.id, "person_id": person_id, "note": "", **values},
                action=action,
            )
        elif current.status != status or (clean_note is not None and clean_note != current.note):
            records.update(
                store,
                "emergency_checks",
                current.id,
                values,
                expected_version=(
                    current.version if expected_version is None else expected_version
                ),
                action=action,
            )
        if status in HELP_STATUSES:
            _raise_followup(store, fresh, person_id, person[0], person[1], status, clean_note)
        check = get_check(store, fresh, person_id)
    assert check is not None
    return check


def _source_id(event: EmergencyEvent, person_id: str) -> str:
    return f"{event.id}:{person_id}"


def followup_for(store: Store, event: EmergencyEvent, person_id: str) -> Followup | None:
    """The follow-up the roll call raised for this person in this event, if any."""
    found = store.scalar(
        "SELECT id FROM followups WHERE source = ? AND source_id = ? ORDER BY pk LIMIT 1",
        (FOLLOWUP_SOURCE, _source_id(event, person_id)),
    )
    return followups.get_followup(store, found) if found else None


def _raise_followup(
    store: Store,
    event: EmergencyEvent,
    person_id: str,
    household_id: str,
    name: str,
    status: str,
    note: str | None,
) -> None:
    if status == "help":
        what = f"{event.name}：{name}需要帮助" + (f"——{note}" if note else "")
    else:
        what = f"{event.name}：联系不上{name}，请上门查看"
    existing = followup_for(store, event, person_id)
    if existing is None:
        followups.add_followup(
            store,
            household_id,
            what,
            store.today().isoformat(),
            urgent=status == "help",
            person_id=person_id,
            source=FOLLOWUP_SOURCE,
            source_id=_source_id(event, person_id),
        )
    elif status == "help" and existing.status == "open" and not existing.urgent:
        records.update(
            store,
            "followups",
            existing.id,
            {"urgent": 1, "what": what},
            expected_version=existing.version,
            action="改为紧急跟进（急难点名：需要帮助）",
        )
        tiers.refresh(store, household_ids=[household_id])


def history(store: Store, event: EmergencyEvent, person_id: str) -> list[CheckChange]:
    """Every roll-call status this person had in this event, oldest first."""
    check = get_check(store, event, person_id)
    if check is None:
        return []
    changes = []
    for at, operator, action, after in store.db.conn.execute(
        "SELECT at, operator_name, action, after FROM audit_log "
        "WHERE record_id = ? AND table_name = 'emergency_checks' ORDER BY seq",
        (check.id,),
    ):
        row = json.loads(after) if after else {}
        changes.append(
            CheckChange(
                at=row.get("checked_at") or at,
                status=row.get("status", PENDING),
                note=row.get("note", ""),
                operator_name=operator,
                action=action,
            )
        )
    return changes
