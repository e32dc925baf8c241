"""Command-line tests: run `canxie` in-process at the suite's fixed 'today'."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest

from canxie_tui.cli import main
from canxie_tui.store import session
from canxie_tui.store.connection import Store
from tests.app.conftest import NOW, build_register


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every database the command opens reads the suite's 'today'."""
    original = session.open_store

    def open_at_now(
        path: Path | str | None = None,
        *,
        create: bool = True,
        clock: Callable[[], datetime] | None = None,
        daily_backup: bool = True,
    ) -> Store:
        return original(
            path, create=create, clock=clock or (lambda: NOW), daily_backup=daily_backup
        )

    monkeypatch.setattr(session, "open_store", open_at_now)


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
