"""Command-line tests: run `canxie` in-process at the suite's fixed 'today'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from canxie_tui.cli import main
from canxie_tui.store.db import Store
from tests.app.conftest import NOW, build_register


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


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `canxie ARGV`."""
    try:
        code = main(list(argv))
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """The small register of the app tests, closed, ready for the command line."""
    store = build_register(tmp_path / "canxie.db")
    store.close()
    return tmp_path / "canxie.db"
