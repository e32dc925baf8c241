"""The figures both the community's 汇总 and the district roll-up count, per group."""

from __future__ import annotations

from dataclasses import dataclass, field

from canxie_tui.domain.daycare import Mark
from canxie_tui.store.connection import Store
from canxie_tui.store.monthly.columns import (
    _BAND,
    _IN_REGISTER,
    _MONTH_VISITS,
    _PERSONS,
    _SEX,
    AGE_BANDS,
    SEXES,
    UNKNOWN,
    WHOLE,
)
from canxie_tui.store.monthly.overdue import _overdue
from canxie_tui.store.monthly.period import Period
from canxie_tui.store.register_changes import CHANGE_KINDS, RegisterChanges, register_changes


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
