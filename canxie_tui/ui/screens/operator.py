"""Switch the current operator (recorded on everything written), or add one."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from canxie_tui.domain.errors import CanxieError
from canxie_tui.domain.models import Operator
from canxie_tui.store import site
from canxie_tui.store.connection import Store
from canxie_tui.ui.errors import reported
from canxie_tui.ui.screens.base import CanxieMixin
from canxie_tui.ui.widgets.keyline import KeyLine


def add_and_switch(store: Store, name: str) -> Operator:
    operator = site.add_operator(store, name)
    site.switch_operator(store, operator)
    return operator


def switch(store: Store, operator: Operator) -> Operator:
    site.switch_operator(store, operator)
    return operator


class OperatorScreen(CanxieMixin, ModalScreen[Operator]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "取消", id="cancel", tooltip="不切换"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label("切换操作员：上下键选择后回车，或输入新姓名回车添加", classes="form-title")
            yield OptionList(id="operators", markup=False)
            yield Input(placeholder="新操作员姓名", id="new-operator")
            yield Static("", id="form-error", markup=False)
            yield KeyLine()

    @reported
    async def on_mount(self) -> None:
        self.operators = await self.canxie.db(site.list_operators)
        options = self.query_one("#operators", OptionList)
        for op in self.operators:
            current = "（当前）" if op.id == self.canxie.store.operator_id else ""
            options.add_option(Option(f"{op.name}{current}", id=op.id))
        options.focus()

    @on(OptionList.OptionSelected, "#operators")
    @reported
    async def _picked(self, event: OptionList.OptionSelected) -> None:
        operator = next(o for o in self.operators if o.id == event.option.id)
        self.dismiss(await self.canxie.db(switch, operator))

    @on(Input.Submitted, "#new-operator")
    async def _added(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(await self.canxie.db(add_and_switch, event.value))
        except CanxieError as err:
            self.query_one("#form-error", Static).update(f"✗ {err.message}")

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
