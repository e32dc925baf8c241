"""花名册导入: choose the district's workbook, preview what changes, then apply at once."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from canxie_tui.domain.ids import mask_id
from canxie_tui.store.connection import Store
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.progress import Progress, WorkProgress
from canxie_tui.ui.widgets.tables import PlainTable
from canxie_tui.ui.widgets.titleline import TitleLine

if TYPE_CHECKING:
    from canxie_tui.excel.roster.importer import ImportPlan

SHOWN = 200  # rows listed per kind (rejected, changed, new); the counts cover them all


def candidates(folder: Path) -> list[Path]:
    """Workbooks a worker is likely to pick: here, in imports/ and in Downloads."""
    places = [folder, folder / "imports", Path.home() / "Downloads", Path.home() / "下载"]
    found: list[Path] = []
    for place in places:
        if place.is_dir():
            found += sorted(p for p in place.glob("*.xlsx") if not p.name.startswith("~$"))
    return found[:50]


def read_and_preview(store: Store, path: str, progress: Any) -> ImportPlan:
    from canxie_tui.excel.roster.importer import preview, read_roster

    roster = read_roster(Path(path), today=store.today(), progress=progress)
    return preview(store, roster)


def apply_plan(store: Store, plan: ImportPlan, progress: Any) -> tuple[Any, Path | None]:
    from canxie_tui.excel.roster.importer import apply, write_errors

    result = apply(store, plan, progress=progress)
    return result, write_errors(plan, plan.source)


class RosterImportScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="back", tooltip="返回首页"),
        Binding("ctrl+s", "apply", "确认导入", id="apply", tooltip="按预览写入（先自动备份）"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.plan: ImportPlan | None = None

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Label("导入花名册：输入 .xlsx 文件路径回车，或在下面选择文件", classes="section")
        yield Input(placeholder="如 D:\\花名册\\2026年11月.xlsx", id="path")
        yield OptionList(id="files", markup=False)
        yield WorkProgress()
        yield Static("", id="plan", markup=False)
        yield PlainTable(id="details", cursor_type="row", zebra_stripes=True)
        yield KeyLine()

    def on_mount(self) -> None:
        files = self.query_one("#files", OptionList)
        for path in candidates(Path.cwd()):
            files.add_option(Option(str(path), id=str(path)))
        self.query_one("#details", DataTable).add_columns("行号", "姓名/列", "内容", "原因/变化")
        self.query_one("#path", Input).focus()

    def _progress(self) -> Progress:
        return self.query_one(WorkProgress).reporter(self.query_one("#plan", Static), "{}…")

    @on(OptionList.OptionSelected, "#files")
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.query_one("#path", Input).value = str(event.option.id)
        self.load(str(event.option.id))

    @on(Input.Submitted, "#path")
    def _typed(self, event: Input.Submitted) -> None:
        self.load(event.value.strip().strip('"'))

    @work(exclusive=True, group="roster", exit_on_error=False)
    async def load(self, path: str) -> None:
        summary = self.query_one("#plan", Static)
        self.plan = None
        if not path:
            summary.update("✗ 请输入文件路径")
            return
        with self.reporting(lambda: summary.update("✗ 未能读取，数据库没有任何改动。")):
            self.plan = await self.canxie.db(read_and_preview, path, self._progress())
            self._show_plan(self.plan)

    def _show_plan(self, plan: ImportPlan) -> None:
        c = plan.counts
        self.query_one("#plan", Static).update(
            f"预览（尚未写入）：新增 {c['new']} 人（新建 {c['new_households']} 户） · 有变化 {c['changed']} 人"
            f" · 无变化 {c['unchanged']} 人 · 不能导入 {c['rejected']} 行\n"
            + (
                "按 Ctrl+S 确认导入（先自动备份数据库）"
                if plan.has_changes
                else "没有需要写入的内容。"
            )
        )
        table = self.query_one("#details", DataTable)
        table.clear()
        for r in plan.rejected[:SHOWN]:
            table.add_row(str(r.row), r.column, r.shown_value(), f"不能导入：{r.reason}")
        for change in plan.changed[:SHOWN]:
            diffs = "；".join(f"{d.label}：{d.old or '空'}→{d.new or '空'}" for d in change.diffs)
            table.add_row(str(change.row), change.name, mask_id(change.id_number), diffs)
        for row in plan.new_people(SHOWN):
            values = row.person_values() | row.household_values()
            where = "".join(values.get(k, "") for k in ("address", "building", "unit", "room"))
            table.add_row(str(row.row), values["name"], mask_id(row.id_number), f"新增：{where}")
        hidden = max(0, len(plan.rejected) - SHOWN) + max(0, len(plan.changed) - SHOWN)
        hidden += max(0, plan.new - SHOWN)
        if hidden:
            table.add_row("…", "", "", f"另有 {hidden} 行未列出（每类最多列 {SHOWN} 行）")

    @work(exclusive=True, group="roster", exit_on_error=False)
    async def action_apply(self) -> None:
        plan = self.plan
        summary = self.query_one("#plan", Static)
        if plan is None or not plan.has_changes:
            self.canxie.notify("请先选择文件并查看预览", severity="warning")
            return
        with self.reporting(lambda: summary.update("✗ 导入失败，数据库已恢复为导入前的样子。")):
            result, errors = await self.canxie.db(apply_plan, plan, self._progress())
            self.plan = None
            summary.update(
                f"✓ 已导入：新增 {result.added} 人，更新 {result.updated} 人。"
                + (f"\n导入前的备份：{result.backup}" if result.backup else "")
                + (f"\n不能导入的行已写入：{errors}" if errors else "")
            )
