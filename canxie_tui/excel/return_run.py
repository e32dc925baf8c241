"""What every print sheet of the monthly return is written with.

`ExportRun` carries one export: the store, the month, the workbook, the 填报
heading, progress (`Steps`) and how ID numbers are shown (masked 前6后4, also
inside free text, unless `full_ids`).  The figure sheets (`excel.return_sheets`)
and the record lists (`excel.return_lists`) are written through it.

Figures are numbers (a district officer adds 200 returns up): every count,
person-day and rate on a print sheet is a number cell with a number format —
`INT` "0" for counts, `DAYS` "0.0" for person-days, `AVERAGE` "0.00", `RATE`
"0.0%" (a rate is the fraction: 0.717 shows 71.7%) — never text, and never a
figure inside a sentence.  A rate nobody is counted for (no household, nobody
eligible) is the text `NO_RATE` "—", never 0%; so is a cell that has no figure
by definition (the denominator of a count).

Every print sheet has a print area (`PrintSheet.print_until`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.ids import mask_id, mask_ids_in_text
from canxie_tui.excel.book import Book
from canxie_tui.excel.cells import column_letter
from canxie_tui.excel.files import Progress
from canxie_tui.excel.table import Column, Heading, Look, TableSheet
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.monthly import Period
from canxie_tui.store.site import get_site

__all__ = [
    "AVERAGE",
    "DAYS",
    "INT",
    "NO_RATE",
    "RATE",
    "REPORT_TITLE",
    "ExportRun",
    "PrintSheet",
    "Steps",
    "category_level",
    "mask_in_text",
]

REPORT_TITLE = "残疾人工作月报"
INT = "0"
DAYS = "0.0"
AVERAGE = "0.00"
RATE = "0.0%"
NO_RATE = "—"  # a rate nobody is counted for, or a cell with no figure by definition
BLANK = "\u3000" * 6  # room to write by hand on the printed form

# ID numbers inside free text, in every form they are typed: the domain's one rule.
mask_in_text = mask_ids_in_text


# -- progress -------------------------------------------------------------------------------
class Steps:
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


# -- print sheets ----------------------------------------------------------------------------
_FIGURES = "figures:"


class PrintSheet(TableSheet):
    """A print table whose rows may give each cell its own number format, and a print area.

    `figures(values, formats)` writes a bordered row where cell i takes `formats[i]`
    ('' keeps the column's format): the 汇总 has counts, person-days and a rate in
    one column.  On closing, the print area is set to the table's columns down to
    `print_until` (default: the last row).
    """

    print_until: int | None = None

    def figures(
        self,
        values: Sequence[Any],
        formats: Sequence[str],
        *,
        bold: bool = False,
        merge: Sequence[tuple[int, int]] = (),
    ) -> int:
        """A row of figures (padded with bordered blanks to `len(formats)` cells)."""
        cells = list(values) + [None] * (len(formats) - len(values))
        kind = f"{_FIGURES}{int(bold)}:{chr(31).join(formats)}"
        return self.append(cells, kind, merge=merge)

    def _row_styles(self, kind: str) -> list[Any]:
        if not kind.startswith(_FIGURES):
            return super()._row_styles(kind)
        found = self._styles.get(kind)
        if found is None:
            bold, _, given = kind[len(_FIGURES) :].partition(":")
            formats = given.split(chr(31))
            found = [
                self.book.style(
                    Look(
                        bold=bold == "1",
                        border=True,
                        horizontal=column.align,
                        wrap=column.wrap,
                        number_format=(formats[i] if i < len(formats) else "")
                        or column.number_format,
                    )
                )
                for i, column in enumerate(self.columns)
            ]
            self._styles[kind] = found
        return found

    def close(self) -> None:
        if self.closed:
            return
        super().close()
        last = self.print_until or self.next_row - 1
        self.ws.print_area = f"A1:{column_letter(self.width)}{max(last, 1)}"


def signature_line() -> str:
    """The line official statistical forms carry; 填报人 is filled in by `ExportRun`."""
    return "单位负责人：{0}审核人：{0}填报人：{1}联系电话：{0}"


def category_level(category: int | None, level: int | None) -> str:
    """肢体二级; 非持证 without a category (the level left out when not recorded)."""
    if category is None:
        return "非持证"
    return codes.label(codes.CATEGORIES, category, str(category)) + codes.label(codes.LEVELS, level)


# -- the run ------------------------------------------------------------------------------
class ExportRun:
    """One export run: the store, the month, the book and how IDs are shown."""

    def __init__(
        self, store: Store, period: Period, full_ids: bool, steps: Steps, book: Book
    ) -> None:
        self.store = store
        self.period = period
        self.full_ids = full_ids
        self.steps = steps
        self.book = book
        self.site = get_site(store)
        self.params = period.params
        self.sheets: list[PrintSheet] = []
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
        return text if self.full_ids else mask_in_text(text)

    def table(
        self,
        title: str,
        columns: Sequence[Column],
        *,
        header: bool = True,
        extra_header: Sequence[Sequence[Any]] = (),
        freeze_columns: int = 0,
    ) -> PrintSheet:
        """A print sheet with the return's heading (A4 landscape, see `excel.table`)."""
        sheet = PrintSheet(
            self.book,
            self.book.sheet(title),
            columns,
            heading=self.heading,
            header=header,
            extra_header=extra_header,
            freeze_columns=freeze_columns,
            landscape=True,
        )
        self.sheets.append(sheet)
        return sheet

    def close(self) -> None:
        """Finish every print sheet (their print areas are set on closing)."""
        for sheet in self.sheets:
            sheet.close()

    def signature(self, sheet: PrintSheet) -> int:
        """单位负责人 / 审核人 / 填报人 / 联系电话, blank to fill by hand but the reporter."""
        text = signature_line().format(BLANK, (self.heading.reporter or BLANK) + "\u3000\u3000")
        sheet.blank()
        return sheet.append([text], "info")

    def rows(self, sql: str, params: Any = None) -> Iterator[dict[str, Any]]:
        cursor = self.store.db.conn.execute(sql, self.params if params is None else params)
        names = [d[0] for d in cursor.description]
        for values in cursor:
            yield dict(zip(names, values, strict=True))


def _rate(value: float | None) -> float | str:
    return NO_RATE if value is None else value


FULL_IDS_STARTED = "开始导出，含完整身份证号"


def record_full_ids_start(
    store: Store, table: str, record_id: str, details: dict[str, Any]
) -> None:
    """The audit entry an export with full ID numbers writes before anything else: a
    crash while writing must not leave an unrecorded file behind."""
    records.write_audit(
        store, FULL_IDS_STARTED, table, record_id, None, {**details, "full_ids": True}
    )
