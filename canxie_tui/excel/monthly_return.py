"""The monthly return (月报): a workbook to print and sign, and the community's sync file.

`export_monthly(store, year, month)` writes `exports/月报_<社区>_<YYYY-MM>.xlsx`:

Print sheets (each with the title and 填报 rows, a frozen header repeated on
every printed page, A4 landscape fitted to the width, page numbers):

- 汇总: the register by category and level, the month's visits (households
  visited, coverage, by method and tier, overdue at month end), follow-ups,
  渝馨家园 figures, case notes, emergency events, and a bar chart of visits per day;
- 走访明细: one row per visit of the month;
- 渝馨家园考勤: members × days with the TUI's symbols, totals, monthly statistics;
- 个案记录: notes written or revised in the month;
- 指标: the 专栏1 indicators with their shortfall counts;
- 急难救助: the month's emergency events with their roll-call totals.

ID numbers are masked (前6后4) in all of these — also inside free text — unless
`full_ids`, which is recorded in the audit log.

Machine-readable part (for `excel.return_reader` and the district merge):

- `_数据_<name>` sheets, hidden: every column of the month's records (visits and
  their visitors and people seen, follow-ups, notes and their revisions,
  attendance, 渝馨家园 enrolments and closed days, emergency events and checks,
  and the audit entries of rows deleted in the month) and of the whole
  register (households, persons, operators), written
  losslessly (see `excel.xlsx`: NULL, '' and text with any character survive);
- `_元数据`: format and version, site codes and names, schema version, month,
  export time, operator, and per data sheet its table, row count and SHA-256,
  then one checksum over all of that.

"The month's records" are those dated in the month (visit date, attendance
day, closed day, event period) plus everything created or changed in it
(corrections of earlier months travel with the month they were made in), and
the follow-ups still open at month end.  The register goes in whole: it is a
few thousand rows at most, and the district needs it to count and to merge.

Memory stays flat in the number of rows: every big sheet streams from an SQLite
cursor into a write-only sheet.  All reads run in one read transaction, so the
workbook is a consistent snapshot even while someone keeps working; give the
export its own connection (`store.clone()`) when it runs in a worker thread.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.daycare import GRID_LEGEND, WEEKDAY_NAMES, MonthStats, format_days
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.models import Site
from canxie_tui.domain.tiers import TIERS, interval_label, next_due
from canxie_tui.excel.errors import ExportError
from canxie_tui.excel.xlsx import (
    Book,
    Column,
    DataSheet,
    Heading,
    Progress,
    TableSheet,
    canonical_row,
    exports_dir,
    safe_filename,
)
from canxie_tui.store import daycare, records, tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.indicators import indicators
from canxie_tui.store.site import get_site

__all__ = [
    "DATA_TABLES",
    "FORMAT",
    "FORMAT_VERSION",
    "META_SHEET",
    "DataTable",
    "MonthlySummary",
    "default_path",
    "export_monthly",
    "meta_checksum",
    "summarize_month",
]

FORMAT = "canxie_tui.monthly_return"
FORMAT_VERSION = 1
META_SHEET = "_元数据"
DATA_PREFIX = "_数据_"
REPORT_TITLE = "残疾人工作月报"
PRINT_SHEETS = ("汇总", "走访明细", "渝馨家园考勤", "个案记录", "指标", "急难救助")


@dataclass(frozen=True)
class DataTable:
    """One machine-readable sheet: `_数据_<key>` holds rows of database `table`."""

    key: str
    table: str
    label: str
    where: str  # which rows belong to the month (named parameters, see _params)
    order: str = "pk"

    @property
    def sheet(self) -> str:
        return DATA_PREFIX + self.key


# Created or changed in the month.
_TOUCHED = "((created_at >= :first AND created_at < :next) OR (updated_at >= :first AND updated_at < :next))"
_VISITS = f"(visit_date BETWEEN :first AND :last OR {_TOUCHED})"
_ATTENDANCE = f"(day BETWEEN :first AND :last OR {_TOUCHED})"
# Events of the month, changed in it, or with a roll-call entry changed in it.
_EVENTS = (
    f"((started_at < :next AND (ended_at = '' OR ended_at >= :first)) OR {_TOUCHED} "
    f"OR id IN (SELECT event_id FROM emergency_checks WHERE {_TOUCHED}))"
)

# Parents before children, so a reader can insert them in this order.
DATA_TABLES: tuple[DataTable, ...] = (
    DataTable("operators", "operators", "操作员", "1"),
    DataTable("households", "households", "户（全部）", "1"),
    DataTable("persons", "persons", "人员（全部）", "1"),
    DataTable(
        "members",
        "daycare_members",
        "渝馨家园成员",
        "((start_date <= :last AND (end_date = '' OR end_date > :first)) OR "
        f"id IN (SELECT member_id FROM attendance WHERE {_ATTENDANCE}) OR {_TOUCHED})",
    ),
    DataTable(
        "closures",
        "daycare_closures",
        "渝馨家园闭馆日",
        f"(day BETWEEN :first AND :last OR {_TOUCHED})",
    ),
    DataTable("visits", "visits", "走访记录", _VISITS),
    DataTable(
        "visit_visitors",
        "visit_visitors",
        "走访人",
        f"visit_id IN (SELECT id FROM visits WHERE {_VISITS})",
        "visit_id, operator_id",
    ),
    DataTable(
        "visit_persons",
        "visit_persons",
        "走访见到的人",
        f"visit_id IN (SELECT id FROM visits WHERE {_VISITS})",
        "visit_id, person_id",
    ),
    DataTable(
        "followups",
        "followups",
        "跟进事项",
        f"({_TOUCHED} OR (created_at < :next AND (status = 'open' OR closed_date > :last)))",
    ),
    DataTable("notes", "notes", "个案记录", _TOUCHED),
    DataTable(
        "note_revisions",
        "note_revisions",
        "个案记录的修订",
        f"note_id IN (SELECT id FROM notes WHERE {_TOUCHED})",
    ),
    DataTable("attendance", "attendance", "渝馨家园考勤", _ATTENDANCE),
    DataTable("emergency_events", "emergency_events", "急难事件", _EVENTS),
    DataTable(
        "emergency_checks",
        "emergency_checks",
        "急难点名",
        f"event_id IN (SELECT id FROM emergency_events WHERE {_EVENTS})",
    ),
    # Rows removed in the month (an attendance mark undone, a closed day reopened):
    # their audit entries, so the district can remove them too.
    DataTable(
        "deletions",
        "audit_log",
        "本月删除的记录",
        "after IS NULL AND before IS NOT NULL AND at >= :first AND at < :next",
        "seq",
    ),
)

# In the register at the end of the period (a person who left after it still counts).
_IN_REGISTER = (
    "category IS NOT NULL AND substr(created_at, 1, 10) <= :until "
    "AND (status = 'active' OR status_date > :until)"
)

# 18-character ID numbers inside free text (also the ID part of a 残疾人证号).
_ID_IN_TEXT = re.compile(
    r"(?<![0-9])([1-9][0-9]{5})[0-9]{8}([0-9]{3}[0-9Xx])(?=[0-9]{2}|(?![0-9]))"
)


def _mask_in_text(text: str) -> str:
    return _ID_IN_TEXT.sub(lambda m: m[1] + "*" * 8 + m[2], text) if text else text


# -- the month ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Period:
    year: int
    month: int
    first: date
    last: date
    until: date  # the last day counted: the month's end, or today in the current month

    @property
    def text(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def params(self) -> dict[str, str]:
        following = self.last.toordinal() + 1
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "next": date.fromordinal(following).isoformat(),
            "until": self.until.isoformat(),
        }


def _period(store: Store, year: int, month: int) -> _Period:
    if not isinstance(year, int) or not isinstance(month, int) or not 1 <= month <= 12:
        raise InputError(f"月份“{year}-{month}”不对：月应在 1–12 之间", "month")
    if year < 1900:
        raise InputError(f"月份“{year}-{month:02d}”不对：年份应在 1900 年以后", "month")
    today = store.today()
    if (year, month) > (today.year, today.month):
        raise InputError(f"{year}年{month}月还没有到，不能导出以后月份的月报", "month")
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return _Period(year, month, first, last, min(last, today))


@contextmanager
def _snapshot(store: Store) -> Iterator[None]:
    """One read transaction: every query of the export sees the same data."""
    conn = store.db.conn
    if conn.in_transaction:
        yield
        return
    conn.execute("BEGIN")
    try:
        conn.execute("SELECT count(*) FROM settings").fetchone()  # the snapshot starts here
        yield
    finally:
        if conn.in_transaction:
            conn.execute("COMMIT")


# -- the summary ----------------------------------------------------------------------------
@dataclass(frozen=True)
class EventTotals:
    id: str
    name: str
    kind: str
    started_at: str
    ended_at: str
    total: int
    by_status: dict[str, int]  # roll-call status code -> people


@dataclass(frozen=True)
class MonthlySummary:
    """The figures of the 汇总 sheet (and of an export screen's preview)."""

    year: int
    month: int
    until: date
    # the register at the end of the period
    households: int
    persons: int
    severe: int
    by_category_level: dict[tuple[int, int], int]
    # visits
    visits: int
    households_visited: int
    by_method: dict[str, int]
    by_tier: dict[str, int]
    per_day: list[int]  # visits on each day of the month
    overdue: int  # people overdue for a visit at `until`
    # follow-ups
    followups_opened: int
    followups_closed: int
    followups_open: int  # open at `until`
    followups_overdue: int
    # case notes
    notes_written: int
    notes_revised: int
    notes_by_category: dict[str, int]
    # 渝馨家园 and emergencies
    daycare: MonthStats
    events: list[EventTotals] = field(default_factory=list)

    @property
    def coverage(self) -> float | None:
        return self.households_visited / self.households if self.households else None

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"


def _count(store: Store, sql: str, params: dict[str, str]) -> int:
    return int(store.scalar(sql, params) or 0)


def _overdue(store: Store, params: dict[str, str], until: date) -> int:
    """People in the register whose visit was overdue at `until` (as the due list counts)."""
    settings = tiers.get_settings(store)
    longest = max(settings.intervals.values())
    rows = store.db.conn.execute(
        "SELECT p.tier, substr(p.created_at, 1, 10), (SELECT max(v.visit_date) FROM visit_persons vp "
        "JOIN visits v ON v.id = vp.visit_id WHERE vp.person_id = p.id AND v.deleted = 0 "
        f"AND v.visit_date <= :until) FROM persons p WHERE {_IN_REGISTER}",
        params,
    )
    overdue = 0
    for tier, registered, last in rows:
        interval = settings.intervals.get(tier, longest)
        due = next_due(
            date.fromisoformat(last) if last else None, interval, date.fromisoformat(registered)
        )
        overdue += due < until
    return overdue


def _events(store: Store, params: dict[str, str]) -> list[EventTotals]:
    events = store.query(
        "SELECT id, name, kind, started_at, ended_at FROM emergency_events "
        "WHERE started_at < :next AND (ended_at = '' OR ended_at >= :first) ORDER BY started_at, pk",
        params,
    )
    found = []
    for event in events:
        counts = {
            status: int(n)
            for status, n in store.db.conn.execute(
                "SELECT status, count(*) FROM emergency_checks WHERE event_id = ? GROUP BY status",
                (event["id"],),
            )
        }
        found.append(
            EventTotals(
                id=event["id"],
                name=event["name"],
                kind=event["kind"],
                started_at=event["started_at"],
                ended_at=event["ended_at"],
                total=sum(counts.values()),
                by_status=counts,
            )
        )
    return found


def summarize_month(store: Store, year: int, month: int) -> MonthlySummary:
    """The month's figures as the 汇总 sheet shows them (fast: aggregate queries only)."""
    period = _period(store, year, month)
    with _snapshot(store):
        return _summarize(store, period)


def _summarize(store: Store, period: _Period) -> MonthlySummary:
    params = period.params
    conn = store.db.conn
    register = conn.execute(
        "SELECT count(DISTINCT household_id), count(*), coalesce(sum(level IN (1, 2)), 0) "
        f"FROM persons WHERE {_IN_REGISTER}",
        params,
    ).fetchone()
    by_category_level = {
        (int(c), int(lv)): int(n)
        for c, lv, n in conn.execute(
            f"SELECT category, level, count(*) FROM persons WHERE {_IN_REGISTER} "
            "AND level IS NOT NULL GROUP BY category, level",
            params,
        )
    }
    window = "FROM visits WHERE deleted = 0 AND visit_date BETWEEN :first AND :last"
    visited = _count(
        store,
        f"SELECT count(DISTINCT household_id) {window} AND household_id IN "
        f"(SELECT household_id FROM persons WHERE {_IN_REGISTER})",
        params,
    )
    per_day_rows = dict(
        conn.execute(f"SELECT visit_date, count(*) {window} GROUP BY visit_date", params)
    )
    days = calendar.monthrange(period.year, period.month)[1]
    per_day = [
        int(per_day_rows.get(date(period.year, period.month, d).isoformat(), 0))
        for d in range(1, days + 1)
    ]
    open_at_end = (
        "FROM followups WHERE substr(created_at, 1, 10) <= :until "
        "AND (status = 'open' OR closed_date > :until)"
    )
    return MonthlySummary(
        year=period.year,
        month=period.month,
        until=period.until,
        households=int(register[0]),
        persons=int(register[1]),
        severe=int(register[2]),
        by_category_level=by_category_level,
        visits=sum(per_day),
        households_visited=visited,
        by_method={
            m: int(n)
            for m, n in conn.execute(f"SELECT method, count(*) {window} GROUP BY method", params)
        },
        by_tier={
            t: int(n)
            for t, n in conn.execute(f"SELECT tier, count(*) {window} GROUP BY tier", params)
        },
        per_day=per_day,
        overdue=_overdue(store, params, period.until),
        followups_opened=_count(
            store,
            "SELECT count(*) FROM followups WHERE created_at >= :first AND created_at < :next",
            params,
        ),
        followups_closed=_count(
            store,
            "SELECT count(*) FROM followups WHERE status = 'closed' AND closed_date BETWEEN :first AND :last",
            params,
        ),
        followups_open=_count(store, f"SELECT count(*) {open_at_end}", params),
        followups_overdue=_count(
            store, f"SELECT count(*) {open_at_end} AND due_date < :until", params
        ),
        notes_written=_count(
            store,
            "SELECT count(*) FROM notes WHERE created_at >= :first AND created_at < :next",
            params,
        ),
        notes_revised=_count(
            store,
            "SELECT count(*) FROM notes WHERE version > 1 AND updated_at >= :first AND updated_at < :next",
            params,
        ),
        notes_by_category={
            c: int(n)
            for c, n in conn.execute(
                "SELECT category, count(*) FROM notes WHERE created_at >= :first AND created_at < :next "
                "GROUP BY category",
                params,
            )
        },
        daycare=daycare.month_stats(store, period.year, period.month),
        events=_events(store, params),
    )


# -- progress -------------------------------------------------------------------------------
class _Steps:
    """Reports (label, done, total) to the caller now and then, never too often."""

    EVERY = 500

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress = progress
        self.total = max(total, 1)
        self.done = 0
        self.label = ""

    def start(self, label: str) -> None:
        self.label = label
        self._report()

    def advance(self, n: int = 1) -> None:
        before = self.done
        self.done = min(self.total, self.done + n)
        if self.done // self.EVERY != before // self.EVERY:
            self._report()

    def finish(self) -> None:
        self.done = self.total
        self.start("完成")

    def _report(self) -> None:
        if self.progress is not None:
            self.progress(self.label, self.done, self.total)


# -- the workbook ------------------------------------------------------------------------------
def default_path(site: Site, year: int, month: int) -> Path:
    """exports/月报_<社区>_<YYYY-MM>.xlsx (the folder from CANXIE_EXPORTS if set)."""
    return exports_dir() / f"月报_{safe_filename(site.name)}_{year:04d}-{month:02d}.xlsx"


def _target(out: Path | str | None, site: Site, year: int, month: int) -> Path:
    if out is None:
        return default_path(site, year, month)
    path = Path(out)
    if path.is_dir():
        return path / default_path(site, year, month).name
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"导出文件名应以 .xlsx 结尾：“{path}”", "out")
    return path


def meta_checksum(items: Sequence[tuple[str, Any]], sheets: Sequence[Sequence[Any]]) -> str:
    """The checksum of `_元数据`: its key/value rows (all but the checksum) and sheet rows."""
    digest = hashlib.sha256()
    for key, value in items:
        digest.update(canonical_row([key, str(value)]))
    for sheet in sheets:
        digest.update(canonical_row(["sheet", *(str(v) for v in sheet)]))
    return digest.hexdigest()


class _Export:
    """One export run: the store, the month, the book and how IDs are shown."""

    def __init__(
        self, store: Store, period: _Period, full_ids: bool, steps: _Steps, book: Book
    ) -> None:
        self.store = store
        self.period = period
        self.full_ids = full_ids
        self.steps = steps
        self.book = book
        self.site = get_site(store)
        self.params = period.params
        today = store.today()
        self.heading = Heading(
            divisions=self.site.full_name(),
            title=REPORT_TITLE,
            period=period.label,
            unit=self.site.name,
            reporter=store.operator_name,
            date=f"{today.year}年{today.month}月{today.day}日",
        )

    # shown values
    def id_text(self, number: str | None) -> str:
        if not number:
            return ""
        return number if self.full_ids else mask_id(number)

    def free_text(self, text: str) -> str:
        return text if self.full_ids else _mask_in_text(text)

    def table(self, title: str, columns: Sequence[Column], **kwargs: Any) -> TableSheet:
        return self.book.table(title, columns, heading=self.heading, **kwargs)

    def rows(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:
        cursor = self.store.db.conn.execute(sql, self.params if params is None else params)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            yield dict(zip(names, values, strict=True))


def _label_value(sheet: TableSheet, label: str, value: Any, note: str = "") -> None:
    sheet.append([label, value, note], merge=((3, sheet.width),))


def _write_summary(run: _Export, summary: MonthlySummary) -> None:
    from openpyxl.chart import BarChart, Reference

    run.steps.start("写入汇总")
    columns = [Column("项目", width=30, wrap=True)] + [
        Column("", width=13, align="center", wrap=True) for _ in range(5)
    ]
    sheet = run.table("汇总", columns, header=False)
    until = summary.until
    as_of = f"截至{until.month}月{until.day}日"

    sheet.section(f"一、户籍情况（{as_of}在册持证残疾人）")
    _label_value(
        sheet, "在册持证残疾人（人）", summary.persons, f"其中重度（一、二级）{summary.severe}人"
    )
    _label_value(sheet, "涉及户数（户）", summary.households)
    sheet.append(["残疾类别", *codes.LEVELS.values(), "合计"], "header")
    for category, name in codes.CATEGORIES.items():
        counts = [summary.by_category_level.get((category, level), 0) for level in codes.LEVELS]
        sheet.append([f"{name}残疾", *counts, sum(counts)])
    totals = [
        sum(summary.by_category_level.get((c, lv), 0) for c in codes.CATEGORIES)
        for lv in codes.LEVELS
    ]
    sheet.append(["合计", *totals, sum(totals)], "total")

    sheet.section("二、走访探视")
    _label_value(sheet, "走访次数（次）", summary.visits)
    _label_value(
        sheet, "走访户数（户）", summary.households_visited, f"在册户数 {summary.households} 户"
    )
    coverage = summary.coverage
    _label_value(
        sheet,
        "走访覆盖率",
        "—" if coverage is None else f"{coverage * 100:.1f}%",
        "走访户数 ÷ 在册户数",
    )
    _label_value(sheet, f"{as_of}逾期未走访（人）", summary.overdue, "按走访分级的间隔计算")
    methods = list(codes.VISIT_METHODS)
    sheet.append(["走访方式", *codes.VISIT_METHODS.values(), "合计"], "header")
    sheet.append(["次数", *(summary.by_method.get(m, 0) for m in methods), summary.visits])
    intervals = tiers.get_settings(run.store).intervals
    tier_names = list(TIERS)
    other = summary.visits - sum(summary.by_tier.get(t, 0) for t in tier_names)
    tier_labels = [f"{t}级（{interval_label(intervals[t])}）" for t in tier_names]
    sheet.append(["走访时的分级", *tier_labels, "未分级", "合计"], "header")
    sheet.append(["次数", *(summary.by_tier.get(t, 0) for t in tier_names), other, summary.visits])

    sheet.section("三、跟进事项")
    _label_value(sheet, "本月新增（项）", summary.followups_opened)
    _label_value(sheet, "本月完成（项）", summary.followups_closed)
    _label_value(
        sheet,
        f"{as_of}未完成（项）",
        summary.followups_open,
        f"其中已逾期 {summary.followups_overdue} 项",
    )

    stats = summary.daycare
    sheet.section("四、渝馨家园")
    _label_value(sheet, "在册成员（人）", stats.members)
    _label_value(sheet, "开放天数（天）", stats.open_days)
    _label_value(sheet, "出勤人天", format_days(stats.person_days), "半天计 ½")
    _label_value(sheet, "出勤人次", stats.attendances, f"其中半天 {stats.half_days} 次")
    _label_value(sheet, "服务人数（人）", stats.people)
    _label_value(sheet, "日均出勤（人天）", f"{stats.average_daily:.2f}")
    _label_value(
        sheet, "请假 / 缺勤 / 未登记（人次）", f"{stats.leave} / {stats.absent} / {stats.unmarked}"
    )
    _label_value(sheet, "用餐（人次）", stats.meals)
    services = [
        f"{name} {stats.services.get(code, 0)}" for code, name in codes.DAYCARE_SERVICES.items()
    ]
    _label_value(sheet, "服务人次", sum(stats.services.values()), "，".join(services))

    sheet.section("五、个案记录")
    _label_value(sheet, "本月新写（篇）", summary.notes_written)
    _label_value(sheet, "本月修改（篇）", summary.notes_revised)
    by_category = [
        f"{name} {summary.notes_by_category.get(code, 0)}"
        for code, name in codes.NOTE_CATEGORIES.items()
    ]
    _label_value(sheet, "新写按类别", "", "，".join(by_category))

    sheet.section("六、急难救助")
    _label_value(
        sheet, "本月事件（起）", len(summary.events), "，".join(e.name for e in summary.events)
    )
    _label_value(sheet, "点名人数（人）", sum(e.total for e in summary.events))
    _label_value(sheet, "需要帮助（人次）", sum(e.by_status.get("help", 0) for e in summary.events))
    _label_value(
        sheet, "联系不上（人次）", sum(e.by_status.get("unreachable", 0) for e in summary.events)
    )

    sheet.section(f"七、每日走访次数（{summary.label}）")
    anchor = sheet.next_row
    chart_rows = 18
    for _ in range(chart_rows):
        sheet.blank()
    header_row = sheet.append([f"日期（{summary.month}月）", "走访次数"], "header", columns=2)
    for day, count in enumerate(summary.per_day, start=1):
        sheet.append([day, count], columns=2)
    last_row = sheet.next_row - 1
    chart = BarChart()
    chart.type = "col"
    chart.title = f"{summary.label}每日走访次数"
    chart.y_axis.title = "次"
    chart.x_axis.title = "日期"
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    chart.legend = None
    chart.width = 18  # cm: about the width of columns A-F
    chart.height = 8.5
    data = Reference(sheet.ws, min_col=2, min_row=header_row, max_row=last_row)
    categories = Reference(sheet.ws, min_col=1, min_row=header_row + 1, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    sheet.add_chart(chart, f"A{anchor}")
    sheet.close()


def _visit_columns() -> list[Column]:
    return [
        Column("序号", align="center", max_width=7),
        Column("走访日期", align="center"),
        Column("住址", wrap=True, max_width=26),
        Column("走访对象", wrap=True, max_width=12),
        Column("身份证号", wrap=True, max_width=21),
        Column("方式", align="center", max_width=11),
        Column("目的", align="center", wrap=True, max_width=12),
        Column("走访人", wrap=True, max_width=12),
        Column("发现问题", wrap=True, max_width=24),
        Column("帮扶措施", wrap=True, max_width=24),
        Column("转介", wrap=True, max_width=10),
        Column("跟进事项", wrap=True, max_width=22),
        Column("情况记录", wrap=True, max_width=26),
    ]


def _followup_text(row: dict[str, Any]) -> str:
    due = date.fromisoformat(row["due_date"])
    state = (
        "已完成" if row["status"] == "closed" else ("紧急·未完成" if row["urgent"] else "未完成")
    )
    return f"{row['what']}（{due.month}月{due.day}日前，{state}）"


def _write_visits(run: _Export) -> None:
    run.steps.start("写入走访明细")
    sheet = run.table("走访明细", _visit_columns())
    month = "FROM visits WHERE deleted = 0 AND visit_date BETWEEN :first AND :last"
    promised: dict[str, list[str]] = {}
    for row in run.rows(
        "SELECT source_id, what, due_date, status, urgent FROM followups WHERE source = 'visit' "
        f"AND source_id IN (SELECT id {month}) ORDER BY pk"
    ):
        promised.setdefault(row["source_id"], []).append(_followup_text(row))
    sql = (
        "SELECT v.id, v.visit_date, v.method, v.purpose, v.problems, v.problem_text, v.help_given, "
        "v.referrals, v.note, h.address, h.building, h.unit, h.room, "
        "(SELECT group_concat(who, char(30)) FROM (SELECT p.name || char(31) || "
        " coalesce(p.id_number, '') AS who FROM visit_persons vp JOIN persons p "
        " ON p.id = vp.person_id WHERE vp.visit_id = v.id ORDER BY p.pk)) AS seen, "
        "(SELECT group_concat(name, '、') FROM (SELECT o.name FROM visit_visitors vv "
        " JOIN operators o ON o.id = vv.operator_id WHERE vv.visit_id = v.id ORDER BY o.pk)) AS visitors "
        "FROM visits v JOIN households h ON h.id = v.household_id "
        "WHERE v.deleted = 0 AND v.visit_date BETWEEN :first AND :last ORDER BY v.visit_date, v.pk"
    )
    labels: dict[tuple[int, str], str] = {}  # JSON code lists -> labels (few distinct ones)

    def listed(table: Mapping[str, str], raw: str) -> str:
        key = (id(table), raw)
        text = labels.get(key)
        if text is None:
            text = labels[key] = codes.labels(table, json.loads(raw))
        return text

    number = 0
    for row in run.rows(sql):
        number += 1
        place = "".join(p for p in (row["building"], row["unit"], row["room"]) if p)
        address = (
            f"{row['address']} {place}".strip()
            if place and place not in row["address"]
            else row["address"]
        )
        problems = listed(codes.VISIT_PROBLEMS, row["problems"])
        if row["problem_text"]:
            problems = f"{problems}：{row['problem_text']}" if problems else row["problem_text"]
        seen = [who.partition("\x1f") for who in (row["seen"] or "").split("\x1e") if who]
        sheet.append(
            [
                number,
                row["visit_date"],
                address,
                "、".join(name for name, _, _ in seen),
                "\n".join(run.id_text(number) for _, _, number in seen if number),
                codes.label(codes.VISIT_METHODS, row["method"], row["method"]),
                codes.label(codes.VISIT_PURPOSES, row["purpose"], row["purpose"]),
                row["visitors"] or "",
                run.free_text(problems),
                run.free_text(row["help_given"]),
                listed(codes.REFERRALS, row["referrals"]),
                "\n".join(promised.get(row["id"], ())),
                run.free_text(row["note"]),
            ]
        )
        run.steps.advance()
    if number == 0:
        sheet.note(f"{run.period.label}没有走访记录。")
    sheet.close()


def _write_daycare(run: _Export) -> None:
    run.steps.start("写入渝馨家园考勤")
    grid = daycare.month_grid(run.store, run.period.year, run.period.month)
    stats = daycare.month_stats(run.store, run.period.year, run.period.month)
    days = len(grid.days)
    columns = [
        Column("序号", align="center", max_width=6),
        Column("姓名", max_width=12),
        Column("身份证号", max_width=21),
        *(Column(str(d.day), width=3.6, align="center") for d in grid.days),
        Column("出勤人天", align="center", min_width=8),
        Column("请假", align="center", min_width=5),
        Column("缺勤", align="center", min_width=5),
        Column("未登记", align="center", min_width=7),
    ]
    weekdays = ["", "星期", "", *(WEEKDAY_NAMES[d.weekday()] for d in grid.days), "", "", "", ""]
    sheet = run.table("渝馨家园考勤", columns, extra_header=[weekdays], freeze_columns=3)
    numbers = {
        r[0]: r[1]
        for r in run.store.db.conn.execute(
            "SELECT id, id_number FROM persons WHERE id IN (SELECT person_id FROM daycare_members)"
        )
    }
    for index, row in enumerate(grid.rows, start=1):
        sheet.append(
            [
                index,
                row.member.name,
                run.id_text(numbers.get(row.member.person_id)),
                *row.cells,
                format_days(row.person_days),
                row.leave,
                row.absent,
                row.unmarked,
            ]
        )
        run.steps.advance()
    per_day = [
        "闭" if closed else format_days(total)
        for closed, total in zip(grid.closed, grid.day_totals, strict=True)
    ]
    expected = [
        "闭" if closed else n for closed, n in zip(grid.closed, grid.day_expected, strict=True)
    ]
    sheet.append(
        [
            "",
            "每日出勤（人天）",
            "",
            *per_day,
            format_days(grid.total),
            sum(r.leave for r in grid.rows),
            sum(r.absent for r in grid.rows),
            sum(r.unmarked for r in grid.rows),
        ],
        "total",
        merge=((2, 3),),
    )
    sheet.append(["", "应到人数", "", *expected, "", "", "", ""], "total", merge=((2, 3),))
    if not grid.rows:
        sheet.note(f"{run.period.label}没有渝馨家园成员或考勤记录。")
    sheet.note(f"图例：{GRID_LEGEND}  闭 闭馆日")
    sheet.blank()
    sheet.section(f"{run.period.label}月度统计")
    last = 3 + days + 4
    value_end = min(last, 3 + 8)

    def stat(label: str, value: Any) -> None:
        sheet.append(["", label, "", value], merge=((2, 3), (4, value_end)))

    stat("在册成员（人）", stats.members)
    stat("开放天数（天）", stats.open_days)
    stat("出勤人天（半天计½）", format_days(stats.person_days))
    stat("出勤人次", f"{stats.attendances}（其中半天 {stats.half_days}）")
    stat("服务人数（人）", stats.people)
    stat("日均出勤（人天）", f"{stats.average_daily:.2f}")
    stat("应到人次", stats.expected)
    stat("请假（人次）", stats.leave)
    stat("缺勤（人次）", stats.absent)
    stat("未登记（人次）", stats.unmarked)
    stat("用餐（人次）", stats.meals)
    for code, name in codes.DAYCARE_SERVICES.items():
        stat(f"服务：{name}（人次）", stats.services.get(code, 0))
    sheet.close()


def _write_notes(run: _Export) -> None:
    run.steps.start("写入个案记录")
    columns = [
        Column("序号", align="center", max_width=7),
        Column("记录时间", align="center", max_width=17),
        Column("类别", align="center", max_width=10),
        Column("住址", wrap=True, max_width=24),
        Column("对象", max_width=10),
        Column("身份证号", max_width=21),
        Column("内容", wrap=True, min_width=30, max_width=60),
        Column("记录人", max_width=10),
        Column("本月情况", wrap=True, max_width=18),
    ]
    sheet = run.table("个案记录", columns)
    sql = (
        "SELECT n.id, n.category, n.body, n.author_name, n.created_at, n.updated_at, n.version, "
        "h.address, h.building, h.unit, h.room, p.name AS person_name, p.id_number, "
        "(SELECT count(*) FROM note_revisions r WHERE r.note_id = n.id) AS revisions "
        "FROM notes n JOIN households h ON h.id = n.household_id "
        "LEFT JOIN persons p ON p.id = n.person_id "
        f"WHERE {_TOUCHED.replace('created_at', 'n.created_at').replace('updated_at', 'n.updated_at')} "
        "ORDER BY n.created_at, n.pk"
    )
    first, following = run.params["first"], run.params["next"]
    number = 0
    for row in run.rows(sql):
        number += 1
        created_here = first <= row["created_at"] < following
        changed_here = row["version"] > 1 and first <= row["updated_at"] < following
        if created_here and changed_here:
            state = f"本月新写，已修改（{row['revisions']}次修订）"
        elif created_here:
            state = "本月新写"
        else:
            when = row["updated_at"][:16].replace("T", " ")
            state = f"本月修改（{when}，共{row['revisions']}次修订）"
        place = "".join(p for p in (row["building"], row["unit"], row["room"]) if p)
        address = (
            f"{row['address']} {place}".strip()
            if place and place not in row["address"]
            else row["address"]
        )
        sheet.append(
            [
                number,
                row["created_at"][:16].replace("T", " "),
                codes.label(codes.NOTE_CATEGORIES, row["category"], "其他"),
                address,
                row["person_name"] or "全户",
                run.id_text(row["id_number"]),
                run.free_text(row["body"]),
                row["author_name"],
                state,
            ]
        )
        run.steps.advance()
    if number == 0:
        sheet.note(f"{run.period.label}没有新写或修改的个案记录。")
    sheet.close()


def _write_indicators(run: _Export) -> None:
    run.steps.start("写入指标")
    columns = [
        Column("序号", align="center", max_width=6),
        Column("指标", max_width=40),
        Column("分子", align="center", min_width=7),
        Column("分母", align="center", min_width=7),
        Column("完成率", align="center", min_width=9, number_format="0.0%"),
        Column("目标", align="center", min_width=9),
        Column("评价", align="center", min_width=8),
        Column("缺口", align="center", min_width=8),
    ]
    sheet = run.table("指标", columns)
    until = run.period.until
    for index, item in enumerate(indicators(run.store, until), start=1):
        rate = item.rate
        sheet.append(
            [
                index,
                item.name,
                item.numerator,
                item.denominator,
                "—" if rate is None else rate,
                item.target_text,
                "—" if rate is None else ("达标" if item.met else "未达标"),
                f"{item.short}{item.unit}" if item.short else "—",
            ]
        )
    sheet.note(
        "统计对象：导出时在册的持证残疾人（户籍、补贴和服务情况以导出时的记录为准），"
        f"年龄按{until.year}年{until.month}月{until.day}日计算。"
        "缺口名单可在残协工作台的“指标”页或 canxie indicators 中查看。"
    )
    sheet.close()


def _write_emergencies(run: _Export, events: list[EventTotals]) -> None:
    run.steps.start("写入急难救助")
    statuses = list(codes.ROLL_CALL_STATUSES.items())
    columns = [
        Column("序号", align="center", max_width=6),
        Column("事件", wrap=True, max_width=24),
        Column("类型", align="center", max_width=10),
        Column("开始时间", align="center", max_width=17),
        Column("结束时间", align="center", max_width=17),
        Column("点名人数", align="center", min_width=8),
        *(Column(label, align="center", min_width=8) for _, label in statuses),
    ]
    sheet = run.table("急难救助", columns)
    for index, event in enumerate(events, start=1):
        sheet.append(
            [
                index,
                event.name,
                codes.label(codes.EMERGENCY_KINDS, event.kind, event.kind),
                event.started_at[:16].replace("T", " "),
                event.ended_at[:16].replace("T", " ") if event.ended_at else "进行中",
                event.total,
                *(event.by_status.get(code, 0) for code, _ in statuses),
            ]
        )
    if events:
        sheet.append(
            [
                "",
                "合计",
                "",
                "",
                "",
                sum(e.total for e in events),
                *(sum(e.by_status.get(code, 0) for e in events) for code, _ in statuses),
            ],
            "total",
        )
    else:
        sheet.note(f"{run.period.label}没有突发公共事件。")
    sheet.close()


def _write_data(run: _Export, table: DataTable, sheet: DataSheet) -> None:
    run.steps.start(f"写入数据表：{table.label}")
    cursor = run.store.db.conn.execute(
        f"SELECT * FROM {table.table} WHERE {table.where} ORDER BY {table.order}", run.params
    )
    append = sheet.append
    count = 0
    for values in cursor:
        append(values)
        count += 1
        if count == 256:
            run.steps.advance(count)
            count = 0
    run.steps.advance(count)


def _columns(store: Store, table: str) -> list[str]:
    return [row[1] for row in store.db.conn.execute(f"PRAGMA table_info({table})")]


def _meta_items(run: _Export, operator: tuple[str, str]) -> list[tuple[str, Any, str]]:
    from canxie_tui import __version__ as program_version
    from canxie_tui.store import schema

    site, period = run.site, run.period
    return [
        ("format", FORMAT, "文件格式（残协工作台月报）"),
        ("format_version", FORMAT_VERSION, "格式版本"),
        ("generator", f"canxie_tui {program_version}", "导出程序"),
        ("schema_version", run.store.schema_version, "数据库结构版本"),
        (
            "migrations",
            " ".join(m.name for m in schema.migrations.applied(run.store.db)),
            "已应用的结构迁移",
        ),
        ("site_code", site.code, "本站点区划代码"),
        ("site_name", site.name, "本站点名称"),
        ("district_name", site.district_name, "区县"),
        ("district_code", site.district_code, "区县代码"),
        ("street_name", site.street_name, "街道/镇"),
        ("street_code", site.street_code, "街道/镇代码"),
        ("community_name", site.community_name, "村/社区"),
        ("community_code", site.community_code, "村/社区代码"),
        ("month", period.text, "月份"),
        ("period_start", period.first.isoformat(), "统计起始日"),
        ("period_end", period.last.isoformat(), "统计截止日"),
        ("counted_until", period.until.isoformat(), "统计截至（当月导出时为导出日）"),
        ("exported_at", run.store.now(), "导出时间"),
        ("operator_id", operator[0], "导出操作员编号"),
        ("operator_name", operator[1], "导出操作员"),
        ("full_ids", int(run.full_ids), "打印表是否显示完整身份证号（1=是，已记入审计日志）"),
        ("register", "full", "户籍数据范围：全部户和人员"),
        (
            "cells",
            "#NULL!=空值(NULL)；空单元格=空文本；文字按 ECMA-376 _xHHHH_ 转义",
            "数据表单元格约定",
        ),
    ]


def export_monthly(
    store: Store,
    year: int,
    month: int,
    *,
    out: Path | str | None = None,
    full_ids: bool = False,
    progress: Progress | None = None,
) -> Path:
    """Write the monthly return of `year`-`month`; returns the path written.

    out: a file (.xlsx) or a folder (default: `default_path`).  full_ids: show
    complete ID numbers in the print sheets (audited).  progress(label, done,
    total) is called as the export advances.  Raises InputError for a bad or
    future month or file name, ExportError when the site is not set up or the
    file cannot be written; on any failure nothing is left under `out`.
    """
    period = _period(store, year, month)
    site = get_site(store)
    if not site.is_configured:
        raise ExportError(
            "还没有设置本站点的区划名称和代码（设置 → 站点），无法导出月报："
            "区里合并各社区的月报时要靠它区分来源。"
        )
    path = _target(out, site, year, month)
    operator = (store.operator_id, store.operator_name)
    with _snapshot(store):
        params = period.params
        counts = {
            t.key: _count(store, f"SELECT count(*) FROM {t.table} WHERE {t.where}", params)
            for t in DATA_TABLES
        }
        shown = counts["notes"] + counts["members"]
        shown += _count(
            store,
            "SELECT count(*) FROM visits WHERE deleted = 0 AND visit_date BETWEEN :first AND :last",
            params,
        )
        steps = _Steps(progress, sum(counts.values()) + shown)
        steps.start("统计本月数据")
        summary = _summarize(store, period)
        with Book() as book:
            run = _Export(store, period, full_ids, steps, book)
            # Sheets appear in the order they are made; each is filled below.
            _write_summary(run, summary)
            _write_visits(run)
            _write_daycare(run)
            _write_notes(run)
            _write_indicators(run)
            _write_emergencies(run, summary.events)
            meta = book.sheet(META_SHEET)
            sheets = [(t, book.data_sheet(t.sheet, _columns(store, t.table))) for t in DATA_TABLES]
            for table, sheet in sheets:
                _write_data(run, table, sheet)
            _write_meta(run, meta, operator, sheets)
            steps.start("保存工作簿")
            book.save(path)
    _audit(store, path, period, full_ids, {t.key: s.rows for t, s in sheets})
    steps.finish()
    return path


def _write_meta(
    run: _Export, ws: Any, operator: tuple[str, str], sheets: list[tuple[DataTable, DataSheet]]
) -> None:
    from canxie_tui.excel.xlsx import Look, data_value, setup_print, text_cell

    book = run.book
    items = _meta_items(run, operator)
    rows = [(t.sheet, t.table, s.rows, s.sha256) for t, s in sheets]
    checksum = meta_checksum([(k, v) for k, v, _ in items], rows)
    for letter, width in zip("ABCDE", (16, 34, 40, 10, 66), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    setup_print(ws, repeat_rows=1)
    bold = book.style(Look(bold=True))
    ws.append([text_cell(ws, title, bold) for title in ("键", "值", "说明")])
    for key, value, note in items:
        ws.append([data_value(ws, key), data_value(ws, value), data_value(ws, note)])
    ws.append([])
    ws.append(
        [None, *(text_cell(ws, title, bold) for title in ("工作表", "数据表", "行数", "SHA-256"))]
    )
    for row in rows:
        ws.append([data_value(ws, "sheet"), *(data_value(ws, v) for v in row)])
    ws.append([])
    ws.append(
        [
            data_value(ws, "checksum"),
            data_value(ws, checksum),
            data_value(ws, "以上全部内容的 SHA-256 校验和"),
        ]
    )


def _audit(store: Store, path: Path, period: _Period, full_ids: bool, rows: dict[str, int]) -> None:
    """Record the export; if that fails, the file must not stay behind unrecorded."""
    action = "导出月报（显示完整身份证号）" if full_ids else "导出月报"
    try:
        records.write_audit(
            store,
            action,
            "monthly_return",
            f"{get_site(store).code}:{period.text}",
            None,
            {"path": str(path), "month": period.text, "full_ids": full_ids, "rows": rows},
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
