"""缺口名单: the people an indicator should count and does not (e.g. 重度 without 护理补贴)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.widget import Widget
from textual.widgets import Static

from canxie_tui.domain import codes
from canxie_tui.domain.places import label
from canxie_tui.store import indicators
from canxie_tui.ui.screens.listing import PersonRowsScreen
from canxie_tui.ui.widgets.text import fit


class ShortfallScreen(PersonRowsScreen):
    columns = ("姓名", "性别", "残疾", "电话", "楼栋", "网格", "住址")

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def filters(self) -> list[Widget]:
        return [Static("", id="source")]  # the document the rule comes from

    async def load(self) -> tuple[list[dict[str, Any]], str]:
        indicator, rows = await self.canxie.db(
            indicators.shortfall, self.key, self.canxie.store.today()
        )
        self.sub_title = indicator.name
        if indicator.source:
            self.query_one("#source", Static).update(f"依据：{indicator.source}")
        return rows, (
            f"{indicator.name}：{indicator.numerator}/{indicator.denominator}"
            f"（{indicator.rate_text}，目标 {indicator.target_text}），缺口 {len(rows)} 人"
            "（Enter 打开户）"
        )

    def cells(self, item: dict[str, Any]) -> Sequence[str]:
        disability = (
            f"{codes.label(codes.CATEGORIES, item['category'])}"
            f"{codes.label(codes.LEVELS, item['level'])}"
        )
        return (
            fit(item["name"], 8),
            item["sex"],
            disability,
            item["phone"],
            "".join((item["building"], item["unit"], item["room"])),
            label(item["community"], item["grid"]),
            fit(item["address"], 24),
        )
