"""`canxie export monthly`: the monthly return workbook from the command line.

    canxie export monthly --month 2026-11 [--out PATH] [--full-ids] [--password]

Shows a progress bar (on stderr) and prints the path of the file written.
A month that cannot be read, or one still to come, is a usage error (exit 2).
"""

from __future__ import annotations

import argparse

from canxie_tui import config
from canxie_tui.cli.common import (
    EXIT_USAGE,
    Commands,
    add_out_options,
    fail,
    month,
    opened_store,
    overwrite,
    progress_bar,
    subcommands,
    usage_errors,
)


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    export = commands.add_parser("export", help="导出（月报工作簿）", parents=[common])
    export_commands = subcommands(export, "export_command")
    monthly = export_commands.add_parser(
        "monthly",
        help="导出月报工作簿（.xlsx）：可打印的汇总、明细，以及供区里合并的数据",
        parents=[common],
    )
    monthly.add_argument("--month", type=month, required=True, help="月份，如 2026-11")
    add_out_options(
        monthly,
        "输出文件或文件夹（默认 exports/月报_<社区>_<YYYY-MM>.xlsx；"
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

    password = config.export_password()
    if not password:
        if not sys.stdin.isatty():
            fail("没有可以输入密码的终端：请设置环境变量 CANXIE_EXPORT_PASSWORD", EXIT_USAGE)
        password = getpass.getpass("工作簿密码：")
        if getpass.getpass("再输入一次：") != password:
            fail("两次输入的密码不一致", EXIT_USAGE)
    with usage_errors():
        check_password(password)
    return password


def cmd_export_monthly(args: argparse.Namespace) -> int:
    from canxie_tui.excel.monthly_return import export_monthly
    from canxie_tui.store.monthly import month_period

    year, number = args.month.year, args.month.number
    replace = overwrite(args)
    password = ask_password() if args.password else None
    with opened_store(args) as store, usage_errors():
        month_period(store, year, number)  # a month still to come is refused here
        with progress_bar("导出月报") as report:
            path = export_monthly(
                store,
                year,
                number,
                out=args.out,
                full_ids=args.full_ids,
                progress=report,
                password=password,
                overwrite=replace,
            )
    locked = "（已加密）" if password else ""
    print(f"已导出 {year}年{number}月 月报{locked}：{path}")
    return 0
