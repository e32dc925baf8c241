"""Roster import and monthly export from the TUI: preview, apply, files on disk."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from textual.widgets import DataTable, Input, Static

from canxie_tui.domain.ids import make_certificate, make_id, mask_id
from canxie_tui.store.connection import Store
from canxie_tui.ui.app import CanxieApp
from canxie_tui.ui.screens.roster_import import RosterImportScreen
from canxie_tui.ui.widgets.progress import WorkProgress
from tests.app.conftest import settle, type_text

NEW_ID = make_id("500105", date(1970, 3, 8), 211)


def roster_file(folder: Path) -> Path:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["江北区观音桥街道持证残疾人花名册"])
    ws.append(["姓名", "公民身份号码", "残疾证号", "残疾类别", "残疾等级", "现住址"])
    ws.append(["刘德明", NEW_ID, make_certificate(NEW_ID, 4, 3), "肢体残疾", "三级", "北城三路9号"])
    ws.append(
        ["错号码", NEW_ID[:-1] + ("1" if NEW_ID[-1] != "1" else "2"), "", "4", "2", "北城三路9号"]
    )
    path = folder / "花名册.xlsx"
    wb.save(path)
    return path


async def test_import_roster_preview_then_apply(
    app: CanxieApp, register_store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "exports"))
    path = roster_file(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.show_roster_import()
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, RosterImportScreen)
        assert not screen.query_one(WorkProgress).display
        screen.query_one("#path", Input).value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        plan = str(screen.query_one("#plan", Static).render())
        assert "新增 1 人" in plan and "不能导入 1 行" in plan
        assert screen.query_one(WorkProgress).display
        table = screen.query_one("#details", DataTable)
        shown = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert shown[-1] == ["3", "刘德明", mask_id(NEW_ID), "新增：北城三路9号"]
        assert shown[0][0] == "4" and shown[0][3].startswith("不能导入：身份证号校验位错误")
        assert register_store.scalar("SELECT count(*) FROM persons WHERE name = '刘德明'") == 0
        await pilot.press("ctrl+s")
        await settle(pilot)
        done = str(screen.query_one("#plan", Static).render())
        assert "新增 1 人" in done and "导入前的备份" in done and "不能导入的行已写入" in done
    row = register_store.query("SELECT category, level FROM persons WHERE id_number = ?", (NEW_ID,))
    assert row == [{"category": 4, "level": 3}]
    assert list((tmp_path / "exports").glob("导入错误_*.xlsx"))


async def test_export_month_writes_workbook(
    app: CanxieApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import load_workbook

    monkeypatch.setenv("CANXIE_EXPORTS", str(tmp_path / "exports"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("e")
        await settle(pilot)
        assert "2026年11月" in str(app.screen.query_one("#summary", Static).render())
        bar = app.screen.query_one(WorkProgress)
        assert not bar.display  # an idle bar would pulse as if the export were running
        month = app.screen.query_one("#export-month", Input)
        month.value = ""
        await type_text(pilot, "2026-13")
        await settle(pilot)
        assert "✗" in str(app.screen.query_one("#summary", Static).render())
        month.value = "2026-11"
        await pilot.press("ctrl+s")
        await settle(pilot)
        result = str(app.screen.query_one("#result", Static).render())
        assert "已导出" in result
        assert bar.display and bar.percentage == 1
    [written] = list((tmp_path / "exports").glob("月报_*_2026-11.xlsx"))
    assert "汇总" in load_workbook(written, read_only=True).sheetnames


async def test_import_preview_says_how_many_rows_it_does_not_list(
    app: CanxieApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from canxie_tui.ui.screens import roster_import

    monkeypatch.setattr(roster_import, "SHOWN", 0)
    path = roster_file(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.show_roster_import()
        await settle(pilot)
        app.screen.query_one("#path", Input).value = str(path)
        await pilot.press("enter")
        await settle(pilot)
        table = app.screen.query_one("#details", DataTable)
        shown = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
        assert shown == [["…", "", "", "另有 2 行未列出（每类最多列 0 行）"]]
