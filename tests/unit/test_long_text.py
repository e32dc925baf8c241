"""One long case note never blocks a return (issue 16, item 6).

Free text is limited where it is typed (the store refuses more, the form shows the
count), and the monthly return's data sheets carry any stored length: a note of
35,000 characters written before the limit existed goes out split across cells and
comes back joined, the same to the character; its print sheet shows the start.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook

from canxie_tui.domain import validate
from canxie_tui.domain.errors import InputError
from canxie_tui.excel.cells import MAX_CELL_TEXT, split_text
from canxie_tui.excel.monthly_return import export_monthly
from canxie_tui.excel.return_reader import read_monthly
from canxie_tui.store import notes, records
from tests.conftest import Clock, Make, build_month, open_store

NOW = datetime(2024, 3, 31, 17, 0)
# Chinese, ASCII, a control character and a literal escape sequence: every kind of text
LONG = ("个案记录：家访情况良好。" * 2000 + "\x01_x0041_=SUM(A1)" + "末尾") * 2


def test_the_store_refuses_a_note_over_the_limit(tmp_path: Path) -> None:
    store = open_store(tmp_path / "c.db", clock=Clock(NOW))
    try:
        make = Make(store)
        household = make.household()
        with pytest.raises(InputError) as caught:
            notes.add_note(store, household.id, "need", "字" * (validate.NOTE_MAX + 1))
        assert caught.value.field == "body" and "多了 1 字" in caught.value.message
        assert store.scalar("SELECT count(*) FROM notes") == 0
        notes.add_note(store, household.id, "need", "字" * validate.NOTE_MAX)
    finally:
        store.close()


def test_split_text_parts_fit_a_cell_and_join_back() -> None:
    text = "\x01" * 10_000 + "字" * 40_000
    parts = split_text(text)
    assert "".join(parts) == text
    from canxie_tui.excel.cells import escape_text

    assert all(len(escape_text(p)) <= MAX_CELL_TEXT for p in parts)


def test_a_35000_character_note_goes_out_and_comes_back_whole(tmp_path: Path) -> None:
    store = open_store(tmp_path / "c.db", clock=Clock(NOW))
    try:
        month = build_month(store, Make(store), 2024, 3)
        assert len(LONG) > 35_000
        # written before the limit existed (straight through the one write path)
        kept_id, note_id = (
            records.insert(
                store,
                "notes",
                {
                    "household_id": month.wang.household_id,
                    "category": "need",
                    "body": LONG,
                    "author_id": store.operator_id,
                    "author_name": store.operator_name,
                },
            )
            for _ in range(2)
        )
        note = notes.get_note(store, note_id)
        notes.edit_note(store, note, "need", "改短了")  # the revision keeps the long text
        out = export_monthly(store, 2024, 3, out=tmp_path / "out.xlsx")
    finally:
        store.close()

    data = read_monthly(out)

    [revision] = [r for r in data.rows("note_revisions") if r["note_id"] == note_id]
    assert revision["body"] == LONG
    bodies = {r["id"]: r["body"] for r in data.rows("notes")}
    assert (bodies[note_id], bodies[kept_id]) == ("改短了", LONG)
    book = load_workbook(out)
    printed = [str(c.value) for r in book["个案记录"].iter_rows() for c in r if c.value is not None]
    [shown] = [text for text in printed if "单元格放不下" in text]  # the start, and its length
    assert shown.startswith(LONG[:1000]) and f"共 {len(LONG)} 字" in shown
    assert all(len(text) <= MAX_CELL_TEXT for text in printed)
