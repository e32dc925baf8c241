"""First run on an empty database: divisions and operator, then the dashboard."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Static

from canxie_tui.store import site
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.dashboard import DashboardScreen
from canxie_tui.ui.screens.setup import SetupScreen
from tests.app.conftest import open_store, settle, type_text


async def fill_setup(pilot, values: list[str]) -> None:  # type: ignore[no-untyped-def]
    inputs = list(pilot.app.screen.query(Input))
    for widget, text in zip(inputs, values, strict=True):
        widget.focus()
        widget.value = ""
        await type_text(pilot, text)


async def test_first_run_asks_for_site_and_operator(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.db")
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        await fill_setup(
            pilot,
            ["江北区", "500105", "观音桥街道", "500105006", "建新东路社区", "500105007001", "李明"],
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        # The community code does not start with the street code: refused, said in Chinese.
        assert isinstance(app.screen, SetupScreen)
        message = str(app.screen.query_one("#field-community_code .message", Static).render())
        assert "应以街镇代码“500105006”开头" in message
        assert site.get_site(store).name == ""
        code = app.screen.query_one("#field-community_code Input", Input)
        code.value = "500105006001"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "建新东路社区" in app.sub_title and "李明" in app.sub_title
    reopened = open_store(tmp_path / "new.db")
    saved = site.get_site(reopened)
    assert (saved.community_name, saved.community_code) == ("建新东路社区", "500105006001")
    assert reopened.operator_name == "李明"


async def test_escape_on_first_run_quits_without_writing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.db")
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not app.is_running
    assert store.scalar("SELECT count(*) FROM settings") == 0
