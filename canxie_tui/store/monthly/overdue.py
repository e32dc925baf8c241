"""People overdue for a visit at the month's end (the rule in the package's docstring)."""

from __future__ import annotations

from datetime import date, timedelta

from canxie_tui.domain.tiers import next_due
from canxie_tui.store import tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.monthly.columns import _IN_REGISTER, _PERSONS
from canxie_tui.store.monthly.period import Period


def _overdue(store: Store, group: str, period: Period) -> dict[str, int]:
    """People overdue for a visit at `until`, per group (the rule in the package doc).

    The due list's stored columns hold this very rule for everyone whose last visit
    is not after `until` (`persons.next_due_date`, kept by `store.tiers`): one indexed
    count.  Only people visited after `until` (a past month's return) or out of the
    register now (no stored due date) are worked out from the visits of the longest
    interval before `until` (one range scan; a latest-visit subquery per person made
    this step super-linear at district scale).
    """
    params = period.params
    conn = store.db.conn
    stored = "p.next_due_date <> '' AND p.last_visit_date <= :until"
    found: dict[str, int] = dict(
        conn.execute(
            f"SELECT {group}, count(*) {_PERSONS} WHERE {_IN_REGISTER} AND {stored} "
            "AND p.next_due_date < :until GROUP BY 1",
            params,
        ).fetchall()
    )
    settings = tiers.get_settings(store)
    longest = max(settings.intervals.values())
    until = period.until
    rest = conn.execute(
        f"SELECT {group}, p.id, p.tier, substr(p.created_at, 1, 10), "
        "CASE WHEN p.last_visit_date <= :until THEN p.last_visit_date ELSE '' END "
        f"{_PERSONS} WHERE {_IN_REGISTER} AND NOT ({stored})",
        params,
    ).fetchall()
    # Their latest visit up to `until`, looked for within the longest interval only:
    # one visited before that is overdue whatever the date, as is one never visited
    # (due on registration, before `until`), so "none in the window" counts the same.
    since = (until - timedelta(days=longest)).isoformat()
    recent: dict[str, str] = {}
    if rest:
        for pid, day in conn.execute(
            "SELECT vp.person_id, max(v.visit_date) FROM visits v "
            "JOIN visit_persons vp ON vp.visit_id = v.id "
            "WHERE v.visit_date BETWEEN :since AND :until AND v.deleted = 0 GROUP BY 1",
            {**params, "since": since},
        ):
            recent[pid] = day
    for key, pid, tier, registered, kept in rest:
        seen = max(recent.get(pid, ""), kept or "")
        due = next_due(
            date.fromisoformat(seen) if seen else None,
            settings.intervals.get(tier, longest),
            date.fromisoformat(registered),
        )
        if due < until:
            found[key] = found.get(key, 0) + 1
    return found
