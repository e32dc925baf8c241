"""`canxie indicators`: the plan's 专栏1 indicators with shortfall counts."""

from __future__ import annotations

import argparse

from canxie_tui.cli.common import Commands, add_json_flag, opened_store, print_rows


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    indicators = commands.add_parser("indicators", help="专栏1指标和缺口人数", parents=[common])
    add_json_flag(indicators)
    indicators.set_defaults(handler=cmd_indicators)


def cmd_indicators(args: argparse.Namespace) -> int:
    from canxie_tui.store.indicators import indicators

    with opened_store(args) as store:
        today = store.today()
        found = indicators(store, today)
    print_rows(
        found,
        as_json=args.json,
        to_json=lambda i: {
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
        },
        envelope={"date": today.isoformat()},
        key="indicators",
        title="专栏1指标",
        headers=("指标", "分子/分母", "完成率", "目标", "评价", "缺口"),
        cells=lambda i: (
            i.name,
            f"{i.numerator}/{i.denominator}",
            i.rate_text,
            i.target_text,
            "—" if i.rate is None else ("达标" if i.met else "未达标"),
            f"{i.short}{i.unit}" if i.short else "—",
        ),
    )
    return 0
