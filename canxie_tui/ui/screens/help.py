"""F1: every key of the screen underneath, with what it does, in Chinese.

The keys are one Rich table in a Static, as Textual's own key panel draws them:
the table takes the width it is given and wraps the 作用 and 说明 columns, so the
descriptions stay readable at 80 columns; the box scrolls when they do not fit.
"""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.keys import format_key
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from canxie_tui.ui.widgets.keyline import KeyLine

# Keys every screen shares: (key, 作用, 说明).
_GENERAL = [
    ("Tab / Shift+Tab", "切换", "在输入框、列表之间移动"),
    ("↑ ↓", "上下移动", "在列表中移动"),
    ("回车", "打开/确认", "打开所选 / 确认"),
    ("空格", "勾选", "在多选列表中勾选"),
    ("Ctrl+P", "命令", "命令面板：输入动作名称执行"),
]


_KEY_NAMES = {"escape": "Esc", "enter": "回车", "space": "空格", "tab": "Tab", "home": "Home"}


def _key_name(key: str) -> str:
    """ctrl+n -> Ctrl+N, f1 -> F1, escape -> Esc, slash -> /, a -> a."""
    *mods, last = key.split("+")
    if last in _KEY_NAMES:
        last = _KEY_NAMES[last]
    elif len(last) > 1:
        shown = format_key(last)  # slash -> /, right_square_bracket -> ], up -> ↑
        last = shown if len(shown) == 1 and shown.isprintable() else last.upper()
    elif mods:
        last = last.upper()
    return "+".join([*(m.capitalize() for m in mods), last])


def key_rows(under: Screen[object], app_bindings: list[BindingType]) -> list[tuple[str, str, str]]:
    """(按键, 作用, 说明) for the screen's keys, then the app's, then the general ones.

    A key is listed once: the screen's meaning wins over the app's and the general one.
    """
    rows: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    for binding in [*getattr(under, "BINDINGS", []), *app_bindings]:
        if not isinstance(binding, Binding) or not binding.description:
            continue
        for key in binding.key.split(","):
            name = _key_name(key.strip())
            if name not in seen:
                seen.add(name)
                rows.append((name, binding.description, binding.tooltip))
    rows += [row for row in _GENERAL if row[0] not in seen]
    return rows


def left_out_keys(bindings: list[BindingType]) -> str:
    """ "h 半天 s 服务 …": the screen's keys its footer leaves out (show=False), to put on
    the screen itself; made from the bindings so the two never disagree."""
    return " ".join(
        f"{_key_name(b.key.split(',')[0])} {b.description}"
        for b in bindings
        if isinstance(b, Binding) and not b.show and b.description
    )


class KeysTable(Static):
    """The keys as a table that wraps to the width it gets (never cut off on the right)."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keys--header", "keys--key"}
    DEFAULT_CSS = """
    KeysTable { width: 1fr; height: auto; }
    KeysTable > .keys--header { text-style: bold; color: $text-muted; }
    KeysTable > .keys--key { text-style: bold; color: $text-accent; }
    """

    def __init__(self, rows: list[tuple[str, str, str]], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows = rows

    def render(self) -> Table:
        table = Table(
            box=None,
            expand=True,
            padding=(0, 1),
            pad_edge=False,
            header_style=self.get_component_rich_style("keys--header"),
        )
        table.add_column("按键", no_wrap=True, style=self.get_component_rich_style("keys--key"))
        table.add_column("作用", max_width=12, overflow="fold")
        table.add_column("说明", ratio=1, overflow="fold")
        for key, action, text in self.rows:
            table.add_row(Text(key), Text(action), Text(text))
        return table


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1", "dismiss", "关闭", id="close", tooltip="关闭帮助"),
    ]

    def __init__(self, under: Screen[object]) -> None:
        super().__init__()
        self.under = under

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label(
                f"按键帮助 · {self.under.title or self.app.title}",
                classes="form-title",
                markup=False,
            )
            with VerticalScroll(id="keys-scroll"):
                yield KeysTable(key_rows(self.under, self.app.BINDINGS), id="keys")
            yield KeyLine()

    def on_mount(self) -> None:
        self.query_one("#keys-scroll").focus()  # ↑ ↓ PgUp PgDn scroll a long list

    def action_dismiss(self) -> None:  # type: ignore[override]
        self.dismiss(None)
