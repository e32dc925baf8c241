"""Names, addresses, notes and follow-ups are shown as typed, brackets included.

Textual reads strings as markup: "[/]" in a table cell, a Static or a notification
crashed the screen, "x[ok]y" showed as "xy" and "甲:a:乙" (in a table) as "甲🅰乙".
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.geometry import Region
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static
from textual.widgets._toast import Toast

from canxie_tui.domain.ids import make_certificate, make_id
from canxie_tui.store import followups, notes, register
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.widgets.tables import PlainTable, add_keyed_columns
from tests.app.conftest import build_register, open_search, settle, type_text

PERSON_ID = make_id("500105", date(1970, 3, 8), 57)
NAME = "张[/b]三"
ADDRESS = "幸福路[b]3号[/]:a:"  # fits the lists' 20-cell column
NOTE = "电话打不通[/]x[ok]y"
TODO = "回访[/b]x[ok]y"


def shown(widget: Widget) -> str:
    """The text a widget draws in its region, line by line."""
    width, height = widget.size
    return "\n".join(s.text for s in widget.render_lines(Region(0, 0, width, height)))


@pytest.fixture
def typed_store(tmp_path: Path) -> Store:
    store = build_register(tmp_path / "canxie.db")
    household = register.add_household(store, {"address": ADDRESS, "grid": "网格[/]"})
    register.add_person(
        store,
        household.id,
        {
            "name": NAME,
            "id_number": PERSON_ID,
            "cert_number": make_certificate(PERSON_ID, 2, 1),
            "category": 2,
            "level": 1,
            "relation": "户主",
            "phone": "13700009999",
        },
    )
    notes.add_note(store, household.id, "need", NOTE)
    followups.add_followup(store, household.id, TODO, "2026-11-28")  # overdue: listed first
    return store


@pytest.fixture
def typed_app(typed_store: Store) -> CanxieApp:
    return CanxieApp(typed_store.path, store=typed_store)


async def test_search_and_household_show_what_was_typed(typed_app: CanxieApp) -> None:
    app = typed_app
    async with app.run_test(size=(160, 40)) as pilot:
        await open_search(pilot)
        await type_text(pilot, "13700009999")
        await settle(pilot)
        results = shown(app.screen.query_one("#results", DataTable))
        assert NAME in results and ADDRESS in results
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        assert ADDRESS in str(app.screen.query_one("#hh-info", Static).render())
        assert NAME in shown(app.screen.query_one("#members", DataTable))
        assert str(app.screen.query_one("#member-detail", Static).render()).startswith(NAME)
        timeline = shown(app.screen.query_one("#timeline", DataTable))
        assert NOTE in timeline and TODO in timeline


async def test_dashboard_and_lists_show_what_was_typed(typed_app: CanxieApp) -> None:
    app = typed_app
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(pilot)
        assert NAME in str(app.screen.query_one("#agenda-due", Static).render())
        assert TODO in str(app.screen.query_one("#agenda-followups", Static).render())
        await pilot.press("d")
        await settle(pilot)
        due = shown(app.screen.query_one("#rows", DataTable))
        assert NAME in due and "网格[/]" in due, due
        await pilot.press("escape")
        await pilot.press("f")
        await settle(pilot)
        listed = shown(app.screen.query_one("#rows", DataTable))
        assert TODO in listed and ADDRESS in listed, listed
        await pilot.press("c")  # close the follow-up: its notification quotes it
        await settle(pilot)
        app.screen.query_one("#outcome", Input).value = "已回访[b]"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert f"已完成跟进：{TODO}" in str(app.screen.query_one(Toast).render())


async def test_a_screens_own_notification_shows_the_name_as_typed(
    typed_app: CanxieApp, typed_store: Store
) -> None:
    """A screen's `self.notify` (Textual's, markup by default) quoting a name with
    "[/b]" in it: shown as typed, no crash, nothing dropped."""
    app = typed_app
    household = typed_store.scalar("SELECT household_id FROM persons WHERE name = ?", (NAME,))
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await settle(pilot)
        screen = HouseholdScreen(household)
        app.push_screen(screen)
        await settle(pilot)
        screen.notify(f"已添加成员 {NAME}", title=f"{ADDRESS}")
        await settle(pilot)
        toast = str(app.screen.query_one(Toast).render())
        assert f"已添加成员 {NAME}" in toast and ADDRESS in toast
        assert app.screen is screen


async def test_table_cells_stay_plain_text(app: CanxieApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = PlainTable()
        await app.screen.mount(table)
        add_keyed_columns(table, ("a", "b"))
        table.add_row("王芳", "D:\\月报\\", key="plain")
        table.add_row("a[/]", "甲:ok:乙", key="typed")
        table.update_cell("plain", "a", "[red]x")
        # Ordinary cells come back as the str they were; every cell reads as written.
        assert table.get_row("plain")[1] == "D:\\月报\\"
        assert [str(c) for c in table.get_row("plain")] == ["[red]x", "D:\\月报\\"]
        assert [str(c) for c in table.get_row("typed")] == ["a[/]", "甲:ok:乙"]
        await pilot.pause()
        lines = shown(table).splitlines()
        assert "[red]x" in lines[1] and "D:\\月报\\" in lines[1]
        assert "a[/]" in lines[2] and "甲:ok:乙" in lines[2]
