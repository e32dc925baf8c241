"""First run on an empty database: divisions and operator, then the dashboard."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, Label, Static

from canxie_tui.store import site
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.confirm import ConfirmScreen
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


async def test_escape_on_first_run_asks_before_quitting_without_writing(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.db")
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        # Not a silent exit: asked in Chinese; N goes back to the form.
        assert app.is_running and isinstance(app.screen, ConfirmScreen)
        assert "退出" in str(app.screen.query_one(".form-title", Label).render())
        await pilot.press("n")
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert not app.is_running
    assert app.return_code == 1  # the setup was not finished
    assert store.scalar("SELECT count(*) FROM settings") == 0


def _message(app: CanxieApp, field: str) -> str:
    return str(app.screen.query_one(f"#field-{field} .message", Static).render())


async def test_code_lengths_and_names_are_checked_as_labelled(tmp_path: Path) -> None:
    store = open_store(tmp_path / "new.db")
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot)
        # Where the codes come from is said on the form itself.
        assert "国家统计局" in _message(app, "district_code")
        assert "街道" in _message(app, "district_code")
        labels = [str(label.render()) for label in app.screen.query("Field > Label")]
        assert "街道/镇代码（9位）" in labels
        # A 6-digit code in the 9-digit field: the error says 9位, as the label does.
        await fill_setup(
            pilot,
            ["江北区", "500105", "观音桥街道", "500105", "建新东路社区", "500105006001", "李明"],
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        message = _message(app, "street_code")
        assert "9位" in message and "6、9或12" not in message
        # A code typed into the name field is refused, not saved as the community's name.
        app.screen.query_one("#field-street_code Input", Input).value = "500105006"
        app.screen.query_one("#field-community_name Input", Input).value = "500105006001"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        assert "像是代码" in _message(app, "community_name")
    assert site.get_site(store).name == ""


async def test_settings_reopened_later_is_not_titled_first_use(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 40)) as pilot:
        await settle(pilot)
        app.show_site_settings()
        await settle(pilot)
        assert isinstance(app.screen, SetupScreen)
        title = str(app.screen.query_one(".form-title", Label).render())
        assert "首次使用" not in title and "设置" in title
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running and not isinstance(app.screen, SetupScreen)
