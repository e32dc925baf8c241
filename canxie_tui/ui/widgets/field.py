"""A labelled form field with its error line, and helpers to build choice widgets."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Input, Label, OptionList, Select, TextArea
from textual.widgets._select import SelectOverlay

from canxie_tui.ui.widgets.checklist import CheckList
from canxie_tui.ui.widgets.text import WrappedStatic

# An open choice list's footer said "esc Dismiss menu": the one English key a worker saw.
SelectOverlay.BINDINGS = [Binding("escape", "dismiss", "收起选项")]
SelectOverlay._merged_bindings = SelectOverlay._merge_bindings()


def select(
    choices: Mapping[Any, str], value: Any = None, *, blank: str | None = "（未选）", id: str
) -> Select[Any]:
    """A Select over a code table; `blank` is the prompt for "nothing chosen"."""
    options = [(label, code) for code, label in choices.items()]
    return Select(
        options,
        prompt=blank or "请选择",
        allow_blank=blank is not None,
        value=value if value in choices else Select.NULL,
        id=id,
        compact=True,
    )


def chosen(widget: Select[Any]) -> Any:
    """The code chosen in a Select; None while nothing is."""
    return None if widget.value is Select.NULL else widget.value


def multi(choices: Mapping[str, str], chosen: Iterable[str] = (), *, id: str) -> CheckList:
    return CheckList(choices, chosen, id=id)


class Field(Vertical):
    """Label, input widget, and a line for the Chinese error next to it."""

    DEFAULT_CSS = """
    Field { height: auto; margin: 0 0 0 0; }
    Field > Label { color: $text-muted; }
    Field > .message { color: $text-muted; height: auto; display: none; }
    Field.-has-message > .message { display: block; }
    Field.-invalid > .message { color: $text-error; text-style: bold; }
    Field.-invalid > Label { color: $text-error; text-style: bold; }
    Field:focus-within > Label { color: $text; text-style: bold reverse; }
    Field Input, Field Select { width: 1fr; }
    Field Input { height: 1; border: none; padding: 0 1; background: $boost; }
    Field Input:focus { border: none; background: $primary 25%; }
    Field TextArea { height: 6; }
    """

    def __init__(
        self, name: str, label: str, widget: Widget, hint: str = "", *, limit: int | None = None
    ) -> None:
        """`limit`: the most characters the field takes (`validate.TEXT_LIMITS`): an Input
        stops there, a TextArea shows its count and the form refuses more on saving."""
        super().__init__(id=f"field-{name}")
        self.field_name = name
        self.label = label
        self.widget = widget
        self.hint = hint
        self.limit = limit
        self._error = ""
        if limit is not None and isinstance(widget, Input):
            widget.max_length = limit

    def compose(self) -> ComposeResult:
        self.set_class(bool(self._message()), "-has-message")
        yield Label(self.label)
        yield self.widget
        yield WrappedStatic(self._message(), classes="message")

    def _message(self) -> str:
        """The hint, with the count when the field has a limit and a long text (or is a
        TextArea, where long text is typed)."""
        if self.limit is None:
            return self.hint
        size = len(self.value or "")
        if not isinstance(self.widget, TextArea) and size < self.limit // 2:
            return self.hint
        count = f"{size}/{self.limit} 字" + ("，超出上限" if size > self.limit else "")
        return f"{self.hint}（{count}）" if self.hint else count

    def on_text_area_changed(self, event: TextArea.Changed) -> None:
        self._show_count()

    def on_input_changed(self, event: Input.Changed) -> None:
        self._show_count()

    def _show_count(self) -> None:
        if self.limit is not None and not self._error and self.is_mounted:
            self.set_class(bool(self._message()), "-has-message")
            self.query_one(".message", WrappedStatic).show(self._message())

    @property
    def value(self) -> Any:
        widget = self.widget
        if isinstance(widget, Input):
            return widget.value
        if isinstance(widget, TextArea):
            return widget.text
        if isinstance(widget, CheckList):
            return widget.selected
        if isinstance(widget, OptionList):  # a single choice: the highlighted option
            index = widget.highlighted
            return None if index is None else widget.get_option_at_index(index).id
        if isinstance(widget, Select):
            return chosen(widget)
        raise TypeError(widget)

    def set_error(self, message: str) -> None:
        """Show `message` (prefixed with a marker, so it is not said by colour alone)."""
        self._error = message
        self.set_class(bool(message), "-invalid")
        self.set_class(bool(message or self._message()), "-has-message")
        self.query_one(".message", WrappedStatic).show(
            f"✗ {message}" if message else self._message()
        )
