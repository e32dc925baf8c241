"""Issue 15, items 5–10: the visit form and the other forms do not mislead.

Focus on the date, a same-day duplicate and an old date confirmed, a date before
registration refused, Esc asks before discarding, a note corrected from its end, the
duplicate-ID error at 身份证号.
"""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input, Static, TextArea

from canxie_tui.store import notes
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.confirm import ConfirmScreen
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.note_form import NoteForm
from canxie_tui.ui.screens.person_form import PersonForm
from canxie_tui.ui.screens.visit_form import VisitForm
from tests.app.conftest import SHAN_LI_ID, WANG_FANG_ID, open_search, settle, type_text


def backdate_registration(store: Store, day: str = "2025-01-01") -> None:
    """The fixture registers everything today; pretend it was done on `day`."""
    with store.transaction() as db:
        db.conn.execute("UPDATE households SET created_at = ?", (f"{day}T09:00:00",))
        db.conn.execute("UPDATE persons SET created_at = ?", (f"{day}T09:00:00",))


def visit_dates(store: Store) -> list[str]:
    rows = store.query("SELECT visit_date FROM visits WHERE deleted = 0 ORDER BY pk")
    return [r["visit_date"] for r in rows]


def form_error(app: CanxieApp) -> str:
    return str(app.screen.query_one("#form-error", Static).render())


def field_message(app: CanxieApp, name: str) -> str:
    return str(app.screen.query_one(f"#field-{name} .message", Static).render())


async def open_wang_fang(app: CanxieApp, pilot: Pilot[None]) -> HouseholdScreen:
    await open_search(pilot)
    await type_text(pilot, "王芳")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(app.screen, HouseholdScreen)
    return app.screen


async def open_visit_form(app: CanxieApp, pilot: Pilot[None]) -> VisitForm:
    await pilot.press("w")
    await settle(pilot)
    assert isinstance(app.screen, VisitForm)
    return app.screen


async def test_visit_form_opens_on_the_date_and_typing_replaces_today(
    app: CanxieApp, register_store: Store
) -> None:
    backdate_registration(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        household = await open_wang_fang(app, pilot)
        form = await open_visit_form(app, pilot)
        assert form.focused is form.query_one("#visit_date", Input)
        await type_text(pilot, "11-20")
        assert form.query_one("#visit_date", Input).value == "11-20"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is household
    assert visit_dates(register_store) == ["2026-11-20"]


async def test_same_day_duplicate_warns_then_second_ctrl_s_saves(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        household = await open_wang_fang(app, pilot)
        await open_visit_form(app, pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is household
        await open_visit_form(app, pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, VisitForm)  # held: the same visit again?
        assert "本户 2026-11-29 已记过1次常规走访" in form_error(app)
        assert "再按 Ctrl+S" in form_error(app)
        assert visit_dates(register_store) == ["2026-11-29"]
        await pilot.press("ctrl+s")  # confirmed
        await settle(pilot)
        assert app.screen is household
    assert visit_dates(register_store) == ["2026-11-29", "2026-11-29"]


async def test_another_purpose_same_day_is_not_a_duplicate(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        household = await open_wang_fang(app, pilot)
        await open_visit_form(app, pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        form = await open_visit_form(app, pilot)
        form.query_one("#purpose").value = "festival"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is household
    assert register_store.scalar("SELECT count(*) FROM visits") == 2


async def test_visit_before_registration_is_refused(app: CanxieApp, register_store: Store) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wang_fang(app, pilot)
        form = await open_visit_form(app, pilot)
        await type_text(pilot, "1990-01-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        message = field_message(app, "visit_date")
        assert "走访日期 1990-01-01 早于本户的登记日期 2026-11-29" in message
        await pilot.press("ctrl+s")  # a refusal is not a warning: still refused
        await settle(pilot)
        assert app.screen is form
    assert register_store.scalar("SELECT count(*) FROM visits") == 0


async def test_old_visit_says_how_old_then_confirmed(app: CanxieApp, register_store: Store) -> None:
    backdate_registration(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        household = await open_wang_fang(app, pilot)
        form = await open_visit_form(app, pilot)
        await type_text(pilot, "2026-10-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "这次走访是59天前（2026-10-01）" in form_error(app)
        assert register_store.scalar("SELECT count(*) FROM visits") == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is household
    assert visit_dates(register_store) == ["2026-10-01"]


async def test_escape_on_untouched_form_closes_at_once(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        household = await open_wang_fang(app, pilot)
        await open_visit_form(app, pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is household
    assert register_store.scalar("SELECT count(*) FROM visits") == 0


async def test_escape_after_typing_asks_before_discarding(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        household = await open_wang_fang(app, pilot)
        form = await open_visit_form(app, pilot)
        form.query_one("#note", Input).focus()
        await type_text(pilot, "家中无人")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "放弃已填写的内容" in app.screen.question
        await pilot.press("n")  # keep it
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#note", Input).value == "家中无人"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("y")  # discard
        await settle(pilot)
        assert app.screen is household
    assert register_store.scalar("SELECT count(*) FROM visits") == 0


async def test_note_correction_starts_at_the_end(app: CanxieApp, register_store: Store) -> None:
    household_id = register_store.scalar(
        "SELECT household_id FROM persons WHERE id_number = ?", (WANG_FANG_ID,)
    )
    note = notes.household_notes(register_store, household_id)[0]
    async with app.run_test(size=(80, 24)) as pilot:
        household = await open_wang_fang(app, pilot)
        app.push_screen(NoteForm(household_id, note))
        await settle(pilot)
        area = app.screen.query_one("#body", TextArea)
        assert app.screen.focused is area
        assert area.cursor_location == area.document.end
        await type_text(pilot, "已上报")
        await pilot.press("ctrl+home")
        assert area.cursor_location == (0, 0)
        await pilot.press("ctrl+end")
        assert area.cursor_location == area.document.end
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is household
    note = notes.household_notes(register_store, household_id)[0]
    assert note.body == "需要申请护理补贴复核已上报"


async def test_duplicate_id_error_is_shown_at_the_id_field(
    app: CanxieApp, register_store: Store
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wang_fang(app, pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PersonForm)
        await type_text(pilot, "单丽")
        for field_id, text in (("id_number", SHAN_LI_ID), ("category", "1"), ("level", "3")):
            form.query_one(f"#{field_id}", Input).focus()
            await type_text(pilot, text)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "已登记为“单丽”" in field_message(app, "id_number")
        assert "已登记" not in field_message(app, "level")
        assert "已登记" not in form_error(app)
        assert form.focused is form.query_one("#id_number", Input)
    assert register_store.scalar("SELECT count(*) FROM persons WHERE name = '单丽'") == 1


async def test_error_lines_never_break_inside_a_number(
    app: CanxieApp, register_store: Store
) -> None:
    """Issue 15, item 16: at 60 columns the refused phone number is read on one line."""
    wrong = "1381234567890123"
    async with app.run_test(size=(60, 24)) as pilot:
        await open_wang_fang(app, pilot)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, PersonForm)
        await type_text(pilot, "林小雨")
        form.query_one("#phone", Input).focus()
        await type_text(pilot, wrong)
        await pilot.press("ctrl+s")
        await settle(pilot)
        lines = field_message(app, "phone").splitlines()
        assert len(lines) > 1  # the message does wrap at this width …
        assert any(wrong in line for line in lines)  # … but never inside the number
    assert register_store.scalar("SELECT count(*) FROM persons WHERE name = '林小雨'") == 0
