"""Base of every form: fields validated as you type, nothing written until valid."""

from __future__ import annotations

from typing import Any, ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, TextArea

from canxie_tui.domain.errors import CanxieError, InputError
from canxie_tui.ui.screens.base import CanxieMixin
from canxie_tui.ui.widgets.checklist import CheckList
from canxie_tui.ui.widgets.field import Field
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.text import WrappedStatic

ResultT = TypeVar("ResultT")


class FormScreen(CanxieMixin, ModalScreen[ResultT]):
    """Subclasses give `title`, `build_fields()`, `check()` (pure) and `save()` (store)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "保存", id="save", tooltip="检查并保存（Ctrl+S）"),
        Binding("escape", "cancel", "取消", id="cancel", tooltip="放弃修改并关闭"),
    ]
    form_title: str = ""

    def __init__(self) -> None:
        super().__init__()
        self._touched: set[str] = set()
        self._saving = False
        self._warned: dict[str, Any] | None = None
        self._opened_with: dict[str, Any] | None = None  # values as the form opened

    def build_fields(self) -> list[Field]:
        raise NotImplementedError

    def check(self, values: dict[str, Any]) -> None:
        """Raise InputError for the first problem; must be pure (runs on every key)."""

    async def save(self, values: dict[str, Any]) -> ResultT | None:
        raise NotImplementedError

    def compose(self) -> ComposeResult:
        with Vertical(classes="form-box"):
            yield Label(self.form_title, classes="form-title", markup=False)
            with VerticalScroll(classes="form-fields"):
                yield from self.build_fields()
            yield WrappedStatic("", id="form-error")
            with Horizontal(classes="form-buttons"):
                yield Button("保存 Ctrl+S", variant="primary", id="save")
                yield Button("取消 Esc", id="cancel")
            yield KeyLine()

    def on_mount(self) -> None:
        # After the first refresh: the fields hold their initial values by then.
        self.call_after_refresh(self._remember_opened)

    def _remember_opened(self) -> None:
        self._opened_with = self.values()

    def changed_since_opened(self) -> bool:
        """Something was typed, picked or ticked since the form opened."""
        return self._opened_with is not None and self.values() != self._opened_with

    # -- values and errors -----------------------------------------------------
    def fields(self) -> list[Field]:
        return list(self.query(Field))

    def values(self) -> dict[str, Any]:
        return {f.field_name: f.value for f in self.fields()}

    def show_error(self, error: InputError | None, *, everywhere: bool) -> None:
        """Put `error` next to its field; while typing, only on fields already touched."""
        visible = error is not None and (everywhere or error.field in self._touched)
        on_field = False
        for field in self.fields():
            here = visible and error is not None and field.field_name == error.field
            on_field = on_field or here
            field.set_error(error.message if here and error else "")
        message = f"✗ {error.message}" if visible and error and not on_field else ""
        self.query_one("#form-error", WrappedStatic).show(message)

    def validate_now(self, *, everywhere: bool = False) -> InputError | None:
        try:
            self.check(self.values())
        except InputError as error:
            self.show_error(error, everywhere=everywhere)
            return error
        self.show_error(None, everywhere=everywhere)
        return None

    @on(Input.Changed)
    @on(Select.Changed)
    @on(CheckList.Changed)
    @on(TextArea.Changed)
    def _changed(self, event: Any) -> None:
        field = next((a for a in event.control.ancestors if isinstance(a, Field)), None)
        if field is not None:
            self._touched.add(field.field_name)
        self.validate_now()

    # -- actions -----------------------------------------------------------------
    @on(Button.Pressed, "#save")
    async def action_save(self) -> None:
        if self._saving:
            return
        error = self.validate_now(everywhere=True)
        if error is not None:
            self._focus_field(error.field)
            return
        self._saving = True
        result: ResultT | None = None
        try:
            with self.reporting():  # anything else: say it, keep the form open
                result = await self._save_checked()
        finally:
            self._saving = False
        if result is not None:
            self.dismiss(result)

    async def _save_checked(self) -> ResultT | None:
        """save(); a refusal is shown in the form (None: stay open)."""
        try:
            return await self.save(self.values())
        except InputError as err:
            self.show_error(err, everywhere=True)
            self._focus_field(err.field)
        except CanxieError as err:
            self.query_one("#form-error", WrappedStatic).show(f"✗ {err.message}")
        return None

    def needs_confirmation(self, values: dict[str, Any], warnings: list[str]) -> bool:
        """Show `warnings` and hold the save; a second Ctrl+S on the same values goes on."""
        if not warnings or self._warned == values:
            return False
        self._warned = values
        self.query_one("#form-error", WrappedStatic).show(
            "⚠ " + "；".join(warnings) + "。确认无误请再按 Ctrl+S 保存。"
        )
        return True

    def _focus_field(self, name: str) -> None:
        for field in self.fields():
            if field.field_name == name:
                field.widget.focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        """Close; after a change, ask first (an untouched form closes at once)."""
        if not self.changed_since_opened():
            self.dismiss(None)
            return
        from canxie_tui.ui.screens.confirm import ConfirmScreen

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(ConfirmScreen("放弃已填写的内容并关闭？"), answered)
