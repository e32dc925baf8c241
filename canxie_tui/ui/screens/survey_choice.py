"""Pick one of a few numbered answers with its number key (调查方式, 失访原因, a setting)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, Static


class ChoiceScreen(ModalScreen[str | None]):
    """Dismisses with the chosen code (None on Esc); the Nth option is picked by key N."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "取消", id="cancel", tooltip="不选，返回"),
    ]

    def __init__(self, title: str, options: Mapping[str, str], note: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.options = list(options.items())
        self.note = note

    def compose(self) -> ComposeResult:
        with Vertical(classes="confirm-box"):
            yield Label(self.title_text, classes="form-title", markup=False)
            lines = [f"  {n}  {label}" for n, (_, label) in enumerate(self.options, 1)]
            yield Static("\n".join(lines), id="choices", markup=False)
            yield Static(self.note or "按数字键选择，Esc 取消", classes="hint")

    def on_key(self, event: events.Key) -> None:
        if event.character and event.character.isdigit():
            number = int(event.character)
            if 1 <= number <= len(self.options):
                event.stop()
                self.dismiss(self.options[number - 1][0])

    def action_cancel(self) -> None:
        self.dismiss(None)
