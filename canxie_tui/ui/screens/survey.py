"""基本状况调查: the round's progress and who is left, by grid and building.

The top lines say 应调查 / 已调查 (入户·见面·电话) / 失访 / 入户率 / 完成率 and each
grid's count; the list below is who is left (未调查 and 调查中) in the order of
the buildings.  Enter surveys the selected person (resuming where they were
left), l records 失访, p writes the 一览表 of the grid, x the round's results
workbook, h sets where 人户分离 people are surveyed; s starts a round when none is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable, Input, Select, Static

from canxie_tui.domain import survey as rules
from canxie_tui.domain.places import label
from canxie_tui.store import survey, survey_files
from canxie_tui.ui.errors import reported
from canxie_tui.ui.errors import reporting as app_reporting
from canxie_tui.ui.screens.listing import ListScreen
from canxie_tui.ui.widgets.field import chosen, select
from canxie_tui.ui.widgets.text import fit

if TYPE_CHECKING:
    from canxie_tui.ui.app import CanxieApp

Row = dict[str, Any]


def progress_text(found: survey.Progress, grid: str | None = None) -> Content:
    """Three lines: the round's counts, its two rates, then each grid's done/due (with a
    grid chosen: each of its buildings'; at a street or district: each community's, as
    its grids would fill the screen)."""
    t = found.total
    round = found.round
    if grid:
        places = [(b.name, b.surveyed + b.lost, b.due) for b in found.buildings if b.grid == grid]
    elif any(g.community for g in found.grids):
        communities: dict[str, list[int]] = {}
        for g in found.grids:
            done_due = communities.setdefault(g.community, [0, 0])
            done_due[0] += g.surveyed + g.lost
            done_due[1] += g.due
        places = [(name, done, due) for name, (done, due) in communities.items()]
    else:
        places = [(g.name, g.surveyed + g.lost, g.due) for g in found.grids]
    grids = (f"{grid}：" if grid else "") + " · ".join(
        f"{name} {done}/{due}" for name, done, due in places
    )
    apart = (
        f"　人户分离在户籍地调查 {found.apart_elsewhere} 人（不计入）"
        if found.apart_elsewhere
        else ""
    )
    return Content.from_markup(  # grid and building names as variables: never markup
        f"[b]$title[/b]（时点 {round.ref_date}）　应调查 {t.due} · 已调查 {t.surveyed}"
        f"（入户 {t.home} 见面 {t.meet} 电话 {t.phone}）· 失访 {t.lost} · 未调查 {t.left}\n"
        f"入户率 [b]{rules.rate_text(t.home_rate)}[/b]　完成率 {rules.rate_text(t.completion)}"
        f"　调查中 {t.draft} 人{apart}\n$grids",
        title=round.title,
        grids=grids,
    )


def status_text(item: Row) -> str:
    if item["status"] == "done":
        return f"已调查·{rules.METHODS.get(item['method'], '')}"
    if item["status"] == "lost":
        return f"失访·{rules.LOST_REASONS.get(item['lost_reason'], '')}"
    return rules.STATUSES[item["status"]]


class SurveyScreen(ListScreen[Row]):
    BINDINGS: ClassVar[list[BindingType]] = [
        *ListScreen.BINDINGS,
        Binding(
            "enter", "open", "调查", id="survey", tooltip="调查所选的人（从上次停下的地方继续）"
        ),
        Binding("l", "lost", "失访", id="lost", tooltip="记录所选的人失访及原因"),
        Binding("p", "sheet", "一览表", id="sheet", tooltip="所选网格（或筛选的网格）的打印一览表"),
        Binding(
            "x", "export", "导出结果", id="export", tooltip="本年度调查结果工作簿（供区里合并）"
        ),
        Binding(
            "t",
            "toggle_all",
            "全部",
            id="all",
            tooltip="看全部名单（可重新打开已调查的）或只看未调查",
        ),
        Binding(
            "h",
            "apart",
            "人户分离",
            id="apart",
            tooltip="人户分离人员在哪里调查（区里的规定）",
            show=False,  # a setting: the footer fits 80 columns; F1 and the palette list it
        ),
        Binding("s", "start", "开始调查", id="start", tooltip="开始本年度调查", show=False),
    ]
    columns = ("网格", "楼栋", "单元", "房号", "姓名", "电话", "状态")

    def __init__(self) -> None:
        super().__init__()
        self.round: survey.Round | None = None
        self.grid_names: list[str] = []
        self.everyone = False

    def filters(self) -> list[Widget]:
        return [
            Static("正在统计…", id="survey-progress"),
            Horizontal(
                select({}, blank="全部网格", id="f-grid"),
                Input(placeholder="楼栋，如 3栋（回车）", id="f-building"),
                id="filters",
            ),
        ]

    @on(Input.Submitted, "#f-building")
    def _building(self) -> None:
        self.reload()
        self.query_one("#rows").focus()

    def item_key(self, item: Row) -> str:
        return str(item["id"])

    async def load(self) -> tuple[list[Row], str]:
        self.round = await self.canxie.db(survey.current_round)
        head = self.query_one("#survey-progress", Static)
        if self.round is None:
            year = self.canxie.store.today().year
            last = await self.canxie.db(survey.last_round)
            if last is not None and last.year >= year:
                head.update(f"{last.title}已于 {last.closed_on} 结束。")
            else:
                head.update(f"还没有开始调查。按 s 开始 {year} 年度持证残疾人基本状况调查。")
            return [], ""
        found = await self.canxie.db(survey.progress, self.round)
        if not self.grid_names:
            self.grid_names = [g.name for g in found.grids]
            self.query_one("#f-grid", Select).set_options((Text(g), g) for g in self.grid_names)
        grid = chosen(self.query_one("#f-grid", Select))
        head.update(progress_text(found, grid))
        # A grid as shown ("社区·第1网格" at a street or district) is one community's, and
        # so is a building typed within it or as "社区·8栋"; a bare one several
        # communities have, or a typo, is told with the names there are.
        code, stored_grid = found.grid_places.get(grid, (None, grid)) if grid else (None, None)
        building = self.query_one("#f-building", Input).value.strip() or None
        if building is not None:
            # The grid and building resolved together: one community for both.
            code, stored_grid, building = await self.canxie.db(
                survey_files.known_place, self.round, grid, building
            )
        rows, total = await self.canxie.db(
            survey.left_to_survey,
            self.round,
            grid=stored_grid,
            building=building,
            community=code,
            limit=100_000,
            everyone=self.everyone,
        )
        if self.everyone:
            return (
                rows,
                f"名单共 {total} 人（回车 打开或修改；t 只看未调查）",
            )
        return rows, f"还没调查 {total} 人（回车 调查，l 失访，p 一览表，t 看全部）"

    def cells(self, item: Row) -> Sequence[str]:
        return (
            label(item.get("community", ""), item["grid"]),
            item["building"],
            item["unit"],
            item["room"],
            fit(item["name"] + ("（人户分离）" if item["apart"] else ""), 14),
            item["phone"],
            status_text(item),
        )

    def action_toggle_all(self) -> None:
        self.everyone = not self.everyone
        self.reload()

    # -- actions
    @on(DataTable.RowSelected, "#rows")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.prevent_default()  # not the list's own Enter (which opens the household)
        self.action_open()

    def action_open(self) -> None:
        self._survey()

    @work(exclusive=True, group="survey-action", exit_on_error=False)
    @reported
    async def _survey(self) -> None:
        from canxie_tui.ui.screens.survey_form import SurveyFormScreen

        item = self.selected()
        if item is None:
            return
        entry = await self.canxie.db(survey.get_entry, item["id"])
        self.app.push_screen(SurveyFormScreen(entry))

    def action_lost(self) -> None:
        from canxie_tui.ui.screens.survey_choice import ChoiceScreen

        item = self.selected()
        if item is None:
            return

        def chosen(reason: str | None) -> None:
            if reason is not None:
                self._mark_lost(item, reason)

        self.app.push_screen(ChoiceScreen(f"{item['name']}：失访原因", rules.LOST_REASONS), chosen)

    @work(exclusive=True, group="survey-action", exit_on_error=False)
    @reported
    async def _mark_lost(self, item: Row, reason: str) -> None:
        entry = await self.canxie.db(survey.get_entry, item["id"])
        today = self.canxie.store.today().isoformat()
        await self.canxie.db(survey.mark_lost, entry, reason, today)
        self.canxie.notify(f"已记录 {item['name']} 失访（{rules.LOST_REASONS[reason]}）")
        self.reload()

    @work(exclusive=True, group="survey-action", exit_on_error=False)
    @reported
    async def action_sheet(self) -> None:
        from canxie_tui.excel.survey_sheets import write_sheet

        item = self.selected()
        grid = chosen(self.query_one("#f-grid", Select)) or (
            label(item.get("community", ""), item["grid"] or rules.NO_GRID) if item else None
        )
        if grid is None:
            return
        building = self.query_one("#f-building", Input).value.strip() or None
        self.canxie.notify(f"正在生成 {grid}{building or ''} 的一览表…")
        path, people = await self.canxie.db(write_sheet, grid, building=building)
        self.canxie.notify(f"已生成一览表（{people} 人）：{path}", timeout=10)

    @work(exclusive=True, group="survey-action", exit_on_error=False)
    @reported
    async def action_export(self) -> None:
        from canxie_tui.excel.survey_book import export_survey

        if self.round is None:
            return
        self.canxie.notify("正在导出调查结果…")
        path = await self.canxie.db(export_survey, self.round.year)
        self.canxie.notify(f"已导出调查结果：{path}", timeout=10)

    @reported
    async def action_apart(self) -> None:
        await open_apart_setting(self.canxie, self.reload)

    def action_start(self) -> None:
        from canxie_tui.ui.screens.confirm import ConfirmScreen

        if self.round is not None:
            return
        year = self.canxie.store.today().year

        def answered(yes: bool | None) -> None:
            if yes:
                self._start(year)

        question = f"开始 {year} 年度调查？名单为今天在册的全部持证残疾人。"
        self.app.push_screen(ConfirmScreen(question), answered)

    @work(exclusive=True, group="survey-action", exit_on_error=False)
    @reported
    async def _start(self, year: int) -> None:
        _, listed = await self.canxie.db(survey.start_round, year)
        self.canxie.notify(f"已开始 {year} 年度调查，名单共 {listed} 人")
        self.reload()


async def open_apart_setting(app: CanxieApp, then: Callable[[], object] | None = None) -> None:
    """The setting: where 人户分离 people are surveyed (the district's rule)."""
    from canxie_tui.ui.screens.survey_choice import ChoiceScreen

    current = await app.db(survey.apart_place)

    async def save(place: str) -> None:
        with app_reporting(app):
            await app.db(survey.set_apart_place, place)
            app.notify(f"已设置：人户分离人员{rules.APART_PLACES[place]}")
            if then is not None:
                then()

    def chosen(place: str | None) -> None:
        if place is not None and place != current:
            app.run_worker(save(place), group="survey-setting")

    note = f"现在：{rules.APART_PLACES[current]}。按数字键选择，Esc 不变"
    app.push_screen(ChoiceScreen("人户分离人员的调查地点", rules.APART_PLACES, note), chosen)
