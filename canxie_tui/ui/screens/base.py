"""What every screen of the app shares: the typed app, and one way to report a failure."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, cast

from textual.screen import Screen

from canxie_tui.ui.errors import reporting

if TYPE_CHECKING:
    from textual.app import App

    from canxie_tui.ui.app import CanxieApp

ResultT = TypeVar("ResultT")


class _OnApp(Protocol):
    @property
    def app(self) -> App[Any]: ...


class _Reloads(Protocol):
    @property
    def canxie(self) -> CanxieApp: ...

    def reload(self) -> object: ...


class CanxieMixin:
    """For any Screen, ModalScreen included: `class X(CanxieMixin, ModalScreen[T])`.

    Whole async handlers take `@reported` (canxie_tui.ui.errors); part of one takes
    `with self.reporting():`. Both end in CanxieApp.report_error.
    """

    @property
    def canxie(self: _OnApp) -> CanxieApp:
        return cast("CanxieApp", self.app)

    def reporting(
        self: _OnApp, on_error: Callable[[], object] | None = None
    ) -> AbstractContextManager[None]:
        """A failure inside the block is told in Chinese (after `on_error`), not raised."""
        return reporting(cast("CanxieApp", self.app), on_error)


class CanxieScreen(CanxieMixin, Screen[ResultT]):
    """A full screen of the app."""

    def reload_when_saved(self: _Reloads, describe: Callable[[Any], str]) -> Callable[[Any], None]:
        """A form's callback: when something was saved, say what (`describe(saved)`)
        and read the screen's data again."""

        def callback(saved: Any) -> None:
            if saved is not None:
                self.canxie.notify(describe(saved))
                self.reload()

        return callback
