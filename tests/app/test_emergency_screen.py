"""Emergency roll call: start an event, mark people with the keyboard, narrow by building."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from canxie_tui.demo.builder import build_demo
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.emergency import EmergencyScreen
from canxie_tui.ui.screens.event_form import EventForm
from tests.app.conftest import NOW, open_store, press_for, settle, type_text


def demo_store(tmp_path: Path) -> Store:
    store = open_store(tmp_path / "demo.db")
    build_demo(store, scale="community", seed=1, today=NOW.date())
    return store


async def start_power_cut(pilot: Pilot[None]) -> EmergencyScreen:
    await settle(pilot)
    await pilot.press("j")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, EmergencyScreen)
    assert "当前没有突发事件" in str(screen.query_one("#event-head", Static).render())
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(pilot.app.screen, EventForm)
    pilot.app.screen.query_one("#kind", Select).value = "power"
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert pilot.app.screen is screen
    return screen


def head(screen: EmergencyScreen) -> str:
    return str(screen.query_one("#event-head", Static).render())


async def test_roll_call_with_the_keyboard(tmp_path: Path) -> None:
    store = demo_store(tmp_path)
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await start_power_cut(pilot)
        assert "11月29日停电" in head(screen) and "已联系 0/" in head(screen)
        first = screen.rows[0]
        assert any("依赖" in r for r in first.reasons)  # a power cut puts device users first
        for key in ("2", "2", "3"):  # safe, safe, needs help — the cursor moves on each time
            await pilot.press(key)
            await settle(pilot)
        assert "已联系 3/" in head(screen) and "安全 2" in head(screen)
        assert "需要帮助 1" in head(screen)
        table = screen.query_one("#rollcall", DataTable)
        assert [str(table.get_row_at(i)[2]) for i in range(3)] == [
            "安全",
            "安全",
            "需要帮助",
        ]
        await pilot.press("g")  # grouped by grid: the grids come one after another
        await settle(pilot)
        grids = [r.person.grid for r in screen.rows]
        assert len(set(grids)) > 1
        assert all(grids.index(g) == i or grids[i - 1] == g for i, g in enumerate(grids))
        screen.query_one("#e-query", Input).focus()
        await type_text(pilot, "3栋")
        await settle(pilot)
        assert screen.rows and all(r.person.building == "3栋" for r in screen.rows)
    rows = store.query(
        "SELECT c.status, count(*) AS n FROM emergency_checks c GROUP BY c.status ORDER BY c.status"
    )
    assert rows == [{"status": "help", "n": 1}, {"status": "safe", "n": 2}]
    followup = store.query("SELECT source, urgent FROM followups WHERE source = 'emergency'")
    assert followup == [{"source": "emergency", "urgent": 1}]


def test_roll_call_screen_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = demo_store(tmp_path)

    async def run_before(pilot: Pilot[None]) -> None:
        await start_power_cut(pilot)
        await pilot.press("2")
        await settle(pilot)

    assert snap_compare(
        CanxieApp(store.path, store=store), terminal_size=(80, 24), run_before=run_before
    )


async def test_event_area_example_names_the_community_at_a_street(tmp_path: Path) -> None:
    from dataclasses import replace

    from canxie_tui.store import site

    store = demo_store(tmp_path)
    street = replace(site.get_site(store), community_code="", community_name="")
    site.save_site(store, street)
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await press_for(pilot, "j", EmergencyScreen)
        form = await press_for(pilot, "e", EventForm)
        shown = " ".join(str(s.render()) for s in form.query(Static))
        assert "XX社区·第1网格" in shown and "如：第一网格" not in shown
