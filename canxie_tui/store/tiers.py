"""Keeping each person's visit tier, its reason and next due date current.

The tier follows from the person, the household and open urgent follow-ups, so
it is recomputed whenever one of those changes (and for everyone when the tier
settings change).  The due list then needs no computation at all: it is a range
scan over `persons.next_due_date`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from canxie_tui.domain.tiers import (
    DEFAULT_TIER_SETTINGS,
    TierFacts,
    TierSettings,
    next_due,
    tier_for,
)
from canxie_tui.store.connection import Store
from canxie_tui.store.register_sql import in_register

_FACTS_SQL = f"""
SELECT p.pk, p.category, p.level, p.care_flags, p.device_kind, p.created_at,
       p.last_visit_date, h.flags AS household_flags,
       (SELECT count(*) FROM persons m WHERE m.household_id = p.household_id
          AND {in_register("m")}) AS certified,
       EXISTS (SELECT 1 FROM followups f WHERE f.household_id = p.household_id
          AND f.status = 'open' AND f.urgent = 1
          AND (f.person_id IS NULL OR f.person_id = p.id)) AS urgent
FROM persons p JOIN households h ON h.id = p.household_id
WHERE {in_register("p")}
"""


def get_settings(store: Store) -> TierSettings:
    from canxie_tui.store.site import get_setting

    data = get_setting(store, "tier_settings")
    return TierSettings.from_json(data) if data else DEFAULT_TIER_SETTINGS


def save_settings(store: Store, settings: TierSettings) -> int:
    """Save new tier rules/intervals and re-tier everyone; returns persons updated."""
    from canxie_tui.store.site import set_setting

    with store.transaction():
        set_setting(store, "tier_settings", settings.to_json())
        return refresh(store)


def _facts(row: dict[str, Any]) -> TierFacts:
    return TierFacts(
        category=row["category"],
        level=row["level"],
        care_flags=frozenset(json.loads(row["care_flags"])),
        device_kind=row["device_kind"],
        household_flags=frozenset(json.loads(row["household_flags"])),
        certified_in_household=row["certified"],
        urgent_followup=bool(row["urgent"]),
    )


def derived(
    facts: TierFacts, settings: TierSettings, registered: date, last_visit: date | None = None
) -> tuple[str, str, str]:
    """tier, tier_reason and next_due_date of one active certified person: what
    `refresh` writes, for a bulk insert that knows the facts already."""
    result = tier_for(facts, settings)
    due = next_due(last_visit, result.interval_days, registered)
    return result.tier, result.text, due.isoformat()


def refresh(
    store: Store,
    *,
    household_ids: Iterable[str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Recompute tier, reason and next due date (for some households, or everyone)."""
    settings = get_settings(store)
    scope, params = "", []
    if household_ids is not None:
        params = sorted(set(household_ids))
        if not params:
            return 0
        scope = f" AND household_id IN ({','.join('?' for _ in params)})"
    rows = store.query(_FACTS_SQL + scope.replace("household_id", "p.household_id"), params)
    updates = []
    for i, row in enumerate(rows):
        last = date.fromisoformat(row["last_visit_date"]) if row["last_visit_date"] else None
        registered = date.fromisoformat(row["created_at"][:10])
        updates.append((*derived(_facts(row), settings, registered, last), row["pk"]))
        if progress and i % 1000 == 0:
            progress(i, len(rows))
    with store.transaction() as db:
        db.conn.executemany(
            "UPDATE persons SET tier = ?, tier_reason = ?, next_due_date = ? WHERE pk = ?",
            updates,
        )
        # People who left the register (or have no certificate) are never due.
        db.conn.execute(
            "UPDATE persons SET next_due_date = '' "
            f"WHERE (status != 'active' OR category IS NULL) AND next_due_date != ''{scope}",
            params,
        )
    return len(updates)
