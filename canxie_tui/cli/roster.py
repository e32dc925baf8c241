"""`canxie import roster`: the district's 花名册 into the register.

    canxie import roster FILE.xlsx [--dry-run] [--json]

Reads and checks the workbook, prints the preview (new / changed / unchanged /
rejected, and the changed fields of the first rows), then applies it in one
transaction after a backup unless --dry-run.  Rejected rows go to an error
workbook whose path is printed.  Progress bars go to stderr.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from canxie_tui.cli.common import (
    Commands,
    add_json_flag,
    opened_store,
    print_json,
    print_table,
    progress_bar,
    subcommands,
)

SHOWN_CHANGES = 20  # changed rows listed field by field


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    imports = commands.add_parser("import", help="导入（区残联花名册）", parents=[common])
    import_commands = subcommands(imports, "import_command")
    roster = import_commands.add_parser(
        "roster",
        help="导入花名册（.xlsx）：先预览新增/变更/未变/有误，再一次性写入（写入前自动备份）",
        parents=[common],
    )
    roster.add_argument("file", type=Path, help="花名册文件（.xlsx）")
    roster.add_argument("--dry-run", action="store_true", help="只预览，不写入数据库")
    add_json_flag(roster)
    roster.set_defaults(handler=cmd_import_roster)


def cmd_import_roster(args: argparse.Namespace) -> int:
    from canxie_tui.domain.ids import mask_id
    from canxie_tui.excel.roster import importer as roster

    with opened_store(args) as store:
        with progress_bar("读取花名册") as report:
            data = roster.read_roster(args.file, today=store.today(), progress=report)
            report("比对数据库", 0, 0)
            plan = roster.preview(store, data)
            result = None
            if not args.dry_run and plan.has_changes:
                result = roster.apply(store, plan, progress=report)
        errors = roster.write_errors(plan, args.file, now=store.clock())

    counts = plan.counts
    if args.json:
        payload: dict[str, Any] = {
            "file": str(args.file),
            "sheet": data.sheet,
            "header_row": data.header_row,
            "columns": data.columns,
            "counts": counts,
            "dry_run": args.dry_run,
            "applied": result is not None,
            "backup": str(result.backup) if result and result.backup else None,
            "errors_file": str(errors) if errors else None,
            "changed": [
                {
                    "row": c.row,
                    "name": c.name,
                    "id_number": mask_id(c.id_number),
                    "fields": [
                        {
                            "field": d.field,
                            "label": d.label,
                            "old": _masked(d.field, d.old),
                            "new": _masked(d.field, d.new),
                        }
                        for d in c.diffs
                    ],
                }
                for c in plan.changed
            ],
            "rejected": [
                {"row": r.row, "column": r.column, "value": r.shown_value(), "reason": r.reason}
                for r in plan.rejected
            ],
        }
        print_json(payload)
        return 0

    header = " ".join(data.columns.values()).replace("\n", "")
    print(f"花名册“{args.file.name}”工作表“{data.sheet}”，表头在第{data.header_row}行：{header}")
    print(
        f"新增 {counts['new']} 人（新建 {counts['new_households']} 户），"
        f"变更 {counts['changed']} 人，未变 {counts['unchanged']} 人，有误 {counts['rejected']} 行。"
    )
    if plan.changed:
        rows: list[Sequence[object]] = [
            (
                c.row,
                c.name,
                mask_id(c.id_number),
                d.label,
                _masked(d.field, d.old) or "（空）",
                _masked(d.field, d.new),
            )
            for c in plan.changed[:SHOWN_CHANGES]
            for d in c.diffs
        ]
        more = len(plan.changed) - SHOWN_CHANGES
        title = "变更明细" + (f"（前{SHOWN_CHANGES}人，另有{more}人）" if more > 0 else "")
        print_table(title, ("行号", "姓名", "身份证号", "项目", "原值", "新值"), rows)
    if errors is not None:
        print(f"有误的 {counts['rejected']} 行已写入：{errors}")
    if args.dry_run:
        print("预览完毕（--dry-run），数据库未做任何修改。")
    elif result is None:
        print("没有需要写入的内容，数据库未做任何修改。")
    else:
        print(
            f"已导入：新增 {result.added} 人、{result.households_added} 户，"
            f"更新 {result.updated} 人、{result.households_updated} 户。"
            f"导入前的备份：{result.backup}"
        )
    return 0


def _masked(field: str, value: str) -> str:
    from canxie_tui.domain.ids import mask_id
    from canxie_tui.excel.roster.columns import MASKED_FIELDS

    return mask_id(value) if value and field in MASKED_FIELDS else value
