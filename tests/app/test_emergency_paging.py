"""Roll call at scale: the table holds 200 rows at a time and loads the next page on demand."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from rich.cells import cell_len
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from canxie_tui.domain.emergency import group
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
        assert screen.view is not None and len(screen.view) == LISTED
        assert table.row_count == len(screen.rows) == PAGE == 200  # only those are read
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
        assert screen.view is not None and len(screen.view) == IN_FIRST_BUILDING
        assert all(p.person.building == "1栋" for p in screen.rows)
        assert table.row_count == PAGE and table.cursor_row == 0
        assert f"筛选后 {IN_FIRST_BUILDING} 人" in head(screen)
        assert f"前 200 条，共 {IN_FIRST_BUILDING} 条" in head(screen)
        table.focus()
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert table.row_count == IN_FIRST_BUILDING and "前 " not in head(screen)
        assert all(p.person.building == "1栋" for p in screen.rows)
        await pilot.press("g")  # by grid: back to the first page, grids one after another
        await settle(pilot)
        assert table.row_count == PAGE and table.cursor_row == 0
        grids = [p.person.grid for p in screen.rows]
        assert grids == sorted(grids)
        assert [row_key_at(table, i) for i in range(PAGE)] == [
            p.person.person_id for p in screen.rows[:PAGE]
        ]
        assert str(table.get_row_at(0)[5]).startswith("第1网格·")


async def load_all(pilot: Pilot[None], table: DataTable[str]) -> None:
    """The cursor to the last loaded row until every page is in the table."""
    while True:
        count = table.row_count
        await pilot.press("ctrl+end")
        await settle(pilot)
        if table.row_count == count:
            return


async def test_scrolling_to_the_end_shows_everyone_in_risk_order(big_store: Store) -> None:
    """Each page is read as the cursor reaches it; the end is the last person of the
    list, numbered as the list numbers them."""
    event = emergency.current_event(big_store)
    listed = [p.person.person_id for p in emergency.priority_list(big_store, event)]
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen, table = await open_roll_call(pilot)
        await load_all(pilot, table)
        assert [row_key_at(table, i) for i in range(table.row_count)] == listed
        assert table.cursor_row == LISTED - 1
        last = table.get_row_at(LISTED - 1)
        assert str(last[0]) == str(LISTED) and str(last[1]).startswith("住户")
        assert screen.selected() is not None
        assert screen.selected().person.person_id == listed[-1]  # type: ignore[union-attr]


async def test_grouped_pages_follow_the_grids(big_store: Store) -> None:
    """Grouped by grid, the pages come in the order the call sheet groups them, each
    person keeping their number in risk order."""
    event = emergency.current_event(big_store)
    ranked = emergency.priority_list(big_store, event)
    number = {p.person.person_id: i for i, p in enumerate(ranked, 1)}
    grouped = [p.person.person_id for _, rows in group(ranked, "grid") for p in rows]
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(100, 30)) as pilot:
        _, table = await open_roll_call(pilot)
        await pilot.press("g")
        await settle(pilot)
        await load_all(pilot, table)
        keys = [row_key_at(table, i) for i in range(table.row_count)]
        assert keys == grouped
        assert [str(table.get_row_at(i)[0]) for i in range(LISTED)] == [
            str(number[key]) for key in keys
        ]
        assert str(table.get_row_at(LISTED - 1)[5]).startswith("第3网格·")


async def test_a_mark_far_down_the_list_is_saved_and_shown(big_store: Store) -> None:
    """A person on the third page, marked: in the database (audited, with its
    follow-up), in the row at once, in the progress, and again after reopening."""
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen, table = await open_roll_call(pilot)
        await load_all(pilot, table)
        far = 2 * PAGE + 25
        table.move_cursor(row=far)
        await settle(pilot)
        person = row_key_at(table, far)
        await pilot.press("3")  # 需要帮助, and on to the next person
        await settle(pilot)
        assert str(table.get_row_at(far)[2]) == "需要帮助"
        assert table.cursor_row == far + 1 and table.row_count == LISTED
        assert "需要帮助 1" in head(screen) and "已联系 1/" in head(screen)
        await pilot.press("escape")
        await settle(pilot)
        screen, table = await open_roll_call(pilot)
        assert table.row_count == PAGE  # read again from the top
        await load_all(pilot, table)
        assert str(table.get_row_at(far)[2]) == "需要帮助"
        assert row_key_at(table, far) == person
    assert big_store.query("SELECT person_id, status FROM emergency_checks") == [
        {"person_id": person, "status": "help"}
    ]
    assert (
        big_store.scalar("SELECT count(*) FROM audit_log WHERE table_name = 'emergency_checks'")
        == 1
    )
    assert big_store.query(
        "SELECT person_id, urgent FROM followups WHERE source = 'emergency'"
    ) == [{"person_id": person, "urgent": 1}]


async def test_a_longer_place_on_a_later_page_widens_its_column(big_store: Store) -> None:
    """The columns fit the rows read so far: a page with a longer place fits them again
    (the place whole, the cursor where it was), never narrower."""
    household = register.add_household(
        big_store,
        {
            "address": "建新东路999号",
            "building": "2栋",
            "unit": "9单元",
            "room": "9999",
            "grid": "第3网格",
            "flags": ["alone"],
        },
    )
    make = Make(big_store)
    for _ in range(LISTED):  # the ID numbers the register already holds
        make.id_number(date(1968, 5, 12))
    far = register.add_person(big_store, household.id, make.person_values("远方"))
    event = emergency.current_event(big_store)
    listed = [p.person.person_id for p in emergency.priority_list(big_store, event)]
    assert listed.index(far.id) >= 2 * PAGE  # on the last page
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen, table = await open_roll_call(pilot)
        narrow = screen.widths[1]
        assert narrow < cell_len("2栋9单元9999")
        for _ in range(2):
            await pilot.press("ctrl+end")
            await settle(pilot)
        assert table.row_count == LISTED + 1  # the last page, with the columns fitted again
        assert table.cursor_row == 2 * PAGE - 1 and screen.widths[1] > narrow
        assert str(table.get_row_at(listed.index(far.id))[5]) == "2栋9单元9999"
        assert all(str(table.get_row_at(i)[5]).startswith(("1栋", "2栋")) for i in range(10))


@pytest.mark.parametrize("ahead", [True, False], ids=["read-ahead", "read-now"])
async def test_someone_leaving_the_register_while_pages_load(
    big_store: Store, monkeypatch: pytest.MonkeyPatch, ahead: bool
) -> None:
    """A person on a page not loaded yet leaves the register: that page, read ahead or
    read when the cursor gets there, comes short, and the list is read again; scrolling
    on shows everyone still listed, in risk order, once each."""
    event = emergency.current_event(big_store)
    app = CanxieApp(big_store.path, store=big_store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen, table = await open_roll_call(pilot)
        if not ahead:
            monkeypatch.setattr(screen, "read_ahead", lambda view, start: None)
        reads, reload = [], screen.reload
        monkeypatch.setattr(screen, "reload", lambda **kw: reads.append(kw) or reload(**kw))
        listed = emergency.priority_list(big_store, event)
        gone = listed[2 * PAGE + 20].person.person_id  # on the third page
        register.change_status(
            big_store, register.get_person(big_store, gone), "deceased", "今天", "病故"
        )
        await pilot.press("ctrl+end")  # the second page, read before (ahead) or now
        await settle(pilot)
        assert table.row_count == 2 * PAGE and reads == []
        await load_all(pilot, table)
        assert reads == [{}]  # the short third page: the list read again, once
        keys = [row_key_at(table, i) for i in range(table.row_count)]
        still = [p.person.person_id for p in emergency.priority_list(big_store, event)]
        assert gone not in keys and len(still) == LISTED - 1
        assert keys == still
        assert screen.view is not None and len(screen.view) == LISTED - 1
