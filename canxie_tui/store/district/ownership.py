"""A return may only create, change or delete records of its own community (or street).

Before a return's rows are decided (`merge._Run`), `screen` drops every row
that is not the sender's to touch, and names it in the result.  The sender is a
community (12-digit code) or a street's own install (9 digits); a street's
return speaks for every code under it (its communities and itself), a
community's for its own code alone:

- a record the district already has belongs to the site that last merged it
  (`merge_state.site_code`) and to the community of its household's division
  code; only a return whose code covers one of them may change or delete it (so
  a community may take up its records a street's return brought, and back);
- a new record must hang from the community's own households (a person from a
  household, a visit, note or follow-up from a household, a 两项补贴 entry, a day-care member or
  a roll-call entry from a person, attendance from a member, a roll-call entry
  also from an event) — its own incoming ones or the district's of its code;
- children (visitors, people seen, note revisions) go with their record, and a
  visit names only the community's own people as seen.

The return's signature (`domain.transit.return_mac`) says which community sent
it; this says what that community may write.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from canxie_tui.domain.transit import is_street, site_word
from canxie_tui.store.connection import Store
from canxie_tui.store.district.content import CHILDREN, RECORD_TABLES
from canxie_tui.store.labels import TABLE_LABELS

__all__ = ["Screened", "covers", "screen"]

_ELSEWHERE = "属于其他社区（或街道）"

# A record's parents that must be the community's own: column -> parent table.
_PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "persons": (("household_id", "households"),),
    "subsidies": (("person_id", "persons"),),
    "visits": (("household_id", "households"),),
    "followups": (("household_id", "households"), ("person_id", "persons")),
    "notes": (("household_id", "households"), ("person_id", "persons")),
    "daycare_members": (("person_id", "persons"),),
    "attendance": (("member_id", "daycare_members"),),
    "emergency_checks": (("person_id", "persons"), ("event_id", "emergency_events")),
}


class Screened:
    """What a return may write: its rows and deletions, and the refusals (Chinese lines)."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.deletions: list[Any] = []
        self.refused: list[tuple[str, str]] = []  # (table, line)


def _label(table: str, row: Mapping[str, Any]) -> str:
    for key in ("name", "address", "title", "day", "visit_date", "started_at"):
        if row.get(key):
            return f"{TABLE_LABELS.get(table, table)}“{row[key]}”"
    return f"{TABLE_LABELS.get(table, table)}（{str(row.get('id', ''))[:8]}）"


_HOUSEHOLD = "JOIN households h ON h.id = r.household_id"
_PERSON = "JOIN persons p ON p.id = r.person_id JOIN households h ON h.id = p.household_id"
# How a record reaches its household (whose division code says whose it is).
_DIVISION: dict[str, str] = {
    "persons": _HOUSEHOLD,
    "visits": _HOUSEHOLD,
    "followups": _HOUSEHOLD,
    "notes": _HOUSEHOLD,
    "subsidies": _PERSON,
    "daycare_members": _PERSON,
    "emergency_checks": _PERSON,
    "attendance": "JOIN daycare_members m ON m.id = r.member_id "
    "JOIN persons p ON p.id = m.person_id JOIN households h ON h.id = p.household_id",
}


def covers(code: str, other: str) -> bool:
    """Whether the sender `code` speaks for the site or division `other`: its own code,
    and for a street (9 digits) every code under it."""
    return bool(other) and (other == code or (is_street(code) and other.startswith(code)))


class _Owners:
    """Which of the district's records belong to the sender `code` (see `covers`)."""

    def __init__(self, store: Store, code: str) -> None:
        self.store = store
        self.code = code
        self.cache: dict[str, dict[str, bool]] = {t: {} for t in RECORD_TABLES}

    def _query(self, sql: str, ids: Sequence[str], *head: str) -> dict[str, str]:
        return {rid: owner or "" for rid, owner in self.store.rows_in(sql, ids, *head)}

    def load(self, table: str, ids: Sequence[str]) -> None:
        """Look up (once) who owns `ids` of `table`: absent ids are not the district's."""
        wanted = [i for i in dict.fromkeys(ids) if i not in self.cache[table]]
        if not wanted:
            return
        present = self._query(f"SELECT id, '' FROM {table} WHERE id IN ({{marks}})", wanted)
        merged = self._query(
            "SELECT record_id, site_code FROM merge_state WHERE table_name = ? "
            "AND record_id IN ({marks})",
            list(present),
            table,
        )
        owned = {rid for rid in present if covers(self.code, merged.get(rid, ""))}
        rest = [rid for rid in present if rid not in owned]
        coded: dict[str, str] = {}
        if table == "households":
            coded = self._query(
                "SELECT id, division_code FROM households WHERE id IN ({marks})", rest
            )
        elif table in _DIVISION:
            coded = self._query(
                f"SELECT r.id, h.division_code FROM {table} r {_DIVISION[table]} "
                "WHERE r.id IN ({marks})",
                rest,
            )
        for rid in present:
            self.cache[table][rid] = rid in owned or covers(self.code, coded.get(rid, ""))

    def known(self, table: str, rid: str) -> bool:
        return rid in self.cache[table]

    def owned(self, table: str, rid: str) -> bool:
        return self.cache[table].get(rid, False)


def screen(
    store: Store, code: str, tables: Mapping[str, list[dict[str, Any]]], deletions: Sequence[Any]
) -> Screened:
    """The rows and deletions the community or street `code` may write (see the module doc)."""
    owners = _Owners(store, code)
    out = Screened()
    accepted: dict[str, set[str]] = {t: set() for t in RECORD_TABLES}
    dropped: dict[str, set[str]] = {}
    for table in RECORD_TABLES:
        rows = tables.get(table, [])
        owners.load(table, [r["id"] for r in rows])
        for column, parent in _PARENTS.get(table, ()):
            owners.load(parent, [r[column] for r in rows if r.get(column)])
        kept = []
        for row in rows:
            why = _why(owners, accepted, table, row, code)
            if why:
                out.refused.append((table, f"{_label(table, row)}{why}，本月报无权写入，已拒收"))
                dropped.setdefault(table, set()).add(row["id"])
            else:
                accepted[table].add(row["id"])
                kept.append(row)
        out.tables[table] = kept
    for parent, kids in CHILDREN.items():
        gone = dropped.get(parent, set())
        for child, key, _ in kids:
            rows = [r for r in tables.get(child, []) if r[key] not in gone]
            if child == "visit_persons":  # a visit may only name the community's own people
                owners.load("persons", [r["person_id"] for r in rows])
                own = []
                for row in rows:
                    person = row["person_id"]
                    if person in accepted["persons"] or owners.owned("persons", person):
                        own.append(row)
                        continue
                    line = (
                        f"走访记录（{str(row['visit_id'])[:8]}）中的走访对象"
                        f"不是本{site_word(code)}的人，已拒收"
                    )
                    out.refused.append(("visit_persons", line))
                rows = own
            out.tables[child] = rows
    for deletion in deletions:
        table, rid = deletion.table, deletion.record_id
        owners.load(table, [rid])
        if owners.known(table, rid) and not owners.owned(table, rid):
            line = f"{_label(table, deletion.before or {'id': rid})}{_ELSEWHERE}，本月报无权删除，已拒收"
            out.refused.append((table, line))
            continue
        out.deletions.append(deletion)
    return out


def _why(
    owners: _Owners, accepted: Mapping[str, set[str]], table: str, row: Mapping[str, Any], code: str
) -> str:
    """Why `row` may not be written by community or street `code` ("" when it may)."""
    rid = row["id"]
    if owners.known(table, rid):
        return "" if owners.owned(table, rid) else _ELSEWHERE
    if table == "households":
        division = row.get("division_code") or ""
        if not division or covers(code, division):
            return ""
        return f"的区划代码是 {division}，不是本{site_word(code)}的"
    for column, parent in _PARENTS.get(table, ()):
        ref = row.get(column)
        if not ref:
            continue
        if ref in accepted[parent] or owners.owned(parent, ref):
            continue
        return f"所属的{TABLE_LABELS.get(parent, parent)}不是本{site_word(code)}的"
    return ""
