"""Finding people: as a worker types, results update; Enter opens the household."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from canxie_tui.store import register
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.dashboard import DashboardScreen
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.search import SearchScreen
from tests.app.conftest import SHAN_LI_ID, WANG_FANG_ID, open_search, settle, type_text


def cells(app: CanxieApp, row: int) -> dict[str, str]:
    """Row `row` of the results by column key (which columns show depends on the width)."""
    table = app.screen.query_one("#results", DataTable)
    keys = [str(key.value) for key in table.columns]
    return dict(zip(keys, (str(c) for c in table.get_row_at(row)), strict=True))


def names_shown(app: CanxieApp) -> list[str]:
    table = app.screen.query_one("#results", DataTable)
    return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]


async def test_home_lists_register_and_search_by_initials(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        assert isinstance(app.screen, SearchScreen)
        assert sorted(names_shown(app)) == ["单丽", "王芳"]
        await type_text(pilot, "wf")
        await settle(pilot)
        assert names_shown(app) == ["王芳"]
        assert "共 1 条" in str(app.screen.query_one("#count", Static).render())


async def test_search_by_id_tail_shows_masked_id(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        await type_text(pilot, SHAN_LI_ID[-4:])
        await settle(pilot)
        assert names_shown(app) == ["单丽"]
        row = cells(app, 0)
        assert row["id"] == f"{SHAN_LI_ID[:6]}********{SHAN_LI_ID[-4:]}"
        assert SHAN_LI_ID not in row.values()


async def test_heteronym_surname_and_chinese_name(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        await type_text(pilot, "danli")
        await settle(pilot)
        assert names_shown(app) == ["单丽"]
        app.screen.query_one("#query", Input).value = ""
        await type_text(pilot, "王芳")
        await settle(pilot)
        assert names_shown(app) == ["王芳"]


async def test_no_match_says_so(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        await type_text(pilot, "诸葛亮")
        await settle(pilot)
        assert names_shown(app) == []
        assert "没有找到“诸葛亮”" in str(app.screen.query_one("#count", Static).render())


async def test_enter_opens_household(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        await type_text(pilot, WANG_FANG_ID[-4:])
        await settle(pilot)
        await pilot.press("enter")  # one result: Enter in the query opens it
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        info = str(app.screen.query_one("#hh-info", Static).render())
        assert "建新东路12号" in info and "低保" in info and "独居" in info
        members = app.screen.query_one("#members", DataTable)
        assert members.get_row_at(0)[0] == "王芳"
        await pilot.press("escape")
        assert isinstance(app.screen, SearchScreen)
        app.screen.query_one("#query", Input).value = ""
        await pilot.press("escape")  # an empty search: Esc goes home
        assert isinstance(app.screen, DashboardScreen)


def _two_wang_na(store: Store) -> None:
    street = "观音桥街道建新东路社区建新东路一巷128号附3号"
    for building, unit, room, phone in (("3栋", "4单元", "502", ""), ("7栋", "1单元", "201", "")):
        home = register.add_household(
            store,
            {"address": street, "building": building, "unit": unit, "room": room, "phone": phone},
        )
        register.add_person(store, home.id, {"name": "王娜", "relation": "户主"})
    home = register.add_household(store, {"address": "北城三路8号", "phone": "023-67700657"})
    register.add_person(
        store, home.id, {"name": "王玲", "relation": "户主", "phone": "13812340000"}
    )


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_address_uses_the_free_width_building_first(
    app: CanxieApp, register_store: Store, size: tuple[int, int]
) -> None:
    _two_wang_na(register_store)
    async with app.run_test(size=size) as pilot:
        await open_search(pilot)
        await type_text(pilot, "王娜")
        await settle(pilot)
        table = app.screen.query_one("#results", DataTable)
        addresses = [cells(app, i)["address"] for i in range(2)]
        assert table.max_scroll_x == 0  # nothing runs off to the right
        if size == (120, 40):
            assert "3栋4单元502" in addresses[0] and "一巷128号附3号" in addresses[0]
            assert not any("…" in a for a in addresses)
            assert "sex" in cells(app, 0)
        else:  # too long: the building comes first, so the two can be told apart
            assert addresses[0].startswith("3栋4单元502 观音桥街道")  # 性别 left out
            assert addresses[1].startswith("7栋1单元201 观音桥街道")


async def test_row_says_why_it_matched(app: CanxieApp, register_store: Store) -> None:
    _two_wang_na(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        await type_text(pilot, "0657")
        await settle(pilot)
        assert names_shown(app) == ["王玲"]
        row = cells(app, 0)
        assert row["phone"] == "13812340000"
        assert row["address"].startswith("（同户电话 …0657）")
