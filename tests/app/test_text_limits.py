"""The note form shows how much is typed against the limit, and refuses more (issue 16, item 6)."""

from __future__ import annotations

from textual.widgets import Static, TextArea

from canxie_tui.domain import validate
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.note_form import NoteForm
from tests.app.conftest import WANG_FANG_ID, settle, type_text


def _message(app: CanxieApp) -> str:
    return str(app.screen.query_one("#field-body .message", Static).render())


async def test_the_note_form_counts_and_refuses_too_long_a_text(
    app: CanxieApp, register_store: Store
) -> None:
    household_id = register_store.scalar(
        "SELECT household_id FROM persons WHERE id_number = ?", (WANG_FANG_ID,)
    )
    before = register_store.scalar("SELECT count(*) FROM notes")
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(NoteForm(household_id))
        await settle(pilot)
        assert f"0/{validate.NOTE_MAX} 字" in _message(app)
        await type_text(pilot, "家访")
        assert f"2/{validate.NOTE_MAX} 字" in _message(app)
        area = app.screen.query_one("#body", TextArea)
        area.text = "字" * (validate.NOTE_MAX + 5)  # pasted
        await settle(pilot)
        assert "多了 5 字" in _message(app)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, NoteForm)  # still open, nothing lost
    assert register_store.scalar("SELECT count(*) FROM notes") == before
