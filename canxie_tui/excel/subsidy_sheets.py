"""两项补贴 sheets: the month's 发放名册 and 变动表, in the monthly return and on their own.

- 两项补贴发放名册: one row per person and subsidy marked 享受 that month (name,
  ID masked 前6后4 unless full IDs were asked for, category, level, kind, monthly
  amount by the rule set in force), then the totals by kind and level (人数 and
  金额, number cells) and the signature line;
- 两项补贴变动表: the month's 新增 / 停发 / 标准变更 against the month before, with
  reasons, the month from which it applies, and the amounts before and after.

Figures come from `store.subsidy_check`; cells are written through
`excel.return_run` (literal text, number formats), the workbook saved atomically
(`excel.book`).  `export_subsidies` writes either sheet as a workbook of its own
(`canxie subsidy roster|changes`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

from canxie_tui.domain import codes
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.subsidies import CARE, KINDS, LIVING, month_of
from canxie_tui.excel.return_run import INT, ExportRun, Steps, record_full_ids_start
from canxie_tui.excel.table import Column
from canxie_tui.store import records
from canxie_tui.store.connection import Store
from canxie_tui.store.subsidy_check import check
from canxie_tui.store.subsidy_payroll import CHANGE_KINDS, changes, payroll

__all__ = ["CHANGES_SHEET", "PAYROLL_SHEET", "export_subsidies", "write_changes", "write_payroll"]

PAYROLL_SHEET = "两项补贴发放名册"
CHANGES_SHEET = "两项补贴变动表"
MONEY = "0"  # whole 元
_LEVELS = (1, 2, 3, 4)


def _month(run: ExportRun) -> str:
    return month_of(run.period.first.year, run.period.first.month)


def _no_rules(run: ExportRun, title: str, columns: list[Column], err: InputError) -> int:
    """A month no rule set judges (before the first): the sheet says so, nothing else."""
    sheet = run.table(title, columns)
    sheet.note(err.message)
    sheet.close()
    return 0


def write_payroll(run: ExportRun) -> int:
    """发放名册 of the run's month; returns how many lines it has."""
    run.steps.start(f"写入{PAYROLL_SHEET}")
    month = _month(run)
    columns = [
        Column("序号", align="center", max_width=6, number_format=INT),
        Column("姓名", max_width=12),
        Column("身份证号", max_width=21),
        Column("残疾类别", align="center", min_width=8, max_width=10),
        Column("残疾等级", align="center", min_width=8, max_width=10),
        Column("补贴类别", min_width=18, max_width=20),
        Column("发放标准（元/月）", align="center", min_width=10, number_format=MONEY),
        Column("住址", wrap=True, max_width=30),
    ]
    try:
        rules, lines = payroll(run.store, month)
    except InputError as err:
        return _no_rules(run, PAYROLL_SHEET, columns, err)
    sheet = run.table(PAYROLL_SHEET, columns)
    people: Counter[tuple[str, int | None]] = Counter()
    money: Counter[tuple[str, int | None]] = Counter()
    for number, line in enumerate(lines, start=1):
        p = line.person
        sheet.append(
            [
                number,
                p.name,
                run.id_text(p.id_number),
                codes.label(codes.CATEGORIES, p.category),
                codes.label(codes.LEVELS, line.level),
                KINDS[line.kind],
                line.amount,
                p.address,
            ]
        )
        key = (line.kind, line.level if line.kind == CARE else None)
        people[key] += 1
        money[key] += line.amount
    if not lines:
        sheet.note(f"{run.period.label}没有登记为“享受”的两项补贴。")
    sheet.blank()
    sheet.append(["", "合计", "补贴类别", "等级", "人数（人）", "金额（元）"], "header", columns=6)
    groups = [(LIVING, None)] + [(CARE, level) for level in _LEVELS]
    for kind, level in groups:
        if (kind, level) in people or level in (None, 1, 2):
            sheet.figures(
                [
                    "",
                    "",
                    KINDS[kind],
                    codes.label(codes.LEVELS, level, "—"),
                    people[(kind, level)],
                    money[(kind, level)],
                ],
                ["", "", "", "", INT, MONEY],
            )
    sheet.figures(
        ["", "", "两项补贴合计", "", sum(people.values()), sum(money.values())],
        ["", "", "", "", INT, MONEY],
        bold=True,
    )
    stops = len(check(run.store, month).stop)
    if stops:
        sheet.note(
            f"核对发现“应停未停”{stops}项仍在本名册中（死亡、迁出、注销、证件过期或不再符合条件），"
            "请先在“两项补贴核对”中停发后再报送。"
        )
    sheet.note(
        f"发放标准：{rules.summary()}（{rules.start}起执行；依据：{rules.source or '未填写'}）。"
    )
    run.signature(sheet)
    sheet.close()
    return len(lines)


def write_changes(run: ExportRun) -> int:
    """变动表 of the run's month; returns how many lines it has."""
    run.steps.start(f"写入{CHANGES_SHEET}")
    month = _month(run)
    columns = [
        Column("序号", align="center", max_width=6, number_format=INT),
        Column("变动类型", align="center", min_width=10),
        Column("姓名", max_width=12),
        Column("身份证号", max_width=21),
        Column("残疾类别等级", align="center", min_width=10, max_width=12),
        Column("补贴类别", min_width=18, max_width=20),
        Column("起始月份", align="center", min_width=10),
        Column("原标准（元/月）", align="center", min_width=10, number_format=MONEY),
        Column("新标准（元/月）", align="center", min_width=10, number_format=MONEY),
        Column("原因", wrap=True, min_width=16, max_width=30),
    ]
    try:
        found = changes(run.store, month)
    except InputError as err:
        return _no_rules(run, CHANGES_SHEET, columns, err)
    sheet = run.table(CHANGES_SHEET, columns)
    for number, line in enumerate(found, start=1):
        p = line.person
        sheet.append(
            [
                number,
                CHANGE_KINDS[line.kind_of_change],
                p.name,
                run.id_text(p.id_number),
                codes.label(codes.CATEGORIES, p.category) + codes.label(codes.LEVELS, p.level),
                KINDS[line.kind],
                line.from_month,
                line.old_amount,
                line.new_amount,
                run.free_text(line.reason),
            ]
        )
    if not found:
        sheet.note(f"{run.period.label}两项补贴没有变动。")
    counted = Counter(line.kind_of_change for line in found)
    sheet.blank()
    sheet.append(["", "变动类型", *CHANGE_KINDS.values(), "合计"], "header", columns=6)
    sheet.figures(
        ["", "人次", *(counted[k] for k in CHANGE_KINDS), len(found)],
        ["", "", *[INT] * (len(CHANGE_KINDS) + 1)],
        bold=True,
    )
    sheet.note(
        "新增：本月起享受（上月未享受）；停发：上月享受、本月起不再享受；"
        "标准变更：上月和本月都享受，但因等级变化或补贴标准调整，每月金额不同。"
    )
    run.signature(sheet)
    sheet.close()
    return len(found)


# -- on their own ------------------------------------------------------------------------
_SHEETS = {"roster": (PAYROLL_SHEET, write_payroll), "changes": (CHANGES_SHEET, write_changes)}


def default_path(store: Store, which: str, year: int, month: int) -> Path:
    from canxie_tui.excel.files import exports_dir, safe_filename
    from canxie_tui.store.site import get_site

    name = safe_filename(get_site(store).name)
    return exports_dir() / f"{_SHEETS[which][0]}_{name}_{year:04d}-{month:02d}.xlsx"


def export_subsidies(
    store: Store,
    which: str,
    year: int,
    month: int,
    *,
    out: Path | str | None = None,
    full_ids: bool = False,
    overwrite: bool = True,
) -> Path:
    """Write 发放名册 (`which` = "roster") or 变动表 ("changes") as a workbook; its path
    (refused if `out` exists unless `overwrite`).

    The same safety as the monthly return: literal text, atomic save, IDs masked
    unless `full_ids` (recorded in the audit log, as every export is).
    """
    from canxie_tui.excel.book import Book
    from canxie_tui.store.monthly import month_period, snapshot

    title, write = _SHEETS[which]
    period = month_period(store, year, month, refused=f"导出{title}")
    path = default_path(store, which, year, month) if out is None else Path(out)
    if out is not None and path.is_dir():
        path = path / default_path(store, which, year, month).name
    elif path.suffix.lower() != ".xlsx":
        raise InputError(f"导出文件名应以 .xlsx 结尾：“{path}”", "out")
    if full_ids:
        record_full_ids_start(
            store, "subsidy_export", f"{which}:{period.text}", {"path": str(path)}
        )
    with snapshot(store), Book() as book:
        run = ExportRun(store, period, full_ids, Steps(None, 0), book)
        run.heading = replace(run.heading, title=title)
        count = write(run)
        run.close()
        book.save(path, overwrite=overwrite)
    action = f"导出{title}" + ("（显示完整身份证号）" if full_ids else "")
    records.write_audit(
        store,
        action,
        "subsidy_export",
        f"{which}:{period.text}",
        None,
        {"path": str(path), "month": period.text, "full_ids": full_ids, "rows": count},
    )
    return path
