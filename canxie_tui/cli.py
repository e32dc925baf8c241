"""The `canxie` command: the TUI by default, and the same jobs without it.

Every failure a user can cause ends in one Chinese line on stderr and a
non-zero exit; a traceback never reaches them.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

STARTED = time.perf_counter()  # for "started in N ms"

EXIT_USAGE = 2
EXIT_FAILURE = 1

# Modules adding subcommands (each defines add_commands(commands, common)).
EXTENSIONS: tuple[str, ...] = (
    "canxie_tui.cli_emergency",
    "canxie_tui.cli_admin",
    "canxie_tui.cli_export",
    "canxie_tui.cli_import",
    "canxie_tui.cli_district",
)

_ARGPARSE_CN = (
    ("the following arguments are required: ", "缺少参数："),
    ("unrecognized arguments: ", "无法识别的参数："),
    ("invalid choice: ", "无效的选项："),
    ("(choose from ", "（可选："),
    ("argument ", "参数 "),
    ("invalid int value: ", "不是整数："),
    ("expected one argument", "需要一个值"),
)


class ChineseArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        for english, chinese in _ARGPARSE_CN:
            message = message.replace(english, chinese)
        self.exit(
            EXIT_USAGE, f"{self.prog}: 参数错误：{message}\n用 {self.prog} --help 查看用法。\n"
        )


def build_parser() -> argparse.ArgumentParser:
    parser = ChineseArgumentParser(
        prog="canxie",
        description="残协工作台：残疾人户籍、走访、个案记录的离线工作台。不带子命令时打开界面。",
    )
    db_help = "数据库文件（默认 data/canxie.db，或环境变量 CANXIE_DB）"
    parser.add_argument("--db", type=Path, help=db_help)
    # `--db` is accepted after the subcommand too (canxie demo --db x.db).
    common = ChineseArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS, help=db_help)
    commands = parser.add_subparsers(
        dest="command", metavar="命令", parser_class=ChineseArgumentParser
    )

    demo = commands.add_parser("demo", help="建立演示数据库并打开界面", parents=[common])
    demo.add_argument(
        "--scale",
        choices=("community", "street", "district"),
        default="community",
        help="规模：community 社区约300人；street 街道约5千人；district 全区约3万人",
    )
    demo.add_argument("--seed", type=int, default=1, help="随机种子（同一种子生成相同数据）")
    demo.add_argument("--no-tui", action="store_true", help="只建库，不打开界面")
    demo.add_argument("--force", action="store_true", help="数据库已存在时覆盖")
    demo.set_defaults(handler=cmd_demo)

    search = commands.add_parser(
        "search", help="查找人员（姓名、拼音、身份证尾号、电话、地址）", parents=[common]
    )
    search.add_argument("query", help="查找内容")
    search.add_argument("--json", action="store_true", help="输出 JSON")
    search.add_argument("--limit", type=int, default=20, help="最多显示条数（默认20）")
    search.add_argument("--full-ids", action="store_true", help="显示完整身份证号（记入审计日志）")
    search.set_defaults(handler=cmd_search)

    visits = commands.add_parser("visits", help="走访", parents=[common])
    visit_commands = visits.add_subparsers(
        dest="visits_command", metavar="子命令", parser_class=ChineseArgumentParser, required=True
    )
    due = visit_commands.add_parser(
        "due", help="到期走访名单（已逾期和7天内到期）", parents=[common]
    )
    due.add_argument("--json", action="store_true", help="输出 JSON")
    due.add_argument("--tier", choices=("A", "B", "C"), help="只看某一级别")
    due.add_argument("--overdue", action="store_true", help="只看已逾期")
    due.add_argument("--limit", type=int, default=500, help="最多显示条数（默认500）")
    due.set_defaults(handler=cmd_visits_due)

    indicators = commands.add_parser("indicators", help="专栏1指标和缺口人数", parents=[common])
    indicators.add_argument("--json", action="store_true", help="输出 JSON")
    indicators.set_defaults(handler=cmd_indicators)

    daycare = commands.add_parser("daycare", help="渝馨家园", parents=[common])
    daycare_commands = daycare.add_subparsers(
        dest="daycare_command", metavar="子命令", parser_class=ChineseArgumentParser, required=True
    )
    daycare_stats = daycare_commands.add_parser(
        "stats", help="月度统计（出勤人天、服务人数、日均出勤、服务人次、用餐）", parents=[common]
    )
    daycare_stats.add_argument("--month", help="月份，如 2026-11（默认本月）")
    daycare_stats.add_argument("--json", action="store_true", help="输出 JSON")
    daycare_stats.set_defaults(handler=cmd_daycare_stats)

    # Commands kept in modules of their own: each has add_commands(commands, common).
    import importlib

    for name in EXTENSIONS:
        importlib.import_module(name).add_commands(commands, common)
    return parser


def print_table(title: str, headers: Sequence[str], rows: list[Sequence[object]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for header in headers:
        table.add_column(header)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    Console().print(table)


def cmd_visits_due(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from canxie_tui.store.duelist import DueFilters, due_list
    from canxie_tui.store.session import open_store

    if args.limit < 1:
        fail("--limit 须为正整数", EXIT_USAGE)
    store = open_store(db_path(args), create=False)
    today = store.today()
    items, total = due_list(
        store, today, DueFilters(tier=args.tier, overdue_only=args.overdue), limit=args.limit
    )
    if args.json:
        rows = [{**asdict(i), "due_text": i.due_text} for i in items]
        print(
            json.dumps(
                {"date": today.isoformat(), "total": total, "results": rows},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print_table(
        f"{today.isoformat()} 到期走访：共 {total} 人",
        ("到期", "姓名", "级别", "原因", "上次走访", "楼栋", "网格", "电话"),
        [
            (i.due_text, i.name, i.tier, i.tier_reason, i.last_visit_text, i.place, i.grid, i.phone)
            for i in items
        ],
    )
    return 0


def cmd_indicators(args: argparse.Namespace) -> int:
    from canxie_tui.store.indicators import indicators
    from canxie_tui.store.session import open_store

    store = open_store(db_path(args), create=False)
    found = indicators(store, store.today())
    if args.json:
        rows = [
            {
                "key": i.key,
                "name": i.name,
                "numerator": i.numerator,
                "denominator": i.denominator,
                "rate": i.rate,
                "target": i.target,
                "target_text": i.target_text,
                "met": i.met,
                "shortfall": i.short,
                "unit": i.unit,
            }
            for i in found
        ]
        print(
            json.dumps(
                {"date": store.today().isoformat(), "indicators": rows},
                ensure_ascii=False,
                indent=2,
            )
        )
        return 0
    print_table(
        "专栏1指标",
        ("指标", "分子/分母", "完成率", "目标", "评价", "缺口"),
        [
            (
                i.name,
                f"{i.numerator}/{i.denominator}",
                i.rate_text,
                i.target_text,
                "—" if i.rate is None else ("达标" if i.met else "未达标"),
                f"{i.short}{i.unit}" if i.short else "—",
            )
            for i in found
        ],
    )
    return 0


def cmd_daycare_stats(args: argparse.Namespace) -> int:
    from canxie_tui.domain import codes
    from canxie_tui.domain.daycare import format_days, parse_month
    from canxie_tui.domain.errors import InputError
    from canxie_tui.store import daycare
    from canxie_tui.store.session import open_store

    month: tuple[int, int] | None = None
    if args.month is not None:
        try:
            month = parse_month(args.month)
        except InputError as err:
            fail(err.message, EXIT_USAGE)
    store = open_store(db_path(args), create=False)
    year, number = month or (store.today().year, store.today().month)
    stats = daycare.month_stats(store, year, number)
    if args.json:
        payload = {
            "month": f"{year:04d}-{number:02d}",
            "person_days": stats.person_days,
            "attendances": stats.attendances,
            "half_days": stats.half_days,
            "people": stats.people,
            "members": stats.members,
            "open_days": stats.open_days,
            "average_daily": stats.average_daily,
            "expected": stats.expected,
            "leave": stats.leave,
            "absent": stats.absent,
            "unmarked": stats.unmarked,
            "meals": stats.meals,
            "services": [
                {"code": code, "name": codes.DAYCARE_SERVICES[code], "count": count}
                for code, count in stats.services.items()
            ],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    rows: list[Sequence[object]] = [
        ("出勤人天（半天计½）", format_days(stats.person_days)),
        ("出勤人次", f"{stats.attendances}（其中半天 {stats.half_days}）"),
        ("服务人数", stats.people),
        ("在册成员", stats.members),
        ("开放天数", stats.open_days),
        ("日均出勤（人天）", f"{stats.average_daily:.2f}"),
        ("应到人次", stats.expected),
        ("请假", stats.leave),
        ("缺勤", stats.absent),
        ("未登记", stats.unmarked),
        ("用餐", stats.meals),
        *((f"服务：{codes.DAYCARE_SERVICES[k]}", v) for k, v in stats.services.items()),
    ]
    print_table(f"渝馨家园 {stats.label} 月度统计", ("项目", "数值"), rows)
    return 0


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    print(f"错误：{message}", file=sys.stderr)
    raise SystemExit(code)


def db_path(args: argparse.Namespace) -> Path:
    from canxie_tui.store.connection import default_db_path

    return args.db if args.db else default_db_path()


def cmd_demo(args: argparse.Namespace) -> int:
    from rich.progress import Progress

    from canxie_tui.demo.builder import build_demo
    from canxie_tui.store.session import open_store

    path = db_path(args)
    if path.exists():
        if not args.force and not args.no_tui and _has_data(path):
            print(f"演示数据库“{path}”已存在，直接打开。（重新生成请加 --force）")
            return run_tui(path)
        if not args.force:
            fail(f"“{path}”已存在。要覆盖请加 --force，或用 --db 指定新文件。")
        if path.is_dir():
            fail(f"“{path}”是一个文件夹，不是数据库文件。")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = open_store(path)
    with Progress(transient=True) as progress:
        task = progress.add_task("生成演示数据", total=None)

        def report(label: str, done: int, total: int) -> None:
            progress.update(task, description=label, completed=done, total=total)

        counts = build_demo(store, scale=args.scale, seed=args.seed, progress=report)
    store.close()
    print(
        f"已生成演示数据库 {path}：{counts.get('households', 0)} 户，"
        f"{counts.get('persons', 0)} 人，{counts.get('visits', 0)} 次走访。"
    )
    return 0 if args.no_tui else run_tui(path)


def _has_data(path: Path) -> bool:
    from canxie_tui.store.session import open_store

    store = open_store(path, create=False)
    try:
        return bool(store.scalar("SELECT count(*) FROM persons"))
    finally:
        store.close()


def cmd_search(args: argparse.Namespace) -> int:
    from canxie_tui.domain import codes
    from canxie_tui.domain.ids import mask_id
    from canxie_tui.domain.models import address_with_place
    from canxie_tui.store import register
    from canxie_tui.store.search import search
    from canxie_tui.store.session import open_store

    if args.limit < 1:
        fail("--limit 须为正整数", EXIT_USAGE)
    store = open_store(db_path(args), create=False)
    result = search(store, args.query, limit=args.limit)
    today = store.today()
    rows: list[dict[str, Any]] = []
    for hit in result.hits:
        if args.full_ids and hit.id_number:
            register.reveal_id(store, register.get_person(store, hit.person_id), "命令行查找")
        rows.append(
            {
                "person_id": hit.person_id,
                "household_id": hit.household_id,
                "name": hit.name,
                "sex": hit.sex,
                "age": _age(hit.birth_date, today),
                "id_number": hit.id_number if args.full_ids else mask_id(hit.id_number),
                "disability": (
                    f"{codes.label(codes.CATEGORIES, hit.category)}"
                    f"{codes.label(codes.LEVELS, hit.level)}"
                ),
                "status": codes.label(codes.PERSON_STATUSES, hit.status),
                "phone": hit.phone,
                "address": hit.address,
                "place": hit.place,
            }
        )
    if args.json:
        payload = {"query": args.query, "total": result.total, "capped": result.total_is_capped}
        print(json.dumps({**payload, "results": rows}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(f"没有找到“{args.query}”。")
        return 0
    more = "+" if result.total_is_capped else ""
    print_table(
        f"“{args.query}”：前 {len(rows)} 条，共 {result.total}{more} 条",
        ("姓名", "性别", "年龄", "残疾", "身份证号", "电话", "住址", "状态"),
        [
            (
                r["name"],
                r["sex"],
                r["age"] or "",
                r["disability"],
                r["id_number"],
                r["phone"],
                address_with_place(r["address"], r["place"]),
                r["status"],
            )
            for r in rows
        ],
    )
    return 0


def _age(born: object, today: object) -> int | None:
    from datetime import date

    from canxie_tui.domain.dates import age_on

    if not isinstance(born, date) or not isinstance(today, date):
        return None
    return age_on(born, today)


def run_tui(path: Path) -> int:
    from canxie_tui.ui.app import CanxieApp

    CanxieApp(db_path=path, started=STARTED).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    from canxie_tui.domain.errors import CanxieError

    args = build_parser().parse_args(argv)
    try:
        handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
        return handler(args) if handler else run_tui(db_path(args))
    except CanxieError as err:
        fail(err.message)
    except KeyboardInterrupt:
        fail("已中断。", 130)
    except sqlite3.Error as err:
        text = str(err)
        if "readonly" in text:
            fail("数据库文件是只读的，无法写入。请检查文件权限。")
        if "locked" in text or "busy" in text:
            fail("数据库正被另一个程序长时间占用，请稍后再试。")
        fail(f"数据库操作失败：{text}")
    except PermissionError as err:
        fail(f"没有权限访问“{err.filename}”。")
    except OSError as err:
        fail(f"文件操作失败：{err.strerror or err}（{err.filename or ''}）")
    except Exception as err:  # never a traceback for a user; CANXIE_DEBUG=1 shows it
        if os.environ.get("CANXIE_DEBUG"):
            raise
        fail(
            f"程序内部错误（{type(err).__name__}）。请把这条信息告诉维护人员；设置 CANXIE_DEBUG=1 可看详情。"
        )


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    sys.exit(main())
