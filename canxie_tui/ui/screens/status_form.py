"""Change a person's status: 迁出/死亡/注销 (history stays) or back to 在册."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from canxie_tui.domain import codes, validate
from canxie_tui.domain.models import Person
from canxie_tui.store import register
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, select


class StatusForm(FormScreen[Person]):
    def __init__(self, person: Person) -> None:
        super().__init__()
        self.person = person
        self.form_title = (
            f"状态变更：{person.name}（现为{codes.label(codes.PERSON_STATUSES, person.status)}）"
        )

    def build_fields(self) -> list[Field]:
        today = self.canxie.store.today().isoformat()
        return [
            Field(
                "status", "新状态", select(codes.PERSON_STATUSES, None, blank="请选择", id="status")
            ),
            Field("status_date", "日期（如 2026-11-29）", Input(today, id="status_date")),
            Field(
                "status_reason",
                "原因（如：迁往渝北区、病故、证件注销）",
                Input("", id="status_reason"),
            ),
        ]

    def on_mount(self) -> None:
        self.query_one("#status", Select).focus()

    def check(self, values: dict[str, Any]) -> None:
        validate.clean_status_change(
            values["status"] or "",
            values["status_date"],
            values["status_reason"],
            self.canxie.store.today(),
        )

    async def save(self, values: dict[str, Any]) -> Person | None:
        return await self.canxie.db(
            register.change_status,
            self.person,
            values["status"],
            values["status_date"],
            values["status_reason"],
        )
