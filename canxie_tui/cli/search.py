"""`canxie search QUERY`: the search-as-you-type of the TUI, printed once."""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from canxie_tui.cli.common import (
    Commands,
    add_json_flag,
    opened_store,
    positive_int,
    print_rows,
)


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    search = commands.add_parser(
        "search", help="查找人员（姓名、拼音、身份证尾号、电话、地址）", parents=[common]
    )
    search.add_argument("query", help="查找内容")
    add_json_flag(search)
    search.add_argument(
        "--limit", type=positive_int("--limit"), default=20, help="最多显示条数（默认20）"
    )
    search.add_argument("--full-ids", action="store_true", help="显示完整身份证号（记入审计日志）")
    search.set_defaults(handler=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    from canxie_tui.domain import codes
    from canxie_tui.domain.ids import mask_id
    from canxie_tui.domain.models import address_with_place
    from canxie_tui.store import register
    from canxie_tui.store.search import search

    with opened_store(args) as store:
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
    more = "+" if result.total_is_capped else ""
    print_rows(
        rows,
        as_json=args.json,
        to_json=dict,
        envelope={"query": args.query, "total": result.total, "capped": result.total_is_capped},
        title=f"“{args.query}”：前 {len(rows)} 条，共 {result.total}{more} 条",
        headers=("姓名", "性别", "年龄", "残疾", "身份证号", "电话", "住址", "状态"),
        cells=lambda r: (
            r["name"],
            r["sex"],
            r["age"] or "",
            r["disability"],
            r["id_number"],
            r["phone"],
            address_with_place(r["address"], r["place"]),
            r["status"],
        ),
        empty=f"没有找到“{args.query}”。",
    )
    return 0


def _age(born: object, today: date) -> int | None:
    from canxie_tui.domain.dates import age_on

    return age_on(born, today) if isinstance(born, date) else None
