"""App-wide keys: F1 help, Ctrl+P palette, F2 operator switch."""

from __future__ import annotations

import re

import pytest
from textual.command import CommandPalette
from textual.containers import VerticalScroll
from textual.widgets import Input

from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.help import HelpScreen, KeysTable
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.household_form import HouseholdForm
from canxie_tui.ui.screens.operator import OperatorScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.titleline import TitleLine
from tests.app.conftest import open_search, settle, type_text


async def test_f1_lists_keys_in_chinese(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = {key: action for key, action, _ in app.screen.query_one("#keys", KeysTable).rows}
        assert rows["Ctrl+N"] == "新建户"
        assert rows["F2"] == "操作员"
        assert rows["/"] == "查找"  # not "SLASH"
        assert list(rows).count("Ctrl+P") == 1  # the app's binding, not again as a general key
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


def _shown_text(help_screen: HelpScreen) -> str:
    """What the key table draws, lines joined without spaces (wrapped text reads on)."""
    keys = help_screen.query_one("#keys", KeysTable)
    scroll = help_screen.query_one("#keys-scroll", VerticalScroll)
    # Nothing hides to the right: the table is as wide as the box shows, no sideways scroll.
    assert scroll.max_scroll_x == 0
    assert keys.region.right <= scroll.scrollable_content_region.right
    lines = [keys.render_line(y).text for y in range(keys.size.height)]
    return "".join("".join(line.split()) for line in lines)


# 60 columns is below what the app supports; there the descriptions have to wrap.
@pytest.mark.parametrize("size", [(80, 24), (120, 40), (60, 24)])
async def test_f1_descriptions_are_readable_in_full(app: CanxieApp, size: tuple[int, int]) -> None:
    """The longest descriptions (household screen) are shown whole, wrapped if need be."""
    async with app.run_test(size=size) as pilot:
        await open_search(pilot)
        await type_text(pilot, "王芳")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        shown = _shown_text(app.screen)
        for key, action, text in (
            ("i", "显示证号", "显示所选成员完整身份证号（记入审计）"),
            ("w", "走访", "记录一次走访（默认今天、入户、全户）"),
            ("Tab/Shift+Tab", "切换", "在输入框、列表之间移动"),
        ):
            assert f"{key}{action}{text}" in shown


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
        # The title line at the top says it too, once the form has closed.
        title = str(app.screen.query_one(TitleLine).render())
        assert title.startswith(" ⭘") and "残协工作台 — " in title and "操作员：张华" in title
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


async def test_home_key_goes_to_dashboard_in_one_press(app: CanxieApp) -> None:
    from textual.widgets import DataTable

    from canxie_tui.ui.screens.dashboard import DashboardScreen
    from canxie_tui.ui.screens.help import key_rows

    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        query = app.screen.query_one("#query", Input)
        await type_text(pilot, "wf")
        await pilot.press("home")  # in the query box Home moves the cursor, as usual
        assert query.cursor_position == 0 and query.value == "wf"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        assert isinstance(app.focused, DataTable)  # its own Home would scroll: the app's wins
        assert ("Home", "首页", "回到首页") in key_rows(app.screen, app.BINDINGS)
        await pilot.press("home")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert len(app.screen_stack) == 2


async def test_palette_system_commands_are_chinese(app: CanxieApp) -> None:
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        assert "Search" not in palette.query_one(Input).placeholder
        assert "输入" in palette.query_one(Input).placeholder
        titles = [command.title for command in app.get_system_commands(app.screen)]
        helps = [command.help for command in app.get_system_commands(app.screen)]
        assert "配色主题" in titles and "屏幕截图" in titles
        for text in titles + helps:
            assert not re.search(r"[A-Za-z]{3,}", text.replace("SVG", "")), text


async def test_ctrl_c_says_how_to_quit_in_chinese(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+c")
        await settle(pilot)
        assert app.is_running
        notes = list(app._notifications)
        assert notes, "Ctrl+C should say which key quits"
        assert notes[-1].title == "要退出吗？" and "Ctrl+Q" in notes[-1].message
        assert "quit" not in notes[-1].message.lower()


async def test_an_open_choice_list_says_its_key_in_chinese(app: CanxieApp) -> None:
    """Issue 15, item 18: the footer of an open Select said "esc Dismiss menu"."""
    from textual.widgets import Select

    from canxie_tui.ui.widgets.keyline import KeyLine

    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("j")
        await settle(pilot)
        await pilot.press("e")  # 开始突发事件: the form opens on its type list
        await settle(pilot)
        app.screen.query_one(Select).focus()
        await pilot.press("enter")
        await settle(pilot)
        keys = [s.key.description for s in app.screen.query_one(KeyLine).spans]
        assert "收起选项" in keys
        assert not any(re.search(r"[A-Za-z]{3}", k) for k in keys), keys


async def test_a_click_on_the_key_line_presses_the_key(app: CanxieApp) -> None:
    """The key line is drawn as one widget (issue 17); a click on a key still does what
    the key does, a click between keys nothing, and the icon opens the palette."""
    from canxie_tui.ui.screens.due_list import DueListScreen

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        line = app.screen.query_one(KeyLine)
        due = next(s for s in line.spans if s.key.description == "走访")
        await pilot.click(KeyLine, offset=(due.start - 1, 0))  # the space before it
        await settle(pilot)
        assert app.screen.query_one(KeyLine) is line
        await pilot.click(KeyLine, offset=(due.start + 2, 0))
        await settle(pilot)
        assert isinstance(app.screen, DueListScreen)
        keys = [s.key.description for s in app.screen.query_one(KeyLine).spans]
        assert keys[0] == "返回" and keys[-1] == "命令"
        await pilot.click(TitleLine, offset=(1, 0))
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)


async def test_garbage_collection_is_back_after_the_first_paint(app: CanxieApp) -> None:
    """`canxie` starts with the cyclic collector off (a faster first paint); the app
    turns it back on once the first screen is drawn, so a day's work cannot grow."""
    import gc

    gc.disable()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert gc.isenabled()
    finally:
        gc.enable()
