"""Reading the district's 花名册 (roster workbook): the first step of `excel.roster.importer`.

`read_roster(path)` refuses anything that is not a readable .xlsx (via
`excel.files.check_xlsx`: .xls, an encrypted workbook, a CSV or a renamed text
file, a damaged zip), a workbook whose parts expand beyond sane limits (a zip
bomb, `excel.limits`) and a workbook without a recognisable header, each with one
Chinese message.  It finds the header row itself in the first `HEADER_SCAN_ROWS`
rows of the first sheet that has one (title rows and merged cells above it are
common), matches the columns by their usual names and variants, then takes the
rows, up to the header's last column only (a sheet formatted out to column XFD
costs nothing more), through `domain.validate.clean_person` / `clean_household`.

The sheet is read by python-calamine (Rust): ~7x faster than openpyxl's
read-only mode, holding one sheet's cells (~40 MB for 30,000 rows) while Python
takes its rows one at a time.  A row comes out accepted
(cleaned values) or rejected (row number as Excel shows it, column, value, reason
in Chinese).  Blank rows are skipped; a second row with the same ID number is
rejected.

Register facts (户籍, 发证日期, 有效期至, 养老保险 ...) come from their own optional
columns, read by `excel.roster.columns.register_facts`; a value it cannot read
rejects the row with its column and reason.  人户分离 is decided here, from the
户籍 and the two addresses as cleaned (`columns.same_place`).

Accepted rows go to a spool (`excel.roster.spool`), a private temporary SQLite
database, so that memory stays flat in the number of rows;
`excel.roster.plan.preview` and `excel.roster.apply.apply` work through it in chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from canxie_tui.domain import codes, ids, validate
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import address_with_place
from canxie_tui.excel.errors import WorkbookError
from canxie_tui.excel.files import Progress, check_xlsx
from canxie_tui.excel.limits import check_expansion, corrupt_error
from canxie_tui.excel.roster.columns import (
    _FACT_KEYS,
    FACT_FIELDS,
    FIELD_LABELS,
    HEADER_SCAN_ROWS,
    HOUSEHOLD_FIELDS,
    MASKED_FIELDS,
    PERSON_FIELDS,
    _cell_text,
    _is_header,
    match_header,
    register_facts,
    same_place,
)
from canxie_tui.excel.roster.spool import RosterRow, Spool
from canxie_tui.store.bulk import gc_paused

__all__ = ["NoHeaderError", "Rejection", "RosterFile", "read_roster"]


# -- errors --------------------------------------------------------------------------
class NoHeaderError(WorkbookError):
    """A readable workbook in which no roster header (姓名 + 身份证号 ...) was found."""


# -- what a read gives ---------------------------------------------------------------
@dataclass(frozen=True)
class Rejection:
    row: int  # as Excel shows it
    column: str  # the header as written in the file (or the field's usual name)
    value: str  # as in the file (unmasked: mask with `shown_value` for display)
    reason: str
    field: str = ""  # name / id_number / phone ... ("" when unknown)

    def shown_value(self, full_ids: bool = False) -> str:
        """The value for a person to read: ID and certificate numbers masked (前6后4)."""
        if full_ids or self.field not in MASKED_FIELDS or not self.value:
            return self.value
        return ids.mask_id(self.value)


@dataclass(eq=False)
class RosterFile:
    path: Path
    sheet: str
    header_row: int
    columns: dict[str, str]  # field -> header text as written
    rejected: list[Rejection] = field(default_factory=list)
    blank_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    accepted: int = 0  # rows in the spool
    generation: int = 0  # previews made of it (a plan from an earlier one is stale)
    spool: Spool = field(default_factory=Spool, repr=False)

    @property
    def data_rows(self) -> int:
        return self.accepted + len(self.rejected)

    def column(self, key: str) -> str:
        return self.columns.get(key) or FIELD_LABELS.get(key, key)

    def rows(self) -> Iterator[RosterRow]:
        """Every accepted row, in row order (read from the spool as it goes)."""
        for chunk in self.spool.chunks():
            yield from chunk

    def close(self) -> None:
        """Drop the spool now (it also goes when the file is garbage-collected)."""
        self.spool.close()


def _shown(value: object) -> str:
    """A cell value as the error workbook and messages show it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.15g}".upper().replace("E+", "E+")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- reading ---------------------------------------------------------------------------
def _no_header_message(name: str, partial: tuple[str, int, dict[str, int]] | None) -> str:
    wanted = "“姓名”和“身份证号”（或“公民身份号码”“身份证号码”“证件号码”）"
    if partial is not None:
        sheet, row, found = partial
        has = "、".join(FIELD_LABELS[k] for k in found)
        missing = "姓名" if "name" not in found else "身份证号"
        return (
            f"“{name}”工作表“{sheet}”第{row}行像是表头（有{has}），但缺少“{missing}”列。"
            f"花名册的表头须包含{wanted}两列，请检查列名后再导入。"
        )
    return (
        f"“{name}”中找不到花名册的表头：每个工作表的前{HEADER_SCAN_ROWS}行里都没有同时包含"
        f"{wanted}的一行。请确认这是残疾人花名册，或把表头改成常用的列名后再导入。"
    )


def read_roster(
    path: Path | str,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> RosterFile:
    """Read and validate a roster workbook (see the module doc); nothing is written."""
    from python_calamine import CalamineError, CalamineWorkbook

    file = check_xlsx(path)
    check_expansion(file)
    today = today or date.today()
    try:
        book = CalamineWorkbook.from_path(str(file))
    except CalamineError as err:
        raise corrupt_error(file) from err
    try:
        with gc_paused():
            return _read(book, file, today, progress)
    except CalamineError as err:
        raise corrupt_error(file) from err
    finally:
        book.close()


def _sheets(book: Any) -> Iterator[Any]:
    """The worksheets to look in: the visible ones (or the only one, even hidden)."""
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    sheets = book.sheets_metadata
    for index, meta in enumerate(sheets):
        if meta.typ != SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != SheetVisibleEnum.Visible and len(sheets) > 1:
            continue
        yield book.get_sheet_by_index(index)


def _read(book: Any, file: Path, today: date, progress: Progress | None) -> RosterFile:
    partial: tuple[str, int, dict[str, int]] | None = None
    for sheet in _sheets(book):
        # From row 1 (its row numbers are Excel's); columns from the first one used.
        rows = sheet.iter_rows()
        for number, cells in enumerate(rows, 1):
            if number > HEADER_SCAN_ROWS:
                break
            found = match_header(cells)
            if _is_header(found):
                roster = RosterFile(
                    path=file,
                    sheet=sheet.name,
                    header_row=number,
                    spool=Spool(facts=not _FACT_KEYS.isdisjoint(found)),
                    columns={k: str(cells[i]).strip() for k, i in found.items()},
                    ignored_columns=[
                        str(c).strip()
                        for i, c in enumerate(cells)
                        if c not in (None, "") and i not in found.values()
                    ],
                )
                # Nothing right of the header's last column is read (16,384 styled
                # columns cost what 20 do).
                width = 1 + max(i for i, c in enumerate(cells) if c not in (None, ""))
                below = (row[:width] for row in rows)
                _read_rows(roster, found, below, number, today, progress, sheet.total_height)
                return roster
            if partial is None and len(found) >= 2 and ("name" in found or "id_number" in found):
                partial = (sheet.name, number, found)
    raise NoHeaderError(_no_header_message(file.name, partial), str(file))


def _read_rows(
    roster: RosterFile,
    found: dict[str, int],
    rows: Iterator[tuple[Any, ...]],
    header_row: int,
    today: date,
    progress: Progress | None,
    estimate: int,
) -> None:
    columns = sorted(found.items(), key=lambda item: item[1])
    id_column = roster.column("id_number")
    # ID number -> the first row giving it: a few MB for a district's roster, held
    # while the sheet is read (the sheet itself is several times that) and no longer.
    claimed: dict[str, int] = {}
    with roster.spool.filling():  # accepted rows written meanwhile, on a thread
        for number, cells in enumerate(rows, header_row + 1):
            if progress is not None and number % 1000 == 0:
                progress("读取花名册", number, max(estimate, number))
            raw: dict[str, Any] = {}
            width = len(cells)
            for key, index in columns:
                if index < width:
                    value = cells[index]
                    if value is not None and not (isinstance(value, str) and not value.strip()):
                        raw[key] = value
            if not raw:
                roster.blank_rows += 1
                continue
            if set(raw) == {"name"} and all(
                c is None or (isinstance(c, str) and not c.strip())
                for i, c in enumerate(cells)
                if i != found["name"]
            ):
                # A footer such as "制表人：" in the name column only.
                roster.blank_rows += 1
                continue
            outcome = _clean_row(roster, number, raw, today, id_column, claimed)
            if isinstance(outcome, Rejection):
                roster.rejected.append(outcome)
            else:
                roster.spool.add(outcome)
                roster.accepted += 1
    if progress is not None:
        progress("读取花名册", estimate, estimate)


def _clean_row(
    roster: RosterFile,
    number: int,
    raw: dict[str, Any],
    today: date,
    id_column: str,
    claimed: dict[str, int],
) -> RosterRow | Rejection:
    def reject(key: str, reason: str) -> Rejection:
        return Rejection(number, roster.column(key), _shown(raw.get(key)), reason, key)

    id_raw = raw.get("id_number")
    if id_raw is None:
        return reject("id_number", "缺少身份证号（花名册按身份证号匹配人员）")
    try:
        parsed = ids.parse_id(id_raw if isinstance(id_raw, int | float) else str(id_raw), today)
    except ids.IdError as err:
        return reject("id_number", err.message)
    first = claimed.setdefault(parsed.number, number)
    if first != number:
        return Rejection(
            number, id_column, _shown(id_raw), f"与第{first}行身份证号重复", "id_number"
        )

    values = {k: _cell_text(v) for k, v in raw.items() if k not in ("id_number", "cert_number")}
    cert = raw.get("cert_number")
    values["id_number"] = parsed.number
    if cert is not None:
        values["cert_number"] = cert if isinstance(cert, float) else _cell_text(cert)
    facts: dict[str, Any] = {}
    benefits: tuple[tuple[str, str], ...] = ()
    poverty = None
    has_facts = not _FACT_KEYS.isdisjoint(raw)
    if has_facts:
        try:
            facts, benefits, poverty = register_facts(raw, values)
        except InputError as err:
            return reject(err.field, err.message)
        values.update(facts)
    try:
        person = validate.clean_person(values, today, parsed_id=parsed, facts=has_facts)
    except InputError as err:
        return reject(err.field if err.field in FIELD_LABELS else "name", err.message)
    sex = values.get("sex", "")
    if sex:
        sex = sex.removesuffix("性")
        if sex not in codes.SEXES:
            return reject("sex", "性别应为“男”或“女”")
        if sex != person["sex"]:
            return reject("sex", f"性别“{sex}”与身份证号不符（按身份证号应为{person['sex']}）")
    house_raw = {k: values.get(k, "") for k in HOUSEHOLD_FIELDS}
    try:
        house = validate.clean_household({**house_raw, "address": house_raw["address"] or "-"})
    except InputError as err:
        return reject(err.field if err.field in FIELD_LABELS else "address", err.message)
    if not house_raw["address"]:
        house["address"] = ""
    person_items = tuple(
        (k, person[k]) for k in PERSON_FIELDS if k in raw and person[k] not in (None, "")
    )
    person_items += (("sex", person["sex"]), ("birth_date", person["birth_date"]))
    household = tuple((k, house[k]) for k in HOUSEHOLD_FIELDS if house[k])
    if facts or benefits or poverty:
        if facts.get("hukou") == "outside":
            facts["apart"] = 1
        elif "hukou_address" in facts and house["address"]:
            here = address_with_place(
                house["address"], "".join(house[k] for k in ("building", "unit", "room"))
            )
            facts["apart"] = 0 if same_place(person["hukou_address"], here) else 1
        person_items += tuple(
            (k, facts["apart"] if k == "apart" else person[k]) for k in FACT_FIELDS if k in facts
        )
        person_items += benefits
        if poverty:
            household += (("poverty", poverty),)
    return RosterRow(
        row=number,
        id_number=parsed.number,
        person=person_items,
        household=household,
    )
