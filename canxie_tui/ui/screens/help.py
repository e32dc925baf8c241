"""F1: every key of the screen underneath, with what it does, in Chinese."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Footer, Label

_GENERAL = [
    ("Tab / Shift+Tab", "在输入框、列表之间移动"),
    ("↑ ↓", "在列表中移动"),
    ("回车", "打开所选 / 确认"),
    ("空格", "在多选列表中勾选"),
    ("Ctrl+P", "命令面板：输入动作名称执行"),
]


_KEY_NAMES = {"escape": "Esc", "enter": "回车", "space": "空格", "tab": "Tab"}


def _key_name(key: str) -> str:
    """ctrl+n -> Ctrl+N, f1 -> F1, escape -> Esc, a -> a."""
    *mods, last = key.split("+")
    last = _KEY_NAMES.get(last, last.upper() if mods or len(last) > 1 else last)
    return "+".join([*(m.capitalize() for m in mods), last])


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1", "dismiss", "关闭", id="close", tooltip="关闭帮助"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label(f"按键帮助 · {self.under.title or self.app.title}", classes="form-title")
            yield DataTable(id="keys", cursor_type="row", show_cursor=True)
            yield Footer()

    def on_mount(self) -> None:
        table: DataTable[str] = self.query_one("#keys", DataTable)
        table.add_columns("按键", "作用", "说明")
        seen: set[str] = set()
        bindings = [*getattr(self.under, "BINDINGS", []), *getattr(self.app, "BINDINGS", [])]
        for binding in bindings:
            if not isinstance(binding, Binding) or not binding.description:
                continue
            for key in binding.key.split(","):
                if key in seen:
                    continue
                seen.add(key)
                table.add_row(_key_name(key.strip()), binding.description, binding.tooltip)
        for key, text in _GENERAL:
            table.add_row(key, text, "")
        table.focus()

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
