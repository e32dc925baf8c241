"""Reading a monthly return back: the machine-readable part, verified.

`read_monthly(path)` opens the workbook read-only, checks that it is a monthly
return of a format and database schema this program understands, reads every
`_数据_` sheet back into database values (exactly as exported: see `excel.cells`),
and recomputes the row counts and SHA-256 checksums of `_元数据`.  Anything that
does not match is refused with one Chinese message that says what and where:

- not an .xlsx at all (CSV, .xls, ODS, zip), encrypted, damaged → the
  `excel.files.check_xlsx` errors;
- no `_元数据`, another format, a data sheet missing → NotMonthlyReturnError;
- a newer format version → FormatVersionError;
- another schema version → SchemaMismatchError (which side should upgrade);
- a data sheet (or the metadata) changed since the export → ChecksumError,
  naming the sheet.

The district merge reads each community's workbook with it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canxie_tui.domain.models import Site
from canxie_tui.excel.cells import DataError
from canxie_tui.excel.errors import (
    ChecksumError,
    FormatVersionError,
    NotMonthlyReturnError,
    SchemaMismatchError,
)
from canxie_tui.excel.files import Progress, load_workbook, reading
from canxie_tui.excel.meta_sheet import SheetMismatch, read_meta, read_verified
from canxie_tui.excel.return_format import (
    DATA_TABLES,
    FORMAT,
    FORMAT_VERSION,
    META_SHEET,
    meta_checksum,
)

__all__ = ["MonthlyData", "ReturnHeader", "read_header", "read_monthly"]

_TABLES = {t.table: t for t in DATA_TABLES}
_SITE_FIELDS = (
    "district_name",
    "district_code",
    "street_name",
    "street_code",
    "community_name",
    "community_code",
)


@dataclass(frozen=True)
class MonthlyData:
    """A verified monthly return: its metadata and the rows of each database table."""

    path: Path
    format_version: int
    schema_version: int
    site: Site
    year: int
    month: int
    exported_at: str
    operator_id: str
    operator_name: str
    full_ids: bool
    checksum: str
    # database table -> rows, each a dict column -> value (None, int, float or str)
    tables: Mapping[str, list[dict[str, Any]]] = field(default_factory=dict)
    meta: Mapping[str, str] = field(default_factory=dict)
    mac: str = ""  # the community's signature over `checksum` ("" when unsigned)

    @property
    def month_text(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def row_counts(self) -> dict[str, int]:
        return {table: len(rows) for table, rows in self.tables.items()}

    def rows(self, table: str) -> list[dict[str, Any]]:
        """The rows of database `table` ([] when the workbook has none)."""
        return self.tables.get(table, [])


def _name(path: Path) -> str:
    return f"“{path.name}”"


def _meta(wb: Any, path: Path) -> tuple[list[tuple[str, Any]], list[list[Any]], str, str]:
    """(key/value items in order, sheet rows, checksum, MAC or "") of `_元数据`."""
    if META_SHEET not in wb.sheetnames:
        raise NotMonthlyReturnError(
            f"{_name(path)}不是残协工作台导出的月报（没有“{META_SHEET}”工作表）。", str(path)
        )
    try:
        return read_meta(wb[META_SHEET])
    except DataError as err:
        raise ChecksumError(
            f"{_name(path)}的“{META_SHEET}”工作表被改动过（{err}），已拒绝读取。"
            "请让对方重新导出月报。",
            str(path),
            META_SHEET,
        ) from err


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_versions(meta: dict[str, Any], path: Path) -> tuple[int, int]:
    from canxie_tui.store import schema

    if meta.get("format") != FORMAT:
        raise NotMonthlyReturnError(
            f"{_name(path)}不是残协工作台导出的月报（“{META_SHEET}”中的格式不对）。", str(path)
        )
    version = _int(meta.get("format_version"))
    if version is None or version < 1:
        raise NotMonthlyReturnError(
            f"{_name(path)}的月报格式版本“{meta.get('format_version')}”无法识别。", str(path)
        )
    if version > FORMAT_VERSION:
        raise FormatVersionError(
            f"{_name(path)}由更新版本的残协工作台导出（月报格式版本 {version}），"
            f"本程序只能读取到版本 {FORMAT_VERSION}。请升级本程序后再读取。",
            str(path),
        )
    theirs, ours = _int(meta.get("schema_version")), schema.SCHEMA_VERSION
    if theirs is None:
        raise NotMonthlyReturnError(f"{_name(path)}缺少数据库结构版本，无法读取。", str(path))
    if theirs > ours:
        raise SchemaMismatchError(
            f"{_name(path)}来自更新版本的残协工作台（数据库结构版本 {theirs}，本程序为 {ours}），"
            "结构不一致，已拒绝读取。请先升级本程序。",
            str(path),
        )
    if theirs < ours:
        raise SchemaMismatchError(
            f"{_name(path)}来自旧版本的残协工作台（数据库结构版本 {theirs}，本程序为 {ours}），"
            "结构不一致，已拒绝读取。请对方升级程序后重新导出月报。",
            str(path),
        )
    return version, theirs


def _tampered(path: Path, sheet: str, label: str, why: str) -> ChecksumError:
    return ChecksumError(
        f"{_name(path)}中“{sheet}”工作表（{label}）{why}：导出后被修改过或已损坏，已拒绝读取。"
        "请让对方重新导出月报。",
        str(path),
        sheet,
    )


def _read_sheet(
    wb: Any,
    path: Path,
    sheet: str,
    table: str,
    expected_rows: int,
    expected_sha: str,
    steps: Callable[[int], None],
) -> list[dict[str, Any]]:
    label = _TABLES[table].label
    if sheet not in wb.sheetnames:
        raise NotMonthlyReturnError(
            f"{_name(path)}缺少数据工作表“{sheet}”（{label}），文件不完整，已拒绝读取。", str(path)
        )
    try:
        return read_verified(wb[sheet], expected_rows, expected_sha, steps)
    except SheetMismatch as err:
        raise _tampered(path, sheet, label, str(err)) from err


def _ticker(progress: Progress | None, label: str, done: int, total: int) -> Callable[[int], None]:
    def tick(count: int) -> None:
        if progress is not None and count % 500 == 0:
            progress(label, done + count, total)

    return tick


@dataclass(frozen=True)
class ReturnHeader:
    """A return's `_元数据` alone (verified by its checksum): enough to list it."""

    path: Path
    site: Site
    month_text: str
    checksum: str
    meta: Mapping[str, str]
    mac: str = ""


def read_header(path: Path | str) -> ReturnHeader:
    """The metadata of a return, without its data sheets (the district screen lists files).

    Raises the errors `read_monthly` raises for the metadata; the data sheets are
    verified only when the return is merged.
    """
    file = Path(path)
    wb = load_workbook(file, read_only=True)
    try:
        with reading(file):
            items, sheets, checksum, mac = _meta(wb, file)
            meta = dict(items)
            _check_versions(meta, file)
            if not checksum or meta_checksum(items, [list(e[:4]) for e in sheets]) != checksum:
                raise _tampered(file, META_SHEET, "元数据", "的内容与校验和不符")
    finally:
        wb.close()
    return ReturnHeader(
        file,
        Site(**{f: str(meta.get(f, "")) for f in _SITE_FIELDS}),
        str(meta.get("month", "")),
        checksum,
        {k: str(v) for k, v in items},
        mac,
    )


def read_monthly(path: Path | str, *, progress: Progress | None = None) -> MonthlyData:
    """Read and verify a monthly return written by `export_monthly` (see the module doc)."""
    file = Path(path)
    wb = load_workbook(file, read_only=True)
    try:
        with reading(file):
            return _read(wb, file, progress)
    finally:
        wb.close()


def _read(wb: Any, path: Path, progress: Progress | None) -> MonthlyData:
    items, sheets, checksum, mac = _meta(wb, path)
    meta = dict(items)
    version, schema_version = _check_versions(meta, path)
    if not checksum:
        raise NotMonthlyReturnError(
            f"{_name(path)}的“{META_SHEET}”缺少校验和，无法核对。", str(path)
        )
    entries = []
    for entry in sheets:
        sheet, table, rows, sha = (str(entry[0]), str(entry[1]), _int(entry[2]), str(entry[3]))
        if table not in _TABLES or rows is None or sheet != _TABLES[table].sheet:
            raise _tampered(path, META_SHEET, "元数据", f"列出了未知的数据表“{sheet}”")
        entries.append((sheet, table, rows, sha))
    if meta_checksum(items, [list(e) for e in entries]) != checksum:
        raise _tampered(path, META_SHEET, "元数据", "的内容与校验和不符")
    missing = [t.sheet for t in DATA_TABLES if t.table not in {e[1] for e in entries}]
    if missing:
        raise NotMonthlyReturnError(
            f"{_name(path)}的元数据没有列出数据工作表“{missing[0]}”，文件不完整。", str(path)
        )
    total = sum(e[2] for e in entries)
    done = 0
    tables: dict[str, list[dict[str, Any]]] = {}
    for sheet, table, rows, sha in entries:
        label = f"读取{_TABLES[table].label}"
        if progress is not None:
            progress(label, done, total)
        tables[table] = _read_sheet(
            wb, path, sheet, table, rows, sha, _ticker(progress, label, done, total)
        )
        done += rows
    if progress is not None:
        progress("完成", total, total)
    month = str(meta.get("month", ""))
    year_text, _, month_text = month.partition("-")
    year, number = _int(year_text), _int(month_text)
    if year is None or number is None or not 1 <= number <= 12:
        raise NotMonthlyReturnError(f"{_name(path)}的月份“{month}”无法识别。", str(path))
    return MonthlyData(
        path=path,
        format_version=version,
        schema_version=schema_version,
        site=Site(**{f: str(meta.get(f, "")) for f in _SITE_FIELDS}),
        year=year,
        month=number,
        exported_at=str(meta.get("exported_at", "")),
        operator_id=str(meta.get("operator_id", "")),
        operator_name=str(meta.get("operator_name", "")),
        full_ids=str(meta.get("full_ids", "0")) == "1",
        checksum=checksum,
        tables=tables,
        meta={k: str(v) for k, v in items},
        mac=mac,
    )
