"""`canxie daycare stats`: the 渝馨家园 month in figures."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from canxie_tui.cli.common import (
    Commands,
    add_json_flag,
    month,
    opened_store,
    print_json,
    print_table,
    subcommands,
)


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    daycare = commands.add_parser("daycare", help="渝馨家园", parents=[common])
    daycare_commands = subcommands(daycare, "daycare_command")
    stats = daycare_commands.add_parser(
        "stats", help="月度统计（出勤人天、服务人数、日均出勤、服务人次、用餐）", parents=[common]
    )
    stats.add_argument("--month", type=month, help="月份，如 2026-11（默认本月）")
    add_json_flag(stats)
    stats.set_defaults(handler=cmd_daycare_stats)


def cmd_daycare_stats(args: argparse.Namespace) -> int:
    from canxie_tui.domain import codes
    from canxie_tui.domain.daycare import format_days
    from canxie_tui.store import daycare

    with opened_store(args) as store:
        today = store.today()
        year, number = (
            (args.month.year, args.month.number) if args.month else (today.year, today.month)
        )
        stats = daycare.month_stats(store, year, number)
    if args.json:
        print_json(
            {
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
        )
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
