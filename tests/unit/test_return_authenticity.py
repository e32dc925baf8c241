"""Returns are authenticated, and a return may only write its own community's records.

Forged with the project's own functions: a community database holding another
community's records (edited) and deletions of its visits, exported and signed
with its own key; a return signed with a made-up community key; a return that
names another community than the one its key was issued to.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

from canxie_tui.domain import transit
from canxie_tui.excel.district.merge import merge
from canxie_tui.store import records, site
from canxie_tui.store.connection import Store
from canxie_tui.store.keys import set_community_key
from tests.conftest import DISTRICT_SECRET, SITE
from tests.unit.test_district_merge import (
    OTHER_COMMUNITY,
    _community,
    _export,
    _only,
)


def test_a_return_cannot_change_or_delete_another_communitys_records(
    tmp_path: Path, dist: Store
) -> None:
    a = _community(tmp_path / "a.db")
    merge(dist, [_export(a, tmp_path / "a.xlsx")])
    wang = dict(a.query("SELECT * FROM persons WHERE name = '王芳'")[0])
    home = dict(a.query("SELECT * FROM households WHERE id = ?", (wang["household_id"],))[0])
    visits = a.query("SELECT * FROM visits WHERE household_id = ?", (home["id"],))
    before = dist.scalar("SELECT phone FROM persons WHERE id = ?", (wang["id"],))
    merged_visits = dist.scalar("SELECT count(*) FROM visits WHERE household_id = ?", (home["id"],))
    # Community B (its own key) copies A's household and 王芳 in, edits her, "deletes" A's visits.
    b = _community(tmp_path / "b.db", OTHER_COMMUNITY, first_id=300)
    with b.transaction() as db:
        for table, row in (("households", home), ("persons", wang)):
            values = {k: v for k, v in row.items() if k != "pk"}
            if table == "persons":
                values.update(phone="13900000000", version=values["version"] + 1)
            names = ", ".join(values)
            db.conn.execute(
                f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
        for visit in visits:
            records.write_audit(b, "删除", "visits", visit["id"], dict(visit), None)
        # ...and says one of its own visits saw her (her last visit would move).
        own_visit = db.conn.execute(
            "SELECT id FROM visits WHERE household_id <> ? ORDER BY visit_date DESC LIMIT 1",
            (home["id"],),
        ).fetchone()[0]
        db.conn.execute("INSERT INTO visit_persons VALUES (?, ?)", (own_visit, wang["id"]))
    forged = _only(merge(dist, [_export(b, tmp_path / "b.xlsx")]))
    assert not forged.refused, forged.reason
    # Nothing of A's changed or went; each refusal is named in the result.
    assert dist.scalar("SELECT phone FROM persons WHERE id = ?", (wang["id"],)) == before
    assert (
        dist.scalar("SELECT count(*) FROM visits WHERE household_id = ?", (home["id"],))
        == merged_visits
    )
    assert forged.by_table["persons"]["refused"] == 1
    assert forged.by_table["visits"]["refused"] == merged_visits
    assert forged.by_table["visit_persons"]["refused"] == 1
    assert not dist.scalar(
        "SELECT count(*) FROM visit_persons WHERE visit_id = ? AND person_id = ?",
        (own_visit, wang["id"]),
    )
    assert any("王芳" in line and "属于其他社区" in line for line in forged.foreign)
    assert "拒收其他社区的记录" in forged.line
    assert forged.to_json()["foreign"] == forged.foreign
    # B's own records went in all the same.
    assert forged.new > 0
    a.close()
    b.close()


def _key_with_made_up_mac(code: str) -> str:
    """A key text with the district's token key but a community key nobody issued."""
    raw = transit.token_key(DISTRICT_SECRET) + bytes(16)
    letters = base64.b32encode(raw).decode().rstrip("=")
    return f"CX1-{code[-4:]}-{letters}"


def test_a_return_whose_mac_does_not_verify_is_refused_in_chinese(
    tmp_path: Path, dist: Store
) -> None:
    forger = _community(tmp_path / "f.db")
    set_community_key(forger, _key_with_made_up_mac(SITE.community_code), SITE.community_code)
    result = _only(merge(dist, [_export(forger, tmp_path / "f.xlsx")]))
    assert result.refused and "签名核对不上" in result.reason
    assert not dist.scalar("SELECT count(*) FROM persons")
    forger.close()


def test_a_return_edited_after_export_with_checksums_recomputed_is_refused(
    tmp_path: Path, dist: Store
) -> None:
    """The return's own metadata rewritten consistently (checksum recomputed): the MAC fails."""
    from openpyxl import load_workbook

    from canxie_tui.excel.return_format import META_SHEET, meta_checksum

    a = _community(tmp_path / "a.db")
    path = _export(a, tmp_path / "a.xlsx")
    wb = load_workbook(path)
    ws = wb[META_SHEET]
    items, sheets, check_cell = [], [], None
    for row in ws.iter_rows(min_row=2):
        key = row[0].value
        if key == "sheet":
            sheets.append([c.value for c in row[1:5]])
        elif key == "checksum":
            check_cell = row[1]
        elif key == "exported_at":
            row[1].value = "2026-11-30T08:00:00"  # any change the forger wants
            items.append((key, row[1].value))
        elif key and key != "mac":
            items.append((key, row[1].value if row[1].value is not None else ""))
    assert check_cell is not None
    check_cell.value = meta_checksum(items, sheets)
    wb.save(path)
    result = _only(merge(dist, [path]))
    assert result.refused
    assert "签名核对不上" in result.reason or "校验和" in result.reason
    a.close()


def test_a_return_naming_another_community_than_its_keys_is_refused(
    tmp_path: Path, dist: Store
) -> None:
    a = _community(tmp_path / "a.db")
    site.save_site(a, OTHER_COMMUNITY)  # A's key, B's name and code
    result = _only(merge(dist, [_export(a, tmp_path / "a.xlsx")]))
    assert result.refused and "签名密钥是发给代码为 500105006001" in result.reason
    assert json.dumps(result.to_json(), ensure_ascii=False)
    a.close()


def test_a_return_cannot_start_a_subsidy_for_another_communitys_person(
    tmp_path: Path, dist: Store
) -> None:
    """A 两项补贴 entry hangs from its person: one for someone of another community is
    refused like a visit to their household (it used to be taken as a new record)."""
    from canxie_tui.store import subsidies

    a = _community(tmp_path / "a.db")
    merge(dist, [_export(a, tmp_path / "a.xlsx")])
    wang = dict(a.query("SELECT * FROM persons WHERE name = '王芳'")[0])
    home = dict(a.query("SELECT * FROM households WHERE id = ?", (wang["household_id"],))[0])
    b = _community(tmp_path / "b.db", OTHER_COMMUNITY, first_id=300)
    with b.transaction() as db:
        for table, row in (("households", home), ("persons", wang)):
            values = {k: v for k, v in row.items() if k != "pk"}
            db.conn.execute(
                f"INSERT INTO {table} ({', '.join(values)}) "
                f"VALUES ({', '.join('?' * len(values))})",
                list(values.values()),
            )
    subsidies.set_state(b, wang["id"], "care", "receiving", "2026-01", "伪造")
    before = dist.scalar("SELECT count(*) FROM subsidies WHERE person_id = ?", (wang["id"],))

    forged = _only(merge(dist, [_export(b, tmp_path / "b.xlsx")]))

    assert not forged.refused, forged.reason
    assert forged.by_table["subsidies"]["refused"] == 1
    assert any(line.startswith("两项补贴记录") for line in forged.foreign), forged.foreign
    assert (
        dist.scalar("SELECT count(*) FROM subsidies WHERE person_id = ?", (wang["id"],)) == before
    )
    a.close()
    b.close()
