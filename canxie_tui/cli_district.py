"""`canxie district`: the district merges the communities' monthly returns and reports.

    canxie district merge FILE... [--db district.db] [--json]
                                  [--district-name 江北区 --district-code 500105]
    canxie district report --month YYYY-MM [--out PATH]

merge prints one line per file (new / updated / unchanged / conflicts, or why it
was refused) and exits non-zero only when every file was refused or on a hard
error.  A new district database is set up with --district-name/--district-code.
Progress bars go to stderr.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from canxie_tui.cli import EXIT_FAILURE, EXIT_USAGE, ChineseArgumentParser, db_path, fail


def add_commands(commands: Any, common: argparse.ArgumentParser) -> None:
    district = commands.add_parser(
        "district", help="区里：合并各社区月报、生成区汇总", parents=[common]
    )
    sub = district.add_subparsers(
        dest="district_command", metavar="子命令", parser_class=ChineseArgumentParser, required=True
    )
    merge = sub.add_parser(
        "merge",
        help="把各社区的月报（.xlsx）合并进区数据库（可重复合并；冲突列出待处理；合并前自动备份）",
        parents=[common],
    )
    merge.add_argument("files", nargs="+", type=Path, metavar="FILE", help="社区月报文件")
    merge.add_argument("--json", action="store_true", help="输出 JSON")
    merge.add_argument("--district-name", help="新建区数据库时：区县名称，如 江北区")
    merge.add_argument("--district-code", help="新建区数据库时：区县统计用区划代码，如 500105")
    merge.set_defaults(handler=cmd_district_merge)

    report = sub.add_parser(
        "report", help="生成区汇总工作簿（每个街道、社区一行，含合计）", parents=[common]
    )
    report.add_argument("--month", required=True, help="月份，如 2026-11")
    report.add_argument(
        "--out", type=Path, help="输出文件或文件夹（默认 exports/区汇总_<区名>_<YYYY-MM>.xlsx）"
    )
    report.set_defaults(handler=cmd_district_report)


def _progress(label: str) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    console = Console(stderr=True)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    return Progress(*columns, console=console, transient=True, disable=not console.is_terminal)


def cmd_district_merge(args: argparse.Namespace) -> int:
    from canxie_tui.store.db import Store
    from canxie_tui.store.site import get_site
    from canxie_tui.sync import district

    if bool(args.district_name) != bool(args.district_code):
        fail("--district-name 和 --district-code 要一起给出", EXIT_USAGE)
    store = Store.open(db_path(args))
    try:
        if args.district_name:
            site = get_site(store)
            if not site.district_code:
                district.set_district(store, args.district_name, args.district_code)
            elif (site.district_name, site.district_code) != (
                args.district_name.strip(),
                args.district_code.strip(),
            ):
                fail(
                    f"这个数据库已设置为{site.full_name()}（{site.code}），"
                    f"与 --district-name/--district-code 给出的不一致，没有合并。"
                )
        with _progress("合并") as bar:
            task = bar.add_task("合并月报", total=None)

            def report(label: str, done: int, total: int) -> None:
                bar.update(task, description=label, completed=done, total=total or None)

            results = district.merge(store, args.files, progress=report)
        open_conflicts = len(district.list_conflicts(store))
    finally:
        store.close()
    if args.json:
        payload = {
            "files": [r.to_json() for r in results],
            "totals": {
                key: sum(getattr(r, key) for r in results)
                for key in ("new", "updated", "unchanged", "conflicts", "deleted")
            },
            "refused": sum(r.refused for r in results),
            "open_conflicts": open_conflicts,
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for result in results:
            print(result.line)
        merged = [r for r in results if not r.refused]
        print(
            f"共 {len(results)} 个文件：合并 {len(merged)} 个，拒绝 {len(results) - len(merged)} 个；"
            f"新增 {sum(r.new for r in merged)}，更新 {sum(r.updated for r in merged)}，"
            f"未变 {sum(r.unchanged for r in merged)}，冲突 {sum(r.conflicts for r in merged)}。"
        )
        if open_conflicts:
            print(f"区数据库中有 {open_conflicts} 条冲突待处理（两边的版本都已保留）。")
    return EXIT_FAILURE if results and all(r.refused for r in results) else 0


def cmd_district_report(args: argparse.Namespace) -> int:
    from canxie_tui.domain.daycare import parse_month
    from canxie_tui.domain.errors import InputError
    from canxie_tui.store.db import Store
    from canxie_tui.sync import district

    try:
        year, month = parse_month(args.month)
    except InputError as err:
        fail(err.message, EXIT_USAGE)
    store = Store.open(db_path(args), create=False)
    try:
        with _progress("区汇总") as bar:
            task = bar.add_task("生成区汇总", total=None)

            def report(label: str, done: int, total: int) -> None:
                bar.update(task, description=label, completed=done, total=total or None)

            try:
                path = district.district_report(store, year, month, out=args.out, progress=report)
            except InputError as err:
                fail(err.message, EXIT_USAGE)
    finally:
        store.close()
    print(f"已生成 {year}年{month}月 区汇总：{path}")
    return 0
