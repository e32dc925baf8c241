"""The survey round's results workbook: for people, and for the district's merge.

Sheets, in order:
- 调查结果: one row per person on the round's list — where, who (ID numbers masked
  前6后4 unless `full_ids`, audited), 调查状态/方式/失访原因/日期, then one column per
  questionnaire item in the national form's order, headed "R3.户口性质", each answer
  written as code and label ("1.农业"; several joined by "、"); "不适用" where the item
  is skipped for this person, blank where it is not answered yet.
- 进度: 应调查, 入户, 见面, 电话, 失访, 未调查, 入户率, 完成率 per grid and building.
- _元数据 (hidden): format `FORMAT`, version, schema version, site, year, reference
  day, exporter, then each data sheet's row count and SHA-256 and one checksum
  (`excel.meta_sheet`, as the monthly return has it).
- _数据_survey_rounds, _数据_survey_entries (hidden): the round's rows as stored.

`read_survey` reads one back, verified the same way as a monthly return.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from canxie_tui.domain import survey as rules
from canxie_tui.domain import survey_form as form
from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.models import Site
from canxie_tui.domain.places import label
from canxie_tui.excel.book import Book
from canxie_tui.excel.errors import (
    ChecksumError,
    ExportError,
    SchemaMismatchError,
    WorkbookError,
)
from canxie_tui.excel.files import Progress, exports_dir, load_workbook, reading, safe_filename
from canxie_tui.excel.meta_sheet import DataError, SheetMismatch, read_meta, read_verified
from canxie_tui.excel.return_format import DATA_PREFIX, META_SHEET, meta_checksum
from canxie_tui.excel.return_run import RATE, category_level, record_full_ids_start
from canxie_tui.excel.table import Column, Heading
from canxie_tui.store import survey, survey_files
from canxie_tui.store.connection import Store
from canxie_tui.store.site import get_site

FORMAT = "canxie_tui.survey_results"
FORMAT_VERSION = 1
RESULT_SHEET = "调查结果"
PROGRESS_SHEET = "进度"
SITE_FIELDS = tuple(f.name for f in fields(Site))
NOT_ASKED = "不适用"
_PERSON_COLUMNS = (
    "序号",
    "网格",
    "楼栋",
    "单元",
    "房号",
    "姓名",
    "性别",
    "身份证号",
    "残疾人证号",
    "残疾类别等级",
    "人户分离",
    "调查状态",
    "调查方式",
    "失访原因",
    "调查日期",
)


def default_path(site: Site, year: int) -> Path:
    return exports_dir() / f"基本状况调查_{safe_filename(site.name)}_{year}年度.xlsx"


def _target(out: Path | str | None, site: Site, year: int) -> Path:
    if out is None:
        return default_path(site, year)
    path = Path(out)
    if path.is_dir():
        return path / default_path(site, year).name
    if path.suffix.lower() != ".xlsx":
        from canxie_tui.domain.errors import InputError

        raise InputError(f"导出文件名应以 .xlsx 结尾：“{path}”", "out")
    return path


def answer_cells(person: survey_files.SheetPerson) -> list[str]:
    """One cell per questionnaire item: code and label, 不适用, or blank."""
    shown = {i.key for i in form.applicable(person.entry.subject, person.answers)}
    cells = []
    for item in form.ITEMS.values():
        if item.key not in shown:
            cells.append(NOT_ASKED)
        else:
            cells.append(item.text(person.answers.get(item.key)))
    return cells


def export_survey(
    store: Store,
    year: int | None = None,
    *,
    out: Path | str | None = None,
    full_ids: bool = False,
    progress: Progress | None = None,
    overwrite: bool = True,
) -> Path:
    """Write the results workbook of the round of `year` (default the newest); its path
    (refused if `out` exists unless `overwrite`)."""
    from canxie_tui.store import records

    round = survey.get_round(store, year)
    site = get_site(store)
    if not site.is_configured:
        raise ExportError("还没有设置本站点的区划名称和代码（设置 → 站点），无法导出调查结果。")
    path = _target(out, site, round.year)
    if full_ids:
        record_full_ids_start(store, "survey_round", round.id, {"path": str(path)})
    today = store.today()
    heading = Heading(
        divisions=site.full_name(),
        title=round.title,
        unit=site.name,
        reporter=store.operator_name,
        date=f"{today.year}年{today.month}月{today.day}日",
    )
    with Book() as book:
        items = list(form.ITEMS.values())
        results = book.table(
            RESULT_SHEET,
            [Column(t) for t in _PERSON_COLUMNS] + [Column(i.title, max_width=24) for i in items],
            heading=heading,
            freeze_columns=6,
        )
        people = list(survey_files.result_people(store, round))
        for number, person in enumerate(people, 1):
            if progress is not None and number % 200 == 0:
                progress("写入调查结果", number, len(people))
            entry = person.entry
            ids = (person.id_number, person.cert_number)
            shown = ids if full_ids else tuple(mask_id(n) if n else "" for n in ids)
            results.append(
                [
                    number,
                    label(person.community, person.grid),
                    person.building,
                    person.unit,
                    person.room,
                    entry.name,
                    person.sex,
                    *shown,
                    category_level(person.category, person.level),
                    "是" if entry.apart else "",
                    rules.STATUSES[entry.status],
                    rules.METHODS.get(entry.method, ""),
                    rules.LOST_REASONS.get(entry.lost_reason, ""),
                    entry.surveyed_on,
                    *answer_cells(person),
                ]
            )
        _write_progress(book, heading, survey.progress(store, round))
        meta = book.sheet(META_SHEET, hidden=True)
        sheets = []
        for table in survey_files.DATA_TABLES:
            sheet = book.data_sheet(DATA_PREFIX + table, survey_files.columns(store, table))
            for values in survey_files.raw_rows(store, round, table):
                sheet.append(values)
            sheets.append((DATA_PREFIX + table, table, sheet.rows, sheet.sha256))
        from canxie_tui.excel.meta_sheet import write_meta

        write_meta(book, meta, _meta_items(store, site, round, full_ids), sheets)
        results.close()
        book.save(path, overwrite=overwrite)
    action = "导出调查结果（显示完整身份证号）" if full_ids else "导出调查结果"
    try:
        records.write_audit(
            store,
            action,
            "survey_rounds",
            round.id,
            None,
            {"path": str(path), "full_ids": full_ids},
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _write_progress(book: Book, heading: Heading, found: survey.Progress) -> None:
    titles = ("网格", "楼栋", *rules.PROGRESS_COLUMNS)
    sheet = book.table(
        PROGRESS_SHEET,
        [Column(t, number_format=RATE if t.endswith("率") else "") for t in titles],
        heading=heading,
    )
    for grid, building, c in found.lines():
        rates = [r if r is not None else "—" for r in (c.home_rate, c.completion)]
        kind = "total" if grid == "合计" else "body"
        sheet.append([grid, building, *c.figures(), *rates], kind)
    if found.apart_elsewhere:
        sheet.note(f"人户分离、在户籍地调查的 {found.apart_elsewhere} 人只列出，不计入应调查。")
    sheet.close()


def _meta_items(store: Store, site: Site, round: survey.Round, full_ids: bool) -> list[Any]:
    from canxie_tui.store import schema

    return [
        ("format", FORMAT, "文件格式"),
        ("format_version", FORMAT_VERSION, "格式版本"),
        ("schema_version", schema.SCHEMA_VERSION, "数据库结构版本"),
        *((name, getattr(site, name), name) for name in SITE_FIELDS),
        ("year", round.year, "调查年度"),
        ("ref_date", round.ref_date, "调查时点"),
        ("exported_at", store.now(), "导出时间"),
        ("operator_name", store.operator_name, "导出操作员"),
        ("full_ids", int(full_ids), "是否显示完整身份证号（1=是，已记入审计日志）"),
    ]


# -- reading back ------------------------------------------------------------------------
@dataclass(frozen=True)
class SurveyData:
    path: Path
    site: Site
    year: int
    checksum: str
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def read_survey(path: Path | str) -> SurveyData:
    """Read and verify a results workbook (refused with one Chinese message otherwise)."""
    file = Path(path)
    wb = load_workbook(file, read_only=True)
    try:
        with reading(file):
            return _read(wb, file)
    finally:
        wb.close()


def _refuse(path: Path, why: str) -> WorkbookError:
    return WorkbookError(f"“{path.name}”{why}，已拒绝读取。", str(path))


def _read(wb: Any, path: Path) -> SurveyData:
    from canxie_tui.store import schema

    if META_SHEET not in wb.sheetnames:
        raise _refuse(path, "不是残协工作台导出的调查结果（没有“_元数据”工作表）")
    try:
        items, sheets, checksum, _mac = read_meta(wb[META_SHEET])
    except DataError as err:
        raise ChecksumError(
            f"“{path.name}”的“_元数据”被改动过（{err}），已拒绝读取。", str(path)
        ) from err
    meta = dict(items)
    if meta.get("format") != FORMAT:
        raise _refuse(path, "不是残协工作台导出的调查结果")
    if str(meta.get("schema_version")) != str(schema.SCHEMA_VERSION):
        raise SchemaMismatchError(
            f"“{path.name}”的数据库结构版本为 {meta.get('schema_version')}，本程序为 "
            f"{schema.SCHEMA_VERSION}，已拒绝读取：请让双方使用同一版本的残协工作台。",
            str(path),
        )
    if not checksum or meta_checksum(items, sheets) != checksum:
        raise ChecksumError(f"“{path.name}”的“_元数据”与校验和不符，已拒绝读取。", str(path))
    tables: dict[str, list[dict[str, Any]]] = {}
    for sheet, table, rows, sha in sheets:
        if table not in survey_files.DATA_TABLES or sheet not in wb.sheetnames:
            raise _refuse(path, f"缺少数据工作表“{sheet}”")
        try:
            tables[str(table)] = read_verified(wb[sheet], int(rows), str(sha))
        except SheetMismatch as err:
            raise ChecksumError(
                f"“{path.name}”中“{sheet}”工作表{err}：导出后被修改过或已损坏，已拒绝读取。",
                str(path),
                str(sheet),
            ) from err
    if set(tables) != set(survey_files.DATA_TABLES):
        raise _refuse(path, "的数据工作表不完整")
    return SurveyData(
        path=path,
        site=Site(**{f: str(meta.get(f, "")) for f in SITE_FIELDS}),
        year=int(meta.get("year") or 0),
        checksum=checksum,
        tables=tables,
    )
