"""Who entered or left the register in a month, and why (变动情况 of the monthly return).

This is what stops a payment to someone who died or moved away, and starts one
for a new certificate (the plan's "动态监管").  The rules, for a month counted
from its first day to `until` (the month's end, or today in the current month;
see `store.monthly.Period`):

- 新办证: certified and registered (the record created) in the month, with a
  发证日期 in the month, after it, or not recorded; also someone recorded
  earlier as a family member without a certificate whose disability category
  was first recorded in the month;
- 迁入: certified and registered in the month with a 发证日期 before it (they
  came with their certificate);
- 迁出 / 死亡 / 注销: certified, registered by `until`, and left the register
  (status) with a status date in the month up to `until`;
- 类别/等级变更: registered before the month, certified before and after, and
  the category or level at the end of the month differs from the one at its
  start.  Read from the audit log's before/after of the person's changes dated
  (the row's `updated_at`) in the month: the community's own edits, or on a
  district database the merge's 合并更新 entries, which carry the community's
  `updated_at` (a person the district first receives already changed shows no
  change there: the district never held the earlier state);
- 证件到期: in the register at `until`, with 有效期至 in the month (a renewed
  certificate has a later date and drops out).

The register's first month (首次建档): where nobody of a division (the
household's division code) was in the register at the end of the month before,
the people registered in the month are the register being set up (a roster
imported, a first merge), not new certificates: they are counted in
`RegisterChanges.founding` and not listed.

Everything is read from the records themselves (persons, households, the audit
log), so a district database of merged returns gives each community the figures
its own return gives (`store.monthly.month_figures` groups them by division).
A handful of queries over the whole database, none per person.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from canxie_tui.domain.models import address_with_place
from canxie_tui.store.connection import Store
from canxie_tui.store.register_sql import in_register_at

__all__ = [
    "CHANGE_KINDS",
    "ENTRY_KINDS",
    "EXIT_KINDS",
    "OTHER_KINDS",
    "RegisterChange",
    "RegisterChanges",
    "register_changes",
]

# In the order the 变动情况 sheet lists them.
CHANGE_KINDS: Mapping[str, str] = {
    "new_cert": "新办证",
    "moved_in": "迁入",
    "moved": "迁出",
    "deceased": "死亡",
    "cancelled": "注销",
    "reclassified": "类别/等级变更",
    "expiring": "证件到期",
}
ENTRY_KINDS = ("new_cert", "moved_in")  # into the register
EXIT_KINDS = ("moved", "deceased", "cancelled")  # out of it (the person's status codes)
OTHER_KINDS = ("reclassified", "expiring")
_ORDER = {kind: n for n, kind in enumerate(CHANGE_KINDS)}

_COLUMNS = (
    "p.id, p.household_id, h.division_code, p.name, p.id_number, p.sex, p.birth_date, "
    "p.category, p.level, p.cert_issued, p.cert_valid_until, p.status, p.status_date, "
    "p.status_reason, substr(p.created_at, 1, 10) AS registered, "
    "h.address, h.building, h.unit, h.room"
)
_FROM = "FROM persons p JOIN households h ON h.id = p.household_id"


@dataclass(frozen=True)
class RegisterChange:
    """One person's change of the month (one row of the 变动情况 sheet)."""

    kind: str  # a CHANGE_KINDS code
    day: str  # ISO date of the change (registration, status date, expiry, edit)
    person_id: str
    household_id: str
    division_code: str
    name: str
    id_number: str | None
    sex: str
    birth_date: str | None
    category: int | None  # now (after the change)
    level: int | None
    address: str  # with building, unit and room
    cert_issued: str  # '' when not recorded
    cert_valid_until: str
    registered: str  # the day the record was created
    reason: str = ""  # why they left (status reason)
    # 类别/等级变更: (category, level) at the month's start; for a 新办证 of someone
    # recorded before without a certificate: (None, None)
    before: tuple[int | None, int | None] | None = None

    @property
    def label(self) -> str:
        return CHANGE_KINDS[self.kind]


@dataclass(frozen=True)
class RegisterChanges:
    """The month's changes, in sheet order, and the register's first month per division."""

    rows: tuple[RegisterChange, ...] = ()
    # division code -> people registered in the month where the register was being
    # set up (nobody of that division in the register the month before); not listed
    founding: Mapping[str, int] = field(default_factory=dict)

    def counts(self, division: str | None = None) -> dict[str, int]:
        """People per kind (every kind, 0 when none), of one division or all."""
        found = dict.fromkeys(CHANGE_KINDS, 0)
        for row in self.rows:
            if division is None or row.division_code == division:
                found[row.kind] += 1
        return found

    def founded(self, division: str | None = None) -> int:
        if division is None:
            return sum(self.founding.values())
        return self.founding.get(division, 0)

    @property
    def divisions(self) -> set[str]:
        return {r.division_code for r in self.rows} | set(self.founding)


def _row(kind: str, day: str, values: Mapping[str, Any], **extra: Any) -> RegisterChange:
    place = "".join(values[k] for k in ("building", "unit", "room") if values[k])
    return RegisterChange(
        kind=kind,
        day=day,
        person_id=values["id"],
        household_id=values["household_id"],
        division_code=values["division_code"],
        name=values["name"],
        id_number=values["id_number"],
        sex=values["sex"],
        birth_date=values["birth_date"],
        category=values["category"],
        level=values["level"],
        address=address_with_place(values["address"], place),
        cert_issued=values["cert_issued"],
        cert_valid_until=values["cert_valid_until"],
        registered=values["registered"],
        **extra,
    )


def _rows(store: Store, where: str, params: Mapping[str, Any]) -> Iterable[dict[str, Any]]:
    cursor = store.db.conn.execute(f"SELECT {_COLUMNS} {_FROM} WHERE {where}", params)
    names = [d[0] for d in cursor.description]
    for values in cursor:
        yield dict(zip(names, values, strict=True))


def _class_changes(
    store: Store, params: Mapping[str, str]
) -> dict[str, tuple[tuple[Any, Any], tuple[Any, Any], str]]:
    """person id -> ((category, level) at the month's start, at its end, day of the change)
    for people registered before the month whose category or level changed in it."""
    found: dict[str, tuple[tuple[Any, Any], tuple[Any, Any], str]] = {}
    first, until = params["first"], params["until"]
    # Only people changed since the month began can have a change in it (the row's
    # updated_at is at least the change's), so the audit log is read by record.
    for rid, before, after, day in store.db.conn.execute(
        "SELECT a.record_id, "
        "json_array(json_extract(a.before, '$.category'), json_extract(a.before, '$.level')), "
        "json_array(json_extract(a.after, '$.category'), json_extract(a.after, '$.level')), "
        "substr(json_extract(a.after, '$.updated_at'), 1, 10) FROM audit_log a "
        "WHERE a.record_id IN (SELECT id FROM persons WHERE updated_at >= :first "
        "AND substr(created_at, 1, 10) < :first) "
        "AND a.table_name = 'persons' AND a.before IS NOT NULL AND a.after IS NOT NULL "
        "AND json_type(a.before, '$.category') IS NOT NULL "
        "AND json_type(a.after, '$.category') IS NOT NULL ORDER BY a.seq",
        params,
    ):
        if not day or not first <= day <= until:
            continue
        start, end = tuple(json.loads(before)), tuple(json.loads(after))
        known = found.get(rid)
        when = day
        if known is not None:
            when = day if start != end else known[2]  # the day of the latest real change
            start = known[0]
        found[rid] = (start, end, when)
    return {rid: change for rid, change in found.items() if change[0] != change[1]}


def register_changes(store: Store, first: date, until: date, last: date) -> RegisterChanges:
    """The changes of the month `first`..`last` counted to `until` (see the module doc)."""
    params = {
        "first": first.isoformat(),
        "until": until.isoformat(),
        "last": last.isoformat(),
        "before": (first - timedelta(days=1)).isoformat(),
    }
    conn = store.db.conn
    had = {
        code
        for (code,) in conn.execute(
            f"SELECT DISTINCT h.division_code {_FROM} WHERE {in_register_at('p', ':before')}",
            params,
        )
    }
    rows: list[RegisterChange] = []
    founding: dict[str, int] = {}
    for values in _rows(
        store,
        "p.category IS NOT NULL AND p.held = 0 AND substr(p.created_at, 1, 10) BETWEEN :first AND :until",
        params,
    ):
        if values["division_code"] not in had:
            founding[values["division_code"]] = founding.get(values["division_code"], 0) + 1
            continue
        issued = values["cert_issued"]
        kind = "moved_in" if issued and issued < params["first"] else "new_cert"
        rows.append(_row(kind, values["registered"], values))
    for values in _rows(
        store,
        "p.category IS NOT NULL AND p.held = 0 AND p.status != 'active' "
        "AND p.status_date BETWEEN :first AND :until AND substr(p.created_at, 1, 10) <= :until",
        params,
    ):
        if values["status"] in EXIT_KINDS:
            rows.append(
                _row(
                    values["status"], values["status_date"], values, reason=values["status_reason"]
                )
            )
    for values in _rows(
        store,
        f"{in_register_at('p', ':until')} AND p.cert_valid_until BETWEEN :first AND :last",
        params,
    ):
        rows.append(_row("expiring", values["cert_valid_until"], values))
    changed = _class_changes(store, params)
    if changed:
        sql = f"SELECT {_COLUMNS} {_FROM} WHERE p.id IN ({{marks}})"
        for values in store.query_in(sql, sorted(changed)):
            before, _, day = changed[values["id"]]
            category, level = before
            if category is None:
                if values["category"] is None:
                    continue
                kind = "new_cert"  # a family member's certificate first recorded
            else:
                kind = "reclassified"
            rows.append(_row(kind, day, values, before=(category, level)))
    rows.sort(key=lambda r: (_ORDER[r.kind], r.day, r.division_code, r.name, r.person_id))
    return RegisterChanges(tuple(rows), founding)
