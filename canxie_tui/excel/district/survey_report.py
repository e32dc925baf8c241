"""The district report's 基本状况调查 sheet: 入户率 and completion per community.

Rows as the report's other sheets place them (communities numbered, a subtotal per
street, the district's total); a subtotal adds up its communities' counts, so its
rates are recomputed, not averaged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from canxie_tui.domain import survey as rules
from canxie_tui.excel.book import Book
from canxie_tui.excel.return_run import INT, RATE
from canxie_tui.excel.table import Column, Heading

COLUMNS = rules.PROGRESS_COLUMNS


def _added(parts: Sequence[rules.Counts]) -> rules.Counts:
    total = rules.Counts()
    for part in parts:
        for name in ("due", "home", "meet", "phone", "lost", "draft"):
            setattr(total, name, getattr(total, name) + getattr(part, name))
    return total


def write_survey_sheet(
    book: Book,
    heading: Heading,
    places: Sequence[tuple[Any, list[Any]]],
    by_code: dict[str, rules.Counts],
    year: int,
) -> None:
    """`places`: (report row with level/code/street_code, its first cells), in order."""
    first = [Column(t) for t in ("序号", "街道/镇", "村/社区", "区划代码")]
    sheet = book.table(
        "基本状况调查",
        [*first, *(Column(t, number_format=RATE if t.endswith("率") else INT) for t in COLUMNS)],
        heading=heading,
    )
    for row, cells in places:
        if row.level == "community":
            counts = by_code.get(row.code) or rules.Counts()
        elif row.level == "street":
            counts = _added([c for code, c in by_code.items() if code.startswith(row.code)])
        else:
            counts = _added(list(by_code.values()))
        rates = [counts.home_rate, counts.completion]  # None: an empty cell (nobody due)
        sheet.append(
            [*cells, *counts.figures(), *rates], "body" if row.level == "community" else "total"
        )
    sheet.note(
        f"{year}年度持证残疾人基本状况调查，来自已合并的各社区调查结果：入户率 = 入户 ÷ 应调查；"
        "完成率 = (已调查 + 失访) ÷ 应调查。没有合并调查结果的社区为空。"
    )
    sheet.close()
