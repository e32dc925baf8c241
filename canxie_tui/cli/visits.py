"""`canxie visits due`: who is overdue or due within 7 days."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from canxie_tui.cli.common import (
    Commands,
    add_json_flag,
    opened_store,
    positive_int,
    print_rows,
    subcommands,
)


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    visits = commands.add_parser("visits", help="走访", parents=[common])
    visit_commands = subcommands(visits, "visits_command")
    due = visit_commands.add_parser(
        "due", help="到期走访名单（已逾期和7天内到期）", parents=[common]
    )
    add_json_flag(due)
    due.add_argument("--tier", choices=("A", "B", "C"), help="只看某一级别")
    due.add_argument("--overdue", action="store_true", help="只看已逾期")
    due.add_argument(
        "--limit", type=positive_int("--limit"), default=500, help="最多显示条数（默认500）"
    )
    due.set_defaults(handler=cmd_visits_due)


def cmd_visits_due(args: argparse.Namespace) -> int:
    from canxie_tui.domain.places import label
    from canxie_tui.store.duelist import DueFilters, due_list

    with opened_store(args) as store:
        today = store.today()
        items, total = due_list(
            store, today, DueFilters(tier=args.tier, overdue_only=args.overdue), limit=args.limit
        )
    print_rows(
        items,
        as_json=args.json,
        to_json=lambda i: {
            **{k: v for k, v in asdict(i).items() if k != "community" or v},
            "due_text": i.due_text,
        },
        envelope={"date": today.isoformat(), "total": total},
        title=f"{today.isoformat()} 到期走访：共 {total} 人",
        headers=("到期", "姓名", "级别", "原因", "上次走访", "楼栋", "网格", "电话"),
        cells=lambda i: (
            i.due_text,
            i.name,
            i.tier,
            i.tier_reason,
            i.last_visit_text,
            i.place,
            label(i.community, i.grid),
            i.phone,
        ),
    )
    return 0
