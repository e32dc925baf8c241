"""The district roll-up: one row per street and community, and its workbook.

Three sheets, one row per community with a subtotal per street and the district's
total.  汇总: the month's figures as each community's return counts them
(`store.monthly.month_figures`).  指标: the plan's 专栏1 indicators counted by the
very rules of the community's dashboard and return (`store.indicators`, grouped by
community: `indicators_by_division`), on the month's last counted day, with the
district's own settings for the two subsidies' extensions.  Columns by the plan's
序号 and short names: 2 (people trained this year) as a count, 3-11 as 完成数,
应覆盖数 and 完成率; 1 (family income) is not in the register and is left to the
district's own statistics (said in a note); 家庭医生签约, from the plan's text and
not 专栏1, comes after them.  两项补贴: each community's payroll and check of the month
(`excel.district.subsidy_report`).  A street's subtotal and the total add up the
communities' numerators and denominators (each person and household counts in one
community), so their rates are recomputed, not averaged.

Every count and rate is a number cell with a number format (a rate is the fraction,
shown "71.7%"); a rate nobody is counted for is an empty cell, never a text.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canxie_tui.domain.indicators import (
    EXTERNAL_NOTE,
    INDICATORS,
    SHORT_NAMES,
    Counts,
    Indicator,
    assemble,
)
from canxie_tui.domain.models import Site
from canxie_tui.excel.district import subsidy_report
from canxie_tui.excel.district.merge import MergeError, Progress
from canxie_tui.excel.table import Column
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.district.status import report_notes
from canxie_tui.store.indicators import indicators_by_division
from canxie_tui.store.monthly import coverage, month_figures, month_period, snapshot
from canxie_tui.store.site import get_site

# -- the report ----------------------------------------------------------------------------
REPORT_TITLE = "残疾人工作月报区汇总"


@dataclass
class ReportRow:
    """One row of the roll-up: a community, a street's subtotal, or the district total."""

    level: str  # community / street / total
    street_code: str
    street_name: str
    code: str
    name: str
    persons: int = 0
    households: int = 0
    visits: int = 0
    households_visited: int = 0
    overdue: int = 0
    person_days: float = 0.0
    indicators: list[Indicator] = field(default_factory=list)  # in INDICATORS order

    @property
    def coverage(self) -> float | None:
        return coverage(self.households_visited, self.households)

    def add(self, other: ReportRow) -> None:
        self.persons += other.persons
        self.households += other.households
        self.visits += other.visits
        self.households_visited += other.households_visited
        self.overdue += other.overdue
        self.person_days += other.person_days


def district_rows(store: Store, year: int, month: int) -> list[ReportRow]:
    """The rows of the roll-up: per street its subtotal, then its communities; then the total.

    The figures are the community return's own (`store.monthly.month_figures`) and the
    indicators the community's (`store.indicators.indicators_by_division`), grouped
    by the households' division codes: a handful of grouped queries over the whole database.
    """
    period = month_period(store, year, month, refused="汇总以后月份")
    conn = store.db.conn
    names: dict[str, str] = {}
    for code, name, _count in conn.execute(
        "SELECT division_code, division_name, count(*) FROM households "
        "GROUP BY division_code, division_name ORDER BY 3"
    ):
        names[code] = name  # the most common name wins (ordered by count)
    streets: dict[str, str] = {}
    for source in store.query("SELECT * FROM merge_sources"):
        if source["street_code"]:
            streets[source["street_code"]] = source["street_name"]
        if source["community_code"]:
            names.setdefault(source["community_code"], source["community_name"])
    rows: dict[str, ReportRow] = {}

    def row_of(code: str) -> ReportRow:
        found = rows.get(code)
        if found is None:
            street = code[:9] if len(code) >= 9 else code
            found = rows[code] = ReportRow(
                "community",
                street,
                streets.get(street, ""),
                code,
                names.get(code, "") or "（未标明社区）",
            )
        return found

    for code in names:
        row_of(code)
    with snapshot(store):
        figures = month_figures(store, period, by_division=True)
        by_code = indicators_by_division(store, period.until)
    for code, counted in figures.items():
        row = row_of(code)
        row.persons, row.households = counted.persons, counted.households
        row.visits, row.households_visited = counted.visits, counted.households_visited
        row.overdue, row.person_days = counted.overdue, counted.person_days
    for code in by_code:
        row_of(code)
    out: list[ReportRow] = []
    total = ReportRow("total", "", "", "", "全区合计")
    for street in sorted({r.street_code for r in rows.values()}):
        members = sorted(
            (r for r in rows.values() if r.street_code == street), key=lambda r: r.code
        )
        subtotal = ReportRow("street", street, streets.get(street, ""), street, "小计")
        for row in members:
            row.indicators = by_code.get(row.code) or added_up([])
            subtotal.add(row)
        subtotal.indicators = added_up(r.indicators for r in members)
        total.add(subtotal)
        out.append(subtotal)
        out += members
    total.indicators = added_up(r.indicators for r in out if r.level == "street")
    out.append(total)
    return out


def added_up(groups: Iterable[list[Indicator]]) -> list[Indicator]:
    """The indicators of several communities together: numerators and denominators
    added (every person and household counts in one community), rates recomputed."""
    counts: dict[str, Counts] = {}
    for group in groups:
        for item in group:
            had = counts.get(item.key, Counts(0, 0, 0))
            counts[item.key] = Counts(
                had.numerator + item.numerator,
                had.denominator + item.denominator,
                had.short + max(0, item.denominator - item.numerator),
            )
    return assemble(counts, {})


# -- the workbook's columns ------------------------------------------------------------------
COUNT = "0"
DAYS = "0.0"  # 出勤人天: half days count ½
RATE = "0.0%"  # a rate is its fraction (0.717), shown 71.7%


_PLACE_COLUMNS = (
    Column("序号", align="center", max_width=6, number_format=COUNT),
    Column("街道/镇", max_width=14),
    Column("村/社区", max_width=16),
    Column("区划代码", align="center", max_width=14),
)


def _indicator_title(spec: Any) -> str:
    """2 技能培训 / 3 纳入低保 ... by the plan's 序号; 家庭医生签约 (not in 专栏1) without."""
    short = SHORT_NAMES.get(spec.key, spec.name)
    return f"{spec.number} {short}" if spec.number else short


def _indicator_columns(spec: Any) -> list[Column]:
    title = _indicator_title(spec)
    if spec.kind == "count":
        return [
            Column(
                f"{title}\n人数（本年）",
                min_width=9,
                align="center",
                wrap=True,
                number_format=COUNT,
            )
        ]
    return [
        Column(f"{title}\n完成数", min_width=7, align="center", wrap=True, number_format=COUNT),
        Column(f"{title}\n应覆盖数", min_width=7, align="center", wrap=True, number_format=COUNT),
        Column(f"{title}\n完成率", min_width=8, align="center", wrap=True, number_format=RATE),
    ]


def _indicator_note(year: int, month: int, day: int) -> str:
    def words(spec: Any) -> str:
        target = spec.target_words or (
            f"{'＞' if spec.strict else ''}{spec.target * 100:g}%" if spec.kind == "rate" else ""
        )
        return f"{_indicator_title(spec)}＝{spec.name}（目标 {target}）"

    table = [spec for spec in INDICATORS if spec.number]
    income = next(spec for spec in INDICATORS if spec.kind == "external")
    extra = [spec for spec in INDICATORS if not spec.number]
    return (
        "指标按“十四五”规划专栏1的序号和简称列出，与各社区首页和月报的指标用同一套规则计算，"
        f"统计对象为{year}年{month}月{day}日在册的持证残疾人（年龄按该日计算）："
        + "；".join(words(spec) for spec in table if spec.kind != "external")
        + f"。序号{income.number}“{income.name}”{EXTERNAL_NOTE}，不在本表中。"
        + "规划正文中的指标（不属专栏1）列在最后："
        + "；".join(words(spec) for spec in extra)
        + "。完成率 = 完成数 ÷ 应覆盖数（单元格中是小数，显示为百分数），没有应覆盖的人时留空；"
        "缺口 = 应覆盖数 − 完成数（无障碍改造按户计）。小计和合计把各社区的完成数和应覆盖数相加后"
        "重新计算完成率，不是各社区完成率的平均。两项补贴是否扩面（低收入家庭、三四级智力精神）"
        "按本库（区级）的设置计算。"
    )


def default_report_path(site: Site, year: int, month: int) -> Path:
    from canxie_tui.excel.files import exports_dir, safe_filename

    name = safe_filename(site.district_name or site.name)
    return exports_dir() / f"区汇总_{name}_{year:04d}-{month:02d}.xlsx"


def district_report(
    store: Store,
    year: int,
    month: int,
    *,
    out: Path | str | None = None,
    progress: Progress | None = None,
    overwrite: bool = True,
) -> Path:
    """Write the district roll-up of `year`-`month`; returns the path written (atomically;
    an existing file is refused unless `overwrite`)."""
    from canxie_tui.domain.errors import InputError
    from canxie_tui.excel.book import Book
    from canxie_tui.excel.table import Heading

    site = get_site(store)
    if not site.district_code:
        raise MergeError("这个数据库还没有设置区县，无法生成区汇总。")
    path = default_report_path(site, year, month) if out is None else Path(out)
    if out is not None and path.is_dir():
        path = path / default_report_path(site, year, month).name
    elif path.suffix.lower() != ".xlsx":
        raise InputError(f"输出文件名应以 .xlsx 结尾：“{path}”", "out")
    if progress is not None:
        progress("统计各社区", 0, 2)
    rows = district_rows(store, year, month)
    today = store.today()
    heading = Heading(
        divisions=site.full_name(),
        title=REPORT_TITLE,
        period=f"{year}年{month}月",
        unit=site.name,
        reporter=store.operator_name,
        date=f"{today.year}年{today.month}月{today.day}日",
    )
    if progress is not None:
        progress("写入工作簿", 1, 2)

    def placed() -> Iterator[tuple[ReportRow, list[Any]]]:
        """Each row with its first four cells; communities numbered 1, 2, 3 ..."""
        number = 0
        for row in rows:
            if row.level == "total":
                yield row, ["", "全区合计", "", ""]
            elif row.level == "street":
                yield row, ["", row.street_name or row.street_code, "小计", row.code]
            else:
                number += 1
                yield row, [number, row.street_name or row.street_code, row.name, row.code]

    kind = {"community": "body", "street": "total", "total": "total"}
    with Book() as book:
        columns = [
            *_PLACE_COLUMNS,
            Column("在册人数", align="center", min_width=8, number_format=COUNT),
            Column("在册户数", align="center", min_width=8, number_format=COUNT),
            Column("走访次数", align="center", min_width=8, number_format=COUNT),
            Column("走访户数", align="center", min_width=8, number_format=COUNT),
            Column("走访覆盖率", align="center", min_width=10, number_format=RATE),
            Column(
                "月末逾期未走访（人）", align="center", min_width=10, wrap=True, number_format=COUNT
            ),
            Column("渝馨家园出勤人天", align="center", min_width=10, wrap=True, number_format=DAYS),
        ]
        sheet = book.table("汇总", columns, heading=heading)
        for row, first in placed():
            sheet.append(
                [
                    *first,
                    row.persons,
                    row.households,
                    row.visits,
                    row.households_visited,
                    row.coverage,  # None (an empty cell) when no household is in the register
                    row.overdue,
                    row.person_days,
                ],
                kind[row.level],
            )
        sheet.note(
            f"数据来自已合并到本库的各社区月报；在册人数为{year}年{month}月末在册的持证残疾人，"
            "走访覆盖率 = 走访户数 ÷ 在册户数（没有在册户的留空）；逾期按走访分级的间隔计算；"
            "出勤人天半天计 ½。"
        )
        for line in report_notes(store, f"{year:04d}-{month:02d}"):
            sheet.note(line)
        sheet.close()
        shown = [spec for spec in INDICATORS if spec.kind != "external"]
        table = book.table(
            "指标",
            [*_PLACE_COLUMNS, *(c for spec in shown for c in _indicator_columns(spec))],
            heading=heading,
            freeze_columns=len(_PLACE_COLUMNS),
        )
        for row, first in placed():
            cells: list[Any] = []
            by_key = {item.key: item for item in row.indicators}
            for spec in shown:
                item = by_key[spec.key]
                if spec.kind == "count":
                    cells.append(item.numerator)
                else:  # an empty cell for a rate nobody is counted for
                    cells += [item.numerator, item.denominator, item.rate]
            table.append([*first, *cells], kind[row.level])
        until = month_period(store, year, month, refused="汇总以后月份").until
        table.note(_indicator_note(until.year, until.month, until.day))
        table.close()
        subsidy_report.write_sheet(
            book, heading, _PLACE_COLUMNS, list(placed()), store, year, month
        )
        from canxie_tui.excel.district.survey_report import write_survey_sheet
        from canxie_tui.store.survey_merge import survey_by_division

        write_survey_sheet(book, heading, list(placed()), survey_by_division(store, year), year)
        book.save(path, overwrite=overwrite)
    records.write_audit(
        store,
        "导出区汇总",
        "district_report",
        f"{site.code}:{year:04d}-{month:02d}",
        None,
        {"path": str(path), "month": f"{year:04d}-{month:02d}", "rows": len(rows)},
    )
    if progress is not None:
        progress("完成", 2, 2)
    return path
