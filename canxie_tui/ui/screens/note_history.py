"""Every text a case note has had, oldest first, ending with the current one."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from canxie_tui.domain import codes
from canxie_tui.domain.models import Note
from canxie_tui.ui.widgets.keyline import KeyLine


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
                    yield from _version(
                        f"第{r.revision}版",
                        r.revised_at,
                        r.author_name,
                        codes.label(codes.NOTE_CATEGORIES, r.category, "其他"),
                        r.body,
                    )
                yield from _version(
                    "当前版", note.updated_at, note.author_name, note.category_label, note.body
                )
            yield KeyLine()


def _version(label: str, at: str, author: str, category: str, body: str) -> ComposeResult:
    """One version: who wrote it when, then its text as written (no markup)."""
    yield Static(
        f"{label} · {at.replace('T', ' ')} · {author} · {category}",
        classes="revision-head",
        markup=False,
    )
    yield Static(body, classes="revision-body", markup=False)
