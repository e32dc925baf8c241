"""区里：合并各社区月报 — the district's month on one screen, for staff who do not use a shell.

Type the folder the returns were saved in (Enter lists them: community, month,
state 新 / 已合并 / 被拒绝 with the reason), see which communities have not sent
the month's return, merge every new one with a progress bar (Ctrl+S), decide the
conflicts one key each (1 keep the district's, 2 take the return's, 3 the same
person) or for the selected conflict's whole file (Shift: ! @ #), and write the
district report (r).  The engine is `excel.district` / `store.district`; the
command line keeps its `canxie district …` commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.widgets import DataTable, Input, Label, Static

from canxie_tui.domain.dates import parse_month
from canxie_tui.domain.errors import CanxieError
from canxie_tui.ui.screens.base import CanxieScreen
from canxie_tui.ui.widgets.keyline import KeyLine
from canxie_tui.ui.widgets.progress import WorkProgress
from canxie_tui.ui.widgets.tables import PlainTable
from canxie_tui.ui.widgets.titleline import TitleLine

_KEEP = {"district": "保留区里的", "incoming": "采用月报的", "link": "认定为同一人"}


class DistrictScreen(CanxieScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "返回", id="back", tooltip="返回首页"),
        Binding("ctrl+s", "merge", "合并", id="merge", tooltip="合并文件夹中所有新的月报"),
        Binding(
            "1",
            "decide('district')",
            "留区里",
            id="keep-district",
            tooltip="所选冲突：保留区里的版本",
        ),
        Binding(
            "2",
            "decide('incoming')",
            "用月报",
            id="keep-incoming",
            tooltip="所选冲突：采用月报的版本",
        ),
        Binding(
            "3",
            "decide('link')",
            "同一人",
            id="keep-link",
            tooltip="所选冲突：认定为同一人（身份证号相同的人员）",
        ),
        Binding("exclamation_mark", "decide_file('district')", "整个文件保留区里", show=False),
        Binding("at", "decide_file('incoming')", "整个文件采用月报", show=False),
        Binding("number_sign", "decide_file('link')", "整个文件认定同一人", show=False),
        # Said on the screen (the footer fits 80 columns): r and the whole-file keys.
        Binding("r", "report", "区汇总", id="report", tooltip="生成本月区汇总工作簿", show=False),
    ]

    def __init__(self, folder: Path | None = None) -> None:
        super().__init__()
        from canxie_tui.excel.files import exports_dir

        self.folder = folder or exports_dir()
        self.entries: list[Any] = []
        self.conflicts: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield TitleLine()
        yield Label("区里：合并各社区月报、处理冲突、生成区汇总", classes="section")
        yield Label(
            "Enter 列出文件夹中的月报 · Ctrl+S 全部合并 · r 生成区汇总 · "
            "冲突：1 保留区里 2 采用月报 3 同一人，Shift+1/2/3 整个文件",
            id="district-keys",
        )
        with Horizontal(id="district-inputs"):
            yield Label("文件夹")
            yield Input(str(self.folder), id="district-folder")
            yield Label("月份")
            today = self.canxie.store.today()
            yield Input(f"{today.year}-{today.month:02d}", id="district-month")
        returns = PlainTable(id="district-returns", cursor_type="row")
        returns.add_columns("文件", "社区", "月份", "状态")
        yield returns
        yield Static("", id="district-missing", markup=False)
        yield WorkProgress()
        yield Static("", id="district-result", markup=False)
        conflicts = PlainTable(id="district-conflicts", cursor_type="row")
        conflicts.add_columns("冲突", "记录", "来源文件", "原因")
        yield conflicts
        yield Static("", id="district-detail", markup=False)
        yield KeyLine(compact=False)

    def on_mount(self) -> None:
        self.query_one("#district-folder", Input).focus()
        self.reload()

    def _month_text(self) -> str | None:
        try:
            year, month = parse_month(self.query_one("#district-month", Input).value)
        except CanxieError as error:
            self.query_one("#district-result", Static).update(f"✗ {error.message}")
            return None
        return f"{year:04d}-{month:02d}"

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.folder = Path(self.query_one("#district-folder", Input).value.strip() or ".")
        self.reload()

    @work(exclusive=True, group="district-load", exit_on_error=False)
    async def reload(self) -> None:
        from canxie_tui.excel.district.folder import scan
        from canxie_tui.store.district.conflicts import list_conflicts
        from canxie_tui.store.district.status import TWO_DATABASES, month_status

        month = self._month_text()
        with self.reporting():
            try:
                self.entries = await self.canxie.db(scan, self.folder)
            except CanxieError as error:
                self.entries = []
                self.query_one("#district-result", Static).update(f"✗ {error.message}")
            self.conflicts = await self.canxie.db(list_conflicts)
            status = await self.canxie.db(month_status, month) if month else None
        self._show_entries()
        self._show_conflicts()
        missing = self.query_one("#district-missing", Static)
        if status is None:
            missing.update("")
            return
        lines = []
        if status.missing:
            names = "、".join(n or c for c, n in status.missing)
            lines.append(f"{month} 尚未收到月报的社区（{len(status.missing)}）：{names}")
        elif status.names:
            lines.append(f"{month} 各社区的月报都已收到。")
        for code, files in status.two.items():
            lines.append(f"⚠ {status.names.get(code, code)}：{TWO_DATABASES}（{'、'.join(files)}）")
        if status.held:
            lines.append(f"暂不计入统计的人员（身份证号与已有人员相同，待处理）：{status.held} 人")
        missing.update("\n".join(lines))

    def _show_entries(self) -> None:
        table = self.query_one("#district-returns", DataTable)
        table.clear()
        for entry in self.entries:
            table.add_row(
                entry.path.name, entry.site_name or "—", entry.month or "—", entry.state_text
            )
        if not self.entries:
            table.add_row("（该文件夹中没有 .xlsx 文件）", "", "", "")

    def _show_conflicts(self) -> None:
        from canxie_tui.store.district.conflicts import record_name
        from canxie_tui.store.labels import TABLE_LABELS

        table = self.query_one("#district-conflicts", DataTable)
        table.clear()
        for c in self.conflicts:
            table.add_row(
                c["id"][:8],
                f"{TABLE_LABELS.get(c['table_name'], c['table_name'])} {record_name(c)}",
                c["source_file"],
                c["reason"],
                key=c["id"],
            )
        title = f"待处理冲突 {len(self.conflicts)} 条：1 保留区里 · 2 采用月报 · 3 认定为同一人；Shift+1/2/3 处理所选冲突所在文件的全部冲突"
        table.border_title = title
        self._show_detail()

    def _selected(self) -> dict[str, Any] | None:
        table = self.query_one("#district-conflicts", DataTable)
        if not self.conflicts or table.cursor_row is None:
            return None
        return self.conflicts[min(table.cursor_row, len(self.conflicts) - 1)]

    @on(DataTable.RowHighlighted, "#district-returns")
    def _show_return(self, event: DataTable.RowHighlighted) -> None:
        """The whole state of the highlighted file (a refusal's reason is long)."""
        if event.data_table.has_focus and 0 <= event.cursor_row < len(self.entries):
            entry = self.entries[event.cursor_row]
            self.query_one("#district-result", Static).update(
                f"{entry.path.name}：{entry.state_text}"
            )

    @on(DataTable.RowHighlighted, "#district-conflicts")
    def _show_detail(self) -> None:
        from canxie_tui.store.district.conflicts import CHILD_LABELS, conflict_changes, short_value
        from canxie_tui.store.labels import FIELD_LABELS

        detail = self.query_one("#district-detail", Static)
        conflict = self._selected()
        if conflict is None:
            detail.update("没有待处理的合并冲突。" if not self.conflicts else "")
            return
        lines = [f"原因：{conflict['reason']}"]
        if conflict["incoming_version"] is None:
            lines.append("月报中已删除这条记录")
        for column, old, new in conflict_changes(conflict)[:8]:
            label = FIELD_LABELS.get(column) or CHILD_LABELS.get(column, column)
            lines.append(f"{label}：区里 {short_value(old, 30)} → 月报 {short_value(new, 30)}")
        detail.update("\n".join(lines))

    @work(exclusive=True, group="district-merge", exit_on_error=False)
    async def action_merge(self) -> None:
        from canxie_tui.excel.district.merge import merge

        paths = [e.path for e in self.entries if e.state == "new"]
        result = self.query_one("#district-result", Static)
        if not paths:
            result.update("没有新的月报可合并（已合并或被拒绝的不再合并）。")
            return
        bar = self.query_one(WorkProgress)
        progress = bar.reporter(result, "正在合并：{}")

        def failed() -> None:
            # Each file is merged in its own transaction: those before the failure stay merged.
            result.update("✗ 合并中断：出错的文件没有合并，列表中“已合并”的文件已合并。")
            self.reload()

        with self.reporting(failed):
            results = await self.canxie.db(merge, paths, progress=progress)
            bar.finish()
            merged = [r for r in results if not r.refused]
            lines = [r.line for r in results]
            lines.append(
                f"共 {len(results)} 个：合并 {len(merged)} 个，拒绝 {len(results) - len(merged)} 个；"
                f"冲突 {sum(r.conflicts for r in merged)} 条。"
            )
            result.update("\n".join(lines))
            self.reload()

    def action_decide(self, keep: str) -> None:
        self._decide(keep, whole_file=False)

    def action_decide_file(self, keep: str) -> None:
        self._decide(keep, whole_file=True)

    @work(exclusive=True, group="district-decide", exit_on_error=False)
    async def _decide(self, keep: str, *, whole_file: bool) -> None:
        """The selected conflict, or every open one of its file, decided `keep`."""
        from canxie_tui.store.district.conflicts import resolve_conflict, resolve_file

        conflict = self._selected()
        if conflict is None:
            return
        with self.reporting():
            if whole_file:
                count = await self.canxie.db(resolve_file, conflict["source_file"], keep)
                what = f"“{conflict['source_file']}”的 {count} 条冲突"
            else:
                await self.canxie.db(resolve_conflict, conflict["id"], keep)
                what = f"冲突 {conflict['id'][:8]}"
            self.canxie.notify(f"{what}已处理：{_KEEP[keep]}")
            self.reload()

    @work(exclusive=True, group="district-report", exit_on_error=False)
    async def action_report(self) -> None:
        from canxie_tui.excel.district.report import district_report

        month = self._month_text()
        if month is None:
            return
        year, number = (int(p) for p in month.split("-"))
        result = self.query_one("#district-result", Static)
        with self.reporting(lambda: result.update("✗ 区汇总没有生成。")):
            path = await self.canxie.db(district_report, year, number)
            result.update(f"✓ 已生成 {year}年{number}月 区汇总：{path.resolve()}")
