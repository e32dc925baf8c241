"""The month's figures, defined once for the community's 汇总 and the district roll-up.

A community database counts its whole register (`summarize_month`); a district
database, holding many communities' merged returns, counts the same figures per
community, grouped by the household's division code (`month_figures(...,
by_division=True)`).  Both run the very same queries, so the two can never
disagree on the same data:

- the period: the month's first and last day, and `until`, the last day
  counted (the month's end, or today in the current month);
- 在册: certified, registered by `until` and not left on or before it
  (`register_sql.in_register_at`); households: those with someone in it;
- visits: the month's visits not withdrawn; households visited: those of them
  whose household has someone in the register; coverage = visited ÷ households;
- overdue at month end: in the register with no visit within their tier's
  interval as of `until` (`domain.tiers.next_due` before `until`, as the due
  list counts today, from the same stored `next_due_date` wherever the last
  visit is not after `until`), with the tier the database holds now (tiers are
  derived and kept current).  The last visit is the latest visit on record up to
  `until`, or the register's `last_visit_date` when that is not after `until`
  (a district may hold only some months' visits; the return carries each
  person's last visit up to the month's end, see `excel.return_format`);
- 渝馨家园 person-days: the month's marks, half a day = ½
  (`domain.daycare.Mark.person_days`);
- the register by sex and by age band at `until` (0–17, 18–59, 60+ by
  `domain.dates.age_on`: full years on `until`); a sex or birth date not
  recorded is read from the ID number, and counted as 未登记 when there is none,
  so the bands always add up to the register;
- the register's changes of the month (新办证, 迁入, 迁出, 死亡, 注销,
  类别/等级变更, 证件到期) by the rules of `store.register_changes`.

Emergency events of the month (`EventTotals`, the community's 汇总 only): an
event's 点名人数 is the size of its priority list as the worker saw it (the
totals kept when it was closed, or the list as it stands for an open one:
`store.emergency.event_summary`), and 未联系 is that list less everyone marked
with another status than 未联系.

Each figure is one query over the whole database, grouped, never a query per
community: the district report counts ~30k people and ~1M visits this way.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta

from canxie_tui.domain.daycare import Mark, MonthStats
from canxie_tui.domain.emergency import summarize as summarize_statuses
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.tiers import next_due
from canxie_tui.store import daycare, tiers
from canxie_tui.store.connection import Store
from canxie_tui.store.emergency import event_summary, get_event
from canxie_tui.store.register_changes import CHANGE_KINDS, RegisterChanges, register_changes
from canxie_tui.store.register_sql import in_register_at

__all__ = [
    "AGE_BANDS",
    "SEXES",
    "UNKNOWN",
    "WHOLE",
    "EventTotals",
    "MonthFigures",
    "MonthlySummary",
    "Period",
    "coverage",
    "month_figures",
    "month_period",
    "snapshot",
    "summarize",
    "summarize_month",
]

WHOLE = ""  # the key of the one group when the figures are not grouped by division
UNKNOWN = ""  # the key of people whose sex or age is not recorded
SEXES = ("男", "女")
# Age bands at `until` (full years): key -> label; UNKNOWN when no birth date is known.
AGE_BANDS = {"0-17": "0–17岁", "18-59": "18–59岁", "60+": "60岁及以上"}

_IN_REGISTER = in_register_at("p", ":until")
_PERSONS = "FROM persons p JOIN households h ON h.id = p.household_id"
# The birth date, or the one the ID number carries (GB 11643: digits 7-14).
_BIRTH = (
    "coalesce(nullif(p.birth_date, ''), CASE WHEN length(p.id_number) = 18 THEN "
    "substr(p.id_number, 7, 4) || '-' || substr(p.id_number, 11, 2) || '-' || "
    "substr(p.id_number, 13, 2) END)"
)
# domain.dates.age_on in SQL: full years on :until (a birthday not yet reached that year).
_AGE = (
    f"(CAST(substr(:until, 1, 4) AS INTEGER) - CAST(substr({_BIRTH}, 1, 4) AS INTEGER) "
    f"- (substr({_BIRTH}, 6, 5) > substr(:until, 6, 5)))"
)
_BAND = (
    f"CASE WHEN {_BIRTH} IS NULL THEN '' WHEN {_AGE} < 18 THEN '0-17' "
    f"WHEN {_AGE} < 60 THEN '18-59' ELSE '60+' END"
)
# The recorded sex, or the one the ID number carries (17th digit: odd 男, even 女).
_SEX = (
    "CASE WHEN p.sex IN ('男', '女') THEN p.sex WHEN length(p.id_number) = 18 "
    "AND substr(p.id_number, 17, 1) BETWEEN '0' AND '9' THEN "
    "CASE WHEN CAST(substr(p.id_number, 17, 1) AS INTEGER) % 2 = 1 THEN '男' ELSE '女' END "
    "ELSE '' END"
)
_MONTH_VISITS = (
    "FROM visits v JOIN households h ON h.id = v.household_id "
    "WHERE v.deleted = 0 AND v.visit_date BETWEEN :first AND :last"
)


# -- the month ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
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
        """The SQL parameters :first, :last, :next (the day after) and :until."""
        return {
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "next": (self.last + timedelta(days=1)).isoformat(),
            "until": self.until.isoformat(),
        }


def month_period(
    store: Store, year: int, month: int, *, refused: str = "导出以后月份的月报"
) -> Period:
    """The month `year`-`month` as counted today; a later month is refused with
    "……还没有到，不能<refused>"."""
    if not isinstance(year, int) or not isinstance(month, int) or not 1 <= month <= 12:
        raise InputError(f"月份“{year}-{month}”不对：月应在 1–12 之间", "month")
    if year < 1900:
        raise InputError(f"月份“{year}-{month:02d}”不对：年份应在 1900 年以后", "month")
    today = store.today()
    if (year, month) > (today.year, today.month):
        raise InputError(f"{year}年{month}月还没有到，不能{refused}", "month")
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    return Period(year, month, first, last, min(last, today))


@contextmanager
def snapshot(store: Store) -> Iterator[None]:
    """One read transaction: every query inside sees the same data."""
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


# -- the figures both count -------------------------------------------------------------------
def coverage(households_visited: int, households: int) -> float | None:
    """走访覆盖率: households visited ÷ households in the register (None for no household)."""
    return households_visited / households if households else None


@dataclass
class MonthFigures:
    """One community's (or the whole database's) figures of the month."""

    persons: int = 0  # in the register at `until`
    households: int = 0  # with someone in the register
    severe: int = 0  # of `persons`, level 1 or 2
    visits: int = 0
    households_visited: int = 0  # in the register and visited in the month
    overdue: int = 0  # people overdue for a visit at `until`
    person_days: float = 0.0  # 渝馨家园 出勤人天
    # of `persons`: by sex (SEXES, UNKNOWN) and age band (AGE_BANDS, UNKNOWN), every key
    by_sex: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*SEXES, UNKNOWN), 0))
    by_age: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*AGE_BANDS, UNKNOWN), 0))
    # the register's changes of the month: people per CHANGE_KINDS code (every code)
    changes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CHANGE_KINDS, 0))
    founding: int = 0  # registered in the register's first month (not among `changes`)

    @property
    def coverage(self) -> float | None:
        return coverage(self.households_visited, self.households)


def month_figures(
    store: Store, period: Period, *, by_division: bool = False
) -> dict[str, MonthFigures]:
    """The figures of `period`: {WHOLE: ...}, or per household division code."""
    return _month_figures(store, period, by_division, _changes(store, period))


def _changes(store: Store, period: Period) -> RegisterChanges:
    return register_changes(store, period.first, period.until, period.last)


def _month_figures(
    store: Store, period: Period, by_division: bool, changes: RegisterChanges
) -> dict[str, MonthFigures]:
    group = "h.division_code" if by_division else "''"  # '' is WHOLE
    params = period.params
    conn = store.db.conn
    found: dict[str, MonthFigures] = {}

    def of(key: str) -> MonthFigures:
        figures = found.get(key)
        if figures is None:
            figures = found[key] = MonthFigures()
        return figures

    if not by_division:
        of(WHOLE)  # an empty database still has its (zero) figures
    for key, persons, households, severe in conn.execute(
        f"SELECT {group}, count(*), count(DISTINCT p.household_id), "
        f"coalesce(sum(p.level IN (1, 2)), 0) {_PERSONS} WHERE {_IN_REGISTER} GROUP BY 1",
        params,
    ):
        figures = of(key)
        figures.persons, figures.households, figures.severe = persons, households, severe
    for key, sex, band, count in conn.execute(
        f"SELECT {group}, {_SEX}, {_BAND}, count(*) {_PERSONS} WHERE {_IN_REGISTER} "
        "GROUP BY 1, 2, 3",
        params,
    ):
        figures = of(key)
        figures.by_sex[sex] += count
        figures.by_age[band] += count
    for key, count in conn.execute(f"SELECT {group}, count(*) {_MONTH_VISITS} GROUP BY 1", params):
        of(key).visits = count
    for key, count in conn.execute(
        f"SELECT {group}, count(DISTINCT v.household_id) {_MONTH_VISITS} AND v.household_id IN "
        f"(SELECT p.household_id FROM persons p WHERE {_IN_REGISTER}) GROUP BY 1",
        params,
    ):
        of(key).households_visited = count
    for key, count in _overdue(store, group, period).items():
        of(key).overdue = count
    for key, status, half_day, count in conn.execute(
        f"SELECT {group}, a.status, a.half_day, count(*) FROM attendance a "
        "JOIN daycare_members m ON m.id = a.member_id JOIN persons p ON p.id = m.person_id "
        "JOIN households h ON h.id = p.household_id "
        "WHERE a.day BETWEEN :first AND :last GROUP BY 1, 2, 3",
        params,
    ):
        of(key).person_days += Mark(status, bool(half_day)).person_days * count
    if by_division:
        for code in sorted(changes.divisions):
            figures = of(code)
            figures.changes = changes.counts(code)
            figures.founding = changes.founded(code)
    else:
        figures = of(WHOLE)
        figures.changes = changes.counts()
        figures.founding = changes.founded()
    return found


def _overdue(store: Store, group: str, period: Period) -> dict[str, int]:
    """People overdue for a visit at `until`, per group (the rule in the module doc).

    The due list's stored columns hold this very rule for everyone whose last visit
    is not after `until` (`persons.next_due_date`, kept by `store.tiers`): one indexed
    count.  Only people visited after `until` (a past month's return) or out of the
    register now (no stored due date) are worked out from the visits of the longest
    interval before `until` (one range scan; a latest-visit subquery per person made
    this step super-linear at district scale).
    """
    params = period.params
    conn = store.db.conn
    stored = "p.next_due_date <> '' AND p.last_visit_date <= :until"
    found: dict[str, int] = dict(
        conn.execute(
            f"SELECT {group}, count(*) {_PERSONS} WHERE {_IN_REGISTER} AND {stored} "
            "AND p.next_due_date < :until GROUP BY 1",
            params,
        ).fetchall()
    )
    settings = tiers.get_settings(store)
    longest = max(settings.intervals.values())
    until = period.until
    rest = conn.execute(
        f"SELECT {group}, p.id, p.tier, substr(p.created_at, 1, 10), "
        "CASE WHEN p.last_visit_date <= :until THEN p.last_visit_date ELSE '' END "
        f"{_PERSONS} WHERE {_IN_REGISTER} AND NOT ({stored})",
        params,
    ).fetchall()
    # Their latest visit up to `until`, looked for within the longest interval only:
    # one visited before that is overdue whatever the date, as is one never visited
    # (due on registration, before `until`), so "none in the window" counts the same.
    since = (until - timedelta(days=longest)).isoformat()
    recent: dict[str, str] = {}
    if rest:
        for pid, day in conn.execute(
            "SELECT vp.person_id, max(v.visit_date) FROM visits v "
            "JOIN visit_persons vp ON vp.visit_id = v.id "
            "WHERE v.visit_date BETWEEN :since AND :until AND v.deleted = 0 GROUP BY 1",
            {**params, "since": since},
        ):
            recent[pid] = day
    for key, pid, tier, registered, kept in rest:
        seen = max(recent.get(pid, ""), kept or "")
        due = next_due(
            date.fromisoformat(seen) if seen else None,
            settings.intervals.get(tier, longest),
            date.fromisoformat(registered),
        )
        if due < until:
            found[key] = found.get(key, 0) + 1
    return found


# -- the community's 汇总 -------------------------------------------------------------------
@dataclass(frozen=True)
class EventTotals:
    """An emergency event of the month and its roll call, as the 急难救助 sheet reports it."""

    id: str
    name: str
    kind: str
    started_at: str
    ended_at: str
    listed: int  # 点名人数: people on the event's priority list (as closed, or now)
    by_status: dict[str, int]  # every roll-call status code -> people of the list
    closed: bool = False  # the figures are those kept when the event was closed

    @property
    def total(self) -> int:
        """The people on the list (点名人数)."""
        return self.listed

    @property
    def unreached(self) -> int:
        """未联系: on the list and not marked with another status."""
        return self.by_status.get("pending", 0)

    @property
    def marked(self) -> int:
        """Marked with a status other than 未联系 (联系不上 included)."""
        return self.listed - self.unreached


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


def _events(store: Store, period: Period) -> list[EventTotals]:
    """The events running at some time in the month, with their roll call (module doc)."""
    found = []
    for (event_id,) in store.db.conn.execute(
        "SELECT id FROM emergency_events WHERE started_at < :next "
        "AND (ended_at = '' OR ended_at >= :first) ORDER BY started_at, pk",
        period.params,
    ).fetchall():
        event = get_event(store, event_id)
        try:
            progress = event_summary(store, event).progress
        except InputError:  # a kind this program does not rank: the people checked
            progress = summarize_statuses(
                status
                for (status,) in store.db.conn.execute(
                    "SELECT status FROM emergency_checks WHERE event_id = ?", (event.id,)
                )
            )
        found.append(
            EventTotals(
                id=event.id,
                name=event.name,
                kind=event.kind,
                started_at=event.started_at,
                ended_at=event.ended_at,
                listed=progress.total,
                by_status=progress.counts(),
                closed=event.is_closed,
            )
        )
    return found


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
