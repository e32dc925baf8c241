"""残疾人证 expiry: who in the register needs their certificate renewed soon.

A certificate past its 有效期至 stops the 两项补贴 and the indicators' coverage
(专栏2 (2) 动态监管), so the worker is reminded 90 days ahead: a count on the
dashboard and a list sorted by the date, expired ones first.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from canxie_tui.store import places
from canxie_tui.store.connection import Store
from canxie_tui.store.register_sql import in_register

REMIND_DAYS = 90

_WHERE = f"{in_register('p')} AND p.cert_valid_until <> '' AND p.cert_valid_until <= ?"


def expiry_text(days_left: int) -> str:
    """A certificate's time left in words (never colour alone): 已过期12天 / 今天到期 / 30天后到期."""
    if days_left < 0:
        return f"已过期{-days_left}天"
    return "今天到期" if days_left == 0 else f"{days_left}天后到期"


def _until(today: date, within_days: int) -> str:
    return (today + timedelta(days=within_days)).isoformat()


def expiring_count(store: Store, today: date, within_days: int = REMIND_DAYS) -> int:
    """How many certificates expire within `within_days` of `today` (or have expired)."""
    return int(
        store.scalar(
            f"SELECT count(*) FROM persons p WHERE {_WHERE}", (_until(today, within_days),)
        )
    )


def expiring(store: Store, today: date, within_days: int = REMIND_DAYS) -> list[dict[str, Any]]:
    """The people whose certificate expires within `within_days` (expired first), with
    where to find them (`community`: at a street or district) and `days_left`
    (negative: expired that many days ago)."""
    rows = store.query(
        "SELECT p.id, p.household_id, p.name, p.id_number, p.cert_number, p.category, p.level, "
        "p.phone, p.cert_valid_until, h.address, h.building, h.unit, h.room, h.grid, "
        "h.division_code AS community "
        f"FROM persons p JOIN households h ON h.id = p.household_id WHERE {_WHERE} "
        "ORDER BY p.cert_valid_until, p.name",
        (_until(today, within_days),),
    )
    for row in rows:
        row["days_left"] = (date.fromisoformat(row["cert_valid_until"]) - today).days
    return places.shown_communities(store, rows)
