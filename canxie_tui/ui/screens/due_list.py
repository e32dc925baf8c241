"""到期走访: everyone overdue (urgent follow-ups, then tier A, then the rest, each most
days first), then those due within 7 days (day 7 included)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Input, Select

from canxie_tui.domain.places import label
from canxie_tui.domain.tiers import TIER_LABELS
from canxie_tui.store import duelist
from canxie_tui.store.duelist import DueFilters, DueItem
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.listing import ListScreen
from canxie_tui.ui.widgets.field import chosen, select
from canxie_tui.ui.widgets.text import fit


class DueListScreen(ListScreen[DueItem]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *ListScreen.BINDINGS,
        Binding("w", "log_visit", "记走访", id="visit", tooltip="为所选的人所在户记录走访"),
        Binding("o", "toggle_overdue", "只看逾期", id="overdue", tooltip="只看已逾期 / 看全部"),
    ]
    columns = ("到期", "姓名", "级别", "原因", "上次走访", "楼栋", "网格", "电话")
    PAGE: ClassVar[int] = 200  # people listed; the line above counts them all

    def __init__(self) -> None:
        super().__init__()
        self.overdue_only = False
        self.grid_names: list[str] = []

    def filters(self) -> list[Widget]:
        tiers = {t: f"{t}级（{label}）" for t, label in TIER_LABELS.items()}
        return [
            Horizontal(
                select(tiers, blank="全部级别", id="f-tier"),
                select({}, blank="全部网格", id="f-grid"),
                Input(placeholder="楼栋，如 3栋（回车）", id="f-building"),
                id="filters",
            )
        ]

    def _filters(self) -> DueFilters:
        building = self.query_one("#f-building", Input).value.strip()
        return DueFilters(
            tier=chosen(self.query_one("#f-tier", Select)),
            grid=chosen(self.query_one("#f-grid", Select)),
            building=building or None,
            overdue_only=self.overdue_only,
        )

    @on(Input.Submitted, "#f-building")
    def _building(self) -> None:
        self.reload()
        self.query_one("#rows").focus()

    async def load(self) -> tuple[list[DueItem], str]:
        if not self.grid_names:
            self.grid_names = await self.canxie.db(duelist.grids)
            self.query_one("#f-grid", Select).set_options((Text(g), g) for g in self.grid_names)
        today = self.canxie.store.today()
        page = await self.canxie.db(duelist.due_page, today, self._filters(), limit=self.PAGE)
        scope = "只看已逾期" if self.overdue_only else "已逾期和7天内到期"
        shown = f"前 {len(page.items)} 人，" if len(page.items) < page.total else ""
        return page.items, (
            f"{scope}：{shown}共 {page.total} 人，其中逾期 {page.overdue} 人（w 记走访，o 切换）"
        )

    def cells(self, item: DueItem) -> Sequence[str]:
        return (
            item.due_text,
            fit(item.name, 8),
            f"{item.tier} {TIER_LABELS.get(item.tier, '')}",
            fit(item.tier_reason.split(" →")[0], 18),
            item.last_visit_text,
            item.place,
            label(item.community, item.grid),
            item.phone,
        )

    def action_toggle_overdue(self) -> None:
        self.overdue_only = not self.overdue_only
        self.reload()

    @reported
    async def action_log_visit(self) -> None:
        from canxie_tui.ui.screens.visit_form import open_visit_form

        item = self.selected()
        if item is None:
            return

        await open_visit_form(
            self,
            item.household_id,
            f"{item.name} · {item.address}",
            self.reload_when_saved(lambda _: f"已记录 {item.name} 户的走访"),
        )
