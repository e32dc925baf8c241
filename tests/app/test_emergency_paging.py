"""Roll call at scale: the table holds 200 rows at a time and loads the next page on demand."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from canxie_tui.store import emergency, register
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.emergency import PAGE, EmergencyScreen
from tests.app.conftest import row_key_at, settle, store_copy, type_text
from tests.conftest import Make
from tests.conftest import open_store as open_site_store

LISTED = 450  # everyone lives alone, so everyone is on the power-cut list
IN_FIRST_BUILDING = 300  # 1栋 alone holds more than a page


@pytest.fixture(scope="module")
def big_register(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """450 people on the list (300 in 1栋, 150 in 2栋), built once and copied per test."""
    path = tmp_path_factory.mktemp("paging") / "big.db"
    store = open_site_store(path)
    make = Make(store)
    for i in range(LISTED):
        household = register.add_household(
            store,
            {
                "address": f"建新东路{i + 1}号",
                "building": "1栋" if i < IN_FIRST_BUILDING else "2栋",
                "room": str(101 + i),
                "grid": f"第{i % 3 + 1}网格",
                "flags": ["alone"],
            },
        )
        register.add_person(store, household.id, make.person_values(f"住户{i + 1:03d}"))
    emergency.start_event(store, "power", "停电")
    store.close()
    return path


@pytest.fixture
def big_store(big_register: Path, tmp_path: Path) -> Store:
    return store_copy(big_register, tmp_path)


async def open_roll_call(pilot: Pilot[None]) -> tuple[EmergencyScreen, DataTable[str]]:
    await settle(pilot)
    await pilot.press("j")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, EmergencyScreen)
    return screen, screen.query_one("#rollcall", DataTable)


def head(screen: EmergencyScreen) -> str:
    return str(screen.query_one("#event-head", Static).render())


async def test_first_page_then_more_at_the_last_row(big_store: Store) -> None:
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await open_roll_call(pilot)
        assert len(screen.rows) == LISTED
        assert table.row_count == PAGE == 200
        assert f"已联系 0/{LISTED}" in head(screen)  # the progress line is as before
        assert f"前 200 条，共 {LISTED} 条" in head(screen)
        await pilot.press("ctrl+end")  # onto the last loaded row: the next page comes
        await settle(pilot)
        assert table.row_count == 400 and table.cursor_row == 199
        assert f"前 400 条，共 {LISTED} 条" in head(screen)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.row_count == LISTED  # all of them: the paging note goes
        assert "前 " not in head(screen) and f"共 {LISTED} 人" in head(screen)
        keys = [row_key_at(table, i) for i in range(table.row_count)]
        assert keys == [p.person.person_id for p in screen.rows]


async def test_marking_the_last_loaded_person_moves_onto_the_next_page(big_store: Store) -> None:
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await open_roll_call(pilot)
        table.move_cursor(row=PAGE - 1)
        await settle(pilot)
        last, following = screen.rows[PAGE - 1], screen.rows[PAGE]
        assert table.row_count == 2 * PAGE  # reaching the last row loaded the next page
        await pilot.press("2")  # 安全, and on to the next person
        await settle(pilot)
        assert table.cursor_row == PAGE
        assert screen.selected() == screen.rows[PAGE]
        assert screen.rows[PAGE].person.person_id == following.person.person_id
        assert table.row_count == 2 * PAGE  # the refresh keeps what was loaded
        assert str(table.get_row_at(PAGE - 1)[2]) == "安全"  # updated in its place
        assert row_key_at(table, PAGE - 1) == last.person.person_id
        assert "已联系 1/" in head(screen) and "安全 1" in head(screen)
    rows = big_store.query("SELECT person_id, status FROM emergency_checks")
    assert rows == [{"person_id": last.person.person_id, "status": "safe"}]


async def test_marking_on_the_last_row_before_it_loaded_more(big_store: Store) -> None:
    """Even when the highlight has not loaded the next page yet, 2 moves onto it."""
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await open_roll_call(pilot)
        with screen.prevent(DataTable.RowHighlighted):
            table.move_cursor(row=PAGE - 1)
            await pilot.pause()
        assert table.row_count == PAGE
        await pilot.press("2")
        await settle(pilot)
        assert table.cursor_row == PAGE and table.row_count == 2 * PAGE
        assert screen.selected() == screen.rows[PAGE]


async def test_narrowing_and_grouping_start_from_the_first_page(big_store: Store) -> None:
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen, table = await open_roll_call(pilot)
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.row_count == 2 * PAGE
        screen.query_one("#e-query", Input).focus()
        await type_text(pilot, "1栋")
        await settle(pilot)
        assert len(screen.rows) == IN_FIRST_BUILDING
        assert all(p.person.building == "1栋" for p in screen.rows)
        assert table.row_count == PAGE and table.cursor_row == 0
        assert f"筛选后 {IN_FIRST_BUILDING} 人" in head(screen)
        assert f"前 200 条，共 {IN_FIRST_BUILDING} 条" in head(screen)
        table.focus()
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.row_count == IN_FIRST_BUILDING and "前 " not in head(screen)
        await pilot.press("g")  # by grid: back to the first page, grids one after another
        await settle(pilot)
        assert table.row_count == PAGE and table.cursor_row == 0
        grids = [p.person.grid for p in screen.rows]
        assert grids == sorted(grids)
        assert [row_key_at(table, i) for i in range(PAGE)] == [
            p.person.person_id for p in screen.rows[:PAGE]
        ]
        assert str(table.get_row_at(0)[5]).startswith("第1网格·")
