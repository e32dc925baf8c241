"""First run: the site's divisions (names and 区划代码) and the operator's name."""

from __future__ import annotations

from typing import Any

from textual.widgets import Input

from canxie_tui.domain.models import Operator, Site
from canxie_tui.store import site as site_store
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field

_SITE_FIELDS = (
    ("district_name", "区县名称", "如：江北区"),
    ("district_code", "区县代码（6位）", "如：500105"),
    ("street_name", "街道/镇名称", "如：观音桥街道"),
    ("street_code", "街道/镇代码（9位）", "如：500105006"),
    ("community_name", "村/社区名称（街镇残联可留空）", "如：建新东路社区"),
    ("community_code", "村/社区代码（12位）", "如：500105006001"),
)


# Shown under the first code field: where a worker finds the codes.
_CODE_HINT = "代码查国家统计局“统计用区划代码”（stats.gov.cn），或问所属街道/镇残联"


def _site(values: dict[str, Any]) -> Site:
    return Site(**{name: str(values.get(name) or "").strip() for name, _, _ in _SITE_FIELDS})


class SetupScreen(FormScreen[Operator]):
    """Asked on the first run; can be reopened later to correct the divisions."""

    form_title = "首次使用：请填写本辖区和您的姓名（名称和统计用区划代码）"
    settings_title = "设置：辖区名称和统计用区划代码，以及操作员姓名"

    def __init__(self, current: Site) -> None:
        super().__init__()
        self.current = current
        if current.is_configured:  # reopened from the palette: not the first use
            self.form_title = self.settings_title

    def build_fields(self) -> list[Field]:
        fields = [
            Field(
                name,
                label,
                Input(getattr(self.current, name), placeholder=hint),
                _CODE_HINT if name == "district_code" else "",
            )
            for name, label, hint in _SITE_FIELDS
        ]
        fields.append(
            Field("operator_name", "操作员姓名", Input(self.canxie.store.operator_name, id="op"))
        )
        return fields

    def check(self, values: dict[str, Any]) -> None:
        site_store.check_setup(_site(values), str(values.get("operator_name") or ""))

    async def save(self, values: dict[str, Any]) -> Operator | None:
        new_site = _site(values)
        operator = await self.canxie.db(site_store.setup_site, new_site, values["operator_name"])
        self.canxie.site_saved(new_site, operator)
        self.canxie.notify(f"已保存：{new_site.full_name()}，操作员 {operator.name}")
        return operator

    def on_screen_resume(self) -> None:
        self.query(Input).first().focus()

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def action_cancel(self) -> None:
        if self.canxie.site.is_configured and self.canxie.store.operator_id:
            self.dismiss(None)
        else:
            # First run: nothing is saved yet; leaving is a choice, not a slip of Esc.
            from canxie_tui.ui.screens.confirm import ConfirmScreen

            def answered(yes: bool | None) -> None:
                if yes:
                    self.canxie.exit(return_code=1, message="未完成首次设置，已退出。")

            self.app.push_screen(
                ConfirmScreen("还没有保存辖区和操作员。现在退出残协工作台吗？"), answered
            )
