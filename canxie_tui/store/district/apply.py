"""Writing incoming records into the district database: what a merge and a resolved conflict do.

`Writer` inserts, updates and deletes records the way a merge applies an
incoming row, lists conflicts, remembers what was merged (`merge_state`), and
notes whose search terms and tiers to recompute.  Its audit entries wait in
order and go into the chain in bulk (`records.append_audit`); `finish` writes
the ones waiting and recomputes the derived columns.  Call inside a transaction.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from canxie_tui.store import records, search, tiers
from canxie_tui.store.connection import Store, new_id
from canxie_tui.store.district.content import (
    CHILDREN,
    LOCAL,
    Children,
    State,
    content,
    content_hash,
    decide,
    full_record,
    to_json,
)
from canxie_tui.store.labels import TABLE_LABELS

_CHUNK = 500  # audit entries per append


@dataclass(kw_only=True)
class MergeCounts:
    """What merging one community's rows did: per outcome, and per table."""

    new: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    deleted: int = 0
    linked: int = 0  # taken as a record the district has (a rebuilt database)
    held: int = 0  # an ID number another record has: out of the counts until decided
    skipped: list[str] = field(default_factory=list)  # notes on rows not merged (Chinese)
    # rows of another community's records, refused (Chinese, naming each): store.district.ownership
    foreign: list[str] = field(default_factory=list)
    by_table: dict[str, dict[str, int]] = field(default_factory=dict)
    conflict_records: list[tuple[str, str]] = field(default_factory=list)  # (table, id)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.deleted or self.conflicts)

    def count(self, table: str, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)
        per = self.by_table.setdefault(table, {})
        per[outcome] = per.get(outcome, 0) + n


class Writer:
    """The writes of one merge (or one resolution), counted in `counts`.

    `source` (the file's name), `site_code` and `month` are kept with the
    conflicts it lists and the merge state it remembers.
    """

    def __init__(
        self, store: Store, counts: MergeCounts, *, source: str, site_code: str, month: str
    ) -> None:
        self.store = store
        self.conn = store.db.conn
        self.counts = counts
        self.source = source
        self.site_code = site_code
        self.month = month
        self.now = store.now()
        self.wrote = False  # anything written (a conflict met again is not)
        self._columns: dict[str, list[str]] = {}
        self._households: set[str] = set()  # to re-tier
        self._indexed_households: set[str] = set()  # to re-index every member
        self._persons: set[str] = set()  # to re-index
        self._audit: list[records.Audit] = []

    # -- reading the district's side
    def load(self, table: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """The district's rows of `table` among `ids`, by id."""
        sql = f"SELECT * FROM {table} WHERE id IN ({{marks}})"
        return {row["id"]: row for row in self.store.query_in(sql, ids)}

    def states(self, table: str, ids: Sequence[str]) -> dict[str, State]:
        """How the records among `ids` were last merged, by id."""
        found: dict[str, State] = {}
        for rid, version, updated, digest in self.store.rows_in(
            "SELECT record_id, version, updated_at, row_hash FROM merge_state "
            "WHERE table_name = ? AND record_id IN ({marks})",
            ids,
            table,
        ):
            found[rid] = (int(version), updated, digest)
        return found

    def local_children(self, table: str, ids: Sequence[str]) -> Children:
        """Children of the district's records: child table -> parent id -> rows."""
        found: Children = {}
        for child, key, _ in CHILDREN.get(table, ()):
            groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
            sql = f"SELECT * FROM {child} WHERE {key} IN ({{marks}})"
            for row in self.store.query_in(sql, ids):
                groups[row[key]].append(row)
            found[child] = groups
        return found

    def _cols(self, table: str) -> list[str]:
        found = self._columns.get(table)
        if found is None:
            found = [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]
            self._columns[table] = found
        return found

    def _values(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        columns = self._cols(table)
        return {c: row[c] for c in columns if c in row and c not in LOCAL}

    def _row(self, table: str, rid: str) -> dict[str, Any]:
        return self.store.query(f"SELECT * FROM {table} WHERE id = ?", (rid,))[0]

    # -- writing
    def _record(
        self,
        action: str,
        table: str,
        rid: str,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
    ) -> None:
        """An audit entry, in order; they go into the chain a chunk at a time."""
        self._audit.append(records.Audit(action, table, rid, before, after))
        self.wrote = True
        if len(self._audit) >= _CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._audit:
            records.append_audit(self.store, self._audit)
            self._audit = []

    def insert(
        self,
        table: str,
        row: dict[str, Any],
        kids: Children,
        incoming: dict[str, Any],
        digest: str,
    ) -> None:
        """A record the district does not have (`incoming`: its full record, hashed `digest`)."""
        values = self._values(table, row)
        try:
            self._insert_row(table, values)
        except sqlite3.IntegrityError as err:
            if "UNIQUE" not in str(err):
                raise
            if not self._duplicate(table, row, values, incoming, digest):
                return
        self._insert_children(table, row["id"], kids)
        after = self._row(table, row["id"])
        self._record("合并新增", table, row["id"], None, after)
        self.remember(table, row, digest)
        self._touched(table, after)
        self.counts.count(table, "new")

    def _insert_row(self, table: str, values: dict[str, Any]) -> None:
        names = ", ".join(values)
        marks = ", ".join("?" * len(values))
        self.conn.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", list(values.values()))

    def _duplicate(
        self,
        table: str,
        row: dict[str, Any],
        values: dict[str, Any],
        incoming: dict[str, Any],
        digest: str,
    ) -> bool:
        """A new record clashing with another one on a natural key; True if it went in anyway."""
        if table == "daycare_closures":
            self.counts.skipped.append(
                f"闭馆日 {row.get('day')}：本库已有同一天的闭馆记录（闭馆日按日期只记一条），未重复写入"
            )
            self.counts.count(table, "unchanged")
            return False
        clash_sql = {
            "persons": ("SELECT * FROM persons WHERE id_number = ?", ("id_number",)),
            "attendance": (
                "SELECT * FROM attendance WHERE member_id = ? AND day = ?",
                ("member_id", "day"),
            ),
            "emergency_checks": (
                "SELECT * FROM emergency_checks WHERE event_id = ? AND person_id = ?",
                ("event_id", "person_id"),
            ),
        }.get(table)
        other = None
        if clash_sql is not None:
            found = self.store.query(clash_sql[0], [row.get(c) for c in clash_sql[1]])
            other = found[0] if found else None
        what = TABLE_LABELS.get(table, table)
        if table == "persons" and other is not None:
            # Kept in the register (their visits and notes refer to them), without the
            # ID number another person already has; the conflict keeps the number.
            reason = (
                f"身份证号与本库已有人员“{other['name']}”（另一条记录）相同："
                "可能是迁居到另一社区后重新登记，请核实后处理"
            )
            self.conflict(
                table, row["id"], content(table, other), incoming, digest, "duplicate", reason
            )
            self._insert_row(table, {**values, "id_number": None})
            return True
        reason = f"{what}与本库另一条记录重复（同一对象、同一日期），两条都已保留待核实"
        district = content(table, other) if other is not None else None
        self.conflict(table, row["id"], district, incoming, digest, "duplicate", reason)
        return False

    def hold(
        self,
        row: dict[str, Any],
        kids: Children,
        incoming: dict[str, Any],
        digest: str,
        other: dict[str, Any],
    ) -> None:
        """An incoming person whose ID number `other` has: kept, held out of every count."""
        where = other.get("division_code") or "本库"
        reason = (
            f"身份证号与本库已有人员“{other['name']}”（{where}）相同：可能是迁居（在另一社区重新登记）"
            "或同一人的两条记录。月报的这条记录暂不计入任何统计，请决定：保留区里的、采用月报的，"
            "或认定为同一人"
        )
        self.conflict(
            "persons", row["id"], content("persons", other), incoming, digest, "identity", reason
        )
        values = {**self._values("persons", row), "id_number": None, "held": 1}
        self._insert_row("persons", values)
        self._insert_children("persons", row["id"], kids)
        after = self._row("persons", row["id"])
        self._record("合并暂挂", "persons", row["id"], None, after)
        self.remember("persons", row, digest)
        self._touched("persons", after)
        self.counts.count("persons", "held")

    def _insert_children(self, table: str, rid: str, kids: Children) -> None:
        for child, key, _ in CHILDREN.get(table, ()):
            self.conn.execute(f"DELETE FROM {child} WHERE {key} = ?", (rid,))
            for kid in kids.get(child, {}).get(rid, []):
                self._insert_row(child, self._values(child, kid))

    def update(
        self,
        table: str,
        row: dict[str, Any],
        mine: dict[str, Any],
        kids: Children,
        local_kids: Children,
        digest: str,
    ) -> None:
        """The district's record `mine` takes the incoming `row` (and its children)."""
        values = {k: v for k, v in self._values(table, row).items() if k != "id"}
        values = {k: v for k, v in values.items() if k not in records.derived(table)}
        assignments = ", ".join(f"{k} = ?" for k in values)
        try:
            self.conn.execute(
                f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), row["id"]]
            )
        except sqlite3.IntegrityError as err:
            if "UNIQUE" not in str(err):
                raise
            reason = "更新后会与本库另一条记录重复（如身份证号相同），未更新，请核实"
            current = full_record(table, mine, local_kids)
            incoming = full_record(table, row, kids)
            self.conflict(table, row["id"], current, incoming, digest, "duplicate", reason)
            return
        self._insert_children(table, row["id"], kids)
        after = self._row(table, row["id"])
        before = full_record(table, mine, local_kids)
        self._record("合并更新", table, row["id"], before, full_record(table, after, kids))
        self.remember(table, row, digest)
        if table == "persons":
            self.take_last_visit(mine, row)
        self._touched(table, mine)
        self._touched(table, after)
        self.counts.count(table, "updated")

    def settle(
        self,
        table: str,
        row: dict[str, Any],
        mine: dict[str, Any],
        state: State | None,
        incoming: dict[str, Any],
        digest: str,
        kids: Children,
        local_kids: Children,
    ) -> str:
        """Decide the incoming `row` against the district's `mine` and write the outcome.

        `incoming` and `digest` are the incoming record (`full_record`) and its hash,
        `state` how it was last merged.  Returns the outcome (`content.decide`).
        """
        current = full_record(table, mine, local_kids)
        current_hash = content_hash(current)
        outcome = decide(row, mine, current_hash, digest, state)
        if outcome == "unchanged":
            self.counts.count(table, "unchanged")
            if current_hash == digest and (state is None or state[2] != digest):
                self.remember(table, row, digest)
        elif outcome == "updated":
            self.update(table, row, mine, kids, local_kids, digest)
        else:
            self.conflict(table, row["id"], current, incoming, digest, "edit", outcome)
        return outcome

    def take_last_visit(self, mine: dict[str, Any], row: dict[str, Any]) -> None:
        """A person's last visit is derived: take the later of the two sides."""
        theirs = row.get("last_visit_date") or ""
        if theirs > (mine.get("last_visit_date") or ""):
            self.conn.execute(
                "UPDATE persons SET last_visit_date = ?, last_visit_method = ? WHERE id = ?",
                (theirs, row.get("last_visit_method") or "", row["id"]),
            )
            self._households.add(mine["household_id"])

    def remember(self, table: str, row: dict[str, Any], digest: str) -> None:
        """The incoming `row` (hashed `digest`) is now the record as last merged."""
        self.conn.execute(
            "INSERT INTO merge_state (table_name, record_id, version, updated_at, row_hash, "
            "site_code, merged_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (table_name, record_id) DO UPDATE SET version = excluded.version, "
            "updated_at = excluded.updated_at, row_hash = excluded.row_hash, "
            "site_code = excluded.site_code, merged_at = excluded.merged_at",
            (
                table,
                row["id"],
                int(row.get("version") or 0),
                str(row.get("updated_at") or ""),
                digest,
                self.site_code,
                self.now,
            ),
        )

    def conflict(
        self,
        table: str,
        rid: str,
        district: dict[str, Any] | None,
        incoming: dict[str, Any] | None,
        digest: str,
        kind: str,
        reason: str,
    ) -> None:
        """List a conflict (once: the same one met again is not listed twice).

        One a person has already decided (`resolve_conflict`) is not raised again.
        """
        known = {
            status
            for (status,) in self.conn.execute(
                "SELECT status FROM merge_conflicts WHERE table_name = ? AND record_id = ? "
                "AND incoming_hash = ?",
                (table, rid, digest),
            )
        }
        if "resolved" in known and "open" not in known:
            if incoming is not None:
                self.counts.count(table, "unchanged")
            return
        self.counts.count(table, "conflicts")
        self.counts.conflict_records.append((table, rid))
        if known:
            return
        entry = {
            "id": new_id(),
            "table_name": table,
            "record_id": rid,
            "kind": kind,
            "reason": reason,
            "district_version": to_json(district),
            "incoming_version": to_json(incoming),
            "incoming_hash": digest,
            "source_file": self.source,
            "site_code": self.site_code,
            "month": self.month,
            "detected_at": self.now,
        }
        self._insert_row("merge_conflicts", entry)
        self._record(
            "合并冲突",
            table,
            rid,
            district,
            {
                "conflict": entry["id"],
                "reason": reason,
                "source_file": self.source,
                "incoming": incoming,
            },
        )

    def delete(self, table: str, mine: dict[str, Any]) -> None:
        """Delete a record the community deleted (with its children and merge state)."""
        rid = mine["id"]
        for child, key, _ in CHILDREN.get(table, ()):
            self.conn.execute(f"DELETE FROM {child} WHERE {key} = ?", (rid,))
        self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (rid,))
        self.conn.execute(
            "DELETE FROM merge_state WHERE table_name = ? AND record_id = ?", (table, rid)
        )
        self._record("合并删除", table, rid, mine, None)
        self.counts.count(table, "deleted")

    def _touched(self, table: str, row: dict[str, Any]) -> None:
        if table == "households":
            self._households.add(row["id"])
            self._indexed_households.add(row["id"])
        elif table == "persons":
            self._households.add(row["household_id"])
            self._persons.add(row["id"])
        elif table in ("visits", "followups"):
            self._households.add(row["household_id"])

    # -- the end
    def finish(self) -> None:
        """Write the audit entries waiting; search index and tiers of everyone touched."""
        self._flush()
        if self._indexed_households:
            self._persons.update(
                r[0]
                for r in self.store.rows_in(
                    "SELECT id FROM persons WHERE household_id IN ({marks})",
                    sorted(self._indexed_households),
                )
            )
        if self._persons:
            for (pk,) in self.store.rows_in(
                "SELECT pk FROM persons WHERE id IN ({marks})", sorted(self._persons)
            ):
                search.index_person(self.store, pk)
        if self._households:
            tiers.refresh(self.store, household_ids=self._households)
