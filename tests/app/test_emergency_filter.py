"""Issue 15, the emergency roll call as a new worker met it: the phone always whole, the
filter reached and left with the keyboard and kept, the call sheet holding what the
screen shows, and no person left in the detail pane after the event is closed."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest
from textual.widgets import DataTable, Input, Static

from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.dashboard import DashboardScreen
from canxie_tui.ui.screens.emergency import EmergencyScreen, layout
from tests.app.conftest import settle, type_text
from tests.app.test_emergency_screen import demo_store, head, start_power_cut


def assert_phones_whole(screen: EmergencyScreen) -> None:
    """Every column fits beside the others (nothing scrolled off to the right), and the
    phone column holds each person's whole number."""
    table = screen.query_one("#rollcall", DataTable)
    shown = sum(column.get_render_width(table) for column in table.columns.values())
    assert shown <= table.scrollable_content_region.width
    assert table.max_scroll_x == 0
    phones = [str(table.get_row_at(i)[-1]) for i in range(table.row_count)]
    assert phones == [p.person.phone for p in screen.rows[: table.row_count]]
    assert sum(len(phone) == 11 for phone in phones) > table.row_count // 2  # mobiles


@pytest.mark.parametrize("size", [(80, 24), (60, 20), (120, 40)])
async def test_phone_shows_whole_before_and_after_a_status(
    tmp_path: Path, size: tuple[int, int]
) -> None:
    store = demo_store(tmp_path)
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=size) as pilot:
        screen = await start_power_cut(pilot)
        assert_phones_whole(screen)
        await pilot.press("5")  # 联系不上: the widest status label
        await settle(pilot)
        assert str(screen.query_one("#rollcall", DataTable).get_row_at(0)[2]) == "联系不上"
        assert_phones_whole(screen)
        await pilot.press("g")  # grouped by grid: the place column grows, the phone stays
        await settle(pilot)
        assert_phones_whole(screen)


async def test_phone_stays_whole_when_the_terminal_narrows(tmp_path: Path) -> None:
    store = demo_store(tmp_path)
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await start_power_cut(pilot)
        await pilot.resize_terminal(52, 20)
        await settle(pilot)
        assert_phones_whole(screen)
        table = screen.query_one("#rollcall", DataTable)
        assert "年龄" not in [c.label.plain for c in table.columns.values()]
        age = screen.rows[0].person.age
        assert f"（{age}岁）" in str(screen.query_one("#person-detail", Static).render())


def test_layout_drops_age_before_cutting_the_phone() -> None:
    phone, place_cells = 11, 12  # 13812345678, 10栋2单元603
    columns, reasons, place = layout(77, 3, phone, place_cells)
    assert "年龄" in columns and place == 12 and reasons >= 8
    columns, reasons, place = layout(40, 3, phone, place_cells)
    assert "年龄" not in columns and "电话" in columns


async def test_filter_keys_and_kept_filter(tmp_path: Path) -> None:
    store = demo_store(tmp_path)
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_power_cut(pilot)
        table = screen.query_one("#rollcall", DataTable)
        query = screen.query_one("#e-query", Input)
        await pilot.press("slash")
        await type_text(pilot, "10栋")
        await pilot.press("enter")  # Enter: on to the list
        await settle(pilot)
        assert screen.focused is table
        assert screen.rows and all(r.person.building == "10栋" for r in screen.rows)
        await pilot.press("2")  # a status, not "10栋2" in the filter
        await settle(pilot)
        assert query.value == "10栋" and "安全 1" in head(screen)
        await pilot.press("slash")
        assert screen.focused is query
        await pilot.press("down")  # ↓ goes to the list too
        assert screen.focused is table
        await pilot.press("slash", "escape")  # Esc in the filter clears it, on to the list
        await settle(pilot)
        assert pilot.app.screen is screen and query.value == ""
        assert "筛选后" not in head(screen) and screen.focused is table
        await pilot.press("slash")
        await type_text(pilot, "10栋")
        await settle(pilot)
        assert screen.view is not None
        filtered = len(screen.view)
        await pilot.press("enter", "escape")  # from the list Esc leaves
        await settle(pilot)
        assert isinstance(pilot.app.screen, DashboardScreen)
        await pilot.press("j")  # and coming back the filter is still there
        await settle(pilot)
        again = pilot.app.screen
        assert isinstance(again, EmergencyScreen) and again is not screen
        assert again.query_one("#e-query", Input).value == "10栋"
        assert (
            again.view is not None
            and len(again.view) == filtered
            and f"筛选后 {filtered} 人" in head(again)
        )


async def test_call_sheet_holds_the_filtered_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "exports"))
    store = demo_store(tmp_path)
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_power_cut(pilot)
        await pilot.press("slash")
        await type_text(pilot, "10栋")
        screen.query_one("#rollcall", DataTable).focus()
        await settle(pilot)
        on_screen = [r.person.name for r in screen.rows]
        assert 0 < len(on_screen) < 50 and f"筛选后 {len(on_screen)} 人" in head(screen)
        await pilot.press("p")
        await settle(pilot)
    (path,) = (tmp_path / "exports").glob("*.xlsx")
    rows = [list(r) for r in openpyxl.load_workbook(path).worksheets[0].iter_rows(values_only=True)]
    assert "筛选：“10栋”" in rows[1][0] and f"共 {len(on_screen)} 人" in rows[1][0]
    people = [row[1] for row in rows[3:] if isinstance(row[0], int)]
    assert sorted(people) == sorted(on_screen)
    assert all("10栋" in row[4] for row in rows[3:] if isinstance(row[0], int))


async def test_closing_the_event_clears_the_detail(tmp_path: Path) -> None:
    store = demo_store(tmp_path)
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_power_cut(pilot)
        detail = screen.query_one("#person-detail", Static)
        assert screen.rows[0].person.name in str(detail.render())
        await pilot.press("x")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "当前没有突发事件" in head(screen)
        assert str(detail.render()).strip() == ""
        assert screen.query_one("#rollcall", DataTable).row_count == 0
