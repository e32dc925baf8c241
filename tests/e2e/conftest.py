"""Command-line tests run 'today' at the same fixed moment as the rest of the suite."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from canxie_tui.store.db import Store
from tests.app.conftest import NOW


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    original = Store.open.__func__  # type: ignore[attr-defined]

    def open_at_now(
        cls: type[Store],
        path: Path | str | None = None,
        *,
        create: bool = True,
        clock: Callable[[], datetime] | None = None,
    ) -> Store:
        return original(cls, path, create=create, clock=clock or (lambda: NOW))

    monkeypatch.setattr(Store, "open", classmethod(open_at_now))
