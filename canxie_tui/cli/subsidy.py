"""`canxie subsidy check|roster|changes`: the monthly 两项补贴 check and its two sheets.

canxie subsidy check [--month YYYY-MM] [--json] [--full-ids]
canxie subsidy roster --month YYYY-MM [--out PATH] [--full-ids]
canxie subsidy changes --month YYYY-MM [--out PATH] [--full-ids]
"""

from __future__ import annotations

import argparse
from typing import Any

from canxie_tui.cli.common import (
    Commands,
    Month,
    add_json_flag,
    add_out_options,
    month,
    opened_store,
    overwrite,
    print_json,
    print_table,
    subcommands,
    usage_errors,
)

_FULL_IDS = "显示完整身份证号（默认只显示前6后4位；此操作记入审计日志）"


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    subsidy = commands.add_parser(
        "subsidy", help="两项补贴：核对、发放名册、变动表", parents=[common]
    )
    subsidy_commands = subcommands(subsidy, "subsidy_command")
    check = subsidy_commands.add_parser(
        "check",
        help="两项补贴核对：应享未享、应停未停（含多发金额）、等级变更",
        description="按当月生效的补贴标准和户籍登记核对两项补贴发放记录。",
        parents=[common],
    )
    check.add_argument("--month", type=month, help="月份，如 2026-11（默认本月）")
    add_json_flag(check)
    check.add_argument("--full-ids", action="store_true", help=_FULL_IDS)
    check.set_defaults(handler=cmd_check)
    for name, what in (("roster", "两项补贴发放名册"), ("changes", "两项补贴变动表")):
        sheet = subsidy_commands.add_parser(
            name, help=f"导出当月{what}（.xlsx，可打印）", parents=[common]
        )
        sheet.add_argument("--month", type=month, required=True, help="月份，如 2026-11")
        add_out_options(sheet, "输出文件或文件夹（默认 exports/ 或 CANXIE_EXPORTS）")
        sheet.add_argument("--full-ids", action="store_true", help=_FULL_IDS)
        sheet.set_defaults(handler=cmd_sheet, sheet=name, what=what)


def _month_text(store: Any, given: Month | None) -> str:
    from canxie_tui.domain.subsidies import month_of
    from canxie_tui.store.subsidies import current_month

    return current_month(store) if given is None else month_of(given.year, given.number)


def cmd_check(args: argparse.Namespace) -> int:
    from canxie_tui.domain.ids import mask_id
    from canxie_tui.domain.subsidies import month_label
    from canxie_tui.store import register
    from canxie_tui.store.subsidy_check import LISTS, check

    with opened_store(args) as store:
        month_text = _month_text(store, args.month)
        with usage_errors():
            found = check(store, month_text)

        def item_json(item: Any) -> dict[str, Any]:
            p = item.person
            shown = mask_id(p.id_number)
            if args.full_ids and p.id_number:
                shown = register.reveal_id(
                    store, register.get_person(store, p.person_id), "命令行两项补贴核对"
                )
            data: dict[str, Any] = {
                "person_id": p.person_id,
                "household_id": p.household_id,
                "name": p.name,
                "id_number": shown,
                "kind": item.kind,
                "kind_label": item.kind_label,
                "reason": item.reason,
                "since": item.since,
                "amount": item.amount,
            }
            if item.list == "stop":
                data |= {
                    "overpaid_months": list(item.overpaid_months),
                    "overpaid_amount": item.overpaid,
                }
            if item.list == "change":
                data |= {"old_amount": item.old_amount, "new_amount": item.amount}
            return data

        lists = {key: [item_json(i) for i in getattr(found, key)] for key in LISTS}
    if args.json:
        print_json(
            {
                "month": month_text,
                "rules": {
                    "start": found.rules.start,
                    "summary": found.rules.summary(),
                    "source": found.rules.source,
                },
                "counts": {key: len(items) for key, items in lists.items()},
                "overpaid_total": found.overpaid,
                **lists,
            }
        )
        return 0
    label = month_label(month_text)
    print(f"{label}两项补贴核对（{found.rules.start}起的标准：{found.rules.summary()}）")
    print_table(
        f"应停未停：{len(lists['stop'])} 项，多发 {found.overpaid} 元",
        ("姓名", "身份证号", "补贴", "原因", "停止日期", "多发月数", "多发金额"),
        [
            (
                i["name"],
                i["id_number"],
                i["kind_label"],
                i["reason"],
                i["since"] or "不详",
                len(i["overpaid_months"]),
                i["overpaid_amount"] or ("未定" if i["overpaid_months"] else 0),
            )
            for i in lists["stop"]
        ],
    )
    print_table(
        f"应享未享：{len(lists['start'])} 项",
        ("姓名", "身份证号", "补贴", "符合条件", "每月"),
        [
            (i["name"], i["id_number"], i["kind_label"], i["reason"], i["amount"])
            for i in lists["start"]
        ],
    )
    print_table(
        f"变更：{len(lists['change'])} 项",
        ("姓名", "身份证号", "补贴", "原因", "原标准", "新标准"),
        [
            (i["name"], i["id_number"], i["kind_label"], i["reason"], i["old_amount"], i["amount"])
            for i in lists["change"]
        ],
    )
    return 0


def cmd_sheet(args: argparse.Namespace) -> int:
    from canxie_tui.excel.subsidy_sheets import export_subsidies

    with opened_store(args) as store, usage_errors():
        path = export_subsidies(
            store,
            args.sheet,
            args.month.year,
            args.month.number,
            out=args.out,
            full_ids=args.full_ids,
            overwrite=overwrite(args),
        )
    print(f"已导出 {args.month.year}年{args.month.number}月 {args.what}：{path}")
    return 0
