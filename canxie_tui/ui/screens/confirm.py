"""Yes/no before anything that cannot simply be undone."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmScreen(ModalScreen[bool]):
    # Enter answers 取消: what the question guards (typed data, a database) is given up
    # only by a deliberate Y, never by the Enter that ends most dialogs.
    AUTO_FOCUS = "#no"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "确定", id="yes", tooltip="确定"),
        Binding("n,escape", "answer(False)", "取消", id="no", tooltip="取消"),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="confirm-box"):
            yield Label(self.question, classes="form-title", markup=False)
            with Horizontal(classes="form-buttons"):
                yield Button("确定 Y", variant="warning", id="yes")
                yield Button("取消 N", id="no")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
