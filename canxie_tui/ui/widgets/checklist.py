"""A multi-select list whose state is written in text ([✓] / [ ]), not colour alone."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class CheckList(OptionList):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "toggle_item", "勾选", id="toggle", tooltip="勾选或取消所选项"),
    ]
    DEFAULT_CSS = """
    CheckList { height: auto; max-height: 8; }
    """

    @dataclass
    class Changed(Message):
        checklist: CheckList

        @property
        def control(self) -> CheckList:
            return self.checklist

    def __init__(self, choices: Mapping[str, str], chosen: Iterable[str] = (), *, id: str) -> None:
        self.choices = dict(choices)
        self._chosen = set(chosen) & set(self.choices)
        super().__init__(*[Option(self._prompt(c), id=c) for c in self.choices], id=id)

    def _prompt(self, code: str) -> str:
        return f"[{'✓' if code in self._chosen else ' '}] {self.choices[code]}"

    @property
    def selected(self) -> list[str]:
        return [code for code in self.choices if code in self._chosen]

    def action_toggle_item(self) -> None:
        if self.highlighted is None:
            return
        code = self.get_option_at_index(self.highlighted).id
        assert code is not None
        self._chosen ^= {code}
        self.replace_option_prompt(code, self._prompt(code))
        self.post_message(self.Changed(self))

    def _on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.action_toggle_item()
