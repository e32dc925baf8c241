"""月报导出: pick the month, see what goes in, watch the progress, get the file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Label, Static

from canxie_tui.domain.dates import parse_month
from canxie_tui.domain.errors import CanxieError
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.progress import WorkProgress
from canxie_tui.ui.widgets.titleline import TitleLine


def open_folder(folder: Path) -> None:
    """Show the exports folder in the system's file manager."""
    if sys.platform.startswith("win"):
        os.startfile(folder)  # type: ignore[attr-defined]
    else:
        opener = "open" if sys.platform == "darwin" else "xdg-open"
        subprocess.run([opener, str(folder)], check=True, capture_output=True, timeout=10)


class ExportScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="back", tooltip="返回首页"),
        Binding("ctrl+s", "export", "导出", id="export", tooltip="开始导出月报"),
        Binding("ctrl+o", "open_folder", "打开文件夹", id="open", tooltip="打开导出文件夹"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.written: Path | None = None

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Label(
            "导出月报（Excel 工作簿：可打印的汇总和明细，以及供街道/区合并的数据）",
            classes="section",
        )
        yield Label("月份（如 2026-11），回车查看内容，Ctrl+S 导出")
        today = self.canxie.store.today()
        yield Input(f"{today.year}-{today.month:02d}", id="export-month")
        yield Static("", id="summary", markup=False)
        yield WorkProgress()
        yield Static("", id="result", markup=False)
        yield KeyLine()

    def on_mount(self) -> None:
        self.query_one("#export-month", Input).focus()
        self._summarise()

    def _month(self) -> tuple[int, int] | None:
        try:
            return parse_month(self.query_one("#export-month", Input).value)
        except CanxieError as error:
            self.query_one("#summary", Static).update(f"✗ {error.message}")
            return None

    @on(Input.Changed, "#export-month")
    @on(Input.Submitted, "#export-month")
    def _summarise(self) -> None:
        self._load_summary()

    @work(exclusive=True, group="export-summary", exit_on_error=False)
    async def _load_summary(self) -> None:
        month = self._month()
        if month is None:
            return
        from canxie_tui.store.monthly import summarize_month

        try:
            m = await self.canxie.db(summarize_month, *month)
        except CanxieError as error:
            self.query_one("#summary", Static).update(f"✗ {error.message}")
            return
        self.query_one("#summary", Static).update(
            f"{m.label}：在册 {m.persons} 人 {m.households} 户 · 走访 {m.visits} 次"
            f"（覆盖 {m.households_visited} 户）· 个案记录 {m.notes_written} 条 · "
            f"渝馨家园 {m.daycare.person_days:g} 人天 · 突发事件 {len(m.events)} 个"
            "\n身份证号在打印表中只显示前6后4位。按 Ctrl+S 导出。"
        )

    @work(exclusive=True, group="export", exit_on_error=False)
    async def action_export(self) -> None:
        from canxie_tui.excel.monthly_return import export_monthly

        month = self._month()
        if month is None:
            return
        bar = self.query_one(WorkProgress)
        result = self.query_one("#result", Static)
        bar.show_step(result, "正在导出…", 0, 1)
        progress = bar.reporter(result, "正在导出：{}")
        with self.reporting(lambda: result.update("✗ 导出失败，未留下不完整的文件。")):
            self.written = await self.canxie.db(export_monthly, *month, progress=progress)
            bar.finish()
            result.update(f"✓ 已导出：{self.written.resolve()}\n按 Ctrl+O 打开所在文件夹。")

    def action_open_folder(self) -> None:
        from canxie_tui.excel.files import exports_dir

        folder = self.written.parent if self.written else exports_dir()
        try:
            open_folder(folder.resolve())
        except (OSError, subprocess.SubprocessError):
            self.canxie.notify(
                f"无法打开文件管理器，文件在：{folder.resolve()}", severity="warning"
            )
