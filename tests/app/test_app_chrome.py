"""App-wide keys: F1 help, Ctrl+P palette, F2 operator switch."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import DataTable, Input

from canxie_tui.store.db import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.help import HelpScreen
from canxie_tui.ui.screens.household_form import HouseholdForm
from canxie_tui.ui.screens.operator import OperatorScreen
from tests.app.conftest import settle, type_text


async def test_f1_lists_keys_in_chinese(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#keys", DataTable)
        rows = {
            str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1]) for i in range(table.row_count)
        }
        assert rows["Ctrl+N"] == "新建户"
        assert rows["F2"] == "操作员"
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_opens_new_household_form(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await type_text(pilot, "新建户")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdForm)


async def test_f2_adds_and_switches_operator(app: CanxieApp, register_store: Store) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, OperatorScreen)
        app.screen.query_one("#new-operator", Input).focus()
        await type_text(pilot, "张华")
        await pilot.press("enter")
        await settle(pilot)
        assert "操作员：张华" in app.sub_title
    assert register_store.query(
        "SELECT o.name FROM settings s JOIN operators o ON s.value = json_quote(o.id) "
        "WHERE s.key = 'current_operator'"
    ) == [{"name": "张华"}]


async def test_restore_from_backup_in_the_tui(app: CanxieApp, register_store: Store) -> None:
    from canxie_tui.store import backup
    from canxie_tui.ui.screens.confirm import ConfirmScreen
    from canxie_tui.ui.screens.restore import RestoreScreen

    backup.backup_before(register_store, "manual-test")
    household = register_store.scalar("SELECT id FROM households LIMIT 1")
    from canxie_tui.store import notes

    notes.add_note(register_store, household, "other", "备份之后写的记录")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.show_restore()
        await settle(pilot)
        assert isinstance(app.screen, RestoreScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")
        await settle(pilot)
        restored = app.store
        assert restored.scalar("SELECT count(*) FROM notes WHERE body = '备份之后写的记录'") == 0
        assert restored.scalar("SELECT count(*) FROM audit_log WHERE action LIKE '%恢复%'") >= 1
        assert "李明" in app.sub_title
