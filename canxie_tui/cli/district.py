"""`canxie district`: the district merges the communities' monthly returns and reports.

    canxie district merge FILE... [--db district.db] [--json]
                                  [--district-name 江北区 --district-code 500105]
    canxie district report --month YYYY-MM [--out PATH]
    canxie district conflicts [--json] [--all]
    canxie district resolve ID --keep district|incoming|link [--file]
    canxie district key --community-code CODE | --street-code CODE [--json]
    canxie district recodes FILE.xlsx [--json]

merge prints one line per file (new / updated / unchanged / conflicts, or why it
was refused) and exits non-zero only when every file was refused or on a hard
error.  A new district database is set up with --district-name/--district-code.
Progress bars go to stderr.  conflicts lists the open merge conflicts (--all:
resolved ones too) with the fields the two versions differ in; resolve decides
one (ID: its id or a unique prefix of 8+ characters).  key issues the key text
of a community (12-digit code) or of a street's own install (9 digits; either
option takes either code, the JSON says `community_code` for both).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from canxie_tui.cli.common import (
    EXIT_USAGE,
    Commands,
    add_json_flag,
    add_out_options,
    fail,
    merge_exit_code,
    month,
    opened_store,
    overwrite,
    print_json,
    progress_bar,
    subcommands,
    usage_errors,
)


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    district = commands.add_parser(
        "district", help="区里：合并各社区月报、生成区汇总", parents=[common]
    )
    sub = subcommands(district, "district_command")
    merge = sub.add_parser(
        "merge",
        help="把各社区的月报（.xlsx）合并进区数据库（可重复合并；冲突列出待处理；合并前自动备份）",
        parents=[common],
    )
    merge.add_argument("files", nargs="+", type=Path, metavar="FILE", help="社区月报文件")
    add_json_flag(merge)
    merge.add_argument("--district-name", help="新建区数据库时：区县名称，如 江北区")
    merge.add_argument("--district-code", help="新建区数据库时：区县统计用区划代码，如 500105")
    merge.set_defaults(handler=cmd_district_merge)

    report = sub.add_parser(
        "report", help="生成区汇总工作簿（每个街道、社区一行，含合计）", parents=[common]
    )
    report.add_argument("--month", type=month, required=True, help="月份，如 2026-11")
    add_out_options(report, "输出文件或文件夹（默认 exports/区汇总_<区名>_<YYYY-MM>.xlsx）")
    report.set_defaults(handler=cmd_district_report)

    conflicts = sub.add_parser(
        "conflicts", help="列出合并冲突（默认只列待处理的）", parents=[common]
    )
    add_json_flag(conflicts)
    conflicts.add_argument("--all", action="store_true", help="也列出已处理的冲突")
    conflicts.set_defaults(handler=cmd_district_conflicts)

    resolve = sub.add_parser(
        "resolve", help="处理一条合并冲突：保留区里的版本或采用月报的版本", parents=[common]
    )
    resolve.add_argument("id", metavar="ID", help="冲突编号（至少前8位）")
    resolve.add_argument(
        "--keep",
        required=True,
        choices=("district", "incoming", "link"),
        help="district：保留区里的版本；incoming：采用月报的版本；"
        "link：认定为同一人（仅限身份证号相同的人员）",
    )
    resolve.add_argument(
        "--file", action="store_true", help="ID 是月报文件名：该文件的全部待处理冲突一并处理"
    )
    resolve.set_defaults(handler=cmd_district_resolve)

    key = sub.add_parser(
        "key",
        help="为一个社区或街道发放密钥（对方用 canxie init --key 或 canxie site key 填写）",
        parents=[common],
    )
    whose = key.add_mutually_exclusive_group(required=True)
    whose.add_argument("--community-code", metavar="CODE", help="社区统计用区划代码（12位）")
    whose.add_argument(
        "--street-code",
        dest="community_code",
        metavar="CODE",
        help="街道/镇统计用区划代码（9位）：街道自己的数据库报送月报用",
    )
    add_json_flag(key)
    key.set_defaults(handler=cmd_district_key)

    recodes = sub.add_parser(
        "recodes",
        help="导入区划代码对照表（xlsx：旧代码、新代码、新名称；可整条街道）",
        parents=[common],
    )
    recodes.add_argument("file", type=Path, metavar="FILE", help="对照表 .xlsx")
    add_json_flag(recodes)
    recodes.set_defaults(handler=cmd_district_recodes)


def cmd_district_merge(args: argparse.Namespace) -> int:
    from canxie_tui.excel.district import merge
    from canxie_tui.store.district import conflicts, set_district
    from canxie_tui.store.site import get_site

    if bool(args.district_name) != bool(args.district_code):
        fail("--district-name 和 --district-code 要一起给出", EXIT_USAGE)
    with opened_store(args, create=True) as store:
        if args.district_name:
            site = get_site(store)
            if not site.district_code:
                set_district(store, args.district_name, args.district_code)
            elif (site.district_name, site.district_code) != (
                args.district_name.strip(),
                args.district_code.strip(),
            ):
                fail(
                    f"这个数据库已设置为{site.full_name()}（{site.code}），"
                    f"与 --district-name/--district-code 给出的不一致，没有合并。"
                )
        with progress_bar("合并月报") as report:
            results = merge.merge(store, args.files, progress=report)
        open_conflicts = len(conflicts.list_conflicts(store))
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
        print_json(payload)
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
    return merge_exit_code(results)


def cmd_district_report(args: argparse.Namespace) -> int:
    from canxie_tui.excel.district.report import district_report

    year, number = args.month.year, args.month.number
    replace = overwrite(args)
    with opened_store(args) as store, progress_bar("生成区汇总") as report, usage_errors():
        path = district_report(
            store, year, number, out=args.out, progress=report, overwrite=replace
        )
    print(f"已生成 {year}年{number}月 区汇总：{path}")
    return 0


_SIDES = {"district": "保留区里的版本", "incoming": "采用月报的版本", "link": "认定为同一人"}


def cmd_district_conflicts(args: argparse.Namespace) -> int:
    from canxie_tui.store.district import conflicts
    from canxie_tui.store.labels import FIELD_LABELS, TABLE_LABELS

    with opened_store(args) as store:
        found = conflicts.list_conflicts(store, status=None if args.all else "open")

    def label(column: str) -> str:
        return FIELD_LABELS.get(column) or conflicts.CHILD_LABELS.get(column, column)

    if args.json:
        payload = [
            {
                **{k: v for k, v in c.items() if k != "pk"},
                "changes": [
                    {"field": k, "label": label(k), "district": old, "incoming": new}
                    for k, old, new in conflicts.conflict_changes(c)
                ],
            }
            for c in found
        ]
        print_json(payload)
        return 0
    if not found:
        print("没有待处理的合并冲突。" if not args.all else "没有合并冲突。")
        return 0
    for c in found:
        state = (
            "待处理"
            if c["status"] == "open"
            else f"已处理：{_SIDES.get(c['resolution'], c['resolution'])}"
            f"（{c['resolved_by']}，{c['resolved_at'].replace('T', ' ')[:16]}）"
        )
        table = TABLE_LABELS.get(c["table_name"], c["table_name"])
        print(
            f"{c['id'][:8]}  {table} {conflicts.record_name(c)}  {c['source_file']}  "
            f"{c['detected_at'].replace('T', ' ')[:16]}  {state}"
        )
        if c["reason"]:
            print(f"    原因：{c['reason']}")
        if c["incoming_version"] is None:
            print("    月报中已删除这条记录")
        for column, old, new in conflicts.conflict_changes(c):
            print(
                f"    {label(column)}：{conflicts.short_value(old)} → {conflicts.short_value(new)}"
            )
    opened = sum(c["status"] == "open" for c in found)
    print(f"共 {len(found)} 条冲突，待处理 {opened} 条（“区里的值 → 月报的值”）。")
    if opened:
        print("处理：canxie district resolve 编号 --keep district（保留区里）|incoming（采用月报）")
    return 0


def cmd_district_resolve(args: argparse.Namespace) -> int:
    from canxie_tui.store.district import conflicts
    from canxie_tui.store.labels import TABLE_LABELS

    if args.file:
        with opened_store(args) as store:
            count = conflicts.resolve_file(store, args.id, args.keep)
            left = len(conflicts.list_conflicts(store))
        print(
            f"“{args.id}”的 {count} 条冲突已处理：{_SIDES[args.keep]}。还有 {left} 条冲突待处理。"
        )
        return 0
    with opened_store(args) as store:
        done = conflicts.resolve_conflict(store, args.id, args.keep)
        left = len(conflicts.list_conflicts(store))
    table = TABLE_LABELS.get(done["table_name"], done["table_name"])
    print(
        f"冲突 {done['id'][:8]}（{table} {conflicts.record_name(done)}）已处理：{_SIDES[args.keep]}。"
        f"还有 {left} 条冲突待处理。"
    )
    return 0


def cmd_district_key(args: argparse.Namespace) -> int:
    from canxie_tui.domain.transit import site_word
    from canxie_tui.store import keys

    code = args.community_code.strip()
    with opened_store(args) as store:
        text = keys.issue_key(store, code)
    if args.json:
        print_json({"community_code": code, "key": text})
    else:
        whose = site_word(code)
        print(f"{whose} {code} 的密钥（请当面或电话交给{whose}，不要和月报一起发送）：")
        print(text)
    return 0


def cmd_district_recodes(args: argparse.Namespace) -> int:
    from canxie_tui.excel.district.recode_table import read_recodes
    from canxie_tui.store.recode import apply_recodes

    rows = read_recodes(args.file)
    with opened_store(args) as store:
        applied = apply_recodes(store, rows, source=f"对照表：{args.file.name}")
    if args.json:
        print_json(
            {
                "file": str(args.file),
                "rows": len(rows),
                "applied": applied,
                "recodes": [[r.old, r.new, r.name] for r in rows],
            }
        )
    else:
        print(
            f"对照表 {args.file.name}：{len(rows)} 行，新应用 {applied} 条；户和合并记录已改为新代码。"
        )
    return 0
