"""Pick several codes from a table (Space ticks, Ctrl+S confirms)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.checklist import CheckList
from canxie_tui.ui.widgets.field import Field, multi


class PickScreen(FormScreen[list[str]]):
    def __init__(self, title: str, choices: Mapping[str, str], chosen: Iterable[str]) -> None:
        super().__init__()
        self.form_title = title
        self.choices = choices
        self.chosen = list(chosen)

    def build_fields(self) -> list[Field]:
        return [
            Field(
                "choices", "空格勾选，Ctrl+S 确定", multi(self.choices, self.chosen, id="choices")
            )
        ]

    def on_mount(self) -> None:
        self.query_one(CheckList).focus()

    async def save(self, values: dict[str, Any]) -> list[str] | None:
        return list(values["choices"])
