"""The worker's day: due list → log a visit; indicator → shortfall → household."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Static

from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.dashboard import DashboardScreen
from canxie_tui.ui.screens.due_list import DueListScreen
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.shortfall import ShortfallScreen
from canxie_tui.ui.screens.visit_form import VisitForm
from tests.app.conftest import WANG_FANG_ID, open_search, settle, type_text
from tests.conftest import Clock


def first_column(screen: object, table_id: str) -> list[str]:
    table = screen.query_one(table_id, DataTable)  # type: ignore[attr-defined]
    return [str(table.get_row_at(i)[1]) for i in range(table.row_count)]


async def test_log_visit_from_due_list_moves_person_to_day_7(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        today_line = str(app.screen.query_one("#today", Static).render())
        assert "今天到期 2 人" in today_line
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DueListScreen)
        due = app.screen
        assert sorted(first_column(due, "#rows")) == ["单丽", "王芳"]
        table = due.query_one("#rows", DataTable)
        table.move_cursor(row=first_column(due, "#rows").index("王芳"))
        await pilot.press("w")
        await settle(pilot)
        assert isinstance(app.screen, VisitForm)
        await pilot.press("ctrl+s")  # today, 入户, whole household, current operator
        await settle(pilot)
        assert app.screen is due
        # Visited today on a weekly round: due again on day 7, still within "7天内到期".
        assert first_column(due, "#rows") == ["单丽", "王芳"]
        assert str(due.query_one("#rows", DataTable).get_row_at(1)[0]) == "7天后到期"
        await pilot.press("escape")
        await settle(pilot)
        assert "今天到期 1 人" in str(app.screen.query_one("#today", Static).render())
        assert "走访 1 次" in str(app.screen.query_one("#month", Static).render())
        assert app.screen.query_one("#month", Static).size.width >= 70  # one line, not a column
    row = register_store.query(
        "SELECT v.visit_date, v.method, v.purpose, o.name AS visitor FROM visits v "
        "JOIN visit_visitors vv ON vv.visit_id = v.id JOIN operators o ON o.id = vv.operator_id"
    )
    assert row == [
        {"visit_date": "2026-11-29", "method": "home", "purpose": "routine", "visitor": "李明"}
    ]
    person = register_store.query(
        "SELECT last_visit_date, next_due_date FROM persons WHERE id_number = ?", (WANG_FANG_ID,)
    )[0]
    assert person == {"last_visit_date": "2026-11-29", "next_due_date": "2026-12-06"}


async def test_routine_visit_from_household_in_two_keys(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        await type_text(pilot, "王芳")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        household = app.screen
        assert isinstance(household, HouseholdScreen)
        keys = ["w", "ctrl+s"]  # the whole path: well within the 6-key budget
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        assert app.screen is household
        timeline = household.query_one("#timeline", DataTable)
        kinds = [str(timeline.get_row_at(i)[1]) for i in range(timeline.row_count)]
        assert "走访·入户" in kinds
    assert register_store.scalar("SELECT count(*) FROM visits") == 1


async def test_future_visit_date_refused_nothing_written(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_search(pilot)
        await type_text(pilot, "王芳")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        date_input = app.screen.query_one("#visit_date")
        date_input.value = "2030-01-01"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VisitForm)
        message = str(app.screen.query_one("#field-visit_date .message", Static).render())
        assert "不能晚于今天" in message
    assert register_store.scalar("SELECT count(*) FROM visits") == 0


async def test_indicator_shortfall_reaches_household(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#indicators", DataTable)
        keys = [table.coordinate_to_cell_key((i, 0)).row_key.value for i in range(table.row_count)]
        table.move_cursor(row=keys.index("living_subsidy"))  # 王芳: 低保 without 生活补贴
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ShortfallScreen)
        assert str(app.screen.query_one("#rows", DataTable).get_row_at(0)[0]) == "王芳"
        assert "困难残疾人生活补贴覆盖率" in str(app.screen.query_one("#count", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        assert "建新东路12号" in str(app.screen.query_one("#hh-info", Static).render())


async def test_due_list_line_counts_the_overdue_beyond_the_rows_listed(
    app: CanxieApp, register_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A month on, the two due today are both overdue; one row is listed.
    register_store.clock = Clock(register_store.today() + timedelta(days=30))
    monkeypatch.setattr(DueListScreen, "PAGE", 1)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, DueListScreen)
        assert len(first_column(app.screen, "#rows")) == 1
        line = str(app.screen.query_one("#count", Static).render())
        assert "前 1 人，共 2 人，其中逾期 2 人" in line
