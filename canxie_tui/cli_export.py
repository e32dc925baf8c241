"""`canxie export monthly`: the monthly return workbook from the command line.

    canxie export monthly --month 2026-11 [--out PATH] [--full-ids] [--password]

Shows a progress bar (on stderr) and prints the path of the file written.
A month that cannot be read, or one still to come, is a usage error (exit 2).
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from canxie_tui.cli import EXIT_USAGE, ChineseArgumentParser, db_path, fail
from canxie_tui.domain.errors import InputError


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    export = commands.add_parser("export", help="导出（月报工作簿）", parents=[common])
    export_commands = export.add_subparsers(
        dest="export_command", metavar="子命令", parser_class=ChineseArgumentParser, required=True
    )
    monthly = export_commands.add_parser(
        "monthly",
        help="导出月报工作簿（.xlsx）：可打印的汇总、明细，以及供区里合并的数据",
        parents=[common],
    )
    monthly.add_argument("--month", required=True, help="月份，如 2026-11")
    monthly.add_argument(
        "--out",
        type=Path,
        help="输出文件或文件夹（默认 exports/月报_<社区>_<YYYY-MM>.xlsx；"
        "文件夹也可用环境变量 CANXIE_EXPORTS 指定）",
    )
    monthly.add_argument(
        "--full-ids",
        action="store_true",
        help="打印表中显示完整身份证号（默认只显示前6后4位；此操作记入审计日志）",
    )
    monthly.add_argument(
        "--password",
        action="store_true",
        help="用密码加密工作簿（Excel/WPS 打开时要输入密码）；密码在提示时输入，"
        "或放在环境变量 CANXIE_EXPORT_PASSWORD 中",
    )
    monthly.set_defaults(handler=cmd_export_monthly)


def ask_password() -> str:
    """From CANXIE_EXPORT_PASSWORD, else typed twice at a prompt (never on the command line)."""
    import getpass
    import sys

    from canxie_tui.excel.encrypt import check_password

    password = os.environ.get("CANXIE_EXPORT_PASSWORD", "")
    if not password:
        if not sys.stdin.isatty():
            fail("没有可以输入密码的终端：请设置环境变量 CANXIE_EXPORT_PASSWORD", EXIT_USAGE)
        password = getpass.getpass("工作簿密码：")
        if getpass.getpass("再输入一次：") != password:
            fail("两次输入的密码不一致", EXIT_USAGE)
    try:
        check_password(password)
    except InputError as err:
        fail(err.message, EXIT_USAGE)
    return password


def cmd_export_monthly(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from canxie_tui.domain.daycare import parse_month
    from canxie_tui.domain.errors import InputError
    from canxie_tui.excel.monthly_return import export_monthly
    from canxie_tui.store.session import open_store

    try:
        year, month = parse_month(args.month)
    except InputError as err:
        fail(err.message, EXIT_USAGE)
    password = ask_password() if args.password else None
    store = open_store(db_path(args), create=False)
    try:
        today = store.today()
        if (year, month) > (today.year, today.month):
            fail(f"{year}年{month}月还没有到，不能导出以后月份的月报", EXIT_USAGE)
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
        with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
            task = bar.add_task("导出月报", total=None)

            def report(label: str, done: int, total: int) -> None:
                bar.update(task, description=label, completed=done, total=total)

            try:
                path = export_monthly(
                    store, year, month, out=args.out, full_ids=args.full_ids, progress=report
                )
            except InputError as err:
                fail(err.message, EXIT_USAGE)
        if password:
            from canxie_tui.excel.encrypt import encrypt_workbook
            from canxie_tui.store.records import write_audit

            encrypt_workbook(path, password)
            write_audit(store, "加密导出月报", "exports", path.name, None, {"month": args.month})
    finally:
        store.close()
    locked = "（已加密）" if password else ""
    print(f"已导出 {year}年{month}月 月报{locked}：{path}")
    return 0
