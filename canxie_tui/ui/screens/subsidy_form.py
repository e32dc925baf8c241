"""Record a 两项补贴 state for one person: 申请中 / 享受 / 暂停 / 停发 from a month.

Opened from the household screen (b) for the selected member, and from the
monthly check's list (a 申请, s 停发, g 按现等级) with the state, month and reason
filled in.  Saving writes the history (`store.subsidies.set_state`, audited).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.widgets import Input, Select

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.subsidies import KINDS, STATES, Entry, check_month
from canxie_tui.store import subsidies
from canxie_tui.ui.screens.form import FormScreen
from canxie_tui.ui.widgets.field import Field, select


@dataclass(frozen=True)
class Proposal:
    """What the form opens with."""

    person_id: str
    name: str
    kind: str | None = None
    state: str | None = None
    from_month: str = ""
    reason: str = ""


class SubsidyForm(FormScreen[Entry]):
    def __init__(self, proposal: Proposal) -> None:
        super().__init__()
        self.proposal = proposal
        self.form_title = f"两项补贴：{proposal.name}（从该月起的状态，之前的记录保留）"

    def build_fields(self) -> list[Field]:
        p = self.proposal
        month = p.from_month or subsidies.current_month(self.canxie.store)
        return [
            Field("kind", "补贴", select(KINDS, p.kind, blank="请选择", id="kind")),
            Field("state", "状态", select(STATES, p.state, blank="请选择", id="state")),
            Field(
                "from_month",
                "起始月份（如 2026-11；停发填第一个不发的月份）",
                Input(month, id="from_month"),
            ),
            Field(
                "reason",
                "原因（如：审核通过、死亡次月停发、纳入特困供养）",
                Input(p.reason, id="reason"),
            ),
        ]

    def on_mount(self) -> None:
        first = "#state" if self.proposal.kind else "#kind"
        self.query_one(first, Select).focus()

    def check(self, values: dict[str, Any]) -> None:
        if not values["kind"]:
            raise InputError("请选择补贴", "kind")
        if not values["state"]:
            raise InputError("请选择状态", "state")
        check_month(values["from_month"].strip(), "from_month")
        if len(values["reason"]) > 200:
            raise InputError("原因不能超过200字", "reason")

    async def save(self, values: dict[str, Any]) -> Entry | None:
        return await self.canxie.db(
            subsidies.set_state,
            self.proposal.person_id,
            values["kind"],
            values["state"],
            values["from_month"].strip(),
            values["reason"],
        )


def saved_text(name: str, entry: Entry) -> str:
    return f"{name}：{subsidies.history_text(entry)}"
