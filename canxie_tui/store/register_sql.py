"""在册 — "in the register" — as SQL, written once.

A person is in the register when they hold a certificate (a disability
category is recorded) and have not left it: 迁出, 死亡 and 注销 set `status`
away from 'active' with the day it happened in `status_date`.  Uncertified
household members are kept for the household's sake but are never counted, nor
is a person the district holds out (`held`: an ID number another record has,
waiting for a decision; see `store.district.identity`).

Two forms: now (the due list, the dashboard, the emergency list) and at the
end of a past day (the monthly return and the district roll-up count who was
in the register on the month's last day, even if they left since).  The
schema's count triggers use the first form too (`schema.py`, written out there
because a migration's SQL must never change).
"""

from __future__ import annotations


def in_register(alias: str = "p", *, held: bool = True) -> str:
    """Certified and in the register now; `alias` is the persons table's alias ('' for none).

    `held=False` for a database from before `persons.held` (a backup being checked).
    """
    p = f"{alias}." if alias else ""
    rule = f"{p}status = 'active' AND {p}category IS NOT NULL"
    return f"{rule} AND {p}held = 0" if held else rule


def in_register_at(alias: str = "p", day: str = ":until") -> str:
    """Certified, registered by `day` (an SQL parameter) and not left before or on it."""
    p = f"{alias}." if alias else ""
    return (
        f"{p}category IS NOT NULL AND {p}held = 0 AND substr({p}created_at, 1, 10) <= {day} "
        f"AND ({p}status = 'active' OR {p}status_date > {day})"
    )
