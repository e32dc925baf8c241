"""Merging a community's survey results into the district database, and the district's view.

The same decisions as the monthly merge (`store.district.content.decide`: a row seen
before is unchanged, a newer version updates, both sides changed is a conflict
listed for a person) and the same writer (`store.district.apply.Writer`: audited,
`merge_state` remembered), so merging one workbook twice changes nothing the
second time.  An entry whose person the district does not hold yet (the
community's monthly return not merged) is skipped and said so.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from typing import Any

from canxie_tui.domain import survey as rules
from canxie_tui.domain.models import Site
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.district import identity
from canxie_tui.store.district.apply import MergeCounts, Writer
from canxie_tui.store.district.content import content, content_hash
from canxie_tui.store.district.merge import InconsistentRowsError


def merge_survey_rows(
    store: Store,
    site: Site,
    source: str,
    checksum: str,
    tables: Mapping[str, list[dict[str, Any]]],
    counts: MergeCounts,
) -> None:
    """Merge one workbook's survey rows in one transaction (nothing written on failure)."""
    try:
        with store.transaction():
            writer = Writer(store, counts, source=source, site_code=site.code, month="")
            # A person the district took as one of its own (a rebuilt database: store.
            # district.identity) is surveyed under the district's record.
            entries = tables.get("survey_entries", [])
            aliases = {
                "persons": identity.links(store, "persons", {r["person_id"] for r in entries}),
                "households": identity.links(
                    store, "households", {r["household_id"] for r in entries}
                ),
            }
            entries = identity.remap_rows(entries, "survey_entries", aliases)
            known = {
                row[0]
                for row in store.rows_in(
                    "SELECT id FROM persons WHERE id IN ({marks})",
                    sorted({r["person_id"] for r in entries}),
                )
            }
            missing = sum(1 for r in entries if r["person_id"] not in known)
            if missing:
                counts.skipped.append(
                    f"{missing} 人不在区库中（请先合并该社区的月报），其调查结果未合并"
                )
            _merge_table(writer, "survey_rounds", tables.get("survey_rounds", []))
            _merge_table(writer, "survey_entries", [r for r in entries if r["person_id"] in known])
            writer.finish()
            if writer.wrote:
                records.write_audit(
                    store,
                    "合并调查结果",
                    "district_merge",
                    f"{site.code}:survey",
                    None,
                    {
                        "file": source,
                        "checksum": checksum,
                        "new": counts.new,
                        "updated": counts.updated,
                    },
                )
    except sqlite3.IntegrityError as err:
        raise InconsistentRowsError(
            f"数据前后不一致（{err}），该文件没有合并，数据库未改动"
        ) from err


def _merge_table(writer: Writer, table: str, rows: list[dict[str, Any]]) -> None:
    ids = [r["id"] for r in rows]
    local = writer.load(table, ids)
    states = writer.states(table, ids)
    for row in rows:
        incoming = content(table, row)
        digest = content_hash(incoming)
        mine = local.get(row["id"])
        if mine is None:
            writer.insert(table, row, {}, incoming, digest)
        else:  # survey tables have no children: full_record is content
            writer.settle(table, row, mine, states.get(row["id"]), incoming, digest, {}, {})


def survey_by_division(store: Store, year: int) -> dict[str, rules.Counts]:
    """Each community's progress in `year`'s rounds (by the households' division codes)."""
    from canxie_tui.store.survey import apart_place

    counted_apart = apart_place(store) != "hukou"
    found: dict[str, rules.Counts] = {}
    # One person once: a community that rebuilt its database sends a second round of
    # the same year, and a held person (a move not yet decided) is out of every count;
    # each person counts by their most advanced entry (done, lost, draft, pending).
    for code, apart, status, method, reason, n in store.db.conn.execute(
        "WITH ranked AS (SELECT e.household_id, e.apart, e.status, e.method, e.lost_reason, "
        "row_number() OVER (PARTITION BY e.person_id ORDER BY CASE e.status "
        "WHEN 'done' THEN 0 WHEN 'lost' THEN 1 WHEN 'draft' THEN 2 ELSE 3 END, "
        "e.updated_at DESC) AS nth "
        "FROM survey_entries e JOIN survey_rounds r ON r.id = e.round_id "
        "JOIN persons p ON p.id = e.person_id WHERE r.year = ? AND p.held = 0) "
        "SELECT h.division_code, e.apart, e.status, e.method, e.lost_reason, count(*) "
        "FROM ranked e JOIN households h ON h.id = e.household_id WHERE e.nth = 1 "
        "GROUP BY 1, 2, 3, 4, 5",
        (year,),
    ):
        counts = found.setdefault(code, rules.Counts(code))
        rules.add(counts, status, method, reason, n, counted_apart or not apart)
    return found
