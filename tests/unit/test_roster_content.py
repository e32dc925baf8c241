"""A roster import writes exactly what the per-record path wrote before it was made fast.

`tests/fixtures/roster_import_content.json` holds what the import of a varied roster
(new people in new and in registered households, changed people and households,
register facts, 两项补贴 states, a month's update) left in the database when the
import still read its rows back one path at a time (commit 5d44e37): persons,
households, 两项补贴 history, the audit entries' content, search terms and trigram
documents.  UUIDs and pks differ between runs, so each is replaced by what it
identifies (a person's ID number, a household's members ...).  The test imports the
same files and compares; the hash chain is verified separately (its hashes cover
the UUIDs).

Regenerate only on purpose (the import's output changed and the change is wanted):
`CANXIE_WRITE_ROSTER_CONTENT=1 pytest tests/unit/test_roster_content.py`.
"""

from __future__ import annotations

import json
import os
import re
from datetime import date
from pathlib import Path
from typing import Any

from canxie_tui.domain import ids
from canxie_tui.excel.roster import importer as roster
from canxie_tui.store.connection import Store
from canxie_tui.store.records import verify_audit_chain
from tests.conftest import TODAY
from tests.unit.test_roster_import import (
    FACT_HEADER,
    add_registered,
    add_with_facts,
    body_rows,
    fact_row,
    sun_and_ma,
    write_facts,
    write_roster,
)

GOLDEN = Path(__file__).parent.parent / "fixtures" / "roster_import_content.json"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
NAMES = ["王芳", "单丽", "吕梅", "欧阳明", "长孙无忌", "Zhang Wei", "阿依古丽·买买提", "曾乐乐"]


def varied(count: int, *, month: int = 0) -> list[list[Any] | None]:
    """`count` people: names with heteronyms, compound surnames, Latin and dotted
    names; one to three per address, some with a building/unit/room, guardians,
    uncertified people; a month later (`month`) every fifth phone changes."""
    rows: list[list[Any] | None] = []
    for i in range(count):
        number = ids.make_id("500106", date(1940 + i % 60, 1 + i % 12, 1 + i % 28), 5 + i)
        category = None if i % 11 == 0 else 1 + i % 7
        level = None if category is None else 1 + i % 4
        phone = f"13{i:09d}" if not (month and i % 5 == 0) else f"15{i:09d}"
        address = f"建新{i // 3}路{i % 7}号" + ("5栋2单元301" if i % 4 == 0 else "")
        rows.append(
            [
                200 + i,
                NAMES[i % len(NAMES)] + ("" if i < len(NAMES) else str(i % 13)),
                None,
                number,
                None if category is None else ids.make_certificate(number, category, level),
                category,
                level,
                phone if i % 6 else None,
                address,
                "监护人" + str(i) if i % 5 == 1 else None,
                f"139{i:08d}" if i % 10 == 1 else None,
            ]
        )
    return rows


def facts_rows() -> list[list[Any]]:
    from tests.unit.test_roster_import import HE

    return [
        *sun_and_ma(),
        fact_row("何三", HE, 1, 1, "建新东路9号", hukou="市外", living="申请中", care="暂停"),
    ]


def import_all(store: Store, tmp_path: Path) -> None:
    add_registered(store)
    add_with_facts(store)
    first = write_roster(tmp_path / "first.xlsx", [*body_rows(), *varied(60)])
    later = write_roster(tmp_path / "later.xlsx", [*body_rows(), *varied(75, month=1)])
    facts = write_facts(tmp_path / "facts.xlsx", facts_rows(), FACT_HEADER)
    for path in (first, facts, later):
        plan = roster.preview(store, roster.read_roster(path, today=TODAY))
        roster.apply(store, plan)


def _labels(store: Store) -> dict[str, str]:
    """UUID -> what it identifies, the same in every run."""
    labels: dict[str, str] = {}
    for pid, number in store.db.conn.execute("SELECT id, id_number FROM persons"):
        labels[pid] = f"person {number}"
    for hid, members in store.db.conn.execute(
        "SELECT household_id, group_concat(id_number, ' ') FROM "
        "(SELECT household_id, id_number FROM persons ORDER BY id_number) GROUP BY household_id"
    ):
        labels[hid] = f"household of {members}"
    for oid, name in store.db.conn.execute("SELECT id, name FROM operators"):
        labels[oid] = f"operator {name}"
    for sid, pid, kind, month in store.db.conn.execute(
        "SELECT id, person_id, kind, from_month FROM subsidies"
    ):
        labels[sid] = f"subsidy {labels[pid]} {kind} {month}"
    return labels


def content(store: Store) -> dict[str, list[Any]]:
    labels = _labels(store)
    pks = {pk: labels[pid] for pk, pid in store.db.conn.execute("SELECT pk, id FROM persons")}

    def plain(value: Any) -> Any:
        return _UUID.sub(lambda m: labels[m.group(0)], value) if isinstance(value, str) else value

    def rows(sql: str) -> list[list[Any]]:
        cursor = store.db.conn.execute(sql)
        names = [d[0] for d in cursor.description]
        return sorted(
            [[f"{n}={plain(v)!r}" for n, v in zip(names, r, strict=True) if n != "pk"]
             for r in cursor]
        )  # fmt: skip

    return {
        "persons": rows("SELECT * FROM persons"),
        "households": rows("SELECT * FROM households"),
        "subsidies": rows("SELECT * FROM subsidies"),
        "audit": rows(
            "SELECT at, operator_id, operator_name, action, table_name, record_id, before, after "
            "FROM audit_log"
        ),
        "search_terms": sorted(
            [pks[pk], term, weak]
            for pk, term, weak in store.db.conn.execute(
                "SELECT person_pk, term, weak FROM search_terms"
            )
        ),
        "documents": sorted(
            [pks[pk], doc] for pk, doc in store.db.conn.execute("SELECT rowid, doc FROM person_fts")
        ),
    }


def test_an_import_writes_what_the_per_record_path_wrote(store: Store, tmp_path: Path) -> None:
    import_all(store, tmp_path)
    assert verify_audit_chain(store) == []
    found = content(store)
    if os.environ.get("CANXIE_WRITE_ROSTER_CONTENT"):
        GOLDEN.write_text(json.dumps(found, ensure_ascii=False, indent=0) + "\n", "utf-8")
    expected = json.loads(GOLDEN.read_text("utf-8"))
    assert found.keys() == expected.keys()
    for key in expected:
        assert found[key] == expected[key], key
    # Not a trivial file: every kind of write is in it.
    assert len(found["persons"]) > 80 and len(found["search_terms"]) > 500
    assert {"subsidies", "audit"} <= {k for k, v in found.items() if v}
