"""What the merge compares: the record tables, their children, a record's content and hash."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import Any

from canxie_tui.store import records

# Record tables in the order parents come before children.
RECORD_TABLES: tuple[str, ...] = (
    "operators",
    "households",
    "persons",
    "subsidies",
    "daycare_members",
    "daycare_closures",
    "visits",
    "followups",
    "notes",
    "attendance",
    "emergency_events",
    "emergency_checks",
)
# Rows without a UUID of their own, merged with their parent record.
CHILDREN: dict[str, tuple[tuple[str, str, tuple[str, ...]], ...]] = {
    # parent table: (child table, foreign key, columns identifying a child row)
    "visits": (
        ("visit_visitors", "visit_id", ("operator_id",)),
        ("visit_persons", "visit_id", ("person_id",)),
    ),
    "notes": (("note_revisions", "note_id", ("revision",)),),
}
CHILD_TABLES: tuple[str, ...] = tuple(c for kids in CHILDREN.values() for c, _, _ in kids)
# A database's own numbering, and whether the district holds a person out of its
# counts (store.district.identity): never compared, never taken from a return.
LOCAL = frozenset({"pk", "held"})

# child table -> parent id -> rows
Children = dict[str, dict[str, list[dict[str, Any]]]]
# A record's state as last merged: (version, updated_at, hash)
State = tuple[int, str, str]


def content(table: str, row: dict[str, Any]) -> dict[str, Any]:
    """The columns of a row that a merge compares (derived ones left out)."""
    skip = LOCAL | records.derived(table)
    return {k: v for k, v in row.items() if k not in skip}


def full_record(table: str, row: dict[str, Any], kids: Children) -> dict[str, Any]:
    """A record as hashed and shown in a conflict: its row and its children, sorted."""
    found = content(table, row)
    for child, _, order in CHILDREN.get(table, ()):
        rows = [
            {k: v for k, v in r.items() if k not in LOCAL}
            for r in kids.get(child, {}).get(row["id"], [])
        ]
        rows.sort(key=lambda r: tuple(str(r.get(c)) for c in order))
        found[f"_{child}"] = rows
    return found


def content_hash(found: dict[str, Any]) -> str:
    text = json.dumps(found, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _order(row: dict[str, Any]) -> tuple[int, str]:
    return (int(row.get("version") or 0), str(row.get("updated_at") or ""))


def decide(
    row: dict[str, Any], mine: dict[str, Any], current: str, digest: str, state: State | None
) -> str:
    """unchanged / updated, or the reason of a conflict (see the package's doc).

    `row` is the incoming record and `digest` its hash, `mine` the district's and
    `current` its hash, `state` the record as last merged (None: never merged).
    """
    if current == digest:
        return "unchanged"
    theirs, ours = _order(row), _order(mine)
    if state is None:
        if theirs > ours:
            return "updated"
        if theirs < ours:
            return "unchanged"
        return "同一版本的记录内容不同（本库已有这条记录，但不是合并来的）"
    version, _, merged = state
    if digest == merged:
        return "unchanged"  # nothing new in the workbook; the district's own change stays
    if current != merged:
        return "区里和社区在上次合并后都修改了这条记录"
    if theirs[0] > version:
        return "updated"
    if theirs[0] < version:
        return "unchanged"  # an older workbook than the one already merged
    return "两份月报对同一版本的记录作了不同的修改（可能来自两个社区或同一社区的两份副本）"


def group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


def to_json(value: dict[str, Any] | None) -> str | None:
    """A version as `merge_conflicts` keeps it (NULL for none)."""
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
