"""Enrol a registered person in the 渝馨家园: find them, pick services and weekdays."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from canxie_tui.domain import codes
from canxie_tui.domain.dates import parse_day
from canxie_tui.domain.daycare import Member, clean_enrolment
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import SearchResult, address_with_place
from canxie_tui.store import daycare
from canxie_tui.store.search import Filters, search
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, multi


class EnrolForm(FormScreen[Member]):
    form_title = "登记渝馨家园学员"

    def build_fields(self) -> list[Field]:
        return [
            Field("query", "查找人员（姓名/拼音首字母/身份证后4位）", Input("", id="query")),
            Field("person_id", "选择（上下键）", OptionList(id="person_id", markup=False)),
            Field(
                "services",
                "接受的服务（空格勾选）",
                multi(codes.DAYCARE_SERVICES, ("day_care",), id="services"),
            ),
            Field("weekdays", "到园日", Input("12345", id="weekdays"), "如 12345、一至五、1-3"),
            Field("start", "加入日期", Input("今天", id="start"), "可填 今天、2026-11-29"),
        ]

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()

    @on(Input.Changed, "#query")
    def _find(self, event: Input.Changed) -> None:
        self._search(event.value)

    @work(thread=True, exclusive=True, group="enrol-search", exit_on_error=False)
    def _search(self, query: str) -> None:
        result = self.canxie.on_own_connection(
            search, query, limit=20, filters=Filters(status="active")
        )
        self.app.call_from_thread(self._show, result)

    def _show(self, result: SearchResult) -> None:
        if result.query != self.query_one("#query", Input).value:
            return
        options = self.query_one("#person_id", OptionList)
        options.clear_options()
        for hit in result.hits:
            if hit.category is None:
                continue  # only certificate holders can be enrolled
            options.add_option(
                Option(
                    f"{hit.name}  {address_with_place(hit.address, hit.place)}", id=hit.person_id
                )
            )
        if options.option_count:
            options.highlighted = 0
        self.validate_now()

    def check(self, values: dict[str, Any]) -> None:
        if not values["person_id"]:
            raise InputError("请先查找并选择要登记的人", "person_id")
        clean_enrolment(values["services"], values["weekdays"])
        parse_day(
            values["start"],
            self.canxie.store.today(),
            field="start",
            label="加入日期",
            allow_future=True,
        )

    async def save(self, values: dict[str, Any]) -> Member | None:
        return await self.canxie.db(
            daycare.enrol,
            values["person_id"],
            values["services"],
            values["weekdays"],
            values["start"],
        )
