"""跟进事项: every open follow-up, overdue first, each state said in words."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType

from canxie_tui.domain.models import Followup
from canxie_tui.store import followups
from canxie_tui.ui.screens.listing import ListScreen
from canxie_tui.ui.widgets.text import fit


class FollowupListScreen(ListScreen[Followup]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *ListScreen.BINDINGS,
        Binding("c", "close", "完成", id="close", tooltip="完成所选跟进事项"),
    ]
    columns = ("状态", "期限", "事项", "对象", "住址", "负责人")

    async def load(self) -> tuple[list[Followup], str]:
        items = await self.canxie.db(followups.open_followups, limit=None)
        today = self.canxie.store.today()
        overdue = sum(1 for f in items if f.is_overdue(today))
        return items, f"未完成 {len(items)} 件，其中已逾期 {overdue} 件（Enter 打开户，c 完成）"

    def item_key(self, item: Followup) -> str:
        return item.id

    def cells(self, item: Followup) -> Sequence[str]:
        return (
            item.state_text(self.canxie.store.today()),
            item.due_date,
            fit(item.what, 24),
            item.person_name or "全户",
            fit(item.address, 20),
            item.owner_name,
        )

    def action_close(self) -> None:
        from canxie_tui.ui.screens.followup_form import CloseFollowupForm

        item = self.selected()
        if item is not None:
            self.app.push_screen(CloseFollowupForm(item), self._after_close)

    def _after_close(self, followup: Followup | None) -> None:
        if followup is not None:
            self.canxie.notify(f"已完成跟进：{followup.what}")
