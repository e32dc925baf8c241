"""Add or edit a household; a new household goes straight on to its first member."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Input

from canxie_tui.domain import codes, validate
from canxie_tui.domain.models import Household
from canxie_tui.store import register
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, multi

if TYPE_CHECKING:
    from canxie_tui.ui.app import CanxieApp

_TEXT_FIELDS = (
    ("address", "现住址 *（如：观音桥街道建新东路12号）"),
    ("building", "楼栋（如：3栋）"),
    ("unit", "单元"),
    ("room", "房号"),
    ("grid", "网格"),
    ("phone", "户联系电话"),
    ("guardian_name", "监护人/主要照料人"),
    ("guardian_relation", "监护人关系"),
    ("guardian_phone", "监护人电话"),
    ("emergency_contact", "紧急联系人"),
    ("emergency_phone", "紧急联系电话"),
    ("note", "备注"),
)


class HouseholdForm(FormScreen[Household]):
    def __init__(self, household: Household | None = None) -> None:
        super().__init__()
        self.household = household
        self.form_title = "修改本户信息" if household else "新建户（保存后接着添加第一位成员）"

    def build_fields(self) -> list[Field]:
        h = self.household or Household(id="", address="")
        fields = [
            Field(name, label, Input(str(getattr(h, name)), id=name))
            for name, label in _TEXT_FIELDS
        ]
        fields.insert(
            6,
            Field(
                "flags", "家庭情况（空格勾选）", multi(codes.HOUSEHOLD_FLAGS, h.flags, id="flags")
            ),
        )
        return fields

    def on_mount(self) -> None:
        self.query_one("#address", Input).focus()

    def check(self, values: dict[str, Any]) -> None:
        validate.clean_household(values)

    async def save(self, values: dict[str, Any]) -> Household | None:
        if self.household is None:
            return await self.canxie.db(register.add_household, values)
        return await self.canxie.db(register.update_household, self.household, values)


def new_household_flow(app: CanxieApp) -> None:
    """New household form, then its first member, then the household screen."""

    def created(household: Household | None) -> None:
        if household is not None:
            app.show_household(household.id, add_member=True)

    app.push_screen(HouseholdForm(), created)
