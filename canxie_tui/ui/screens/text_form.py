"""A small form of a few text fields whose saving is given by the caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from textual.widgets import Input

from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field

FieldSpec = tuple[str, str, str, str]  # name, label, initial value, hint


class TextForm(FormScreen[Any]):
    """Fields are plain inputs; `save` is awaited with the values and its result returned."""

    def __init__(
        self,
        title: str,
        fields: Sequence[FieldSpec],
        save: Callable[[dict[str, Any]], Awaitable[Any]],
        check: Callable[[dict[str, Any]], object] | None = None,
    ) -> None:
        super().__init__()
        self.form_title = title
        self.specs = fields
        self._save = save
        self._check = check

    def build_fields(self) -> list[Field]:
        return [
            Field(name, label, Input(value, id=name), hint)
            for name, label, value, hint in self.specs
        ]

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def check(self, values: dict[str, Any]) -> None:
        if self._check is not None:
            self._check(values)

    async def save(self, values: dict[str, Any]) -> Any:
        return await self._save(values)
