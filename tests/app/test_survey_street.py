"""The survey screen at a street: each community's 第1网格 its own line and filter."""

from __future__ import annotations

from textual.widgets import DataTable, Input, Select, Static

from canxie_tui.store import register, survey
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.survey import SurveyScreen
from tests.app.conftest import settle
from tests.conftest import Make


async def test_the_screen_names_and_filters_each_communitys_grid(
    app: CanxieApp, register_store: Store
) -> None:
    ours = register_store.query("SELECT division_name, grid FROM households LIMIT 1")[0]
    home = register.add_household(
        register_store,
        {
            "address": "建新西路8号", "grid": ours["grid"], "building": "8栋",
            "division_code": "500105006099", "division_name": "建新西路社区",
        },
    )  # fmt: skip
    Make(register_store).person(home, "西路甲")
    survey.start_round(register_store, 2026)
    theirs = f"建新西路社区·{ours['grid']}"
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, SurveyScreen)
        head = str(app.screen.query_one("#survey-progress", Static).render())
        # Each community's done/due (each grid of every community would fill the screen).
        assert "建新西路社区 0/1" in head and f"{ours['division_name']} 0/" in head
        assert "网格" not in head.splitlines()[-1]
        app.screen.query_one("#f-grid", Select).value = theirs
        await settle(pilot)
        head = str(app.screen.query_one("#survey-progress", Static).render())
        assert f"{theirs}：8栋 0/1" in head
        table = app.screen.query_one("#rows", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [(str(r[0]), str(r[4])) for r in rows] == [(theirs, "西路甲")]

        app.screen.query_one("#f-grid", Select).clear()
        box = app.screen.query_one("#f-building", Input)
        box.value = "建新西路社区·8栋"
        box.focus()
        await pilot.press("enter")  # the building box is submitted: the list again
        await settle(pilot)
        assert isinstance(app.screen, SurveyScreen)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert [str(r[4]) for r in rows] == ["西路甲"]
