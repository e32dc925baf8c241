"""采纳到档案: the register facts a finished survey would change, reviewed before writing."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from canxie_tui.domain.survey import Change


def change_lines(changes: list[Change]) -> Content:
    # What was typed goes in as variables, never read as markup (Textual's way).
    return Content("\n").join(
        Content.from_markup(
            "  $label：$before → [b]$after[/b]",
            label=c.label,
            before=c.before_text,
            after=c.after_text,
        )
        for c in changes
    )


class AdoptScreen(ModalScreen[bool]):
    """Dismisses True when the worker adopts the changes (Y), False otherwise."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "采纳到档案", id="adopt", tooltip="把这些变化写入档案"),
        Binding("n,escape", "answer(False)", "暂不采纳", id="skip", tooltip="档案不变"),
    ]

    def __init__(self, name: str, changes: list[Change]) -> None:
        super().__init__()
        self.person_name = name
        self.changes = changes

    def compose(self) -> ComposeResult:
        with Vertical(classes="confirm-box"):
            yield Label(f"采纳到档案：{self.person_name}", classes="form-title", markup=False)
            yield Static(Content("调查结果与档案不同的地方：\n") + change_lines(self.changes))
            yield Static("Y 采纳到档案（记入审计日志）　N 暂不采纳（档案不变）", classes="hint")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
