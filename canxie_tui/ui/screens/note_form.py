"""Write or edit a case note; an edit keeps the earlier text as a revision."""

from __future__ import annotations

from typing import Any, ClassVar

from textual.binding import Binding, BindingType
from textual.widgets import TextArea

from canxie_tui.domain import codes, validate
from canxie_tui.domain.models import Note
from canxie_tui.store import notes
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, select


class NoteForm(FormScreen[Note]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+end", "text_edge(True)", "到末尾", show=False),
        Binding("ctrl+home", "text_edge(False)", "到开头", show=False),
    ]

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
            Field("body", "内容（Ctrl+S 保存）", body, limit=validate.NOTE_MAX),
        ]

    def on_mount(self) -> None:
        self.action_text_edge(True)  # correcting a note: carry on from its end

    def action_text_edge(self, end: bool) -> None:
        """Ctrl+End / Ctrl+Home: the cursor to the end / start of the text."""
        body = self.query_one("#body", TextArea)
        body.focus()
        body.move_cursor(body.document.end if end else (0, 0))

    def check(self, values: dict[str, Any]) -> None:
        validate.clean_note(values["category"] or "", values["body"])

    async def save(self, values: dict[str, Any]) -> Note | None:
        if self.note is None:
            return await self.canxie.db(
                notes.add_note, self.household_id, values["category"], values["body"]
            )
        return await self.canxie.db(notes.edit_note, self.note, values["category"], values["body"])
