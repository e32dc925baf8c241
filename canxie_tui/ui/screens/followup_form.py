"""Add a follow-up to a household, or close one with its outcome."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from textual.widgets import Input

from canxie_tui.domain import validate
from canxie_tui.domain.dates import parse_day
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Followup
from canxie_tui.store import followups
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, multi


class FollowupForm(FormScreen[Followup]):
    form_title = "新增跟进事项"

    def __init__(self, household_id: str) -> None:
        super().__init__()
        self.household_id = household_id

    def build_fields(self) -> list[Field]:
        week = (self.canxie.store.today() + timedelta(days=7)).isoformat()
        return [
            Field("what", "要跟进什么", Input("", id="what"), limit=validate.FOLLOWUP_MAX),
            Field("due_date", "期限", Input(week, id="due_date"), "如 2026-12-06"),
            Field(
                "urgent", "紧急程度", multi({"urgent": "紧急（该户改为每周走访）"}, (), id="urgent")
            ),
        ]

    def on_mount(self) -> None:
        self.query_one("#what", Input).focus()

    def check(self, values: dict[str, Any]) -> None:
        validate.clean_followup(values["what"], values["due_date"], self.canxie.store.today())

    async def save(self, values: dict[str, Any]) -> Followup | None:
        return await self.canxie.db(
            followups.add_followup,
            self.household_id,
            values["what"],
            values["due_date"],
            urgent=bool(values["urgent"]),
        )


class CloseFollowupForm(FormScreen[Followup]):
    def __init__(self, followup: Followup) -> None:
        super().__init__()
        self.followup = followup
        self.form_title = f"完成跟进：{followup.what}"

    def build_fields(self) -> list[Field]:
        return [
            Field("outcome", "结果", Input("", id="outcome")),
            Field(
                "closed_date", "完成日期", Input("今天", id="closed_date"), "可填 今天、昨天、11-29"
            ),
        ]

    def on_mount(self) -> None:
        self.query_one("#outcome", Input).focus()

    def check(self, values: dict[str, Any]) -> None:
        if not str(values["outcome"]).strip():
            raise InputError("请写明跟进结果", "outcome")
        parse_day(
            values["closed_date"], self.canxie.store.today(), field="closed_date", label="完成日期"
        )

    async def save(self, values: dict[str, Any]) -> Followup | None:
        return await self.canxie.db(
            followups.close_followup, self.followup, values["outcome"], values["closed_date"]
        )
