"""The district screen: a folder of three returns, merged with a progress bar, one conflict decided.

Three communities export November (`tests.conftest.build_month`); the second
registered the first one's people again (a move, held out of the counts), the
third is another district's and is refused.  The district's staff do it all by
keys: Enter on the folder, Ctrl+S, 2 on the selected conflict, r for the report.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from canxie_tui.store import site
from canxie_tui.store.district import conflicts, set_district
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.dashboard import DashboardScreen
from canxie_tui.ui.screens.district import DistrictScreen
from tests.app.conftest import open_store, settle
from tests.conftest import DISTRICT_SECRET, SITE
from tests.unit.test_district_merge import OTHER_COMMUNITY, OTHER_DISTRICT, _community, _export


def _cells(table: DataTable[str]) -> list[list[str]]:
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    where = tmp_path / "returns"
    where.mkdir()
    for name, place, first in (
        ("jianxin", SITE, 1),
        ("yanghe", OTHER_COMMUNITY, 1),  # the same ID numbers: moved people
        ("yubei", OTHER_DISTRICT, 300),
    ):
        store = _community(tmp_path / f"{name}.db", place, first_id=first)
        _export(store, where / f"{name}.xlsx")
        store.close()
    return where


def _district_app(tmp_path: Path) -> CanxieApp:
    """The app on a new district database (江北区, the suite's secret, an operator)."""
    store = open_store(tmp_path / "district.db")
    set_district(store, "江北区", "500105", secret=DISTRICT_SECRET)
    site.switch_operator(store, site.add_operator(store, "区残联张敏"))
    return CanxieApp(store.path, store=store)


async def test_merge_a_folder_of_three_returns_and_decide_conflicts(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "exports"))
    app = _district_app(tmp_path)
    store = app.store
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        await pilot.press("m")  # the district's key on the dashboard
        await settle(pilot)
        assert isinstance(app.screen, DistrictScreen)
        screen = app.screen
        path_input = screen.query_one("#district-folder", Input)
        path_input.value = str(folder)
        path_input.focus()
        await pilot.press("enter")
        await settle(pilot)
        rows = _cells(screen.query_one("#district-returns", DataTable))
        assert [r[0] for r in rows] == ["jianxin.xlsx", "yanghe.xlsx", "yubei.xlsx"]
        assert [r[3] for r in rows[:2]] == ["新", "新"]
        assert rows[0][1:3] == ["建新东路社区", "2026-11"]
        assert rows[2][3].startswith("被拒绝：") and "不属于本库" in rows[2][3]
        await pilot.press("ctrl+s")
        await settle(pilot)
        result = str(screen.query_one("#district-result", Static).render())
        assert "共 2 个：合并 2 个" in result and "暂不计入 2" in result
        assert screen.query_one("#progress").percentage == 1  # type: ignore[attr-defined]
        rows = _cells(screen.query_one("#district-returns", DataTable))
        assert [r[3] for r in rows[:2]] == ["已合并", "已合并"]
        held = str(screen.query_one("#district-missing", Static).render())
        assert "暂不计入统计的人员" in held and "2 人" in held
        table = screen.query_one("#district-conflicts", DataTable)
        assert table.row_count == 2
        table.focus()
        await pilot.press("2")  # take the incoming: she lives in 洋河路社区 now
        await settle(pilot)
        assert screen.query_one("#district-conflicts", DataTable).row_count == 1
        await pilot.press("exclamation_mark")  # Shift+1: the rest of that file keeps the district's
        await settle(pilot)
        assert screen.query_one("#district-conflicts", DataTable).row_count == 0
        await pilot.press("r")
        await settle(pilot)
        assert "✓ 已生成 2026年11月 区汇总" in str(
            screen.query_one("#district-result", Static).render()
        )
    decided = [c for c in conflicts.list_conflicts(store, status=None) if c["status"] == "resolved"]
    assert [c["resolution"] for c in decided] == ["incoming", "district"]
    assert store.scalar("SELECT count(*) FROM persons WHERE held = 1") == 2  # one each way
    assert list((tmp_path / "exports").glob("区汇总_*.xlsx"))


async def test_a_community_database_has_no_district_key(tmp_path: Path) -> None:
    from tests.app.conftest import build_register

    store = build_register(tmp_path / "c.db")
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)


async def test_recode_from_the_settings_form_moves_households_and_the_site(tmp_path: Path) -> None:
    from tests.app.conftest import build_register, type_text

    store = build_register(tmp_path / "c.db")
    households = store.scalar("SELECT count(*) FROM households")
    app = CanxieApp(store.path, store=store)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.show_recode_settings()
        await settle(pilot)
        inputs = list(app.screen.query(Input))
        inputs[1].focus()
        await type_text(pilot, "50016")
        await pilot.press("ctrl+s")
        await settle(pilot)
        # Refused in Chinese by the store's own check; nothing changed.
        assert "应为6位" in str(app.screen.query_one("#field-new .message", Static).render())
        inputs[1].value = ""
        await type_text(pilot, "500160")
        inputs[2].focus()
        await type_text(pilot, "两江新区")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert "两江新区" in app.sub_title
    assert site.get_site(store).community_code == "500160006001"
    moved = store.scalar("SELECT count(*) FROM households WHERE division_code LIKE '500160%'")
    assert moved == households


async def test_a_merge_that_fails_midway_keeps_the_files_before_it(
    tmp_path: Path, folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each file is its own transaction: the screen must not say nothing was merged."""
    from canxie_tui.excel.district import merge as merging

    real = merging.merge_rows
    calls: list[str] = []

    def second_fails(store: object, incoming: object, *args: object, **kwargs: object) -> None:
        calls.append("x")
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real(store, incoming, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(merging, "merge_rows", second_fails)
    app = _district_app(tmp_path)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(DistrictScreen(folder))
        await settle(pilot)
        screen = app.screen
        await pilot.press("ctrl+s")
        await settle(pilot)
        result = str(screen.query_one("#district-result", Static).render())
        assert "合并中断" in result and "未改动" not in result
        rows = _cells(screen.query_one("#district-returns", DataTable))
        assert [r[3] for r in rows[:2]] == ["已合并", "新"]
