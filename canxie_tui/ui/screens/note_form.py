"""Write or edit a case note; an edit keeps the earlier text as a revision."""

from __future__ import annotations

from typing import Any

from textual.widgets import TextArea

from canxie_tui.domain import codes, validate
from canxie_tui.domain.models import Note
from canxie_tui.store import notes
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, select


class NoteForm(FormScreen[Note]):
    def __init__(self, household_id: str, note: Note | None = None) -> None:
        super().__init__()
        self.household_id = household_id
        self.note = note
        self.form_title = "修改个案记录（原文将保留为历史版本）" if note else "写个案记录"

    def build_fields(self) -> list[Field]:
        category = self.note.category if self.note else "need"
        body = TextArea(self.note.body if self.note else "", id="body", soft_wrap=True)
        return [
            Field(
                "category",
                "类别",
                select(codes.NOTE_CATEGORIES, category, blank=None, id="category"),
            ),
            Field("body", "内容（Ctrl+S 保存）", body),
        ]

    def on_mount(self) -> None:
        self.query_one("#body", TextArea).focus()

    def check(self, values: dict[str, Any]) -> None:
        validate.clean_note(values["category"] or "", values["body"])

    async def save(self, values: dict[str, Any]) -> Note | None:
        if self.note is None:
            return await self.canxie.db(
                notes.add_note, self.household_id, values["category"], values["body"]
            )
        return await self.canxie.db(notes.edit_note, self.note, values["category"], values["body"])
