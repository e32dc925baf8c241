"""Start an emergency event: kind, name, optional scope (grids or buildings)."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input, Select

from canxie_tui.domain import codes
from canxie_tui.domain.emergency import EmergencyEvent
from canxie_tui.domain.errors import InputError
from canxie_tui.store import emergency
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, select


class EventForm(FormScreen[EmergencyEvent]):
    form_title = "开始突发事件（开始后即为当前事件）"

    def build_fields(self) -> list[Field]:
        day = self.canxie.store.today()  # the default name's example is today's
        return [
            Field(
                "kind", "事件类型", select(codes.EMERGENCY_KINDS, None, blank="请选择", id="kind")
            ),
            Field(
                "name", f"名称（可空，默认如“{day.month}月{day.day}日停电”）", Input("", id="name")
            ),
            Field(
                "scope",
                "范围（可空=全部；网格或楼栋，用逗号分开）",
                Input("", id="scope"),
                # A street's or district's grids and buildings are named within a community.
                "如：第一网格，3栋，5栋"
                if self.canxie.site.community_code
                else "如：XX社区·第1网格，XX社区·3栋（写明社区）",
            ),
        ]

    def on_mount(self) -> None:
        self.query_one("#kind", Select).focus()

    def check(self, values: dict[str, Any]) -> None:
        if not values["kind"]:
            raise InputError("请选择事件类型", "kind")

    async def save(self, values: dict[str, Any]) -> EmergencyEvent | None:
        scope = [s.strip() for s in str(values["scope"]).replace("，", ",").split(",") if s.strip()]
        return await self.canxie.db(
            emergency.start_event, values["kind"], values["name"], None, scope
        )
