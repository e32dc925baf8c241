"""The household screen: add members, write and revise notes, reveal an ID."""

from __future__ import annotations

from datetime import date

import pytest
from textual.widgets import DataTable, Input, Static, TextArea

from canxie_tui.domain.ids import make_certificate, make_id
from canxie_tui.store import notes
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.note_form import NoteForm
from canxie_tui.ui.screens.note_history import NoteHistoryScreen
from canxie_tui.ui.screens.person_form import PersonForm
from tests.app.conftest import WANG_FANG_ID, open_search, settle, type_text

NEW_ID = make_id("500105", date(2012, 6, 1), 36)


def count(store: Store, sql: str) -> int:
    return int(store.scalar(sql))


async def open_wang_fang(app: CanxieApp, pilot) -> HouseholdScreen:  # type: ignore[no-untyped-def]
    await open_search(pilot)
    await type_text(pilot, "王芳")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, HouseholdScreen)
    return app.screen


async def fill(pilot, field_id: str, text: str) -> None:  # type: ignore[no-untyped-def]
    pilot.app.screen.query_one(f"#{field_id}", Input).focus()
    await type_text(pilot, text)


async def test_invalid_id_is_explained_and_nothing_written(
    app: CanxieApp, register_store: Store
) -> None:
    persons_before = count(register_store, "SELECT count(*) FROM persons")
    audit_before = count(register_store, "SELECT count(*) FROM audit_log")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wang_fang(app, pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PersonForm)
        await type_text(pilot, "王小明")
        bad = NEW_ID[:-1] + ("0" if NEW_ID[-1] != "0" else "1")
        await fill(pilot, "id_number", bad)
        await pilot.pause()
        message = str(app.screen.query_one("#field-id_number .message", Static).render())
        assert "校验位错误" in message
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonForm)  # still open, nothing saved
        assert app.screen.focused is app.screen.query_one("#id_number", Input)
    assert count(register_store, "SELECT count(*) FROM persons") == persons_before
    assert count(register_store, "SELECT count(*) FROM audit_log") == audit_before


async def test_add_valid_member_lands_in_database_and_audit(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_wang_fang(app, pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "王小明")
        await fill(pilot, "id_number", NEW_ID.lower())
        await fill(pilot, "cert_number", make_certificate(NEW_ID, 5, 2))
        await fill(pilot, "category", "智力")
        await fill(pilot, "level", "2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        members = screen.query_one("#members", DataTable)
        assert "王小明" in [members.get_row_at(i)[0] for i in range(members.row_count)]
    row = register_store.query("SELECT * FROM persons WHERE name = '王小明'")[0]
    assert row["id_number"] == NEW_ID
    assert (row["category"], row["level"], row["sex"], row["birth_date"]) == (
        5,
        2,
        "女",
        "2012-06-01",
    )
    audit = register_store.query(
        "SELECT operator_name, action FROM audit_log WHERE record_id = ?", (row["id"],)
    )
    assert audit == [{"operator_name": "李明", "action": "新增"}]


async def test_note_written_then_edited_keeps_revision(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_wang_fang(app, pilot)
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, NoteForm)
        await type_text(pilot, "家中燃气灶老化")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        timeline = screen.query_one("#timeline", DataTable)
        timeline.focus()
        timeline.move_cursor(row=0)
        assert "家中燃气灶老化" in str(timeline.get_row_at(0)[2])
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, NoteForm)
        area = app.screen.query_one("#body", TextArea)
        area.move_cursor(area.document.end)
        await type_text(pilot, "已联系燃气公司")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "（改1次）" in str(timeline.get_row_at(0)[2])
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, NoteHistoryScreen)
        shown = " ".join(str(s.render()) for s in app.screen.query(".revision-body"))
        assert "家中燃气灶老化" in shown and "已联系燃气公司" in shown
    household_id = register_store.scalar(
        "SELECT household_id FROM persons WHERE id_number = ?", (WANG_FANG_ID,)
    )
    note = next(n for n in notes.household_notes(register_store, household_id) if "燃气" in n.body)
    assert note.body == "家中燃气灶老化已联系燃气公司"
    assert [r.body for r in note.revisions] == ["家中燃气灶老化"]


async def test_reveal_id_is_audited(app: CanxieApp, register_store: Store) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_wang_fang(app, pilot)
        members = screen.query_one("#members", DataTable)
        assert members.get_row_at(0)[4] != WANG_FANG_ID
        await pilot.press("i")
        await settle(pilot)
        assert members.get_row_at(0)[4] == WANG_FANG_ID
        await pilot.press("i")
        await settle(pilot)
        assert members.get_row_at(0)[4] != WANG_FANG_ID
    actions = [
        r["action"]
        for r in register_store.query("SELECT action FROM audit_log WHERE action LIKE '显示完整%'")
    ]
    assert actions == ["显示完整身份证号（户详情）"]


async def test_status_change_keeps_person_with_new_status(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_wang_fang(app, pilot)
        await pilot.press("s")
        await settle(pilot)
        select = app.screen.query_one("#status")
        select.value = "moved"  # type: ignore[attr-defined]
        await fill(pilot, "status_reason", "迁往渝北区")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#members", DataTable).get_row_at(0)[8] == "迁出"
    row = register_store.query(
        "SELECT status, status_date, status_reason FROM persons WHERE id_number = ?",
        (WANG_FANG_ID,),
    )[0]
    assert row == {"status": "moved", "status_date": "2026-11-29", "status_reason": "迁往渝北区"}


async def test_duplicate_id_refused_and_existing_record_offered(
    app: CanxieApp, register_store: Store
) -> None:
    from tests.app.conftest import SHAN_LI_ID

    async with app.run_test(size=(80, 24)) as pilot:
        await open_wang_fang(app, pilot)
        await pilot.press("a")
        await settle(pilot)
        await type_text(pilot, "单丽")
        await fill(pilot, "id_number", SHAN_LI_ID)
        await fill(pilot, "category", "1")
        await fill(pilot, "level", "3")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, PersonForm)
        error = str(app.screen.query_one("#field-id_number .message", Static).render())
        assert "已登记为“单丽”" in error and "Ctrl+O" in error
        await pilot.press("ctrl+o")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        assert "北城三路8号" in str(app.screen.query_one("#hh-info", Static).render())
    assert register_store.scalar("SELECT count(*) FROM persons WHERE name = '单丽'") == 1


async def test_a_refusal_in_a_key_handler_is_told_not_fatal(
    app: CanxieApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canxie_tui.store.errors import NotFoundError

    def gone(*args: object) -> None:
        raise NotFoundError("找不到该记录。")

    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_wang_fang(app, pilot)
        monkeypatch.setattr(notes, "get_note", gone)  # deleted by someone else meanwhile
        timeline = screen.query_one("#timeline", DataTable)
        timeline.focus()
        timeline.move_cursor(row=0)
        await pilot.press("r")
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert any("找不到该记录" in str(n.message) for n in app._notifications)
