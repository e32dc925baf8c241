"""Follow-ups: promises made to a household, open until someone closes them."""

from __future__ import annotations

from datetime import date
from typing import Any

from canxie_tui.domain.models import Followup
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import NotFoundError

_SELECT = """
SELECT f.*, h.address, coalesce(p.name, '') AS person_name, coalesce(o.name, '') AS owner_name
FROM followups f JOIN households h ON h.id = f.household_id
LEFT JOIN persons p ON p.id = f.person_id LEFT JOIN operators o ON o.id = f.owner_id
"""


def _followup(row: dict[str, Any]) -> Followup:
    return Followup(
        id=row["id"],
        household_id=row["household_id"],
        person_id=row["person_id"],
        what=row["what"],
        due_date=row["due_date"],
        urgent=bool(row["urgent"]),
        owner_name=row["owner_name"],
        status=row["status"],
        closed_date=row["closed_date"],
        outcome=row["outcome"],
        source=row["source"],
        source_id=row["source_id"],
        version=row["version"],
        address=row["address"],
        person_name=row["person_name"],
    )


def get_followup(store: Store, followup_id: str) -> Followup:
    rows = store.query(_SELECT + " WHERE f.id = ?", (followup_id,))
    if not rows:
        raise NotFoundError("找不到该跟进事项。")
    return _followup(rows[0])


def add_followup(
    store: Store,
    household_id: str,
    what: str,
    due_date: str,
    *,
    urgent: bool = False,
    person_id: str | None = None,
    source: str = "",
    source_id: str = "",
) -> Followup:
    from canxie_tui.domain import validate
    from canxie_tui.store import tiers

    clean = validate.clean_followup(what, due_date, store.today())
    with store.transaction():
        followup_id = records.insert(
            store,
            "followups",
            {
                **clean,
                "household_id": household_id,
                "person_id": person_id,
                "urgent": int(urgent),
                "owner_id": store.operator_id or None,
                "source": source,
                "source_id": source_id,
            },
        )
        if urgent:
            tiers.refresh(store, household_ids=[household_id])
    return get_followup(store, followup_id)


def close_followup(store: Store, followup: Followup, outcome: str, closed: str) -> Followup:
    """Close with what came of it; an urgent one no longer keeps the household weekly."""
    from canxie_tui.domain.dates import parse_day
    from canxie_tui.domain.errors import InputError
    from canxie_tui.store import tiers

    if not outcome.strip():
        raise InputError("请写明跟进结果", "outcome")
    day = parse_day(closed, store.today(), field="closed_date", label="完成日期")
    with store.transaction():
        records.update(
            store,
            "followups",
            followup.id,
            {"status": "closed", "outcome": outcome.strip(), "closed_date": day.isoformat()},
            expected_version=followup.version,
            action="完成跟进",
        )
        if followup.urgent:
            tiers.refresh(store, household_ids=[followup.household_id])
    return get_followup(store, followup.id)


def open_followups(
    store: Store, *, household_id: str | None = None, limit: int | None = 500
) -> list[Followup]:
    """Open follow-ups, most pressing first (overdue and urgent before the rest);
    `limit=None` for all of them (the follow-up list pages them itself)."""
    where, params = "f.status = 'open'", []
    if household_id:
        where += " AND f.household_id = ?"
        params.append(household_id)
    rows = store.query(
        _SELECT + f" WHERE {where} ORDER BY f.due_date, f.urgent DESC LIMIT ?",
        [*params, -1 if limit is None else limit],  # SQLite: a negative LIMIT is none
    )
    return [_followup(r) for r in rows]


def counts(store: Store, today: date) -> dict[str, int]:
    row = store.query(
        "SELECT count(*) AS open, coalesce(sum(due_date < ?), 0) AS overdue, "
        "coalesce(sum(urgent), 0) AS urgent FROM followups WHERE status = 'open'",
        (today.isoformat(),),
    )[0]
    return {k: int(v) for k, v in row.items()}
