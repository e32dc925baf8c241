"""Merging one community's rows into the district database (see the package's doc).

`merge_rows(store, incoming, counts)` decides every incoming record against the
district's (`content.decide`), writes what it must through `apply.Writer`, deletes
what the community deleted, and records where the site's rows came from; all in
one transaction, so a file is merged whole or not at all.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from canxie_tui.domain.models import Site
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.district.apply import MergeCounts, Writer
from canxie_tui.store.district.content import (
    CHILDREN,
    RECORD_TABLES,
    Children,
    content,
    content_hash,
    full_record,
    group,
)
from canxie_tui.store.district.identity import Identities, remap_rows
from canxie_tui.store.district.ownership import screen
from canxie_tui.store.errors import StoreError
from canxie_tui.store.labels import TABLE_LABELS

Progress = Callable[[str, int, int], None]


class Deletion(NamedTuple):
    """A record the community deleted: its table, id and row before the deletion."""

    table: str
    record_id: str
    before: dict[str, Any]


@dataclass(frozen=True)
class Incoming:
    """One community's month as plain rows: what `merge_rows` merges."""

    source: str  # the file's name, kept with its conflicts and in merge_sources
    site: Site
    month: str  # YYYY-MM
    checksum: str = ""  # of the file, kept in the summary audit entry
    # table -> rows (each a dict column -> value): record tables and their children
    tables: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    deletions: Sequence[Deletion] = ()

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.get(table, [])


class InconsistentRowsError(StoreError):
    """The rows broke a constraint of the database; nothing of them was written."""


def merge_rows(
    store: Store, incoming: Incoming, counts: MergeCounts, *, progress: Progress | None = None
) -> None:
    """Merge `incoming` into the district database `store`, counting into `counts`.

    One transaction.  Raises InconsistentRowsError (nothing written) when the
    rows contradict the database in a way a merge does not decide, such as a
    foreign key to a record that is in neither.
    """
    try:
        with store.transaction():
            _Run(store, incoming, counts, progress or (lambda *_: None)).run()
    except sqlite3.IntegrityError as err:
        raise InconsistentRowsError(
            f"数据前后不一致（{err}），该文件没有合并，数据库未改动"
        ) from err


class _Run(Writer):
    """One community's rows merged: decide each record, then deletions, then the source."""

    def __init__(
        self, store: Store, incoming: Incoming, counts: MergeCounts, step: Progress
    ) -> None:
        super().__init__(
            store,
            counts,
            source=incoming.source,
            site_code=incoming.site.code,
            month=incoming.month,
        )
        self.incoming = incoming
        self.step = step

    def run(self) -> None:
        incoming = self.incoming
        ident = self.identities = Identities(self.store, self.site_code, self.source)
        ident.prepare(incoming.rows("persons"), incoming.rows("households"))
        mapped = {t: remap_rows(rows, t, ident.aliases) for t, rows in incoming.tables.items()}
        deletions = [
            d._replace(record_id=ident.aliases.get(d.table, {}).get(d.record_id, d.record_id))
            for d in incoming.deletions
        ]
        allowed = screen(self.store, self.site_code, mapped, deletions)
        self.tables, self.deletions = allowed.tables, allowed.deletions
        for table, line in allowed.refused:
            self.counts.foreign.append(line)
            per = self.counts.by_table.setdefault(table, {})
            per["refused"] = per.get("refused", 0) + 1
        self.linked_now = {t: set(found.values()) for t, found in ident.new_links.items()}
        children = {
            parent: {child: group(self.rows(child), key) for child, key, _ in CHILDREN[parent]}
            for parent in CHILDREN
        }
        total = sum(len(self.rows(t)) for t in RECORD_TABLES)
        done = 0
        ident.save_links(self.now)
        for table in RECORD_TABLES:
            rows = self.rows(table)
            self.step(f"合并{TABLE_LABELS[table]}", done, total)
            if rows:
                self._table(table, rows, children.get(table, {}))
            done += len(rows)
        self._deletions()
        self.finish()
        self._source()
        if self.wrote:
            counts = self.counts
            records.write_audit(
                self.store,
                "合并月报",
                "district_merge",
                f"{self.site_code}:{incoming.month}",
                None,
                {
                    "file": self.source,
                    "checksum": incoming.checksum,
                    "site_code": self.site_code,
                    "month": incoming.month,
                    "new": counts.new,
                    "updated": counts.updated,
                    "unchanged": counts.unchanged,
                    "conflicts": counts.conflicts,
                    "deleted": counts.deleted,
                },
            )
        self.step("完成", total, total)

    def rows(self, table: str) -> list[dict[str, Any]]:
        return self.tables.get(table, [])

    def _table(self, table: str, rows: list[dict[str, Any]], kids: Children) -> None:
        ids = [r["id"] for r in rows]
        local = self.load(table, ids)
        states = self.states(table, ids)
        local_kids = self.local_children(table, list(local))
        linked = self.linked_now.get(table, set())
        ident = self.identities
        for row in rows:
            rid = row["id"]
            incoming = full_record(table, row, kids)
            digest = content_hash(incoming)
            if rid in linked:  # the same record from a rebuilt database: linked, not new
                self.remember(table, row, digest)
                self.counts.count(table, "linked")
                continue
            if rid in ident.held_before:  # still waiting for a decision
                self.counts.count(table, "held")
                continue
            mine = local.get(rid)
            if mine is None and rid in ident.held:
                self.hold(row, kids, incoming, digest, ident.held[rid])
                continue
            if mine is None:
                self.insert(table, row, kids, incoming, digest)
                continue
            state = states.get(rid)
            outcome = self.settle(table, row, mine, state, incoming, digest, kids, local_kids)
            if outcome != "updated" and table == "persons":
                self.take_last_visit(mine, row)  # an update has taken it already

    def _deletions(self) -> None:
        """Delete what the community deleted, unless the district changed it since."""
        present = {t: {r["id"] for r in self.rows(t)} for t in RECORD_TABLES}
        for table, rid, before in self.deletions:
            if table not in present or rid in present[table]:
                continue  # deleted, then there again: the rows say what it is now
            found = self.store.query(f"SELECT * FROM {table} WHERE id = ?", (rid,))
            if not found:
                continue
            mine = found[0]
            current = content_hash(full_record(table, mine, self.local_children(table, [rid])))
            state = self.conn.execute(
                "SELECT row_hash FROM merge_state WHERE table_name = ? AND record_id = ?",
                (table, rid),
            ).fetchone()
            theirs = content_hash(content(table, {**before, "id": rid}))
            if current not in {theirs, state[0] if state else None}:
                self.conflict(
                    table,
                    rid,
                    content(table, mine),
                    None,
                    f"deleted:{theirs}",
                    "delete",
                    "社区已删除这条记录，但区里的记录在合并后又被修改过，未删除，请核实",
                )
                continue
            self.delete(table, mine)

    def _source(self) -> None:
        """Remember where the site's rows came from (street names for the report)."""
        site = self.incoming.site
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
                self.incoming.month,
                self.source,
                self.now,
            ),
        )
