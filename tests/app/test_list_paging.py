"""List screens at scale: the table holds 200 rows at a time, the next page at the last row."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from canxie_tui.store import followups, register
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.followup_list import FollowupListScreen
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.listing import PAGE
from canxie_tui.ui.screens.shortfall import ShortfallScreen
from tests.app.conftest import row_key_at, settle, store_copy
from tests.conftest import Make
from tests.conftest import open_store as open_site_store

SHORT = 230  # 二级 (重度) without 护理补贴: all short of care_subsidy


@pytest.fixture(scope="module")
def big_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """230 people, one a household, none with 护理补贴; built once and copied per test."""
    path = tmp_path_factory.mktemp("list-paging") / "big.db"
    store = open_site_store(path)
    make = Make(store)
    for i in range(SHORT):
        household = register.add_household(
            store,
            {"address": f"建新东路{i + 1}号", "building": "1栋", "room": str(101 + i)},
        )
        register.add_person(store, household.id, make.person_values(f"住户{i + 1:03d}", level=2))
    store.close()
    return path


@pytest.fixture
def big_store(big_register: Path, tmp_path: Path) -> Store:
    return store_copy(big_register, tmp_path)


async def open_shortfall(pilot: Pilot[None], key: str) -> tuple[ShortfallScreen, DataTable[str]]:
    await settle(pilot)
    indicators = pilot.app.screen.query_one("#indicators", DataTable)
    keys = [row_key_at(indicators, i) for i in range(indicators.row_count)]
    indicators.move_cursor(row=keys.index(key))
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ShortfallScreen)
    return screen, screen.query_one("#rows", DataTable)


def count_line(screen: ShortfallScreen) -> str:
    return str(screen.query_one("#count", Static).render())


async def test_shortfall_pages_and_enter_opens_the_right_household(big_store: Store) -> None:
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await open_shortfall(pilot, "care_subsidy")
        assert len(screen.items) == SHORT
        assert table.row_count == PAGE == 200
        line = count_line(screen)
        assert f"前 200 条，共 {SHORT} 条" in line
        assert f"缺口 {SHORT} 人" in line  # the shortfall line is still there
        await pilot.press("ctrl+end")  # onto the last loaded row: the rest comes
        await settle(pilot)
        assert table.row_count == SHORT
        assert "前 " not in count_line(screen) and f"缺口 {SHORT} 人" in count_line(screen)
        assert [row_key_at(table, i) for i in range(SHORT)] == [str(r["id"]) for r in screen.items]
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.cursor_row == SHORT - 1
        assert str(table.get_row_at(SHORT - 1)[0]) == f"住户{SHORT}"  # rooms in natural order
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        assert f"建新东路{SHORT}号" in str(app.screen.query_one("#hh-info", Static).render())
        await pilot.press("escape")  # back: the refresh keeps what was loaded and the cursor
        await settle(pilot)
        assert app.screen is screen
        assert table.row_count == SHORT and table.cursor_row == SHORT - 1


async def test_small_lists_show_no_paging_note(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await open_shortfall(pilot, "living_subsidy")
        assert table.row_count == len(screen.items) == 1
        assert count_line(screen).startswith("困难残疾人生活补贴覆盖率：")


async def test_follow_up_list_pages(register_store: Store) -> None:
    """230 open follow-ups for 王芳's household, the latest one for 单丽's."""
    households = register_store.query("SELECT id, address FROM households ORDER BY address")
    shan, wang = households  # 北城三路 sorts before 建新东路
    for i in range(SHORT - 1):
        followups.add_followup(register_store, wang["id"], f"事项{i + 1}", "2026-12-01")
    followups.add_followup(register_store, shan["id"], "送辅具申请表", "2026-12-20")
    app = CanxieApp(register_store.path, store=register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, FollowupListScreen)
        table = screen.query_one("#rows", DataTable)
        line = str(screen.query_one("#count", Static).render())
        assert table.row_count == PAGE and f"前 200 条，共 {SHORT} 条" in line
        assert f"未完成 {SHORT} 件" in line
        await pilot.press("ctrl+end", "ctrl+end")
        await settle(pilot)
        assert table.row_count == SHORT and table.cursor_row == SHORT - 1
        assert "前 " not in str(screen.query_one("#count", Static).render())
        assert "送辅具申请表" in str(table.get_row_at(SHORT - 1)[2])
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        assert "北城三路8号" in str(app.screen.query_one("#hh-info", Static).render())
