"""两项补贴核对: this month's 应停未停, 应享未享 and 变更, and acting on them.

The list is `store.subsidy_check.check` of the current month: what must stop first
(with the 多发 months and amount), then who should receive and does not (with why
they qualify), then level changes.  Enter opens the household; s 停发 (from the
month after eligibility ended), a 登记申请 (申请中 from this month) and g 按现等级
(享受 at the register's level from this month) open the subsidy form filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.binding import Binding, BindingType

from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.subsidies import (
    APPLYING,
    KIND_SHORT,
    RECEIVING,
    STOPPED,
    month_label,
    next_month,
)
from canxie_tui.store import subsidies
from canxie_tui.store.connection import Store
from canxie_tui.store.subsidy_check import CHANGE, LISTS, START, STOP, Check, Item, check
from canxie_tui.ui.screens.listing import ListScreen
from canxie_tui.ui.screens.subsidy_form import Proposal, SubsidyForm, saved_text
from canxie_tui.ui.widgets.text import fit


def _check_now(store: Store) -> Check:
    return check(store, subsidies.current_month(store))


def amount_text(item: Item) -> str:
    if item.list == STOP:  # a level the rule set prices at nothing (三/四级 unextended): 未定
        months = len(item.overpaid_months)
        return f"{months}月" + (f"{item.overpaid}元" if item.overpaid or not months else "金额未定")
    if item.list == CHANGE:
        return f"{item.old_amount}→{item.amount}元"
    return f"{item.amount}元/月"


def stop_proposal(item: Item, month: str) -> Proposal:
    """停发 from the month after eligibility ended (this month when that is not known)."""
    first = next_month(item.since[:7]) if item.since else month
    owed = (
        f"，多发{item.overpaid_months[0]}至{item.overpaid_months[-1]}共{item.overpaid}元待追回"
        if item.overpaid
        else ""
    )
    since = f"（{item.since}）" if item.since else ""
    return Proposal(
        item.person.person_id,
        item.person.name,
        item.kind,
        STOPPED,
        first,
        f"{item.reason}{since}{owed}",
    )


class SubsidyCheckScreen(ListScreen[Item]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "stop", "停发", id="stop", tooltip="为所选登记停发（应停未停）"),
        Binding("a", "apply", "登记申请", id="apply", tooltip="为所选登记申请中（应享未享）"),
        Binding("g", "restate", "按现等级", id="restate", tooltip="按现在的残疾等级发放（变更）"),
    ]
    columns = ("核对", "姓名", "补贴", "原因", "日期", "金额", "身份证号")

    def __init__(self) -> None:
        super().__init__()
        self.month = ""

    async def load(self) -> tuple[list[Item], str]:
        found = await self.canxie.db(_check_now)
        self.month = found.month
        self.sub_title = f"两项补贴核对 {month_label(found.month)}"
        text = (
            f"应停未停 {len(found.stop)}（多发 {found.overpaid} 元）· 应享未享 "
            f"{len(found.start)} · 变更 {len(found.change)}（Enter 打开户）"
        )
        return found.items(), text

    def cells(self, item: Item) -> Sequence[str]:
        return (
            LISTS[item.list],
            fit(item.person.name, 8),
            KIND_SHORT[item.kind],
            fit(item.reason, 22),
            item.since or "—",
            amount_text(item),
            mask_id(item.person.id_number),
        )

    def item_key(self, item: Item) -> str:
        return f"{item.list}:{item.kind}:{item.person.person_id}"

    def household_of(self, item: Item) -> str:
        return item.person.household_id

    def person_of(self, item: Item) -> str:
        return item.person.person_id

    def _act(self, wanted: str, proposal: Proposal | None) -> None:
        item = self.selected()
        if item is None or proposal is None:
            return
        if item.list != wanted:
            self.canxie.notify(f"请在“{LISTS[wanted]}”的行上使用这个按键", severity="warning")
            return
        self.app.push_screen(
            SubsidyForm(proposal),
            self.reload_when_saved(lambda saved: saved_text(item.person.name, saved)),
        )

    def _proposal(self, state: str, reason: str) -> Proposal | None:
        item = self.selected()
        if item is None:
            return None
        p = item.person
        return Proposal(p.person_id, p.name, item.kind, state, self.month, reason)

    def action_stop(self) -> None:
        item = self.selected()
        self._act(STOP, stop_proposal(item, self.month) if item else None)

    def action_apply(self) -> None:
        self._act(START, self._proposal(APPLYING, "社区主动发现，已协助申请"))

    def action_restate(self) -> None:
        self._act(CHANGE, self._proposal(RECEIVING, "残疾等级变更，按新等级标准发放"))
