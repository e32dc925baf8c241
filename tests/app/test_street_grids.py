"""Grids named with their community at a street (issue 17): the shortfall list, the
household's heading and `canxie certificates --json`; one community's stay bare."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.widgets import DataTable, Static

from canxie_tui.domain.models import Household
from canxie_tui.store import indicators
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.household import HouseholdScreen
from tests.app.conftest import settle
from tests.app.test_list_paging import open_shortfall
from tests.conftest import EAST, TODAY, WEST, Make
from tests.conftest import open_store as open_site_store
from tests.e2e.conftest import run

EXPIRES = "2026-12-20"  # within the 90 days the certificates list reminds of


def _homes(store: Store, communities: tuple[tuple[str, str], ...]) -> list[Household]:
    """Each community's 第1网格 8栋 household with one 二级 person, no 护理补贴."""
    make = Make(store)
    homes = []
    for i, community in enumerate(communities):
        address = f"{community[1]}8栋"
        home = make.community_home(community, address, grid="第1网格", building="8栋", room="101")
        make.person(home, f"住户{i + 1}", level=2, cert_valid_until=EXPIRES)
        homes.append(home)
    return homes


@pytest.fixture
def street(tmp_path: Path) -> Store:
    store = open_site_store(tmp_path / "street.db")
    _homes(store, (EAST, WEST))
    return store


def _rows(table: DataTable[str]) -> list[tuple[str, ...]]:
    return [tuple(str(c) for c in table.get_row_at(i)) for i in range(table.row_count)]


async def _shortfall_grids(store: Store) -> list[tuple[str, str]]:
    """(姓名, 网格) of the 护理补贴 shortfall screen."""
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(120, 30)) as pilot:
        screen, table = await open_shortfall(pilot, "care_subsidy")
        grid = list(screen.columns).index("网格")
        return [(r[0], r[grid]) for r in _rows(table)]


async def _household_heading(store: Store, household_id: str) -> str:
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        app.push_screen(HouseholdScreen(household_id))
        await settle(pilot)
        return str(app.screen.query_one("#hh-info", Static).render())


async def test_the_shortfall_list_names_each_communitys_grid(street: Store) -> None:
    assert await _shortfall_grids(street) == [
        ("住户1", "建新东路社区·第1网格"),
        ("住户2", "建新西路社区·第1网格"),
    ]


async def test_the_household_heading_names_its_communitys_grid(street: Store) -> None:
    west = street.scalar("SELECT id FROM households WHERE division_code = ?", (WEST[0],))
    heading = await _household_heading(street, west)
    assert "网格：建新西路社区·第1网格" in heading


def test_certificates_json_names_the_community_at_a_street(
    street: Store, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--db", str(street.path), "certificates", "--json")
    assert code == 0
    got = [(r["name"], r["grid"], r["community"]) for r in json.loads(out)["results"]]
    assert got == [("住户1", "第1网格", "建新东路社区"), ("住户2", "第1网格", "建新西路社区")]


async def test_one_community_shows_its_grid_bare(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = open_site_store(tmp_path / "one.db")
    (home,) = _homes(store, (EAST,))
    assert [r["community"] for r in indicators.shortfall(store, "care_subsidy", TODAY)[1]] == [""]
    assert await _shortfall_grids(store) == [("住户1", "第1网格")]
    heading = await _household_heading(store, home.id)
    assert "网格：第1网格" in heading and "社区·" not in heading
    _, out, _ = run(capsys, "--db", str(store.path), "certificates", "--json")
    (row,) = json.loads(out)["results"]
    assert row["grid"] == "第1网格" and "community" not in row
