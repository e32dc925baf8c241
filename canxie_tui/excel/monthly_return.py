"""The monthly return (月报): a workbook to print and sign, and the community's sync file.

`export_monthly(store, year, month)` writes `exports/月报_<社区>_<YYYY-MM>.xlsx`:

Print sheets (each with the title and 填报 rows, a frozen header repeated on
every printed page, A4 landscape fitted to the width, page numbers), laid out
by `excel.return_sheets` and `excel.return_lists` (through `excel.return_run`):

- 汇总: 持证残疾人基本情况 (the register at month end by sex, age band,
  category and level), the month's changes of the register by kind, visits
  (households visited, coverage, by method, purpose and tier, overdue at month
  end), follow-ups, 渝馨家园 figures, case notes, emergency roll calls, a bar
  chart of visits per day, and the 单位负责人 / 审核人 / 填报人 / 联系电话 line
  (the figures: `store.monthly.summarize_month`);
- 变动情况: who entered or left the register and why (`store.register_changes`);
- 走访明细: one row per visit of the month, with category and level, the
  六个清楚 and an empty 被走访人签字 column;
- 渝馨家园考勤: members × days with the TUI's symbols, totals, monthly statistics;
- 个案记录: notes written or revised in the month;
- 指标: the plan's 专栏1 indicators in its order (家庭医生签约 after the table);
- 急难救助: the month's emergency events, each with the people on its list
  (点名人数) by roll-call status, 未联系 last;
- 两项补贴发放名册 and 两项补贴变动表 (`excel.subsidy_sheets`).

Every figure is a number cell with a number format, never text (see
`excel.return_run`); every print sheet has a print area.  ID numbers are
masked (前6后4) in all of these — also inside free text — unless `full_ids`,
which is recorded in the audit log.

Machine-readable part (for `excel.return_reader` and the district merge; the
format and which rows each sheet holds: `excel.return_format`):

- `_数据_<name>` sheets, hidden: every column of the month's records and of the
  whole register, written losslessly (see `excel.cells`: NULL, '' and text with
  any character survive) — but for ID numbers, which never travel: a person's
  ID and certificate numbers are tokens under the district's key, and one typed
  in free text is masked (`excel.return_ids`);
- `_元数据`, hidden too: format and version, site codes and names, schema
  version, month, export time, operator, and per data sheet its table, row
  count and SHA-256, then one checksum over all of that.

Memory stays flat in the number of rows: every big sheet streams from an SQLite
cursor into a write-only sheet.  All reads run in one read transaction, so the
workbook is a consistent snapshot even while someone keeps working; give the
export its own connection (`store.clone()`) when it runs in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Site
from canxie_tui.excel import return_lists, return_sheets, subsidy_sheets
from canxie_tui.excel.book import Book, DataSheet
from canxie_tui.excel.cells import data_value
from canxie_tui.excel.errors import ExportError
from canxie_tui.excel.files import Progress, exists_message, exports_dir, safe_filename
from canxie_tui.excel.return_format import (
    DATA_TABLES,
    FORMAT,
    FORMAT_VERSION,
    META_SHEET,
    RETURN_VISITS,
    DataTable,
    meta_checksum,
)
from canxie_tui.excel.return_ids import Tokens
from canxie_tui.excel.return_run import ExportRun, Steps, record_full_ids_start
from canxie_tui.store import anchors, records
from canxie_tui.store.connection import Store
from canxie_tui.store.monthly import (
    MonthlySummary,
    Period,
    month_period,
    snapshot,
    summarize,
    summarize_month,
)
from canxie_tui.store.site import get_site

# The format and the summary keep being importable from here (callers did).
__all__ = [
    "DATA_TABLES",
    "FORMAT",
    "FORMAT_VERSION",
    "META_SHEET",
    "DataTable",
    "MonthlySummary",
    "default_path",
    "export_monthly",
    "meta_checksum",
    "summarize_month",
]


def _count(store: Store, sql: str, params: dict[str, str]) -> int:
    return int(store.scalar(sql, params) or 0)


def default_path(site: Site, year: int, month: int) -> Path:
    """exports/月报_<社区>_<YYYY-MM>.xlsx (the folder from CANXIE_EXPORTS if set)."""
    return exports_dir() / f"月报_{safe_filename(site.name)}_{year:04d}-{month:02d}.xlsx"


def _target(out: Path | str | None, site: Site, year: int, month: int) -> Path:
    if out is None:
        return default_path(site, year, month)
    path = Path(out)
    if path.is_dir():
        return path / default_path(site, year, month).name
    if path.suffix.lower() != ".xlsx":
        raise InputError(f"导出文件名应以 .xlsx 结尾：“{path}”", "out")
    return path


_VISITS_ONCE = "temp.return_visits"


@contextmanager
def _visits_once(store: Store, params: dict[str, str]) -> Iterator[Callable[[DataTable], str]]:
    """Look the return's visits (`RETURN_VISITS`) up once, into a temporary table; yields
    each data table's condition reading them from there (three tables, counted and
    written: six lookups of each person's last visit otherwise)."""
    conn = store.db.conn
    conn.execute(f"DROP TABLE IF EXISTS {_VISITS_ONCE}")
    conn.execute(f"CREATE TABLE {_VISITS_ONCE} (pk INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE)")
    try:
        conn.execute(f"INSERT INTO {_VISITS_ONCE} (pk, id) {RETURN_VISITS}", params)
        yield _reading_once
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {_VISITS_ONCE}")


def _reading_once(table: DataTable) -> str:
    """`table`'s condition with the return's visits read from the temporary table.  A
    condition that names them in another form must fail here, not go back quietly to
    the per-person lookup the table is there to save."""
    where = table.where.replace(f"({RETURN_VISITS})", _VISITS_ONCE)
    if RETURN_VISITS in where:
        raise AssertionError(f"{table.key}: RETURN_VISITS not in the form `({{RETURN_VISITS}})`")
    return where


def _write_data(
    run: ExportRun, table: DataTable, where: str, sheet: DataSheet, tokens: Tokens
) -> None:
    run.steps.start(f"写入数据表：{table.label}")
    cursor = run.store.db.conn.execute(
        f"SELECT * FROM {table.table} WHERE {where} ORDER BY {table.order}", run.params
    )
    append, travelling = sheet.append, tokens.rows_of(table.table, sheet.columns)
    count = 0
    for values in cursor:
        append(travelling(values))
        count += 1
        if count == 256:
            run.steps.advance(count)
            count = 0
    run.steps.advance(count)


def _columns(store: Store, table: str) -> list[str]:
    return [row[1] for row in store.db.conn.execute(f"PRAGMA table_info({table})")]


def _meta_items(
    run: ExportRun, operator: tuple[str, str], transit: dict[str, Any]
) -> list[tuple[str, Any, str]]:
    from canxie_tui import __version__ as program_version
    from canxie_tui.store import schema

    site, period = run.site, run.period
    head = anchors.chain_head(run.store.db.conn)
    return [
        ("format", FORMAT, "文件格式（残协工作台月报）"),
        ("format_version", FORMAT_VERSION, "格式版本"),
        ("generator", f"canxie_tui {program_version}", "导出程序"),
        ("schema_version", run.store.schema_version, "数据库结构版本"),
        (
            "migrations",
            " ".join(m.name for m in schema.migrations.applied(run.store.db)),
            "已应用的结构迁移",
        ),
        ("site_code", site.code, "本站点区划代码"),
        ("site_name", site.name, "本站点名称"),
        ("district_name", site.district_name, "区县"),
        ("district_code", site.district_code, "区县代码"),
        ("street_name", site.street_name, "街道/镇"),
        ("street_code", site.street_code, "街道/镇代码"),
        ("community_name", site.community_name, "村/社区"),
        ("community_code", site.community_code, "村/社区代码"),
        ("month", period.text, "月份"),
        ("period_start", period.first.isoformat(), "统计起始日"),
        ("period_end", period.last.isoformat(), "统计截止日"),
        ("counted_until", period.until.isoformat(), "统计截至（当月导出时为导出日）"),
        ("exported_at", run.store.now(), "导出时间"),
        ("operator_id", operator[0], "导出操作员编号"),
        ("operator_name", operator[1], "导出操作员"),
        ("full_ids", int(run.full_ids), "打印表是否显示完整身份证号（1=是，已记入审计日志）"),
        ("register", "full", "户籍数据范围：全部户和人员"),
        ("id_numbers", "token", "数据表中的身份证号、残疾人证号：以区密钥生成的代号，不含号码本身"),
        ("id_key", transit["id_key"], "身份证号代号所用密钥的指纹（区里据此核对）"),
        (
            "id_key_issued",
            transit["id_key_issued"],
            "密钥是否为区里发放（0=本机自生成，区里无法核对）",
        ),
        ("database_id", transit["database_id"], "导出数据库的编号（同一社区换了数据库时可分辨）"),
        ("recodes", transit["recodes"], "区划代码变更（旧代码→新代码，JSON）"),
        ("mac_code", transit["mac_code"], "签名密钥所属社区的代码（区里发放密钥时的代码）"),
        (
            "cells",
            "#NULL!=空值(NULL)；空单元格=空文本；文字按 ECMA-376 _xHHHH_ 转义",
            "数据表单元格约定",
        ),
        # The audit chain's head, kept by the district (store.anchors): a later rewrite
        # of the community's log before this entry shows against it.
        (anchors.META_SEQ, head.seq, "导出时审计日志的最后一条（链头序号）"),
        (anchors.META_HASH, head.hash, "导出时审计日志最后一条的哈希（链头）"),
    ]


def export_monthly(
    store: Store,
    year: int,
    month: int,
    *,
    out: Path | str | None = None,
    full_ids: bool = False,
    progress: Progress | None = None,
    password: str | None = None,
    overwrite: bool = True,
) -> Path:
    """Write the monthly return of `year`-`month`; returns the path written.

    out: a file (.xlsx) or a folder (default: `default_path`).  full_ids: show
    complete ID numbers in the print sheets (audited before anything is written).
    password: encrypt the workbook before it gets its name.  overwrite: False
    refuses an existing file.  progress(label, done, total) is called as the
    export advances.  Raises InputError for a bad or future month or file name,
    ExportError when the site is not set up or the file cannot be written (or
    exists); on any failure nothing is left under `out`.
    """
    period = month_period(store, year, month)
    site = get_site(store)
    if not site.is_configured:
        raise ExportError(
            "还没有设置本站点的区划名称和代码（设置 → 站点），无法导出月报："
            "区里合并各社区的月报时要靠它区分来源。"
        )
    path = _target(out, site, year, month)
    if not overwrite and path.exists():
        raise ExportError(exists_message(path))
    operator = (store.operator_id, store.operator_name)
    if full_ids:
        record_full_ids_start(
            store,
            "monthly_return",
            f"{site.code}:{period.text}",
            {"path": str(path), "month": period.text},
        )
    transit = _transit(store)
    with snapshot(store), _visits_once(store, period.params) as where:
        params = period.params
        counts = {
            t.key: _count(store, f"SELECT count(*) FROM {t.table} WHERE {where(t)}", params)
            for t in DATA_TABLES
        }
        shown = counts["notes"] + counts["members"]
        shown += _count(
            store,
            "SELECT count(*) FROM visits WHERE deleted = 0 AND visit_date BETWEEN :first AND :last",
            params,
        )
        steps = Steps(progress, sum(counts.values()) + shown)
        steps.start("统计本月数据")
        summary = summarize(store, period)
        with Book() as book:
            run = ExportRun(store, period, full_ids, steps, book)
            # Sheets appear in the order they are made; each is filled below.
            return_sheets.write_summary(run, summary)
            return_lists.write_changes(run, summary.changes)
            return_lists.write_visits(run)
            return_lists.write_daycare(run)
            return_lists.write_notes(run)
            return_sheets.write_indicators(run)
            return_sheets.write_emergencies(run, summary.events)
            subsidy_sheets.write_payroll(run)
            subsidy_sheets.write_changes(run)
            meta = book.sheet(META_SHEET, hidden=True)
            sheets = [(t, book.data_sheet(t.sheet, _columns(store, t.table))) for t in DATA_TABLES]
            tokens = Tokens(transit.pop("key"))
            mac_key = transit.pop("mac_key")
            for table, sheet in sheets:
                _write_data(run, table, where(table), sheet, tokens)
            _write_meta(run, meta, operator, sheets, transit, mac_key)
            run.close()
            steps.start("保存工作簿")
            book.save(path, password=password, overwrite=overwrite)
    rows = {t.key: s.rows for t, s in sheets}
    _audit(store, path, period, full_ids, rows, encrypted=password is not None)
    steps.finish()
    return path


def _transit(store: Store) -> dict[str, Any]:
    """The token key of this database and what the metadata says about it (see store.keys)."""
    from canxie_tui.store import keys
    from canxie_tui.store.recode import recodes_json

    found = keys.return_keys(store)
    return {
        "key": found.token,
        "mac_key": found.mac,
        "mac_code": found.mac_code,
        "id_key": found.fingerprint,
        "id_key_issued": int(found.issued),
        "database_id": keys.database_id(store),
        "recodes": recodes_json(store),
    }


def _write_meta(
    run: ExportRun,
    ws: Any,
    operator: tuple[str, str],
    sheets: list[tuple[DataTable, DataSheet]],
    transit: dict[str, Any],
    mac_key: bytes | None,
) -> None:
    from canxie_tui.excel.meta_sheet import write_meta

    rows = [(t.sheet, t.table, s.rows, s.sha256) for t, s in sheets]
    checksum = write_meta(run.book, ws, _meta_items(run, operator, transit), rows)
    if mac_key is not None:  # signed with the key only this community and the district hold
        from canxie_tui.domain.transit import return_mac

        mac = return_mac(mac_key, transit["mac_code"], checksum)
        ws.append(
            [
                data_value(ws, "mac"),
                data_value(ws, mac),
                data_value(ws, "以区里发给本社区的密钥签名"),
            ]
        )


def _audit(
    store: Store,
    path: Path,
    period: Period,
    full_ids: bool,
    rows: dict[str, int],
    *,
    encrypted: bool,
) -> None:
    """Record the export; if that fails, the file must not stay behind unrecorded."""
    action = "导出月报（显示完整身份证号）" if full_ids else "导出月报"
    if encrypted:
        action = f"加密{action}"
    try:
        records.write_audit(
            store,
            action,
            "monthly_return",
            f"{get_site(store).code}:{period.text}",
            None,
            {
                "path": str(path),
                "month": period.text,
                "full_ids": full_ids,
                "encrypted": encrypted,
                "rows": rows,
            },
        )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
