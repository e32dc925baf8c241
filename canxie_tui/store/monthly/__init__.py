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

Modules: `period` (the month counted, one snapshot), `columns` (the register's
figures in SQL), `figures` (the figures both count), `overdue` (overdue at the
month's end), `events` (the month's emergency events), `summary` (the
community's 汇总).  Callers use this package's names.
"""

from __future__ import annotations

from canxie_tui.store.monthly.columns import AGE_BANDS, SEXES, UNKNOWN, WHOLE
from canxie_tui.store.monthly.events import EventTotals
from canxie_tui.store.monthly.figures import MonthFigures, coverage, month_figures
from canxie_tui.store.monthly.period import Period, month_period, snapshot
from canxie_tui.store.monthly.summary import MonthlySummary, summarize, summarize_month

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
