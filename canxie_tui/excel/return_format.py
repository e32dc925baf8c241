"""The monthly return's file format, shared by its writer and its reader.

A return holds the print sheets (`PRINT_SHEETS`, for people), `_元数据` (format,
version, site, month, and per data sheet its table, row count and SHA-256, then
one checksum over all of it: `meta_checksum`, then the community's MAC over that
checksum, `domain.transit.return_mac`) and one `_数据_<key>` sheet per
`DATA_TABLES` entry, parents before children; `_元数据` and the data sheets are
hidden (readers find them by name, whatever their state).  ID numbers never
travel: the data sheets hold tokens (`excel.return_ids`).

A text longer than one cell holds (32,767 characters) continues in rows right
after its record's row, `[#N/A, column number, next part]` (`excel.cells`);
such rows are not records (row counts and checksums are of the joined rows).
A return without such a text is byte for byte what an older writer made.

`FORMAT_VERSION` counts changes of the machine-readable part that an older
reader could not read; the print sheets are for people and change without it
(version 1 still holds after 变动情况 was added, the figures became numbers and
`_元数据` was hidden: the data sheets and the metadata's rows are as they were).

Which rows a data sheet holds is part of the format, since the district merge
relies on it: the month's records are those dated in the month (visit date,
attendance day, closed day, event period) plus everything created or changed in
it (corrections of earlier months travel with the month they were made in), the
follow-ups still open at month end, and each registered person's last visit up
to the month's end, whenever it was (the district counts who was overdue from
it).  The register (households, persons, operators) goes in whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from canxie_tui.excel.cells import canonical_row
from canxie_tui.store.register_sql import in_register_at

__all__ = [
    "DATA_PREFIX",
    "DATA_TABLES",
    "FORMAT",
    "FORMAT_VERSION",
    "META_SHEET",
    "PRINT_SHEETS",
    "RETURN_VISITS",
    "TOUCHED",
    "DataTable",
    "meta_checksum",
]

FORMAT = "canxie_tui.monthly_return"
FORMAT_VERSION = 1
META_SHEET = "_元数据"
DATA_PREFIX = "_数据_"
PRINT_SHEETS = (
    "汇总",
    "变动情况",
    "走访明细",
    "渝馨家园考勤",
    "个案记录",
    "指标",
    "急难救助",
    "两项补贴发放名册",
    "两项补贴变动表",
)


@dataclass(frozen=True)
class DataTable:
    """One machine-readable sheet: `_数据_<key>` holds rows of database `table`."""

    key: str
    table: str
    label: str
    where: str  # which rows belong to the month (:first, :last, :next, :until; see store.monthly)
    order: str = "pk"

    @property
    def sheet(self) -> str:
        return DATA_PREFIX + self.key


# Created or changed in the month.
TOUCHED = "((created_at >= :first AND created_at < :next) OR (updated_at >= :first AND updated_at < :next))"
# Each registered person's last visit up to the month's end: a district holding only
# some months' visits still knows who was overdue then (store.monthly).  Looked up by
# the household's visits first (an index range, newest first), then by the person's.
_LAST_SEEN = (
    "id IN (SELECT coalesce("
    "(SELECT v.id FROM visits v WHERE v.household_id = p.household_id AND v.visit_date <= :until "
    "AND v.deleted = 0 AND EXISTS (SELECT 1 FROM visit_persons vp WHERE vp.visit_id = v.id "
    "AND vp.person_id = p.id) ORDER BY v.visit_date DESC, v.pk DESC LIMIT 1), "
    "(SELECT v.id FROM visit_persons vp JOIN visits v ON v.id = vp.visit_id "
    "WHERE vp.person_id = p.id AND v.deleted = 0 AND v.visit_date <= :until "
    "ORDER BY v.visit_date DESC, v.pk DESC LIMIT 1)) "
    f"FROM persons p WHERE {in_register_at('p')})"
)
_VISITS = f"(visit_date BETWEEN :first AND :last OR {TOUCHED} OR {_LAST_SEEN})"
# The visits a return holds (pk and id); their visitors and the people seen follow them.
# (The writer looks this set up once per export: `_LAST_SEEN` costs a second at district
# scale each time.)
RETURN_VISITS = f"SELECT pk, id FROM visits WHERE {_VISITS}"
_ATTENDANCE = f"(day BETWEEN :first AND :last OR {TOUCHED})"
# Events of the month, changed in it, or with a roll-call entry changed in it.
_EVENTS = (
    f"((started_at < :next AND (ended_at = '' OR ended_at >= :first)) OR {TOUCHED} "
    f"OR id IN (SELECT event_id FROM emergency_checks WHERE {TOUCHED}))"
)

# Parents before children, so a reader can insert them in this order.
DATA_TABLES: tuple[DataTable, ...] = (
    DataTable("operators", "operators", "操作员", "1"),
    DataTable("households", "households", "户（全部）", "1"),
    DataTable("persons", "persons", "人员（全部）", "1"),
    DataTable("subsidies", "subsidies", "两项补贴记录（全部）", "1"),
    DataTable(
        "members",
        "daycare_members",
        "渝馨家园成员",
        "((start_date <= :last AND (end_date = '' OR end_date > :first)) OR "
        f"id IN (SELECT member_id FROM attendance WHERE {_ATTENDANCE}) OR {TOUCHED})",
    ),
    DataTable(
        "closures",
        "daycare_closures",
        "渝馨家园闭馆日",
        f"(day BETWEEN :first AND :last OR {TOUCHED})",
    ),
    # By pk: read in pk order, the sheet's order, rather than found by id and sorted.
    DataTable("visits", "visits", "走访记录", f"pk IN (SELECT pk FROM ({RETURN_VISITS}))"),
    DataTable(
        "visit_visitors",
        "visit_visitors",
        "走访人",
        f"visit_id IN (SELECT id FROM ({RETURN_VISITS}))",
        "visit_id, operator_id",
    ),
    DataTable(
        "visit_persons",
        "visit_persons",
        "走访见到的人",
        f"visit_id IN (SELECT id FROM ({RETURN_VISITS}))",
        "visit_id, person_id",
    ),
    DataTable(
        "followups",
        "followups",
        "跟进事项",
        f"({TOUCHED} OR (created_at < :next AND (status = 'open' OR closed_date > :last)))",
    ),
    DataTable("notes", "notes", "个案记录", TOUCHED),
    DataTable(
        "note_revisions",
        "note_revisions",
        "个案记录的修订",
        f"note_id IN (SELECT id FROM notes WHERE {TOUCHED})",
    ),
    DataTable("attendance", "attendance", "渝馨家园考勤", _ATTENDANCE),
    DataTable("emergency_events", "emergency_events", "急难事件", _EVENTS),
    DataTable(
        "emergency_checks",
        "emergency_checks",
        "急难点名",
        f"event_id IN (SELECT id FROM emergency_events WHERE {_EVENTS})",
    ),
    # Rows removed in the month (an attendance mark undone, a closed day reopened):
    # their audit entries, so the district can remove them too.
    DataTable(
        "deletions",
        "audit_log",
        "本月删除的记录",
        "after IS NULL AND before IS NOT NULL AND at >= :first AND at < :next",
        "seq",
    ),
)


def meta_checksum(items: Sequence[tuple[str, Any]], sheets: Sequence[Sequence[Any]]) -> str:
    """The checksum of `_元数据`: its key/value rows (all but the checksum) and sheet rows."""
    digest = hashlib.sha256()
    for key, value in items:
        digest.update(canonical_row([key, str(value)]))
    for sheet in sheets:
        digest.update(canonical_row(["sheet", *(str(v) for v in sheet)]))
    return digest.hexdigest()
