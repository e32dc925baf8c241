"""The district roll-up's 两项补贴 sheet: each community's payroll and check of the month.

One row per community (and a subtotal per street, the district's total), as the
community's own 两项补贴发放名册 counts them (`store.subsidy_payroll.totals_by_division`,
by the district's rule sets): 生活补贴 and 护理补贴 人数 and 金额, their sum, and the
check's 应停未停 with its 多发金额.  Subtotals add the communities up.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from canxie_tui.domain.subsidies import CARE, KIND_SHORT, LIVING, month_of
from canxie_tui.excel.book import Book
from canxie_tui.excel.table import Column, Heading
from canxie_tui.store.connection import Store
from canxie_tui.store.subsidy_payroll import Totals, totals_by_division

SHEET = "两项补贴"
_COUNT = "0"


def _cells(t: Totals) -> list[int]:
    cells: list[int] = []
    for kind in (LIVING, CARE):
        cells += [t.people.get(kind, 0), t.money.get(kind, 0)]
    return [*cells, sum(t.money.values()), t.stops, t.overpaid]


def write_sheet(
    book: Book,
    heading: Heading,
    place_columns: Sequence[Column],
    placed: Sequence[tuple[Any, list[Any]]],
    store: Store,
    year: int,
    month: int,
) -> None:
    """`placed`: the report's rows (level, code, street_code) with their first cells."""
    by_code = totals_by_division(store, month_of(year, month))
    titles = [
        f"{KIND_SHORT[LIVING]}人数",
        f"{KIND_SHORT[LIVING]}金额（元）",
        f"{KIND_SHORT[CARE]}人数",
        f"{KIND_SHORT[CARE]}金额（元）",
        "两项补贴金额合计（元）",
        "应停未停（项）",
        "多发金额（元）",
    ]
    columns = [
        *place_columns,
        *(Column(t, align="center", min_width=9, wrap=True, number_format=_COUNT) for t in titles),
    ]
    sheet = book.table(SHEET, columns, heading=heading, freeze_columns=len(place_columns))
    kind = {"community": "body", "street": "total", "total": "total"}
    for row, first in placed:
        total = Totals()
        for code, found in by_code.items():
            if (
                row.level == "total"
                or (row.level == "street" and code[:9] == row.code)
                or code == row.code
            ):
                total.add(found)
        sheet.append([*first, *_cells(total)], kind[row.level])
    sheet.note(
        f"按各社区{year}年{month}月的两项补贴发放记录（当月为“享受”）和本库的补贴标准计算，"
        "与社区月报的“两项补贴发放名册”同一口径；应停未停为当月核对中仍在发放、但已不符合条件的"
        "（死亡、迁出、注销、证件过期、不在低保等），多发金额为不再符合条件后仍发放的月份金额之和。"
    )
    sheet.close()
