"""Home visits (走访探视): logging, correcting and withdrawing them, and keeping
each person's last visit and next due date current in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from canxie_tui.domain import validate
from canxie_tui.domain.models import Visit
from canxie_tui.store import followups, records, tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.errors import NotFoundError
from canxie_tui.store.register_sql import in_register

_LISTS = ("checklist", "problems", "referrals")
_TIER_ORDER = "ABC"


def _visit(store: Store, row: dict[str, Any]) -> Visit:
    visitors = store.query(
        "SELECT o.id, o.name FROM visit_visitors vv JOIN operators o ON o.id = vv.operator_id "
        "WHERE vv.visit_id = ? ORDER BY o.pk",
        (row["id"],),
    )
    seen = store.query("SELECT person_id FROM visit_persons WHERE visit_id = ?", (row["id"],))
    return Visit(
        id=row["id"],
        household_id=row["household_id"],
        visit_date=row["visit_date"],
        method=row["method"],
        purpose=row["purpose"],
        checklist=frozenset(json.loads(row["checklist"])),
        problems=frozenset(json.loads(row["problems"])),
        problem_text=row["problem_text"],
        help_given=row["help_given"],
        referrals=frozenset(json.loads(row["referrals"])),
        note=row["note"],
        visitor_ids=tuple(v["id"] for v in visitors),
        visitor_names=tuple(v["name"] for v in visitors),
        persons_seen=tuple(s["person_id"] for s in seen),
        tier=row["tier"],
        version=row["version"],
        updated_by=row["updated_by"],
    )


def get_visit(store: Store, visit_id: str) -> Visit:
    rows = store.query("SELECT * FROM visits WHERE id = ? AND deleted = 0", (visit_id,))
    if not rows:
        raise NotFoundError("找不到该走访记录，可能已被撤销。")
    return _visit(store, rows[0])


def household_visits(store: Store, household_id: str, limit: int = 100) -> list[Visit]:
    rows = store.query(
        "SELECT * FROM visits WHERE household_id = ? AND deleted = 0 "
        "ORDER BY visit_date DESC, pk DESC LIMIT ?",
        (household_id, limit),
    )
    return [_visit(store, r) for r in rows]


def check_visit(store: Store, values: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    return validate.clean_visit(values, store.today())


def check_visit_for(
    store: Store, household_id: str, values: dict[str, Any], visit: Visit | None = None
) -> list[str]:
    """The visit form's checks that read the store, after clean_visit (a read, no writes).

    A date before the household or a person seen was registered by hand (created_at of
    a record whose first audit entry is 新增) is refused (InputError on visit_date; a
    correction keeping its date is let through).  Records that came from a roster import,
    a restore or a merge entered this file later than they were registered, so paper visits
    from before are let through (the form still asks about any date over 30 days old).
    A visit of the same household, date and purpose already logged is added to the warnings.
    """
    from canxie_tui.domain import codes
    from canxie_tui.domain.errors import InputError

    clean, warnings = check_visit(store, values)
    day = clean["visit_date"]
    if visit is None or day != visit.visit_date:
        seen = list(clean["persons_seen"])
        by_hand = (
            "EXISTS (SELECT 1 FROM audit_log a WHERE a.record_id = r.id "
            f"AND a.table_name = ? AND a.before IS NULL AND a.action = '{records.NEW_ACTION}')"
        )
        rows = store.query(
            "SELECT '本户' AS name, substr(created_at, 1, 10) AS since FROM households r "
            f"WHERE id = ? AND {by_hand}"
            " UNION ALL "
            "SELECT name, substr(created_at, 1, 10) FROM persons r "
            f"WHERE id IN ({', '.join('?' * len(seen))}) AND {by_hand}",
            (household_id, "households", *seen, "persons"),
        )
        late = max(rows, key=lambda r: r["since"], default=None)
        if late is not None and day < late["since"]:
            raise InputError(
                f"走访日期 {day} 早于{late['name']}的登记日期 {late['since']}，请核对日期",
                "visit_date",
            )
    same = store.scalar(
        "SELECT count(*) FROM visits WHERE household_id = ? AND visit_date = ? AND purpose = ? "
        "AND deleted = 0 AND id != ?",
        (household_id, day, clean["purpose"], visit.id if visit else ""),
    )
    if same:
        purpose = codes.label(codes.VISIT_PURPOSES, clean["purpose"])
        warnings.append(f"本户 {day} 已记过{same}次{purpose}，可能重复")
    return warnings


def _columns(clean: dict[str, Any]) -> dict[str, Any]:
    skip = {"visitors", "persons_seen", "followup"}
    return {
        k: json.dumps(v, ensure_ascii=False) if k in _LISTS else v
        for k, v in clean.items()
        if k not in skip
    }


def _household_tier(store: Store, household_id: str) -> str:
    """The household's tier: the most frequent one among its members in the register."""
    found = [
        r[0]
        for r in store.db.conn.execute(
            f"SELECT tier FROM persons WHERE household_id = ? AND {in_register('')}",
            (household_id,),
        )
    ]
    return min(found, key=_TIER_ORDER.find) if found else ""


def _check_people(store: Store, household_id: str, clean: dict[str, Any]) -> None:
    """People seen must belong to the household; visitors must be known operators."""
    from canxie_tui.domain.errors import InputError

    members = {
        r[0]
        for r in store.db.conn.execute(
            "SELECT id FROM persons WHERE household_id = ?", (household_id,)
        )
    }
    if not set(clean["persons_seen"]) <= members:
        raise InputError("见到的人中有不属于本户的人员", "persons_seen")
    operators = {r[0] for r in store.db.conn.execute("SELECT id FROM operators")}
    if not set(clean["visitors"]) <= operators:
        raise InputError("走访人中有未登记的操作员，请先在“切换操作员”中添加", "visitors")


def _people(visit: Visit) -> dict[str, Any]:
    return {"visitors": sorted(visit.visitor_ids), "persons_seen": sorted(visit.persons_seen)}


def _set_people(store: Store, visit_id: str, clean: dict[str, Any]) -> None:
    conn = store.db.conn
    conn.execute("DELETE FROM visit_visitors WHERE visit_id = ?", (visit_id,))
    conn.execute("DELETE FROM visit_persons WHERE visit_id = ?", (visit_id,))
    conn.executemany(
        "INSERT INTO visit_visitors (visit_id, operator_id) VALUES (?, ?)",
        [(visit_id, o) for o in clean["visitors"]],
    )
    conn.executemany(
        "INSERT INTO visit_persons (visit_id, person_id) VALUES (?, ?)",
        [(visit_id, p) for p in clean["persons_seen"]],
    )


def refresh_last_visits(store: Store, person_ids: Iterable[str]) -> None:
    """Recompute last visit (date, method) from the visits themselves, then due dates."""
    conn = store.db.conn
    households = set()
    for person_id in set(person_ids):
        last = conn.execute(
            "SELECT v.visit_date, v.method FROM visit_persons vp JOIN visits v ON v.id = vp.visit_id "
            "WHERE vp.person_id = ? AND v.deleted = 0 ORDER BY v.visit_date DESC, v.pk DESC LIMIT 1",
            (person_id,),
        ).fetchone()
        conn.execute(
            "UPDATE persons SET last_visit_date = ?, last_visit_method = ? WHERE id = ?",
            (*(last or ("", "")), person_id),
        )
        households.add(
            conn.execute("SELECT household_id FROM persons WHERE id = ?", (person_id,)).fetchone()[
                0
            ]
        )
    tiers.refresh(store, household_ids=households)


def add_visit(store: Store, household_id: str, values: dict[str, Any]) -> Visit:
    """Log a visit (and its follow-up, if any); warnings must be confirmed by the caller."""
    clean, _ = check_visit(store, values)
    _check_people(store, household_id, clean)
    with store.transaction():
        visit_id = records.insert(
            store,
            "visits",
            {
                **_columns(clean),
                "household_id": household_id,
                "tier": _household_tier(store, household_id),
            },
        )
        _set_people(store, visit_id, clean)
        refresh_last_visits(store, clean["persons_seen"])
        if "followup" in clean:
            f = clean["followup"]
            followups.add_followup(
                store,
                household_id,
                f["what"],
                f["due_date"],
                urgent=f["urgent"],
                source="visit",
                source_id=visit_id,
            )
    return get_visit(store, visit_id)


def correct_visit(store: Store, visit: Visit, values: dict[str, Any]) -> Visit:
    """Correct a visit as opened (StaleEditError if someone changed it meanwhile)."""
    clean, _ = check_visit(store, values)
    _check_people(store, visit.household_id, clean)
    new_people = {k: sorted(clean[k]) for k in ("visitors", "persons_seen")}
    with store.transaction():
        records.update(
            store,
            "visits",
            visit.id,
            _columns(clean),
            expected_version=visit.version,
            action="更正走访",
            related=(_people(visit), new_people),
        )
        _set_people(store, visit.id, clean)
        refresh_last_visits(store, {*visit.persons_seen, *clean["persons_seen"]})
    return get_visit(store, visit.id)


def withdraw_visit(store: Store, visit: Visit, reason: str) -> None:
    """Withdraw a visit logged in error; it stays in the audit log, not in any count."""
    from canxie_tui.domain.errors import InputError

    if not reason.strip():
        raise InputError("请写明撤销原因", "reason")
    with store.transaction():
        records.update(
            store,
            "visits",
            visit.id,
            {"deleted": 1, "note": f"{visit.note}（撤销：{reason.strip()}）"},
            expected_version=visit.version,
            action="撤销走访",
        )
        refresh_last_visits(store, visit.persons_seen)
        # A promise made at a visit that did not happen is void too.
        for followup in followups.open_followups(store, household_id=visit.household_id):
            if (followup.source, followup.source_id) == ("visit", visit.id):
                followups.close_followup(
                    store, followup, "走访记录已撤销", store.today().isoformat()
                )
