"""The community's 汇总: the month's figures as the sheet (and the export preview) shows them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from canxie_tui.domain.daycare import MonthStats
from canxie_tui.store import daycare
from canxie_tui.store.connection import Store
from canxie_tui.store.monthly.columns import _IN_REGISTER, WHOLE
from canxie_tui.store.monthly.events import EventTotals, _events
from canxie_tui.store.monthly.figures import _changes, _month_figures, coverage
from canxie_tui.store.monthly.period import Period, month_period, snapshot
from canxie_tui.store.register_changes import RegisterChanges


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
    by_category_level: dict[tuple[int, int], int]  # level 0: not recorded
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
    # the register by sex and age band (MonthFigures.by_sex / by_age), visits by purpose
    by_sex: dict[str, int] = field(default_factory=dict)
    by_age: dict[str, int] = field(default_factory=dict)
    by_purpose: dict[str, int] = field(default_factory=dict)
    # who entered or left the register (store.register_changes)
    changes: RegisterChanges = field(default_factory=RegisterChanges)

    @property
    def coverage(self) -> float | None:
        return coverage(self.households_visited, self.households)

    @property
    def label(self) -> str:
        return f"{self.year}年{self.month}月"

    @property
    def change_counts(self) -> dict[str, int]:
        return self.changes.counts()


def summarize_month(store: Store, year: int, month: int) -> MonthlySummary:
    """The month's figures as the 汇总 sheet shows them (fast: aggregate queries only)."""
    period = month_period(store, year, month)
    with snapshot(store):
        return summarize(store, period)


def _count(store: Store, sql: str, params: dict[str, str]) -> int:
    return int(store.scalar(sql, params) or 0)


def summarize(store: Store, period: Period) -> MonthlySummary:
    """`summarize_month` of a checked period, inside the caller's snapshot."""
    params = period.params
    conn = store.db.conn
    changes = _changes(store, period)
    figures = _month_figures(store, period, False, changes)[WHOLE]
    by_category_level = {
        (int(c), int(lv)): int(n)
        for c, lv, n in conn.execute(
            f"SELECT p.category, coalesce(p.level, 0), count(*) FROM persons p "
            f"WHERE {_IN_REGISTER} GROUP BY 1, 2",
            params,
        )
    }
    window = "FROM visits WHERE deleted = 0 AND visit_date BETWEEN :first AND :last"
    per_day_rows = dict(
        conn.execute(f"SELECT visit_date, count(*) {window} GROUP BY visit_date", params)
    )
    per_day = [
        int(per_day_rows.get(day.isoformat(), 0))
        for day in (period.first + timedelta(days=n) for n in range(period.last.day))
    ]
    open_at_end = (
        "FROM followups WHERE substr(created_at, 1, 10) <= :until "
        "AND (status = 'open' OR closed_date > :until)"
    )

    def grouped(column: str) -> dict[str, int]:
        return {
            code: int(n)
            for code, n in conn.execute(
                f"SELECT {column}, count(*) {window} GROUP BY {column}", params
            )
        }

    return MonthlySummary(
        year=period.year,
        month=period.month,
        until=period.until,
        households=figures.households,
        persons=figures.persons,
        severe=figures.severe,
        by_category_level=by_category_level,
        visits=figures.visits,
        households_visited=figures.households_visited,
        by_method=grouped("method"),
        by_tier=grouped("tier"),
        per_day=per_day,
        overdue=figures.overdue,
        followups_opened=_count(
            store,
            "SELECT count(*) FROM followups WHERE created_at >= :first AND created_at < :next",
            params,
        ),
        followups_closed=_count(
            store,
            "SELECT count(*) FROM followups WHERE status = 'closed' "
            "AND closed_date BETWEEN :first AND :last",
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
            "SELECT count(*) FROM notes WHERE version > 1 "
            "AND updated_at >= :first AND updated_at < :next",
            params,
        ),
        notes_by_category={
            c: int(n)
            for c, n in conn.execute(
                "SELECT category, count(*) FROM notes "
                "WHERE created_at >= :first AND created_at < :next GROUP BY category",
                params,
            )
        },
        daycare=daycare.month_stats(store, period.year, period.month),
        events=_events(store, period),
        by_sex=figures.by_sex,
        by_age=figures.by_age,
        by_purpose=grouped("purpose"),
        changes=changes,
    )
