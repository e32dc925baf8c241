"""Screens as a worker sees them, at the smallest supported terminal (80×24).

Review the SVGs under __snapshots__ before running `pytest --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from canxie_tui.ui.app import CanxieApp
from tests.app.conftest import build_register, open_search, settle, type_text


def make_app(tmp_path: Path) -> CanxieApp:
    store = build_register(tmp_path / "snap.db")
    return CanxieApp(store.path, store=store)


def test_search_screen_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    async def search_wf(pilot: Pilot[None]) -> None:
        await open_search(pilot)
        await type_text(pilot, "wf")
        await settle(pilot)

    assert snap_compare(make_app(tmp_path), terminal_size=(80, 24), run_before=search_wf)


async def open_household(pilot: Pilot[None]) -> None:
    await open_search(pilot)
    await type_text(pilot, "王芳")
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)


def test_household_screen_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=(80, 24), run_before=open_household)


def test_household_screen_120x40(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=(120, 40), run_before=open_household)


async def edit_register_facts(pilot: Pilot[None]) -> None:
    """王芳's form, at the 户籍 and insurance fields (the form scrolls at 80×24)."""
    await open_household(pilot)
    await pilot.press("e")
    await settle(pilot)
    pilot.app.screen.query_one("#hukou").focus()
    await settle(pilot)


def test_person_form_register_facts_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(tmp_path), terminal_size=(80, 24), run_before=edit_register_facts)


def demo_app(tmp_path: Path) -> CanxieApp:
    """The community demo as of the fixture's 'today' (deterministic for a seed)."""
    from canxie_tui.demo.builder import build_demo
    from tests.app.conftest import NOW, open_store

    store = open_store(tmp_path / "demo.db")
    build_demo(store, scale="community", seed=1, today=NOW.date())
    return CanxieApp(store.path, store=store)


async def _settled(pilot: Pilot[None]) -> None:
    await settle(pilot)


async def _month_grid(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await pilot.press("y")
    await settle(pilot)
    await pilot.press("g")
    await settle(pilot)


def test_dashboard_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=_settled)


def test_dashboard_120x40(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(demo_app(tmp_path), terminal_size=(120, 40), run_before=_settled)


def test_month_grid_80x24(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(demo_app(tmp_path), terminal_size=(80, 24), run_before=_month_grid)


def test_month_grid_120x40(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(demo_app(tmp_path), terminal_size=(120, 40), run_before=_month_grid)
