"""从备份恢复: pick a backup, confirm, and the app reopens on the restored database."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from canxie_tui.store import backup
from canxie_tui.store.backup import BackupInfo
from canxie_tui.ui.screens.base import CanxieMixin
from canxie_tui.ui.widgets.keyline import KeyLine

REASONS = {"daily": "每日自动", "manual": "手动"}


def describe(info: BackupInfo) -> str:
    reason = REASONS.get(info.reason, f"操作前（{info.reason}）")
    return f"{info.taken_at:%Y-%m-%d %H:%M}  {reason}  {info.size / 1_048_576:.1f} MB"


class RestoreScreen(CanxieMixin, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "取消", id="cancel", tooltip="不恢复"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label(
                "从备份恢复：选择一个备份后回车（恢复前会先备份当前数据库）", classes="form-title"
            )
            yield OptionList(id="backups", markup=False)
            yield KeyLine()

    def on_mount(self) -> None:
        options = self.query_one("#backups", OptionList)
        found = sorted(
            backup.list_backups(self.canxie.db_path), key=lambda b: b.taken_at, reverse=True
        )
        for info in found:
            options.add_option(Option(describe(info), id=str(info.path)))
        if not found:
            options.add_option(Option("还没有备份（每天第一次打开时自动备份）", disabled=True))
        else:
            options.highlighted = 0
        options.focus()

    @on(OptionList.OptionSelected, "#backups")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        from canxie_tui.ui.screens.confirm import ConfirmScreen

        chosen = str(event.option.id)

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.dismiss(None)
                self.canxie.restore_from(chosen)

        self.app.push_screen(
            ConfirmScreen(
                f"用这个备份替换当前数据库？\n{event.option.prompt}\n此后的修改将不在恢复后的数据库中。"
            ),
            confirmed,
        )

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
