"""Grids come in number order where a worker picks or reads them: 第二 before 第十."""

from __future__ import annotations

from datetime import date

from textual.widgets import DataTable, OptionList, Select

from canxie_tui.domain.ids import make_certificate, make_id
from canxie_tui.store import emergency, register
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.due_list import DueListScreen
from canxie_tui.ui.screens.emergency import EmergencyScreen
from tests.app.conftest import settle

# By code point these sort 第三, 第二, 第二十, 第十, 第十一 (三 U+4E09 < 二 U+4E8C < 十 U+5341).
GRIDS = ("第十网格", "第三网格", "第二十网格", "第十一网格", "第二网格")
IN_ORDER = ["第一网格", "第二网格", "第三网格", "第十网格", "第十一网格", "第二十网格"]


def add_grids(store: Store) -> None:
    """One oxygen user in each of GRIDS (the register already has 第一网格)."""
    for n, grid in enumerate(GRIDS, start=1):
        home = register.add_household(
            store, {"address": f"建新东路{20 + n}号", "building": f"{n}栋", "grid": grid}
        )
        id_number = make_id("500105", date(1950, 1, n), 30 + n * 2)
        register.add_person(
            store,
            home.id,
            {
                "name": f"住户{n}",
                "id_number": id_number,
                "cert_number": make_certificate(id_number, 4, 1),
                "category": 4,
                "level": 1,
                "relation": "户主",
                "care_flags": ["powered_device"],
                "device_kind": "制氧机",
            },
        )


async def test_due_list_grid_filter_lists_grids_in_number_order(
    app: CanxieApp, register_store: Store
) -> None:
    add_grids(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DueListScreen)
        grid = app.screen.query_one("#f-grid", Select)
        grid.focus()
        await pilot.press("enter")  # open the drop-down as a worker would
        await settle(pilot)
        assert grid.expanded
        overlay = grid.query_one(OptionList)  # the drop-down
        shown = [str(overlay.get_option_at_index(i).prompt) for i in range(overlay.option_count)]
        assert shown == ["全部网格", *IN_ORDER]


async def test_roll_call_grouped_by_grid_in_number_order(
    app: CanxieApp, register_store: Store
) -> None:
    add_grids(register_store)
    emergency.start_event(register_store, "power", "停电")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("j")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EmergencyScreen)
        await pilot.press("g")  # 按网格分组
        await settle(pilot)
        table = screen.query_one("#rollcall", DataTable)
        places = [str(table.get_row_at(i)[5]) for i in range(table.row_count)]
        grids = list(dict.fromkeys(place.split("·")[0] for place in places))
        assert grids == IN_ORDER
