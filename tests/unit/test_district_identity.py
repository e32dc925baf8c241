"""One person, once, at the district: a rebuilt database, a move, two databases, decisions.

Communities hold `build_month` (王芳 and 张强 certified, 王芳's husband uncertified);
their November returns are merged into a district database (`test_district_merge`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from canxie_tui.domain.errors import InputError
from canxie_tui.excel.district.arrival import TWO_DATABASES
from canxie_tui.excel.district.merge import merge
from canxie_tui.store.connection import Store
from canxie_tui.store.district import conflicts
from canxie_tui.store.monthly import month_figures, month_period
from tests.unit.test_district_merge import (
    OTHER_COMMUNITY,
    _community,
    _export,
    _only,
)


def _figures(dist: Store) -> dict[str, tuple[int, int]]:
    period = month_period(dist, 2026, 11)
    return {
        code: (f.persons, f.households)
        for code, f in month_figures(dist, period, by_division=True).items()
        if f.persons or f.households
    }


def _register(dist: Store) -> int:
    return int(
        dist.scalar(
            "SELECT count(*) FROM persons WHERE status = 'active' AND category IS NOT NULL "
            "AND held = 0"
        )
    )


def _distinct_ids(dist: Store) -> int:
    return int(
        dist.scalar(
            "SELECT count(DISTINCT id_number) FROM persons WHERE category IS NOT NULL "
            "AND status = 'active' AND held = 0"
        )
    )


def test_a_rebuilt_database_is_linked_and_counts_do_not_change(tmp_path: Path, dist: Store) -> None:
    old = _community(tmp_path / "old.db")
    _only(merge(dist, [_export(old, tmp_path / "old.xlsx")]))
    before = _figures(dist)
    assert before == {"500105006001": (2, 2)}
    wang_old = old.scalar("SELECT id FROM persons WHERE name = '王芳'")
    old_visits = dist.scalar("SELECT count(*) FROM visit_persons WHERE person_id = ?", (wang_old,))
    # A new laptop: the same roster typed in again, new UUIDs, the same ID numbers.
    new = _community(tmp_path / "new.db")
    result = _only(merge(dist, [_export(new, tmp_path / "new.xlsx")]))
    assert not result.refused, result.reason
    assert result.conflicts == 0
    assert result.by_table["persons"].get("new", 0) == 0
    assert result.by_table["persons"]["linked"] == 3  # 王芳, 张强, and 王芳's husband by name
    assert result.by_table["households"]["linked"] == 2  # households follow their members
    assert _figures(dist) == before
    assert _register(dist) == _distinct_ids(dist) == 2
    # The history of both: 王芳's district record holds the old and the new visits.
    both = dist.scalar("SELECT count(*) FROM visit_persons WHERE person_id = ?", (wang_old,))
    assert both == 2 * old_visits
    wang_new = new.scalar("SELECT id FROM persons WHERE name = '王芳'")
    assert dist.scalar("SELECT count(*) FROM persons WHERE id = ?", (wang_new,)) == 0
    # Merging the new database's return again changes nothing.
    audit = dist.scalar("SELECT count(*) FROM audit_log")
    again = _only(merge(dist, [tmp_path / "new.xlsx"]))
    assert (again.new, again.updated, again.conflicts) == (0, 0, 0)
    assert dist.scalar("SELECT count(*) FROM audit_log") == audit
    old.close()
    new.close()


def _moved(tmp_path: Path, dist: Store) -> tuple[Store, Store, dict[str, Any]]:
    one = _community(tmp_path / "one.db")
    two = _community(tmp_path / "two.db", OTHER_COMMUNITY)  # the same people, registered again
    first, second = merge(
        dist, [_export(one, tmp_path / "one.xlsx"), _export(two, tmp_path / "two.xlsx")]
    )
    assert first.conflicts == 0 and not second.refused
    assert second.held == 2 and second.by_table["persons"]["conflicts"] == 2
    wang = two.scalar("SELECT id FROM persons WHERE name = '王芳'")
    (conflict,) = [c for c in conflicts.list_conflicts(dist) if c["record_id"] == wang]
    return one, two, conflict


def test_a_move_between_communities_is_held_out_of_every_count_and_listed(
    tmp_path: Path, dist: Store
) -> None:
    one, two, conflict = _moved(tmp_path, dist)
    assert conflict["kind"] == "identity" and "迁居" in conflict["reason"]
    assert conflict["incoming_version"]["id_number"] == conflict["district_version"]["id_number"]
    # Held: kept (its visits are linked to it) but counted nowhere.
    wang = conflict["record_id"]
    assert dist.scalar("SELECT held FROM persons WHERE id = ?", (wang,)) == 1
    assert dist.scalar("SELECT count(*) FROM visit_persons WHERE person_id = ?", (wang,))
    assert _figures(dist) == {"500105006001": (2, 2)}
    assert _register(dist) == _distinct_ids(dist) == 2
    again = _only(merge(dist, [tmp_path / "two.xlsx"]))
    assert (again.new, again.updated, again.conflicts, again.held) == (0, 0, 0, 2)
    assert len(conflicts.list_conflicts(dist)) == 2
    one.close()
    two.close()


def test_a_move_decided_as_incoming_counts_the_person_in_the_new_community(
    tmp_path: Path, dist: Store
) -> None:
    one, two, conflict = _moved(tmp_path, dist)
    conflicts.resolve_conflict(dist, conflict["id"], "incoming")
    assert _figures(dist) == {"500105006001": (1, 1), "500105006002": (1, 1)}
    assert _register(dist) == _distinct_ids(dist) == 2
    with pytest.raises(InputError, match="处理过"):
        conflicts.resolve_conflict(dist, conflict["id"], "district")
    one.close()
    two.close()


def test_a_move_linked_as_the_same_person_keeps_one_record_with_both_histories(
    tmp_path: Path, dist: Store
) -> None:
    one, two, conflict = _moved(tmp_path, dist)
    wang_two = conflict["record_id"]
    wang_one = conflict["district_version"]["id"]
    visits = dist.scalar(
        "SELECT count(*) FROM visit_persons WHERE person_id IN (?, ?)", (wang_one, wang_two)
    )
    done = conflicts.resolve_conflict(dist, conflict["id"], "link")
    assert done["resolution"] == "link"
    assert dist.scalar("SELECT count(*) FROM persons WHERE id = ?", (wang_two,)) == 0
    assert (
        dist.scalar("SELECT count(*) FROM visit_persons WHERE person_id = ?", (wang_one,)) == visits
    )
    # She lives in the new community now: counted there, once.
    assert _figures(dist)["500105006002"] == (1, 1)
    assert _register(dist) == _distinct_ids(dist) == 2
    # The next return of the new community lands on the same record, quietly.
    again = _only(merge(dist, [tmp_path / "two.xlsx"]))
    assert again.by_table["persons"].get("new", 0) == 0
    assert dist.scalar("SELECT count(*) FROM persons WHERE id = ?", (wang_two,)) == 0
    one.close()
    two.close()


def test_bulk_decision_for_a_whole_file(tmp_path: Path, dist: Store) -> None:
    one, two, _ = _moved(tmp_path, dist)
    with pytest.raises(
        InputError, match=r"没有来自文件“tow\.xlsx”"
    ):  # a typo is said, not "0 done"
        conflicts.resolve_file(dist, "tow.xlsx", "district")
    assert conflicts.resolve_file(dist, "two.xlsx", "district") == 2
    assert conflicts.list_conflicts(dist) == []
    assert _figures(dist) == {"500105006001": (2, 2)}
    one.close()
    two.close()


def test_two_databases_sending_one_community_are_named(tmp_path: Path, dist: Store) -> None:
    first = _community(tmp_path / "first.db")
    second = _community(tmp_path / "second.db")
    a, b = merge(
        dist,
        [_export(first, tmp_path / "first.xlsx"), _export(second, tmp_path / "second.xlsx")],
    )
    assert not a.warnings
    assert any(TWO_DATABASES in w for w in b.warnings)
    assert TWO_DATABASES in b.line and "first.xlsx" in b.line
    assert b.to_json()["warnings"] == b.warnings
    # ...and in the district report, under the table.
    from openpyxl import load_workbook

    from canxie_tui.excel.district.report import district_report

    path = district_report(dist, 2026, 11, out=tmp_path / "report.xlsx")
    wb = load_workbook(path, read_only=True)
    texts = [str(v) for row in wb["汇总"].iter_rows(values_only=True) for v in row if v]
    wb.close()
    assert any(TWO_DATABASES in t and "建新东路社区" in t for t in texts)
    first.close()
    second.close()


def test_a_district_merged_into_before_tokens_takes_its_people_as_tokens(
    tmp_path: Path, dist: Store
) -> None:
    """An upgraded district held full ID numbers; the next return raises no conflict."""
    from canxie_tui.store.district.content import content_hash, full_record

    one = _community(tmp_path / "one.db")
    path = _export(one, tmp_path / "one.xlsx")
    merge(dist, [path])
    # As the previous version left it: full numbers, merged state hashed with them.
    for row in one.query("SELECT id, id_number, cert_number FROM persons"):
        dist.db.conn.execute(
            "UPDATE persons SET id_number = ?, cert_number = ? WHERE id = ?",
            (row["id_number"], row["cert_number"], row["id"]),
        )
        mine = dist.query("SELECT * FROM persons WHERE id = ?", (row["id"],))[0]
        dist.db.conn.execute(
            "UPDATE merge_state SET row_hash = ? WHERE table_name = 'persons' AND record_id = ?",
            (content_hash(full_record("persons", mine, {})), row["id"]),
        )
    wang = one.scalar("SELECT id_number FROM persons WHERE name = '王芳'")
    assert dist.scalar("SELECT count(*) FROM persons WHERE id_number = ?", (wang,)) == 1
    again = _only(merge(dist, [path]))
    assert (again.new, again.updated, again.conflicts, again.held) == (0, 0, 0, 0)
    assert dist.scalar("SELECT count(*) FROM persons WHERE id_number = ?", (wang,)) == 0
    assert not dist.scalar("SELECT count(*) FROM persons WHERE id_number NOT LIKE 'idt:%'")
    assert dist.scalar("SELECT count(*) FROM audit_log WHERE action = '身份证号改为代号'") == 2
    one.close()
