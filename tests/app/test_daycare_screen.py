"""渝馨家园 sheet: mark a day with the keyboard and read it back from the database."""

from __future__ import annotations

from datetime import date

from textual.widgets import DataTable, Static

from canxie_tui.store import daycare
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.daycare import DaycareScreen
from canxie_tui.ui.screens.month_grid import MonthGridScreen
from tests.app.conftest import settle

FRIDAY = date(2026, 11, 27)  # the fixture clock says Sunday 2026-11-29


def enrol_both(store: Store) -> None:
    for person_id in [r["id"] for r in store.query("SELECT id FROM persons ORDER BY name")]:
        daycare.enrol(store, person_id, ["day_care"], "12345", "2026-11-02")


def status_of(store: Store, day: date) -> dict[str, tuple[str, int, int]]:
    rows = store.query(
        "SELECT p.name, a.status, a.half_day, a.meal FROM attendance a "
        "JOIN daycare_members m ON m.id = a.member_id JOIN persons p ON p.id = m.person_id "
        "WHERE a.day = ?",
        (day.isoformat(),),
    )
    return {r["name"]: (r["status"], r["half_day"], r["meal"]) for r in rows}


async def test_mark_a_day_with_the_keyboard(app: CanxieApp, register_store: Store) -> None:
    enrol_both(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        sheet = app.screen
        assert isinstance(sheet, DaycareScreen)
        assert "星期日" in str(sheet.query_one("#sheet-head", Static).render())
        for _ in range(2):  # back to Friday
            await pilot.press("left_square_bracket")
            await settle(pilot)
        head = str(sheet.query_one("#sheet-head", Static).render())
        assert "2026-11-27 星期五" in head and "应到 2" in head and "未登记 2" in head
        await pilot.press("space")  # first row: 出勤
        await settle(pilot)
        await pilot.press("h", "m")  # half day, meal
        await settle(pilot)
        await pilot.press("down", "space", "space")  # second row: 出勤 → 请假
        await settle(pilot)
        head = str(sheet.query_one("#sheet-head", Static).render())
        assert "实到 1" in head and "请假 1" in head and "未登记 0" in head
        table = sheet.query_one("#sheet", DataTable)
        assert [str(table.get_row_at(0)[i]) for i in (2, 3, 4)] == ["出勤", "半天", "用餐"]
        await pilot.press("escape")
        await settle(pilot)
    assert status_of(register_store, FRIDAY) == {
        "单丽": ("present", 1, 1),
        "王芳": ("leave", 0, 0),
    }


async def test_all_expected_present_and_future_refused(
    app: CanxieApp, register_store: Store
) -> None:
    enrol_both(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("right_square_bracket")  # tomorrow: refused, still today
        await settle(pilot)
        assert "2026-11-29" in str(app.screen.query_one("#sheet-head", Static).render())
        for _ in range(2):
            await pilot.press("left_square_bracket")
            await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert "实到 2" in str(app.screen.query_one("#sheet-head", Static).render())
    assert {v[0] for v in status_of(register_store, FRIDAY).values()} == {"present"}
    assert status_of(register_store, date(2026, 11, 28)) == {}


async def test_month_grid_shows_symbols_and_totals(app: CanxieApp, register_store: Store) -> None:
    enrol_both(register_store)
    ids = {
        r["name"]: r["id"]
        for r in register_store.query(
            "SELECT p.name, m.id FROM daycare_members m JOIN persons p ON p.id = m.person_id"
        )
    }
    daycare.mark(register_store, ids["单丽"], FRIDAY, "present", half_day=True)
    daycare.mark(register_store, ids["王芳"], FRIDAY, "absent")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        grid = app.screen
        assert isinstance(grid, MonthGridScreen)
        table = grid.query_one("#grid", DataTable)
        rows = {
            str(table.get_row_at(i)[0]).strip(): table.get_row_at(i) for i in range(table.row_count)
        }
        assert str(rows["单丽"][27]).strip() == "½"
        assert str(rows["王芳"][27]).strip() == "✗"
        assert str(rows["王芳"][26]).strip() == "·"  # expected on Thursday, nothing recorded
        assert str(rows["每日合计"][27]).strip() == "½"
        # One form for half days on the whole grid (not 12½ beside 56.5).
        assert str(rows["单丽"][-1]).strip() == "½"
        assert "." not in str(grid.query_one("#grid-head", Static).render()).split("日均")[0]


async def test_close_day_and_end_enrolment(app: CanxieApp, register_store: Store) -> None:
    from textual.widgets import Input

    enrol_both(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        sheet = app.screen
        for _ in range(2):
            await pilot.press("left_square_bracket")
            await settle(pilot)
        await pilot.press("c")  # close Friday
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "临时停电"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is sheet
        assert "闭馆：临时停电" in str(sheet.query_one("#sheet-head", Static).render())
        await pilot.press("space")  # marking a closed day is refused
        await settle(pilot)
        await pilot.press("c")  # and reopened
        await settle(pilot)
        assert "应到 2" in str(sheet.query_one("#sheet-head", Static).render())
        await pilot.press("x")  # first member leaves the centre
        await settle(pilot)
        app.screen.query_one("#reason", Input).value = "入住养老机构"
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert status_of(register_store, FRIDAY) == {}
    ended = register_store.query(
        "SELECT p.name, m.end_date, m.end_reason FROM daycare_members m "
        "JOIN persons p ON p.id = m.person_id WHERE m.end_date != ''"
    )
    assert ended == [{"name": "单丽", "end_date": "2026-11-29", "end_reason": "入住养老机构"}]
    assert register_store.scalar("SELECT count(*) FROM daycare_closures") == 0


def test_month_grid_marks_start_in_one_column() -> None:
    """假 (two cells wide) starts where ✓ ½ ✗ · and the day number do, not one cell left."""
    from rich.cells import cell_len

    from canxie_tui.ui.screens.month_grid import CELL, cell, days_text

    starts = {
        m: len(cell(m)) - len(cell(m).lstrip()) for m in ("✓", "½", "✗", "·", "假", "7", "17")
    }
    assert set(starts.values()) == {1}, starts
    assert all(cell_len(cell(m)) == CELL for m in (*starts, "17½", ""))
    assert [days_text(v) for v in (0, 0.5, 12, 12.5, 307.5)] == ["0", "½", "12", "12½", "307½"]
