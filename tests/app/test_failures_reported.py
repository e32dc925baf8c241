"""A failure inside a screen is told in Chinese (CanxieApp.report_error) and the app
goes on: key actions, loading workers, form saves, and lines that say what was not done."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.widgets import Input, Static

from canxie_tui.domain.errors import CanxieError
from canxie_tui.store import daycare, notes
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.errors import reporting
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.screens.daycare import DaycareScreen
from canxie_tui.ui.screens.enrol_form import EnrolForm
from canxie_tui.ui.screens.household_form import HouseholdForm
from canxie_tui.ui.screens.note_form import NoteForm
from canxie_tui.ui.screens.roster_import import RosterImportScreen
from canxie_tui.ui.widgets.field import Field
from tests.app.conftest import settle, type_text
from tests.app.test_daycare_screen import enrol_both
from tests.app.test_household_screen import open_wang_fang

INTERNAL = "程序内部错误：RuntimeError。数据未被修改，请重试或联系维护人员。"


def told(app: CanxieApp) -> list[tuple[str, str, str]]:
    """(message, title, severity) of every notification so far."""
    return [(str(n.message), n.title, n.severity) for n in app._notifications]


def broken(*args: object, **kwargs: object) -> None:
    raise RuntimeError("disk on fire")


async def test_a_failing_key_action_is_told_in_chinese(
    app: CanxieApp, register_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrol_both(register_store)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        sheet = app.screen
        assert isinstance(sheet, DaycareScreen) and isinstance(sheet, CanxieScreen)
        monkeypatch.setattr(daycare, "mark_all_expected_present", broken)
        await pilot.press("a")
        await settle(pilot)
        assert app.is_running and app.screen is sheet
        assert told(app) == [(INTERNAL, "出错了", "error")]  # never the English detail


async def test_a_refusal_while_loading_is_told_with_its_own_message(
    app: CanxieApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canxie_tui.store import dashboard  # read by the screen's worker when it runs

    def refused(*args: object) -> None:
        raise CanxieError("数据库正忙，请稍后再试。")

    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        monkeypatch.setattr(dashboard, "dashboard", refused)
        await pilot.press("ctrl+r")  # the reload worker fails
        await settle(pilot)
        assert app.is_running
        assert told(app) == [("数据库正忙，请稍后再试。", "未能完成", "error")]


async def test_a_form_whose_save_fails_stays_open_and_can_save_again(
    app: CanxieApp, register_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await open_wang_fang(app, pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NoteForm)
        await type_text(pilot, "家属来电")
        with monkeypatch.context() as patch:
            patch.setattr(notes, "add_note", broken)
            await pilot.press("ctrl+s")
            await settle(pilot)
        assert app.screen is form and told(app) == [(INTERNAL, "出错了", "error")]
        await pilot.press("ctrl+s")  # not stuck "saving": the second try goes through
        await settle(pilot)
        assert app.screen is not form
    assert register_store.scalar("SELECT count(*) FROM notes WHERE body = '家属来电'") == 1


async def test_a_failed_import_says_so_on_the_screen_and_in_a_notification(
    app: CanxieApp, tmp_path: Path
) -> None:
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.show_roster_import()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RosterImportScreen)
        screen.query_one("#path", Input).value = str(tmp_path / "没有这个文件.xlsx")
        await pilot.press("enter")
        await settle(pilot)
        assert str(screen.query_one("#plan", Static).render()) == "✗ 未能读取，数据库没有任何改动。"
        [(message, title, severity)] = told(app)
        assert "找不到文件" in message and (title, severity) == ("未能完成", "error")


async def test_form_inputs_are_one_line_whatever_their_id(app: CanxieApp) -> None:
    """A field named like a screen's widget (query, grid) is styled as a field, not as
    that screen's search box or month grid (app.tcss rules name their screen)."""
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for form in (EnrolForm(), HouseholdForm()):
            app.push_screen(form)
            await settle(pilot)
            heights = {f.field_name: f.widget.content_region.height for f in form.query(Field)}
            inputs = {f.field_name for f in form.query(Field) if isinstance(f.widget, Input)}
            assert {name: heights[name] for name in inputs} == dict.fromkeys(inputs, 1)
            app.pop_screen()
            await settle(pilot)


class _Reporter:
    def __init__(self) -> None:
        self.said: list[str] = []

    def report_error(self, error: BaseException) -> None:
        self.said.append(f"report {error}")


def test_reporting_says_what_was_not_done_first_and_swallows_only_exceptions() -> None:
    reporter = _Reporter()
    with reporting(reporter, lambda: reporter.said.append("line")):
        raise RuntimeError("x")
    with reporting(reporter):
        pass
    assert reporter.said == ["line", "report x"]
    with pytest.raises(asyncio.CancelledError), reporting(reporter):
        raise asyncio.CancelledError  # a superseded worker stops, it is not an error
    assert reporter.said == ["line", "report x"]
