"""The month counted: its days, the last day counted, and one snapshot to count it in."""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from canxie_tui.domain.errors import InputError
from canxie_tui.store.connection import Store


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
