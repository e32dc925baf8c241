"""`canxie indicators`: the plan's 专栏1 indicators with shortfall counts."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from canxie_tui.cli.common import Commands, add_json_flag, opened_store, print_rows

if TYPE_CHECKING:
    from canxie_tui.domain.indicators import Indicator


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    indicators = commands.add_parser(
        "indicators",
        help="专栏1指标（规划的顺序和原文）和缺口人数",
        description="“十四五”规划专栏1的11项指标（按规划顺序和原文），再加规划正文中的家庭医生签约服务率。",
        parents=[common],
    )
    add_json_flag(indicators)
    indicators.set_defaults(handler=cmd_indicators)


def verdict(i: Indicator) -> str:
    """达标 / 未达标 in words; "" for a count, a figure kept elsewhere, or nobody counted."""
    if i.kind != "rate" or i.rate is None:
        return ""
    return "达标" if i.met else "未达标"


def status(i: Indicator) -> str:
    """现状: 43/46 93.5% 未达标; 今年8人; 由区残联统计."""
    if i.kind == "count":
        return f"今年{i.rate_text}"
    if i.kind != "rate":
        return i.rate_text
    return " ".join(p for p in (f"{i.numerator}/{i.denominator}", i.rate_text, verdict(i)) if p)


def to_json(i: Indicator) -> dict[str, Any]:
    is_rate = i.kind == "rate"
    return {
        "number": i.number,  # the plan's 序号; 0 for 家庭医生签约 (the plan's text, not 专栏1)
        "key": i.key,
        "name": i.name,
        "kind": i.kind,  # rate / count / external
        "in_table": i.in_table,
        "numerator": i.numerator,
        "denominator": i.denominator,
        "rate": i.rate,
        "rate_text": i.rate_text,
        "target": i.target if is_rate else None,
        "target_text": i.target_text,
        "met": i.met if is_rate else None,
        "shortfall": i.short,
        "unit": i.unit,
        "source": i.source,
    }


def cmd_indicators(args: argparse.Namespace) -> int:
    from canxie_tui.store.indicators import indicators

    with opened_store(args) as store:
        today = store.today()
        found = indicators(store, today)
    print_rows(
        found,
        as_json=args.json,
        to_json=to_json,
        envelope={"date": today.isoformat()},
        key="indicators",
        title=f"“十四五”专栏1指标（{today.isoformat()}）",
        headers=("序号", "指标", "目标", "现状", "缺口"),
        cells=lambda i: (
            i.number if i.in_table else "—",
            i.name if i.in_table else f"{i.name}（规划正文，非专栏1）",
            i.target_text,
            status(i),
            f"{i.short}{i.unit}" if i.short else "—",
        ),
    )
    return 0
