"""`canxie survey`: the yearly 持证残疾人基本状况调查 (动态更新) round.

canxie survey start --year 2026 [--date YYYY-MM-DD]
canxie survey progress [--year Y] [--json]
canxie survey left [--grid G] [--building B] [--year Y] [--json]
canxie survey sheet --grid G [--building B] [--year Y] [--out PATH]

At a street or district (many communities) a grid or building is named with its
community, "建新东路社区·第1网格"; a bare name several communities use is refused
with the choices.
canxie survey export [--year Y] [--out PATH] [--full-ids]
canxie survey merge FILE... [--json]          (district database)
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from canxie_tui.cli.common import (
    Commands,
    add_json_flag,
    add_out_options,
    merge_exit_code,
    opened_store,
    overwrite,
    print_json,
    print_rows,
    print_table,
    progress_bar,
    subcommands,
    usage_errors,
)


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    survey = commands.add_parser(
        "survey",
        help="持证残疾人基本状况调查（动态更新）：开始、进度、一览表、导出",
        parents=[common],
    )
    sub = subcommands(survey, "survey_command")
    start = sub.add_parser(
        "start", help="开始一个年度的调查：列出调查时点在册的全部持证残疾人", parents=[common]
    )
    start.add_argument("--year", type=int, required=True, help="调查年度，如 2026")
    start.add_argument("--date", help="调查时点（默认今天），如 2026-07-01")
    start.set_defaults(handler=cmd_start)

    progress = sub.add_parser(
        "progress",
        help="调查进度：应调查、已调查（入户/见面/电话）、失访、入户率",
        parents=[common],
    )
    _year(progress)
    add_json_flag(progress)
    progress.set_defaults(handler=cmd_progress)

    left = sub.add_parser("left", help="还没调查的人（按网格、楼栋、单元、房号）", parents=[common])
    _year(left)
    left.add_argument("--grid", help="只看这个网格（多个社区时写明社区，如 某某社区·第1网格）")
    left.add_argument("--building", help="只看这个楼栋（多个社区时可写 某某社区·8栋）")
    add_json_flag(left)
    left.set_defaults(handler=cmd_left)

    sheet = sub.add_parser(
        "sheet",
        help="打印用一览表（预填答案、空白待填、签字栏），每个网格或楼栋一份",
        parents=[common],
    )
    _year(sheet)
    sheet.add_argument(
        "--grid", required=True, help="网格，如 第3网格（多个社区时写明社区：某某社区·第3网格）"
    )
    sheet.add_argument("--building", help="只要这个楼栋")
    add_out_options(sheet, "输出文件（默认 exports/调查一览表_<网格>_<年度>.xlsx）")
    sheet.set_defaults(handler=cmd_sheet)

    export = sub.add_parser(
        "export", help="导出本年度调查结果工作簿（每人一行，供区里合并）", parents=[common]
    )
    _year(export)
    add_out_options(export, "输出文件或文件夹（默认 exports/基本状况调查_<社区>_<年度>.xlsx）")
    export.add_argument(
        "--full-ids", action="store_true", help="显示完整身份证号（默认前6后4位；记入审计日志）"
    )
    export.set_defaults(handler=cmd_export)

    close = sub.add_parser(
        "close", help="结束一个年度的调查（答案保留，不能再修改；首页不再显示）", parents=[common]
    )
    _year(close)
    close.set_defaults(handler=cmd_close)

    merge = sub.add_parser(
        "merge", help="区里：把各社区的调查结果合并进区数据库（可重复合并）", parents=[common]
    )
    merge.add_argument("files", nargs="+", type=Path, metavar="FILE", help="社区调查结果文件")
    add_json_flag(merge)
    merge.set_defaults(handler=cmd_merge)


def _year(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--year", type=int, help="调查年度（默认最近一次）")


def cmd_start(args: argparse.Namespace) -> int:
    from canxie_tui.store import survey

    with opened_store(args) as store, usage_errors():
        round, listed = survey.start_round(store, args.year, args.date)
    print(f"已开始{round.title}（调查时点 {round.ref_date}）：名单共 {listed} 人。")
    return 0


def cmd_progress(args: argparse.Namespace) -> int:
    from canxie_tui.domain.survey import PROGRESS_COLUMNS, rate_text
    from canxie_tui.store import survey

    with opened_store(args) as store:
        found = survey.progress(store, survey.get_round(store, args.year))
    if args.json:
        print_json(found.to_json())
        return 0
    headers = ("网格", "楼栋", *PROGRESS_COLUMNS)
    print_table(
        f"{found.round.title}进度（调查时点 {found.round.ref_date}）",
        headers,
        [
            (grid, building, *c.figures(), rate_text(c.home_rate), rate_text(c.completion))
            for grid, building, c in found.lines()
        ],
    )
    if found.apart_elsewhere:
        print(f"人户分离、在户籍地调查的 {found.apart_elsewhere} 人只列出，不计入应调查。")
    return 0


def cmd_left(args: argparse.Namespace) -> int:
    from canxie_tui.domain.places import label
    from canxie_tui.domain.survey import STATUSES
    from canxie_tui.store import survey, survey_files

    with opened_store(args) as store, usage_errors():
        round = survey.get_round(store, args.year)
        # refuses a typo, and a bare name several communities use
        code, grid, building = survey_files.known_place(store, round, args.grid, args.building)
        rows, total = survey.left_to_survey(
            store, round, grid=grid, building=building, community=code
        )

    place = (args.grid or "") + (args.building or "")
    empty = (
        f"{round.title}：{place}没有还没调查的人（网格、楼栋的名称见 canxie survey progress）。"
        if place
        else f"{round.title}：都已调查或失访。"
    )

    def to_json(row: dict[str, Any]) -> dict[str, Any]:
        keys = ("id", "status", "grid", "building", "unit", "room", "address", "name", "phone")
        found = {**{k: row[k] for k in keys}, "apart": bool(row["apart"])}
        return found | ({"community": row["community"]} if "community" in row else {})

    print_rows(
        rows,
        as_json=args.json,
        to_json=to_json,
        envelope={"year": round.year, "total": total, "shown": len(rows)},
        title=f"{round.title}：还没调查 {total} 人"
        + (f"（显示前 {len(rows)} 人）" if total > len(rows) else ""),
        headers=("网格", "楼栋", "单元", "房号", "姓名", "电话", "状态"),
        cells=lambda r: (
            label(r.get("community", ""), r["grid"]),
            r["building"],
            r["unit"],
            r["room"],
            r["name"] + ("（人户分离）" if r["apart"] else ""),
            r["phone"],
            STATUSES[r["status"]],
        ),
        empty=empty,
    )
    return 0


def cmd_sheet(args: argparse.Namespace) -> int:
    from canxie_tui.excel.survey_sheets import write_sheet

    with opened_store(args) as store, usage_errors():
        path, people = write_sheet(
            store,
            args.grid,
            building=args.building,
            year=args.year,
            out=args.out,
            overwrite=overwrite(args),
        )
    print(f"已生成一览表（{people} 人）：{path}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from canxie_tui.excel.survey_book import export_survey

    with opened_store(args) as store, progress_bar("导出调查结果") as report, usage_errors():
        path = export_survey(
            store,
            args.year,
            out=args.out,
            full_ids=args.full_ids,
            progress=report,
            overwrite=overwrite(args),
        )
    print(f"已导出调查结果：{path}")
    return 0


def cmd_close(args: argparse.Namespace) -> int:
    from canxie_tui.store import survey

    with opened_store(args) as store, usage_errors():
        round = survey.close_round(store, args.year)
    print(f"已结束{round.title}（{round.closed_on}）。")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    from canxie_tui.excel.district.survey import merge_survey

    with opened_store(args) as store, progress_bar("合并调查结果") as report:
        results = merge_survey(store, args.files, progress=report)
    if args.json:
        print_json(
            {
                "files": [r.to_json() for r in results],
                "refused": sum(r.refused for r in results),
            }
        )
    else:
        for result in results:
            print(result.line)
    return merge_exit_code(results)
