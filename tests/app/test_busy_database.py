"""A save while a long import holds the database (issue 16, item 11).

The import holds the write lock past the busy timeout: the save is refused with a
Chinese line saying what holds the database, and the form stays open with what
was typed, to be saved again once the import is done.
"""

from __future__ import annotations

import sqlite3

import pytest

from canxie_tui.store import connection, scratch
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.visit_form import VisitForm
from tests.app.conftest import settle
from tests.app.test_form_guards import form_error, open_visit_form, open_wang_fang


async def test_a_save_during_an_import_says_so_and_keeps_the_form(
    app: CanxieApp, register_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 200)  # the wait, shortened
    path = register_store.path
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await open_wang_fang(app, pilot)
        form = await open_visit_form(app, pilot)
        importer = sqlite3.connect(path, isolation_level=None)
        try:
            with scratch.busy(path, "导入花名册"):
                importer.execute("BEGIN IMMEDIATE")  # what an import's transaction holds
                await pilot.press("ctrl+s")
                await settle(pilot)
                importer.execute("ROLLBACK")
        finally:
            importer.close()
        said = form_error(app) + " ".join(str(n.message) for n in app._notifications)
        assert "数据库正在导入花名册" in said and "请等它完成后再保存" in said
        assert "程序内部错误" not in said
        assert app.screen is form and isinstance(form, VisitForm)
        await pilot.press("ctrl+s")  # the import is done: the same form saves
        await settle(pilot)
        assert app.screen is not form
    assert register_store.scalar("SELECT count(*) FROM visits") == 1


def test_without_a_marker_the_message_names_the_usual_suspects(register_store: Store) -> None:
    from canxie_tui.store.errors import BusyError

    other = register_store.clone()
    other.db.conn.execute("PRAGMA busy_timeout = 100")
    blocker = sqlite3.connect(register_store.path, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with pytest.raises(BusyError) as caught, other.transaction():
            pass
        assert "另一个操作" in caught.value.message  # nobody said what: the usual suspects
    finally:
        blocker.close()
        other.close()
