"""Handlers that touch the database: a failure is told to the user, never a crash."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

HandlerT = TypeVar("HandlerT", bound=Callable[..., Awaitable[Any]])


def reported(handler: HandlerT) -> HandlerT:
    """Wrap an async key/message handler: any exception becomes a Chinese notification
    (via CanxieApp.report_error) instead of ending the app with a traceback."""

    @functools.wraps(handler)
    async def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return await handler(self, *args, **kwargs)
        except Exception as error:
            self.app.report_error(error)
            return None

    return wrapper  # type: ignore[return-value]
