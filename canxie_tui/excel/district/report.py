"""The district roll-up: one row per street and community, and its workbook."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canxie_tui.domain.models import Site
from canxie_tui.excel.district.merge import MergeError, Progress
from canxie_tui.store import records
from canxie_tui.store.connection import Store
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
    indicators: list[Any] = field(default_factory=list)  # domain Indicator, INDICATORS order

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

    The figures are the community return's own (`store.monthly.month_figures`), grouped
    by the households' division codes: a handful of grouped queries over the whole database.
    """
    from canxie_tui.domain.indicators import compute
    from canxie_tui.store.indicators import person_facts

    period = month_period(store, year, month, refused="汇总以后月份")
    conn = store.db.conn
    division = {hid: code for hid, code in conn.execute("SELECT id, division_code FROM households")}
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
    for code, counted in figures.items():
        row = row_of(code)
        row.persons, row.households = counted.persons, counted.households
        row.visits, row.households_visited = counted.visits, counted.households_visited
        row.overdue, row.person_days = counted.overdue, counted.person_days
    # Indicators: the register read once, grouped by community in memory.
    facts = person_facts(store, period.until)
    by_code: dict[str, list[Any]] = defaultdict(list)
    for fact in facts:
        by_code[division.get(fact.household_id, "")].append(fact)
    for code in by_code:
        row_of(code)
    out: list[ReportRow] = []
    total = ReportRow("total", "", "", "", "全区合计")
    for street in sorted({r.street_code for r in rows.values()}):
        members = sorted(
            (r for r in rows.values() if r.street_code == street), key=lambda r: r.code
        )
        subtotal = ReportRow("street", street, streets.get(street, ""), street, "小计")
        street_facts = []
        for row in members:
            row.indicators = compute(by_code.get(row.code, []))
            street_facts += by_code.get(row.code, [])
            subtotal.add(row)
        subtotal.indicators = compute(street_facts)
        total.add(subtotal)
        out.append(subtotal)
        out += members
    total.indicators = compute(facts)
    out.append(total)
    return out


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
) -> Path:
    """Write the district roll-up of `year`-`month`; returns the path written (atomically)."""
    from canxie_tui.domain.errors import InputError
    from canxie_tui.domain.indicators import INDICATORS, SHORT_NAMES
    from canxie_tui.excel.book import Book
    from canxie_tui.excel.table import Column, Heading

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
            Column("序号", align="center", max_width=6),
            Column("街道/镇", max_width=14),
            Column("村/社区", max_width=16),
            Column("区划代码", align="center", max_width=14),
            Column("在册人数", align="center", min_width=8),
            Column("在册户数", align="center", min_width=8),
            Column("走访次数", align="center", min_width=8),
            Column("走访户数", align="center", min_width=8),
            Column("走访覆盖率", align="center", min_width=10, number_format="0.0%"),
            Column("月末逾期未走访（人）", align="center", min_width=10, wrap=True),
            Column("渝馨家园出勤人天", align="center", min_width=10, wrap=True),
        ]
        sheet = book.table("汇总", columns, heading=heading)
        for row, first in placed():
            coverage = row.coverage
            sheet.append(
                [
                    *first,
                    row.persons,
                    row.households,
                    row.visits,
                    row.households_visited,
                    "—" if coverage is None else coverage,
                    row.overdue,
                    row.person_days,
                ],
                kind[row.level],
            )
        sheet.note(
            f"数据来自已合并到本库的各社区月报；在册人数为{year}年{month}月末在册的持证残疾人，"
            "走访覆盖率 = 走访户数 ÷ 在册户数；逾期按走访分级的间隔计算；出勤人天半天计 ½。"
        )
        sheet.close()
        ind_columns = [
            Column("序号", align="center", max_width=6),
            Column("街道/镇", max_width=14),
            Column("村/社区", max_width=16),
            Column("区划代码", align="center", max_width=14),
        ]
        for spec in INDICATORS:
            short = SHORT_NAMES.get(spec.key, spec.name)
            ind_columns += [
                Column(f"{short}\n分子", align="center", min_width=7, wrap=True),
                Column(f"{short}\n分母", align="center", min_width=7, wrap=True),
                Column(
                    f"{short}\n完成率", align="center", min_width=8, number_format="0.0%", wrap=True
                ),
            ]
        table = book.table("指标", ind_columns, heading=heading)
        for row, first in placed():
            cells: list[Any] = []
            for item in row.indicators:
                cells += [item.numerator, item.denominator, "—" if item.rate is None else item.rate]
            table.append([*first, *cells], kind[row.level])
        table.note(
            "指标（专栏1）："
            + "；".join(
                f"{SHORT_NAMES.get(s.key, s.name)}＝{s.name}（目标 {s.target:.0%}）"
                for s in INDICATORS
            )
            + "。小计和合计按人员重新计算，不是各社区完成率的平均。"
        )
        table.close()
        book.save(path)
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
