"""Merging monthly returns into the district database (see the package's docstring)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canxie_tui.domain.models import Site
from canxie_tui.excel.errors import SyncError, WorkbookError
from canxie_tui.store import records, search, tiers
from canxie_tui.store.connection import Store, new_id
from canxie_tui.store.records import TABLE_LABELS
from canxie_tui.store.site import get_site

Progress = Callable[[str, int, int], None]

# Record tables in the order parents come before children.
RECORD_TABLES: tuple[str, ...] = (
    "operators",
    "households",
    "persons",
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
_DERIVED = frozenset(records.DERIVED)
_LOCAL = frozenset({"pk"})
_CHUNK = 500

MERGE_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS merge_state (
        table_name TEXT NOT NULL,
        record_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        updated_at TEXT NOT NULL,
        row_hash TEXT NOT NULL,
        site_code TEXT NOT NULL DEFAULT '',
        merged_at TEXT NOT NULL,
        PRIMARY KEY (table_name, record_id)
    ) WITHOUT ROWID""",
    """CREATE TABLE IF NOT EXISTS merge_conflicts (
        pk INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        table_name TEXT NOT NULL,
        record_id TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'edit',  -- edit / duplicate / delete
        reason TEXT NOT NULL DEFAULT '',
        district_version TEXT,  -- JSON of the district's row (NULL: none)
        incoming_version TEXT,  -- JSON of the workbook's row (NULL: deleted there)
        incoming_hash TEXT NOT NULL,
        source_file TEXT NOT NULL,
        site_code TEXT NOT NULL DEFAULT '',
        month TEXT NOT NULL DEFAULT '',
        detected_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open',  -- open / resolved
        resolved_at TEXT NOT NULL DEFAULT '',
        resolution TEXT NOT NULL DEFAULT '',  -- district / incoming
        resolved_by TEXT NOT NULL DEFAULT ''
    )""",
    "CREATE INDEX IF NOT EXISTS idx_merge_conflicts_record "
    "ON merge_conflicts(table_name, record_id, incoming_hash)",
    """CREATE TABLE IF NOT EXISTS merge_sources (
        site_code TEXT PRIMARY KEY,
        district_code TEXT NOT NULL DEFAULT '',
        district_name TEXT NOT NULL DEFAULT '',
        street_code TEXT NOT NULL DEFAULT '',
        street_name TEXT NOT NULL DEFAULT '',
        community_code TEXT NOT NULL DEFAULT '',
        community_name TEXT NOT NULL DEFAULT '',
        last_month TEXT NOT NULL DEFAULT '',
        last_file TEXT NOT NULL DEFAULT '',
        last_merged_at TEXT NOT NULL DEFAULT ''
    )""",
)


class MergeError(SyncError):
    """The merge cannot run at all (the database is not a district's)."""


# -- results -----------------------------------------------------------------------------
@dataclass
class FileResult:
    """What one workbook did to the district database."""

    path: Path
    refused: bool = False
    reason: str = ""  # why it was refused (Chinese)
    site_code: str = ""
    site_name: str = ""
    month: str = ""
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: int = 0
    deleted: int = 0
    skipped: list[str] = field(default_factory=list)  # notes on rows not merged (Chinese)
    by_table: dict[str, dict[str, int]] = field(default_factory=dict)
    conflict_records: list[tuple[str, str]] = field(default_factory=list)  # (table, id)

    @property
    def changed(self) -> bool:
        return bool(self.new or self.updated or self.deleted or self.conflicts)

    def count(self, table: str, outcome: str, n: int = 1) -> None:
        setattr(self, outcome, getattr(self, outcome) + n)
        per = self.by_table.setdefault(table, {})
        per[outcome] = per.get(outcome, 0) + n

    @property
    def line(self) -> str:
        """One line for a person (Chinese)."""
        if self.refused:
            return f"{self.path.name}：已拒绝——{self.reason}"
        text = (
            f"{self.path.name}（{self.site_name} {self.month}）：新增 {self.new}，"
            f"更新 {self.updated}，未变 {self.unchanged}，冲突 {self.conflicts}"
        )
        if self.deleted:
            text += f"，删除 {self.deleted}"
        if self.skipped:
            text += f"，跳过 {len(self.skipped)}"
        return text

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "refused": self.refused,
            "reason": self.reason,
            "site_code": self.site_code,
            "site_name": self.site_name,
            "month": self.month,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "deleted": self.deleted,
            "skipped": list(self.skipped),
            "by_table": self.by_table,
            "conflict_records": [list(c) for c in self.conflict_records],
        }


# -- setup -------------------------------------------------------------------------------
def ensure_merge_tables(store: Store) -> None:
    """Create the merge bookkeeping tables if this database has none yet."""
    with store.transaction() as db:
        for statement in MERGE_SCHEMA:
            db.conn.execute(statement)
        columns = {r[1] for r in db.conn.execute("PRAGMA table_info(merge_conflicts)")}
        if "resolved_by" not in columns:  # a district database from before resolving
            db.conn.execute(
                "ALTER TABLE merge_conflicts ADD COLUMN resolved_by TEXT NOT NULL DEFAULT ''"
            )


def set_district(store: Store, name: str, code: str) -> Site:
    """Make `store` a district database (江北区, 500105): its site is the district alone.

    `site.validate_site` asks for a street (a community install needs one), so
    the district's site is saved with the same audited setter it uses.
    """
    from dataclasses import asdict

    from canxie_tui.store.errors import ValidationError
    from canxie_tui.store.site import set_setting

    name, code = name.strip(), code.strip()
    if not name:
        raise ValidationError("请填写区县名称", "district_name")
    if not (len(code) == 6 and code.isdigit()):
        raise ValidationError(f"区县的统计用区划代码应为6位数字，“{code}”不对", "district_code")
    site = Site(district_name=name, district_code=code)
    set_setting(store, "site", asdict(site))
    return site


def _district_site(store: Store) -> Site:
    site = get_site(store)
    if not site.district_code or not site.code:
        raise MergeError(
            "这个数据库还没有设置区县（区划名称和代码），无法合并社区月报："
            "要靠它判断月报是否来自本区。新建区数据库时请用 --district-name 和 --district-code 设置。"
        )
    if site.community_code:
        raise MergeError(
            f"这个数据库是{site.full_name()}（社区）的数据库，不是区或街道的数据库，"
            "不能合并其他社区的月报。请用 --db 指定区数据库。"
        )
    return site


def _check_site(district: Site, incoming: Site) -> str:
    """Why a workbook of `incoming` does not belong in `district`'s database ("" if it does)."""
    code = incoming.code
    if not code:
        return "月报没有站点区划代码，无法判断来自哪个社区"
    where = f"{incoming.full_name() or incoming.name}（{code}）"
    if incoming.district_code != district.district_code or not code.startswith(district.code):
        return (
            f"月报来自{where}，不属于本库的{district.full_name()}（{district.code}），"
            "请确认是否发错了文件"
        )
    if code == district.code:
        return f"月报来自{where}，与本库是同一级站点，不是下属社区的月报"
    return ""


# -- hashing ------------------------------------------------------------------------------
def _content(table: str, row: dict[str, Any]) -> dict[str, Any]:
    skip = _LOCAL | _DERIVED if table == "persons" else _LOCAL
    return {k: v for k, v in row.items() if k not in skip}


def _hash(content: dict[str, Any]) -> str:
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _order(row: dict[str, Any]) -> tuple[int, str]:
    return (int(row.get("version") or 0), str(row.get("updated_at") or ""))


# -- merging -------------------------------------------------------------------------------
def merge(
    store: Store, paths: Iterable[Path | str], *, progress: Progress | None = None
) -> list[FileResult]:
    """Merge monthly returns into the district database `store`; one result per file.

    Refused files (corrupt, foreign, from another district) are reported in their
    result and do not stop the others.  Raises MergeError when `store` is not a
    district database, StoreError when the backup before merging fails.
    """
    from canxie_tui.excel.return_reader import read_monthly
    from canxie_tui.store.backup import backup_before

    files = [Path(p) for p in paths]
    district = _district_site(store)
    ensure_merge_tables(store)
    results: list[FileResult] = []
    backed_up = False
    for index, path in enumerate(files):
        result = FileResult(path)
        results.append(result)

        def step(label: str, done: int, total: int, _name: str = path.name) -> None:
            if progress is not None:
                progress(f"{_name}：{label}", done, total)

        step("读取", 0, 1)
        try:
            data = read_monthly(path, progress=step)
        except WorkbookError as err:
            result.refused, result.reason = True, err.message
            continue
        except OSError as err:
            result.refused, result.reason = True, f"无法读取文件：{err.strerror or err}"
            continue
        result.site_code, result.site_name = data.site.code, data.site.full_name()
        result.month = data.month_text
        why = _check_site(district, data.site)
        if why:
            result.refused, result.reason = True, why
            continue
        if not backed_up:
            backup_before(store, "merge")
            backed_up = True
        try:
            with store.transaction():
                _Merge(store, data, result, step).run()
        except sqlite3.IntegrityError as err:
            fresh = FileResult(path, True, f"数据前后不一致（{err}），该文件没有合并，数据库未改动")
            fresh.site_code, fresh.site_name, fresh.month = (
                result.site_code,
                result.site_name,
                result.month,
            )
            results[index] = fresh
    if progress is not None:
        progress("完成", 1, 1)
    return results


class _Merge:
    """One workbook merged inside one transaction."""

    def __init__(self, store: Store, data: Any, result: FileResult, step: Progress) -> None:
        self.store = store
        self.conn = store.db.conn
        self.data = data
        self.result = result
        self.step = step
        self.now = store.now()
        self.source = data.path.name
        self.site_code = data.site.code
        self.columns: dict[str, list[str]] = {}
        self.households: set[str] = set()  # to re-tier
        self.indexed_households: set[str] = set()  # to re-index every member
        self.persons: set[str] = set()  # to re-index
        self.wrote = False  # anything written (a conflict met again is not)

    # -- the run
    def run(self) -> None:
        data = self.data
        children = {
            parent: {
                child: _group(data.rows(child), key) for child, key, _ in CHILDREN.get(parent, ())
            }
            for parent in CHILDREN
        }
        total = sum(len(data.rows(t)) for t in RECORD_TABLES)
        done = 0
        for table in RECORD_TABLES:
            rows = data.rows(table)
            self.step(f"合并{TABLE_LABELS[table]}", done, total)
            if rows:
                self._table(table, rows, children.get(table, {}))
            done += len(rows)
        self._deletions()
        self._derived()
        self._source()
        if self.wrote:
            records.write_audit(
                self.store,
                "合并月报",
                "district_merge",
                f"{self.site_code}:{data.month_text}",
                None,
                {
                    "file": self.source,
                    "checksum": data.checksum,
                    "site_code": self.site_code,
                    "month": data.month_text,
                    "new": self.result.new,
                    "updated": self.result.updated,
                    "unchanged": self.result.unchanged,
                    "conflicts": self.result.conflicts,
                    "deleted": self.result.deleted,
                },
            )
        self.step("完成", total, total)

    def _cols(self, table: str) -> list[str]:
        found = self.columns.get(table)
        if found is None:
            found = [r[1] for r in self.conn.execute(f"PRAGMA table_info({table})")]
            self.columns[table] = found
        return found

    def _load(self, table: str, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for row in self.store.query(f"SELECT * FROM {table} WHERE id IN ({marks})", chunk):
                found[row["id"]] = row
        return found

    def _states(self, table: str, ids: Sequence[str]) -> dict[str, tuple[int, str, str]]:
        found: dict[str, tuple[int, str, str]] = {}
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            marks = ",".join("?" * len(chunk))
            for rid, version, updated, digest in self.conn.execute(
                "SELECT record_id, version, updated_at, row_hash FROM merge_state "
                f"WHERE table_name = ? AND record_id IN ({marks})",
                [table, *chunk],
            ):
                found[rid] = (int(version), updated, digest)
        return found

    def _local_children(self, table: str, ids: Sequence[str]) -> dict[str, dict[str, list]]:
        """Children of the district's records: child table -> parent id -> rows."""
        found: dict[str, dict[str, list]] = {}
        for child, key, _ in CHILDREN.get(table, ()):
            groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for row in self.store.query(
                    f"SELECT * FROM {child} WHERE {key} IN ({marks})", chunk
                ):
                    groups[row[key]].append(row)
            found[child] = groups
        return found

    def _full(
        self, table: str, row: dict[str, Any], kids: dict[str, dict[str, list]]
    ) -> dict[str, Any]:
        """A record as hashed and shown in a conflict: its row and its children, sorted."""
        content = _content(table, row)
        for child, _, order in CHILDREN.get(table, ()):
            rows = [
                {k: v for k, v in r.items() if k not in _LOCAL}
                for r in kids.get(child, {}).get(row["id"], [])
            ]
            rows.sort(key=lambda r: tuple(str(r.get(c)) for c in order))
            content[f"_{child}"] = rows
        return content

    # -- one table
    def _table(
        self, table: str, rows: list[dict[str, Any]], kids: dict[str, dict[str, list]]
    ) -> None:
        ids = [r["id"] for r in rows]
        local = self._load(table, ids)
        states = self._states(table, ids)
        local_kids = self._local_children(table, list(local))
        for row in rows:
            rid = row["id"]
            incoming = self._full(table, row, kids)
            digest = _hash(incoming)
            mine = local.get(rid)
            if mine is None:
                self._insert(table, row, kids, incoming, digest)
                continue
            current = self._full(table, mine, local_kids)
            current_hash = _hash(current)
            state = states.get(rid)
            outcome = _decide(row, mine, current_hash, digest, state)
            if outcome == "unchanged":
                self.result.count(table, "unchanged")
                if current_hash == digest and (state is None or state[2] != digest):
                    self._remember(table, row, digest)
                if table == "persons":
                    self._take_last_visit(mine, row)
            elif outcome == "updated":
                self._update(table, row, mine, kids, local_kids, digest)
            else:
                self._conflict(table, rid, current, incoming, digest, "edit", outcome)
                if table == "persons":
                    self._take_last_visit(mine, row)

    def _values(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        columns = self._cols(table)
        return {c: row[c] for c in columns if c in row and c not in _LOCAL}

    def _insert(
        self,
        table: str,
        row: dict[str, Any],
        kids: dict[str, dict[str, list]],
        incoming: dict[str, Any],
        digest: str,
    ) -> None:
        values = self._values(table, row)
        try:
            self._insert_row(table, values)
        except sqlite3.IntegrityError as err:
            if "UNIQUE" not in str(err):
                raise
            if not self._duplicate(table, row, values, incoming, digest):
                return
        self._insert_children(table, row["id"], kids)
        after = self.store.query(f"SELECT * FROM {table} WHERE id = ?", (row["id"],))[0]
        records.write_audit(self.store, "合并新增", table, row["id"], None, after)
        self.wrote = True
        self._remember(table, row, digest)
        self._touched(table, after)
        self.result.count(table, "new")

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
            self.result.skipped.append(
                f"闭馆日 {row.get('day')}：本库已有同一天的闭馆记录（闭馆日按日期只记一条），未重复写入"
            )
            self.result.count(table, "unchanged")
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
            self._conflict(
                table, row["id"], _content(table, other), incoming, digest, "duplicate", reason
            )
            self._insert_row(table, {**values, "id_number": None})
            return True
        reason = f"{what}与本库另一条记录重复（同一对象、同一日期），两条都已保留待核实"
        district = _content(table, other) if other is not None else None
        self._conflict(table, row["id"], district, incoming, digest, "duplicate", reason)
        return False

    def _insert_children(self, table: str, rid: str, kids: dict[str, dict[str, list]]) -> None:
        for child, key, _ in CHILDREN.get(table, ()):
            self.conn.execute(f"DELETE FROM {child} WHERE {key} = ?", (rid,))
            for kid in kids.get(child, {}).get(rid, []):
                self._insert_row(child, self._values(child, kid))

    def _update(
        self,
        table: str,
        row: dict[str, Any],
        mine: dict[str, Any],
        kids: dict[str, dict[str, list]],
        local_kids: dict[str, dict[str, list]],
        digest: str,
    ) -> None:
        values = {k: v for k, v in self._values(table, row).items() if k != "id"}
        if table == "persons":
            values = {k: v for k, v in values.items() if k not in _DERIVED}
        assignments = ", ".join(f"{k} = ?" for k in values)
        try:
            self.conn.execute(
                f"UPDATE {table} SET {assignments} WHERE id = ?", [*values.values(), row["id"]]
            )
        except sqlite3.IntegrityError as err:
            if "UNIQUE" not in str(err):
                raise
            reason = "更新后会与本库另一条记录重复（如身份证号相同），未更新，请核实"
            current = self._full(table, mine, local_kids)
            self._conflict(
                table, row["id"], current, self._full(table, row, kids), digest, "duplicate", reason
            )
            return
        self._insert_children(table, row["id"], kids)
        after = self.store.query(f"SELECT * FROM {table} WHERE id = ?", (row["id"],))[0]
        before = self._full(table, mine, local_kids)
        records.write_audit(
            self.store, "合并更新", table, row["id"], before, self._full(table, after, kids)
        )
        self._remember(table, row, digest)
        self.wrote = True
        if table == "persons":
            self._take_last_visit(mine, row)
        self._touched(table, mine)
        self._touched(table, after)
        self.result.count(table, "updated")

    def _take_last_visit(self, mine: dict[str, Any], row: dict[str, Any]) -> None:
        """A person's last visit is derived: take the later of the two sides."""
        theirs = row.get("last_visit_date") or ""
        if theirs > (mine.get("last_visit_date") or ""):
            self.conn.execute(
                "UPDATE persons SET last_visit_date = ?, last_visit_method = ? WHERE id = ?",
                (theirs, row.get("last_visit_method") or "", row["id"]),
            )
            self.households.add(mine["household_id"])

    def _remember(self, table: str, row: dict[str, Any], digest: str) -> None:
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

    def _conflict(
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
                self.result.count(table, "unchanged")
            return
        self.result.count(table, "conflicts")
        self.result.conflict_records.append((table, rid))
        if known:
            return
        entry = {
            "id": new_id(),
            "table_name": table,
            "record_id": rid,
            "kind": kind,
            "reason": reason,
            "district_version": _json(district),
            "incoming_version": _json(incoming),
            "incoming_hash": digest,
            "source_file": self.source,
            "site_code": self.site_code,
            "month": self.data.month_text,
            "detected_at": self.now,
        }
        self._insert_row("merge_conflicts", entry)
        self.wrote = True
        records.write_audit(
            self.store,
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

    def _touched(self, table: str, row: dict[str, Any]) -> None:
        if table == "households":
            self.households.add(row["id"])
            self.indexed_households.add(row["id"])
        elif table == "persons":
            self.households.add(row["household_id"])
            self.persons.add(row["id"])
        elif table in ("visits", "followups"):
            self.households.add(row["household_id"])

    # -- deletions, derived columns, the source
    def _deletions(self) -> None:
        present = {t: {r["id"] for r in self.data.rows(t)} for t in RECORD_TABLES}
        for entry in self.data.rows("audit_log"):
            table, rid = entry.get("table_name"), entry.get("record_id")
            if table not in present or rid in present[table] or entry.get("after") is not None:
                continue
            found = self.store.query(f"SELECT * FROM {table} WHERE id = ?", (rid,))
            if not found:
                continue
            mine = found[0]
            try:
                before = json.loads(entry.get("before") or "null") or {}
            except ValueError:
                before = {}
            current = _hash(self._full(table, mine, self._local_children(table, [rid])))
            state = self.conn.execute(
                "SELECT row_hash FROM merge_state WHERE table_name = ? AND record_id = ?",
                (table, rid),
            ).fetchone()
            theirs = _hash(_content(table, {**before, "id": rid}))
            if current not in {theirs, state[0] if state else None}:
                self._conflict(
                    table,
                    rid,
                    _content(table, mine),
                    None,
                    f"deleted:{theirs}",
                    "delete",
                    "社区已删除这条记录，但区里的记录在合并后又被修改过，未删除，请核实",
                )
                continue
            self._delete(table, mine)

    def _delete(self, table: str, mine: dict[str, Any]) -> None:
        """Delete a record the community deleted (with its children and merge state)."""
        rid = mine["id"]
        for child, key, _ in CHILDREN.get(table, ()):
            self.conn.execute(f"DELETE FROM {child} WHERE {key} = ?", (rid,))
        self.conn.execute(f"DELETE FROM {table} WHERE id = ?", (rid,))
        self.conn.execute(
            "DELETE FROM merge_state WHERE table_name = ? AND record_id = ?", (table, rid)
        )
        records.write_audit(self.store, "合并删除", table, rid, mine, None)
        self.wrote = True
        self.result.count(table, "deleted")

    def _derived(self) -> None:
        """Search index and tiers of everyone the merge touched."""
        if self.indexed_households:
            ids = sorted(self.indexed_households)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                self.persons.update(
                    r[0]
                    for r in self.conn.execute(
                        f"SELECT id FROM persons WHERE household_id IN ({marks})", chunk
                    )
                )
        if self.persons:
            ids = sorted(self.persons)
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                for (pk,) in self.conn.execute(
                    f"SELECT pk FROM persons WHERE id IN ({marks})", chunk
                ).fetchall():
                    search.index_person(self.store, pk)
        if self.households:
            tiers.refresh(self.store, household_ids=self.households)

    def _source(self) -> None:
        """Remember where the site's rows came from (street names for the report)."""
        site = self.data.site
        known = self.conn.execute(
            "SELECT 1 FROM merge_sources WHERE site_code = ?", (site.code,)
        ).fetchone()
        if known and not self.wrote:
            return  # the same workbook again: nothing changes, not even the time
        self.conn.execute(
            "INSERT INTO merge_sources (site_code, district_code, district_name, street_code, "
            "street_name, community_code, community_name, last_month, last_file, last_merged_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (site_code) DO UPDATE SET "
            "district_code = excluded.district_code, district_name = excluded.district_name, "
            "street_code = excluded.street_code, street_name = excluded.street_name, "
            "community_code = excluded.community_code, community_name = excluded.community_name, "
            "last_month = max(last_month, excluded.last_month), "
            "last_file = CASE WHEN excluded.last_month >= last_month "
            "THEN excluded.last_file ELSE last_file END, "
            "last_merged_at = CASE WHEN excluded.last_month >= last_month "
            "THEN excluded.last_merged_at ELSE last_merged_at END",
            (
                site.code,
                site.district_code,
                site.district_name,
                site.street_code,
                site.street_name,
                site.community_code,
                site.community_name,
                self.data.month_text,
                self.source,
                self.now,
            ),
        )


def _decide(
    row: dict[str, Any],
    mine: dict[str, Any],
    current: str,
    digest: str,
    state: tuple[int, str, str] | None,
) -> str:
    """unchanged / updated, or the reason of a conflict (see the module doc)."""
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


def _group(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[row[key]].append(row)
    return groups


def _json(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)
