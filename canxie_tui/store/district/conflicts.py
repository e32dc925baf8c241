"""Conflicts a merge listed: what differs, and deciding them (keep the district's or take the incoming)."""

from __future__ import annotations

import json
from typing import Any

from canxie_tui.domain.errors import InputError
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.district.apply import MergeCounts, Writer
from canxie_tui.store.district.content import (
    CHILDREN,
    RECORD_TABLES,
    Children,
    full_record,
    to_json,
)
from canxie_tui.store.district.identity import decide_held


def list_conflicts(store: Store, *, status: str | None = "open") -> list[dict[str, Any]]:
    """The conflicts waiting for a person (both versions as dicts), oldest first.

    `status` None lists all of them, resolved ones too.
    """
    where, params = ("WHERE status = ?", (status,)) if status is not None else ("", ())
    found = store.query(f"SELECT * FROM merge_conflicts {where} ORDER BY pk", params)
    for entry in found:
        for key in ("district_version", "incoming_version"):
            entry[key] = json.loads(entry[key]) if entry[key] else None
    return found


# Columns not worth showing as a difference between the two versions.
_QUIET = frozenset({"pk", "version", "created_at", "created_by", "updated_at", "updated_by"})
CHILD_LABELS = {
    "_visit_visitors": "走访人",
    "_visit_persons": "走访对象",
    "_note_revisions": "修订记录",
}


def short_value(value: Any, width: int = 40) -> str:
    """A version's value as a conflict listing shows it (Chinese for empty, lists counted)."""
    if value is None or value == "":
        return "（空）"
    if isinstance(value, list):
        return f"{len(value)}条"
    text = str(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def record_name(conflict: dict[str, Any]) -> str:
    """What a person recognises a conflict's record by, with the id's first 8 characters."""
    short = conflict["record_id"][:8]
    for version in (conflict["district_version"], conflict["incoming_version"]):
        for key in ("name", "address", "title", "day", "visit_date"):
            if version and version.get(key):
                return f"{version[key]}（{short}）"
    return short


def conflict_changes(conflict: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(column, district's value, incoming value) of the columns the two versions differ in."""
    mine = conflict.get("district_version") or {}
    theirs = conflict.get("incoming_version") or {}
    keys = [k for k in mine if k not in _QUIET] + [
        k for k in theirs if k not in mine and k not in _QUIET
    ]
    return [(k, mine.get(k), theirs.get(k)) for k in keys if mine.get(k) != theirs.get(k)]


def _find_conflict(store: Store, conflict_id: str) -> dict[str, Any]:
    text = conflict_id.strip().lower()
    if len(text) < 8:
        raise InputError(f"冲突编号“{conflict_id}”太短，请至少输入前8位", "id")
    found = store.query(
        "SELECT * FROM merge_conflicts WHERE id = ? OR substr(id, 1, ?) = ? ORDER BY pk",
        (text, len(text), text),
    )
    if not found:
        raise InputError(f"没有编号为“{conflict_id}”的冲突", "id")
    if len(found) > 1:
        raise InputError(f"编号以“{conflict_id}”开头的冲突不止一条，请多输入几位", "id")
    conflict = found[0]
    if conflict["status"] != "open":
        raise InputError(
            f"冲突“{conflict_id}”已于{conflict['resolved_at'].replace('T', ' ')}"
            f"由{conflict['resolved_by'] or '他人'}处理过，不能再次处理",
            "id",
        )
    return conflict


KEEPS = ("district", "incoming", "link")


def _writer(store: Store, conflict: dict[str, Any]) -> Writer:
    """A writer doing what the merge of the conflict's file would have done."""
    return Writer(
        store,
        MergeCounts(),
        source=conflict["source_file"],
        site_code=conflict["site_code"],
        month=conflict["month"],
    )


def _decided(store: Store, conflict: dict[str, Any], keep: str) -> dict[str, Any]:
    """A held person decided (`identity.decide_held`), the conflict marked, audited."""
    if conflict["kind"] != "identity":
        raise InputError("只有“身份证号相同”的人员冲突才能认定为同一人", "keep")
    writer = _writer(store, conflict)
    decide_held(writer, conflict, keep)
    writer.finish()
    return _mark(store, conflict, keep)


def _mark(store: Store, conflict: dict[str, Any], keep: str) -> dict[str, Any]:
    before = {k: v for k, v in conflict.items() if k not in ("pk",)}
    store.db.conn.execute(
        "UPDATE merge_conflicts SET status = 'resolved', resolved_at = ?, resolution = ?, "
        "resolved_by = ? WHERE id = ?",
        (store.now(), keep, store.operator_name, conflict["id"]),
    )
    after = store.query("SELECT * FROM merge_conflicts WHERE id = ?", (conflict["id"],))[0]
    records.write_audit(store, "处理合并冲突", "merge_conflicts", conflict["id"], before, after)
    for key in ("district_version", "incoming_version"):
        after[key] = json.loads(after[key]) if after[key] else None
    return after


def resolve_file(store: Store, source_file: str, keep: str) -> int:
    """Decide every open conflict of one file the same way; how many were decided.

    A conflict that cannot take `keep` (link on a non-identity conflict, an
    incoming version that would clash) is left open; the rest go in one transaction.
    Raises InputError when no open conflict came from `source_file` (a mistyped name).
    """
    done = 0
    with store.transaction():
        mine = [c for c in list_conflicts(store) if c["source_file"] == source_file]
        if not mine:
            raise InputError(
                f"没有来自文件“{source_file}”的待处理冲突：文件名见 canxie district conflicts",
                "id",
            )
        for conflict in mine:
            if keep == "link" and conflict["kind"] != "identity":
                continue
            try:
                with store.transaction():
                    resolve_conflict(store, conflict["id"], keep)
            except InputError:
                continue
            done += 1
    return done


def resolve_conflict(store: Store, conflict_id: str, keep: str) -> dict[str, Any]:
    """Decide an open conflict; return it, resolved (both versions as dicts).

    keep "incoming": the workbook's version is written into the district database
    the way a merge applies an incoming row (inserted, updated, or deleted when the
    conflict is about a deletion); "district": the district's row stays as it is.
    Either way the merge state takes the incoming version, so merging the same
    workbook again does not raise the conflict again, and the conflict is marked
    resolved (who, when, which side) -- in one transaction, audited.

    `conflict_id` is the conflict's id or a unique prefix of 8 or more characters.
    Raises InputError for an unknown or already resolved conflict, a bad `keep`,
    and when the incoming version cannot be written (it would still clash with
    another record, or the district's row changed after the conflict was found).
    """
    if keep not in KEEPS:
        raise InputError(
            f"只能保留 district（区里）或 incoming（月报）的版本，或 link（认定为同一人），不是“{keep}”",
            "keep",
        )
    with store.transaction():
        conflict = _find_conflict(store, conflict_id)
        table, rid = conflict["table_name"], conflict["record_id"]
        if conflict["kind"] == "identity" or keep == "link":
            return _decided(store, conflict, keep)
        if table not in RECORD_TABLES:
            raise InputError(f"冲突中的表“{table}”不认识，无法处理", "id")
        writer = _writer(store, conflict)
        incoming = json.loads(conflict["incoming_version"] or "null")
        row: dict[str, Any] | None = None
        kids: Children = {}
        if incoming is not None:
            row = {k: v for k, v in incoming.items() if not k.startswith("_")}
            kids = {
                child: {rid: incoming.get(f"_{child}", [])}
                for child, _, _ in CHILDREN.get(table, ())
            }
        present = store.query(f"SELECT * FROM {table} WHERE id = ?", (rid,))
        mine = present[0] if present else None
        if keep == "incoming":
            if mine is not None and conflict["kind"] == "edit":
                now = to_json(full_record(table, mine, writer.local_children(table, [rid])))
                if now != conflict["district_version"]:
                    raise InputError(
                        "区里的这条记录在发现冲突之后又被修改过，没有采用月报的版本："
                        "请先查看最新的记录再决定",
                        "id",
                    )
            if row is None:
                if mine is not None:
                    writer.delete(table, mine)
            elif mine is None:
                writer.insert(table, row, kids, incoming, conflict["incoming_hash"])
            else:
                local_kids = writer.local_children(table, [rid])
                writer.update(table, row, mine, kids, local_kids, conflict["incoming_hash"])
            if writer.counts.conflicts:
                raise InputError(
                    "月报的版本仍与本库另一条记录重复（如身份证号相同），无法采用："
                    "请先核实并更正另一条记录，或保留区里的版本",
                    "keep",
                )
            writer.finish()
        elif row is not None and conflict["kind"] == "edit":
            writer.remember(table, row, conflict["incoming_hash"])
        return _mark(store, conflict, keep)
