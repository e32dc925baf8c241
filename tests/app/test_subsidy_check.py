"""两项补贴核对 in the app: from the dashboard's count to stopping a subsidy, and the
household screen's record of a member's subsidy."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from canxie_tui.domain.subsidies import CARE, RECEIVING, STOPPED
from canxie_tui.store import register, subsidies
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.household import HouseholdScreen
from canxie_tui.ui.screens.subsidies import SubsidyCheckScreen
from canxie_tui.ui.screens.subsidy_form import SubsidyForm
from tests.app.conftest import WANG_FANG_ID, press_for, settle
from tests.app.test_register_facts import open_wang_fang


def _wang(store: Store) -> str:
    return str(store.scalar("SELECT id FROM persons WHERE id_number = ?", (WANG_FANG_ID,)))


def _died_still_paid(store: Store) -> str:
    """王芳 receives 护理补贴 since January and died on 2026-09-15."""
    wang = _wang(store)
    subsidies.set_state(store, wang, CARE, RECEIVING, "2026-01", "审核通过")
    register.change_status(
        store, register.get_person(store, wang), "deceased", "2026-09-15", "病故"
    )
    return wang


async def open_subsidy_form(pilot: Pilot[None]) -> SubsidyForm:
    """王芳's household (found by name, she is selected), then b."""
    await open_wang_fang(pilot)
    return await press_for(pilot, "b", SubsidyForm)


async def test_from_the_dashboard_count_to_stopping_a_subsidy(
    app: CanxieApp, register_store: Store
) -> None:
    wang = _died_still_paid(register_store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "两项补贴：应停未停 1 · 应享未享 0（b）" in str(
            app.screen.query_one("#today", Static).render()
        )
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SubsidyCheckScreen)
        table = screen.query_one("#rows", DataTable)
        first = [str(c) for c in table.get_row_at(0)]
        assert first[:5] == ["应停未停", "王芳", "护理补贴", "死亡", "2026-09-15"]
        assert first[5] == "2月200元"  # October and November overpaid
        await pilot.press("enter")  # opens the household, 王芳 selected
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        assert "护理补贴 享受 2026-01起" in str(
            app.screen.query_one("#member-detail", Static).render()
        )
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("s")  # 停发, filled in: from the month after the death
        await settle(pilot)
        form = app.screen
        assert isinstance(form, SubsidyForm)
        assert form.query_one("#from_month", Input).value == "2026-10"
        assert "多发2026-10至2026-11共200元待追回" in form.query_one("#reason", Input).value
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#rows", DataTable).row_count == 0
        assert "应停未停 0" in str(screen.query_one("#count", Static).render())
    care = [(e.state, e.from_month, e.to_month) for e in subsidies.history(register_store, wang)]
    assert care == [(RECEIVING, "2026-01", "2026-09"), (STOPPED, "2026-10", "")]
    audit = register_store.query(
        "SELECT count(*) AS n FROM audit_log WHERE table_name = 'subsidies' AND action = '两项补贴登记'"
    )
    assert audit[0]["n"] >= 3  # added, closed, stopped


async def test_household_screen_records_a_members_subsidy(
    app: CanxieApp, register_store: Store
) -> None:
    wang = _wang(register_store)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_subsidy_form(pilot)
        await pilot.press("ctrl+s")  # nothing chosen yet: refused, nothing written
        await settle(pilot)
        assert app.screen is form
        form.query_one("#kind").value = "living"
        form.query_one("#state").value = "applying"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, HouseholdScreen)
        detail = str(app.screen.query_one("#member-detail", Static).render())
        assert "困难残疾人生活补贴 申请中 2026-11起" in detail
    kinds = {(e.kind, e.state) for e in subsidies.history(register_store, wang)}
    assert kinds == {("care", RECEIVING), ("living", "applying")}


async def test_apply_for_someone_eligible_who_never_did(
    app: CanxieApp, register_store: Store
) -> None:
    from datetime import date

    from canxie_tui.domain.ids import make_certificate, make_id

    home = register.add_household(register_store, {"address": "观音桥街道北城一路9号"})
    number = make_id("500105", date(1960, 2, 2), 57)
    person = register.add_person(
        register_store,
        home.id,
        {
            "name": "赵刚",
            "id_number": number,
            "cert_number": make_certificate(number, 4, 1),
            "category": 4,
            "level": 1,
        },
    )
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        screen = app.screen
        table = screen.query_one("#rows", DataTable)
        row = table.get_row_index(f"start:care:{person.id}")
        table.move_cursor(row=row)
        shown = [str(c) for c in table.get_row_at(row)]
        assert shown[:4] == ["应享未享", "赵刚", "护理补贴", "一级肢体 · 重庆户籍"]
        before = table.row_count  # 王芳 (低保) is short of 生活补贴 too
        await pilot.press("s")  # not a 应停未停 line: said, nothing opened
        await settle(pilot)
        assert app.screen is screen
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, SubsidyForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen and table.row_count == before - 1
    [entry] = subsidies.history(register_store, person.id)
    assert (entry.kind, entry.state, entry.from_month) == (CARE, "applying", "2026-11")


def test_an_overpayment_the_rules_cannot_price_says_so() -> None:
    """护理补贴 paid to a 三级 person without the extension: the months are known, the amount
    is not (the rule set prices that level at nothing) — it used to read "1月0元"."""
    from canxie_tui.store.subsidy_check import STOP, Item, Row
    from canxie_tui.ui.screens.subsidies import amount_text

    person = Row("p", "h", "田鹏", "", 6, 3, "cq", frozenset(), frozenset(), "", "active", "")
    unpriced = Item(STOP, "care", person, "三级精神", overpaid_months=("2026-11",))
    priced = unpriced._replace(overpaid_months=("2026-10", "2026-11"), overpaid=200)
    assert amount_text(unpriced) == "1月金额未定"
    assert amount_text(priced) == "2月200元"


async def test_a_month_out_of_range_is_named_next_to_the_field(
    app: CanxieApp, register_store: Store
) -> None:
    """2026-13 typed as the month a subsidy's state starts, or as a rule set's start:
    the precise reason (月应在 1–12 之间) beside the field, while typing; nothing saved."""
    from canxie_tui.ui.screens.settings import SubsidySettingsForm, rules_now
    from tests.app.conftest import type_text
    from tests.app.test_form_guards import field_message

    wang = _wang(register_store)
    async with app.run_test(size=(100, 30)) as pilot:
        form = await open_subsidy_form(pilot)
        form.query_one("#kind").value = "living"
        form.query_one("#state").value = "applying"
        month = form.query_one("#from_month", Input)
        month.value = ""
        month.focus()
        await type_text(pilot, "2026-13")
        await settle(pilot)
        assert "月份“2026-13”不对：月应在 1–12 之间" in field_message(app, "from_month")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        app.push_screen(SubsidySettingsForm(*rules_now(register_store)))
        await settle(pilot)
        start = app.screen.query_one("#start", Input)
        start.value = ""
        start.focus()
        await type_text(pilot, "2027年13月")
        await settle(pilot)
        assert "月份“2027年13月”不对：月应在 1–12 之间" in field_message(app, "start")
    assert [e.kind for e in subsidies.history(register_store, wang)] == [CARE]  # as it was
