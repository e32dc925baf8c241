"""The survey screens at the smallest supported terminal (80×24), on the community demo
(this year's round part way through).  Review the SVGs before `--snapshot-update`."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tests.app.conftest import settle
from tests.app.test_snapshots import demo_app


async def _survey(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("v")
    await settle(pilot)


async def _form(pilot: Pilot[None]) -> None:
    await _survey(pilot)
    await pilot.press("enter")
    await settle(pilot)
    await pilot.press("enter")  # the first page, confirmed as pre-filled (or asked to fill)
    await settle(pilot)


def test_survey_screen_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=_survey)


def test_survey_form_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=_form)
