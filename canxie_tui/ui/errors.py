"""Handlers that touch the database: a failure is told to the user, never a crash."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable[Any]])


class Reporter(Protocol):
    """What tells the user (CanxieApp.report_error: Chinese, never a traceback)."""

    def report_error(self, error: BaseException) -> None: ...


@contextmanager
def reporting(app: Reporter, on_error: Callable[[], object] | None = None) -> Iterator[None]:
    """Run the block; any exception ends it and is reported instead of raised.

    `on_error` runs first, e.g. to say on the screen what was not done. Code after
    the block runs either way, so what needs success goes inside it.
    """
    try:
        yield
    except Exception as error:
        if on_error is not None:
            on_error()
        app.report_error(error)


def reported(handler: HandlerT) -> HandlerT:
    """Wrap an async key/message handler (or worker) in `reporting`: a failure anywhere
    in it becomes the app's Chinese notification and the handler returns None."""

    @functools.wraps(handler)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        with reporting(self.app):
            return await handler(self, *args, **kwargs)
        return None

    return wrapper  # type: ignore[return-value]
