"""Settings a district can change: the visit-tier intervals and the two subsidies' extensions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.tiers import TIER_LABELS, TierSettings
from canxie_tui.store import indicators, site, tiers
from canxie_tui.store.connection import Store
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.screens.text_form import TextForm
from canxie_tui.ui.widgets.field import Field, multi

if TYPE_CHECKING:
    from canxie_tui.ui.app import CanxieApp


def _intervals(values: dict[str, Any]) -> dict[str, int]:
    out = {}
    for tier in "ABC":
        text = str(values[tier]).strip()
        if not text.isdecimal() or not 1 <= int(text) <= 366:
            raise InputError(f"{tier}级间隔应为1到366之间的天数", tier)
        out[tier] = int(text)
    return out


def save_intervals(store: Store, intervals: dict[str, int]) -> int:
    current = tiers.get_settings(store)
    return tiers.save_settings(store, TierSettings(intervals=intervals, rules=current.rules))


async def open_tier_settings(app: CanxieApp) -> None:
    current = await app.db(tiers.get_settings)

    async def save(values: dict[str, Any]) -> int:
        return await app.db(save_intervals, _intervals(values))

    def done(count: object) -> None:
        if count is not None:
            app.notify(f"已保存走访间隔，重新计算了 {count} 人的走访分级和到期日")

    fields = [
        (tier, f"{tier}级走访间隔（天，默认{TIER_LABELS[tier]}）", str(current.intervals[tier]), "")
        for tier in "ABC"
    ]
    app.push_screen(TextForm("走访分级间隔", fields, save, _intervals), done)


# -- 两项补贴扩面 (the plan asks districts to adopt them; off until the district does) --------
SUBSIDY_EXTENSIONS: dict[str, str] = {
    indicators.LIVING_LOW_INCOME: "困难残疾人生活补贴延伸至低收入家庭",
    indicators.CARE_EXTENDED: "重度残疾人护理补贴扩面至三、四级智力、精神残疾人",
}


def subsidy_extensions(store: Store) -> list[str]:
    """The setting keys of the extensions the district has adopted."""
    return [key for key in SUBSIDY_EXTENSIONS if site.get_setting(store, key, False)]


def save_subsidy_extensions(store: Store, adopted: list[str]) -> list[str]:
    """Turn each extension on or off (each change audited); the labels of what changed."""
    changed = []
    for key, label in SUBSIDY_EXTENSIONS.items():
        on = key in adopted
        if bool(site.get_setting(store, key, False)) != on:
            site.set_setting(store, key, on)
            changed.append(f"{label}：{'已实行' if on else '未实行'}")
    return changed


class SubsidySettingsForm(FormScreen[list[str]]):
    """Which of the plan's two subsidy extensions the district has adopted."""

    form_title = "设置：两项补贴扩面（专栏1 生活补贴、护理补贴的应享受人数）"

    def __init__(self, adopted: list[str]) -> None:
        super().__init__()
        self.adopted = adopted

    def build_fields(self) -> list[Field]:
        return [
            Field(
                "extensions",
                "本区已实行的扩面政策（空格勾选，Ctrl+S 保存）",
                multi(SUBSIDY_EXTENSIONS, self.adopted, id="extensions"),
                "勾选后，首页和月报的生活补贴、护理补贴覆盖率按扩大后的应享受人数计算："
                "生活补贴计入低保边缘、低收入家庭中重庆户籍的持证残疾人；"
                "护理补贴计入重庆户籍的三、四级智力、精神残疾人。",
            )
        ]

    def on_mount(self) -> None:
        self.query_one("#extensions").focus()

    async def save(self, values: dict[str, Any]) -> list[str] | None:
        return await self.canxie.db(save_subsidy_extensions, list(values["extensions"]))


async def open_subsidy_settings(app: CanxieApp) -> None:
    adopted = await app.db(subsidy_extensions)

    def done(changed: list[str] | None) -> None:
        if changed is not None:
            app.notify("；".join(changed) if changed else "设置未改变", title="两项补贴扩面")

    app.push_screen(SubsidySettingsForm(adopted), done)
