"""`canxie certificates`: 残疾人证 expiring within N days (or expired), expired first."""

from __future__ import annotations

import argparse
from typing import Any

from canxie_tui.cli.common import (
    Commands,
    add_json_flag,
    opened_store,
    positive_int,
    print_rows,
)


def add_commands(commands: Commands, common: argparse.ArgumentParser) -> None:
    certificates = commands.add_parser(
        "certificates",
        help="证件到期提醒：残疾人证N天内到期或已过期的人",
        description="残疾人证在N天内（默认90天）到期或已经过期的在册人员，已过期的在前。",
        parents=[common],
    )
    certificates.add_argument(
        "--days", type=positive_int("--days"), default=90, help="提前多少天提醒（默认90）"
    )
    add_json_flag(certificates)
    certificates.add_argument(
        "--full-ids", action="store_true", help="显示完整身份证号和残疾人证号（记入审计日志）"
    )
    certificates.set_defaults(handler=cmd_certificates)


def cmd_certificates(args: argparse.Namespace) -> int:
    from canxie_tui.domain import codes
    from canxie_tui.domain.ids import mask_id
    from canxie_tui.domain.models import address_with_place
    from canxie_tui.store import certificates, register
    from canxie_tui.store.certificates import expiry_text

    with opened_store(args) as store:
        today = store.today()
        found = certificates.expiring(store, today, args.days)
        rows: list[dict[str, Any]] = []
        for row in found:
            id_number, cert_number = row["id_number"] or "", row["cert_number"] or ""
            if args.full_ids and id_number:
                person = register.get_person(store, row["id"])
                register.reveal_id(store, person, "命令行证件到期提醒")
            else:
                id_number, cert_number = mask_id(id_number), mask_id(cert_number)
            place = "".join((row["building"], row["unit"], row["room"]))
            rows.append(
                {
                    "person_id": row["id"],
                    "household_id": row["household_id"],
                    "name": row["name"],
                    "id_number": id_number,
                    "cert_number": cert_number,
                    "disability": (
                        f"{codes.label(codes.CATEGORIES, row['category'])}"
                        f"{codes.label(codes.LEVELS, row['level'])}"
                    ),
                    "cert_valid_until": row["cert_valid_until"],
                    "days_left": row["days_left"],  # negative: expired that many days ago
                    "days_text": expiry_text(row["days_left"]),
                    "phone": row["phone"],
                    "address": address_with_place(row["address"], place),
                    "grid": row["grid"],
                    # at a street or district: the grid's community (第1网格 is in each)
                    **({"community": row["community"]} if row["community"] else {}),
                }
            )
    expired = sum(1 for r in rows if r["days_left"] < 0)
    print_rows(
        rows,
        as_json=args.json,
        to_json=dict,
        envelope={
            "date": today.isoformat(),
            "days": args.days,
            "total": len(rows),
            "expired": expired,
        },
        title=f"残疾人证{args.days}天内到期或已过期：共 {len(rows)} 人，其中已过期 {expired} 人",
        headers=("姓名", "身份证号", "残疾", "有效期至", "剩余", "电话", "住址"),
        cells=lambda r: (
            r["name"],
            r["id_number"],
            r["disability"],
            r["cert_valid_until"],
            r["days_text"],
            r["phone"],
            r["address"],
        ),
        empty=f"没有{args.days}天内到期或已过期的残疾人证。",
    )
    return 0
