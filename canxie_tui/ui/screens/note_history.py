"""Every text a case note has had, oldest first, ending with the current one."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from canxie_tui.domain import codes
from canxie_tui.domain.models import Note


class NoteHistoryScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "关闭", id="close", tooltip="关闭历史版本"),
    ]

    def __init__(self, note: Note) -> None:
        super().__init__()
        self.note = note

    def compose(self) -> ComposeResult:
        note = self.note
        with Vertical(classes="form-box"):
            yield Label(
                f"个案记录的历次版本（共 {len(note.revisions) + 1} 版）", classes="form-title"
            )
            with VerticalScroll():
                for r in note.revisions:
                    yield Static(
                        f"第{r.revision}版 · {r.revised_at.replace('T', ' ')} · {r.author_name} · "
                        f"{codes.label(codes.NOTE_CATEGORIES, r.category, '其他')}",
                        classes="revision-head",
                    )
                    yield Static(r.body, classes="revision-body", markup=False)
                yield Static(
                    f"当前版 · {note.updated_at.replace('T', ' ')} · {note.author_name} · "
                    f"{note.category_label}",
                    classes="revision-head",
                )
                yield Static(note.body, classes="revision-body", markup=False)
            yield Footer()
