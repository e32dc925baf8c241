"""The survey in the app: an unchanged person surveyed page by page with one key each."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from canxie_tui.domain import survey_form as form
from canxie_tui.store import survey
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.survey import SurveyScreen
from canxie_tui.ui.screens.survey_adopt import AdoptScreen
from canxie_tui.ui.screens.survey_form import SurveyFormScreen
from tests.app.conftest import WANG_FANG_ID, settle


def _wang_fang_surveyed(store: Store, **given: object) -> survey.Entry:
    """王芳 surveyed in the 2026 round: `given` answers, every other item its first choice."""
    survey.start_round(store, 2026)
    person_id = store.scalar("SELECT id FROM persons WHERE id_number = ?", (WANG_FANG_ID,))
    entry = survey.entry_for_person(store, person_id, 2026)
    answers = survey.starting_answers(store, entry)[0] | given
    for _ in range(3):
        for item in form.applicable(entry.subject, answers):
            if item.key not in answers:
                first = next(iter(item.choices))
                answers[item.key] = [first] if item.multi else first
    return survey.finish(store, entry, answers, "home", "2026-11-20")


def _last_year(store: Store) -> dict:
    """王芳 surveyed in the 2026 round (every item answered), then the 2027 round opened."""
    done = _wang_fang_surveyed(store, hukou_type="2", needs=["11"])
    survey.start_round(store, 2027, "2027-01-04")
    return done.answers


async def _open_her_survey_from_the_list(pilot: Pilot[None]) -> None:
    """The survey screen (v), then Enter on 王芳: her survey form."""
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)
    table = pilot.app.screen.query_one("#rows", DataTable)
    names = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
    table.move_cursor(row=names.index("王芳"))
    await pilot.press("enter")
    await settle(pilot)


async def _open_her_survey_from_the_household(pilot: Pilot[None], store: Store) -> None:
    """王芳's household screen, then u: her survey form."""
    from canxie_tui.ui.screens.household import HouseholdScreen

    household_id = store.scalar(
        "SELECT household_id FROM persons WHERE id_number = ?", (WANG_FANG_ID,)
    )
    await settle(pilot)
    pilot.app.push_screen(HouseholdScreen(household_id))
    await settle(pilot)
    await pilot.press("u")
    await settle(pilot)


async def test_unchanged_person_is_surveyed_one_key_per_page(
    app: CanxieApp, register_store: Store
) -> None:
    last = _last_year(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "基本状况调查 0/" in str(app.screen.query_one("#today", Static).render())
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, SurveyScreen)
        table = app.screen.query_one("#rows", DataTable)
        names = [str(table.get_row_at(i)[4]) for i in range(table.row_count)]
        table.move_cursor(row=names.index("王芳"))
        await pilot.press("enter")
        await settle(pilot)
        form_screen = app.screen
        assert isinstance(form_screen, SurveyFormScreen)
        pages = len(form_screen.pages())
        head = str(form_screen.query_one("#survey-head", Static).render())
        assert f"第1/{pages}部分" in head and "基本信息" in head
        assert "2.非农业" in str(form_screen.query_one("#survey-body", Static).render())
        for page in range(2, pages + 1):
            await pilot.press("enter")
            await settle(pilot)
            assert f"第{page}/{pages}部分" in str(
                form_screen.query_one("#survey-head", Static).render()
            )
        await pilot.press("enter")  # the last page: how the survey was done
        await settle(pilot)
        await pilot.press("1")  # 入户
        await settle(pilot)
        # Last year's answers hold insurance the register does not record: offered back.
        assert isinstance(app.screen, AdoptScreen)
        assert any(c.field == "pension_scheme" for c in app.screen.changes)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SurveyScreen)
        assert "已调查 1" in str(app.screen.query_one("#survey-progress", Static).render())
    row = register_store.query(
        "SELECT e.status, e.method, e.answers FROM survey_entries e "
        "JOIN survey_rounds r ON r.id = e.round_id JOIN persons p ON p.id = e.person_id "
        "WHERE r.year = 2027 AND p.id_number = ?",
        (WANG_FANG_ID,),
    )[0]
    import json

    assert (row["status"], row["method"]) == ("done", "home")
    assert json.loads(row["answers"]) == last
    person = register_store.query(
        "SELECT pension_scheme FROM persons WHERE id_number = ?", (WANG_FANG_ID,)
    )[0]
    assert person["pension_scheme"] == "resident"
    assert register_store.scalar(
        "SELECT count(*) FROM audit_log WHERE action = '采纳2027年度调查结果到档案'"
    )


async def test_survey_resumes_on_the_page_it_was_left(
    app: CanxieApp, register_store: Store
) -> None:
    survey.start_round(register_store, 2026)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_her_survey_from_the_list(pilot)
        await pilot.press("enter")  # nothing answered yet: refused, the cursor on the first item
        await settle(pilot)
        assert "第1/" in str(app.screen.query_one("#survey-head", Static).render())
        await pilot.press("2", "2", "1", "enter")  # 非农业, 有配偶, 与家人同住 → next page
        await settle(pilot)
        assert "第2/" in str(app.screen.query_one("#survey-head", Static).render())
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SurveyScreen)
        assert "调查中 1 人" in str(app.screen.query_one("#survey-progress", Static).render())
        await pilot.press("enter")
        await settle(pilot)
        assert "第2/" in str(app.screen.query_one("#survey-head", Static).render())
    saved = register_store.query(
        "SELECT status, section, answers FROM survey_entries WHERE status = 'draft'"
    )
    assert len(saved) == 1 and saved[0]["section"] == 1
    assert '"hukou_type": "2"' in saved[0]["answers"]


async def test_household_u_opens_the_selected_persons_survey(
    app: CanxieApp, register_store: Store
) -> None:
    from canxie_tui.ui.screens.household import HouseholdScreen

    survey.start_round(register_store, 2026)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_her_survey_from_the_household(pilot, register_store)
        assert isinstance(app.screen, SurveyFormScreen)
        assert app.screen.entry.name == "王芳"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)


async def test_esc_on_a_finished_survey_asks_before_dropping_a_change(
    app: CanxieApp, register_store: Store
) -> None:
    """Esc used to close a finished survey silently, dropping the page's new answers."""
    import json

    from canxie_tui.ui.screens.confirm import ConfirmScreen
    from canxie_tui.ui.screens.household import HouseholdScreen

    entry = _wang_fang_surveyed(register_store, hukou_type="2")

    def saved() -> tuple[str, str]:
        row = register_store.query(
            "SELECT status, answers FROM survey_entries WHERE id = ?", (entry.id,)
        )[0]
        return row["status"], json.loads(row["answers"])["hukou_type"]

    async with app.run_test(size=(80, 24)) as pilot:
        await _open_her_survey_from_the_household(pilot, register_store)
        form_screen = app.screen
        assert isinstance(form_screen, SurveyFormScreen)
        await pilot.press("escape")  # nothing changed: closes at once
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("1")  # 户口性质: 农业 instead of 非农业
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "放弃本部分的修改" in app.screen.question
        await pilot.press("enter")  # Enter keeps the form and the change (it used to drop it)
        await settle(pilot)
        assert isinstance(app.screen, SurveyFormScreen)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("n")  # and so does N
        await settle(pilot)
        assert isinstance(app.screen, SurveyFormScreen)
        assert saved() == ("done", "2")
        await pilot.press("enter")  # confirm the page: saved, still finished
        await settle(pilot)
        assert saved() == ("done", "1")
        await pilot.press("pageup", "2", "escape")  # back, change again, then drop it
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
    assert saved() == ("done", "1")


async def test_a_survey_only_looked_at_stays_not_started(
    app: CanxieApp, register_store: Store
) -> None:
    """Opening someone's survey and leaving with Esc used to save an empty draft,
    turning 未调查 into 调查中 and writing an audit entry."""
    survey.start_round(register_store, 2026)
    audited = register_store.scalar("SELECT count(*) FROM audit_log")
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_her_survey_from_the_list(pilot)
        assert isinstance(app.screen, SurveyFormScreen)
        await pilot.press("down", "escape")
        await settle(pilot)
        assert isinstance(app.screen, SurveyScreen)
        assert "调查中 0 人" in str(app.screen.query_one("#survey-progress", Static).render())
    assert register_store.scalar("SELECT count(*) FROM survey_entries WHERE status = 'draft'") == 0
    assert register_store.scalar("SELECT count(*) FROM audit_log") == audited
