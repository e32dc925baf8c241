"""Settings a district can change: the site's divisions and the visit-tier intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.tiers import TIER_LABELS, TierSettings
from canxie_tui.store import tiers
from canxie_tui.store.connection import Store
from canxie_tui.ui.screens.text_form import TextForm

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
