"""证件到期提醒: certificates expiring within 90 days or already expired, expired first.

A certificate past its 有效期至 stops the 两项补贴 (专栏2 (2) 动态监管): the worker
phones these people to renew in time.  Enter opens the household.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from canxie_tui.domain import codes
from canxie_tui.domain.ids import mask_id
from canxie_tui.domain.models import address_with_place
from canxie_tui.store import certificates
from canxie_tui.store.certificates import expiry_text
from canxie_tui.ui.screens.listing import PersonRowsScreen
from canxie_tui.ui.widgets.text import fit


def disability(row: dict[str, Any]) -> str:
    return (
        f"{codes.label(codes.CATEGORIES, row['category'])}{codes.label(codes.LEVELS, row['level'])}"
    )


def place(row: dict[str, Any]) -> str:
    return address_with_place(row["address"], "".join((row["building"], row["unit"], row["room"])))


class CertificatesScreen(PersonRowsScreen):
    # What the worker needs to phone first stays inside 80 columns; the masked ID last.
    columns = ("姓名", "残疾", "有效期至", "剩余", "电话", "住址", "身份证号")

    async def load(self) -> tuple[list[dict[str, Any]], str]:
        self.sub_title = "证件到期提醒"
        rows = await self.canxie.db(certificates.expiring, self.canxie.store.today())
        expired = sum(1 for r in rows if r["days_left"] < 0)
        return rows, (
            f"残疾人证{certificates.REMIND_DAYS}天内到期或已过期 {len(rows)} 人，"
            f"其中已过期 {expired} 人（Enter 打开户）"
        )

    def cells(self, item: dict[str, Any]) -> Sequence[str]:
        return (
            fit(item["name"], 8),
            disability(item),
            item["cert_valid_until"],
            expiry_text(item["days_left"]),
            item["phone"],
            fit(place(item), 24),
            mask_id(item["id_number"] or ""),
        )
