"""A verified return as it arrives at the district: its key, codes and database.

- `refusal`: a return whose ID numbers were tokenised with a key the district
  did not issue cannot be compared with anyone: refused, saying what to do.
- `Arrival.of`: the site and the households' division codes under the
  district's recodes and the return's own (only its community's own code: a
  community cannot move another one; whole streets come from the district's
  mapping table), and any full ID number turned into the district's token.
- `Arrival.after_merge`: which database sent the return; a second database
  sending the same community's month is named ("本月收到该社区两个不同数据库的月报").
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from canxie_tui.domain import transit
from canxie_tui.domain.models import Site
from canxie_tui.excel.return_ids import Tokens
from canxie_tui.excel.return_reader import MonthlyData, ReturnHeader
from canxie_tui.store import keys
from canxie_tui.store.connection import Store
from canxie_tui.store.district.status import TWO_DATABASES, two_databases
from canxie_tui.store.recode import Recode, apply_recodes, list_recodes, map_code
from canxie_tui.store.recode import parse_recodes_json as _parse

__all__ = ["TWO_DATABASES", "Arrival", "refusal"]


def refusal(store: Store, data: MonthlyData | ReturnHeader) -> str:
    """Why the district cannot take this return's ID tokens ("" when it can)."""
    secret = keys.district_secret(store)
    if secret is None:
        return "本库没有区密钥，无法核对月报中的身份证号代号"
    theirs = data.meta.get("id_key", "")
    if theirs == transit.key_fingerprint(transit.token_key(secret)):
        return ""
    if data.meta.get("id_key_issued", "0") != "1":
        return (
            "该社区还没有填写区里发放的密钥，月报中的身份证号代号无法与本区核对：请为该社区发放密钥"
            "（canxie district key --community-code 代码），社区在“设置：区里发放的密钥”"
            "或用 canxie site key 填写后重新导出月报"
        )
    return "月报所用的密钥不是本区发放的（可能来自别的区，或密钥填错了），无法核对身份证号代号"


@dataclass
class Arrival:
    """A return's site, codes and tokens as the district takes them."""

    site: Site
    sent_as: str  # the site code written in the return
    month: str
    database_id: str
    source: str
    recodes: list[Recode]
    own: list[Recode]  # the return's recodes the district takes (its own community's)
    tokens: Tokens

    @classmethod
    def of(cls, store: Store, data: MonthlyData | ReturnHeader) -> Arrival:
        sent = data.site
        code = sent.community_code
        own = [
            r
            for r in _parse(data.meta.get("recodes", ""))
            if code and len(r.old) == 12 and (r.old == code or r.new == code)
        ]
        recodes = [*list_recodes(store), *own]
        site = replace(
            sent,
            district_code=map_code(sent.district_code, recodes),
            street_code=map_code(sent.street_code, recodes) if sent.street_code else "",
            community_code=map_code(code, recodes) if code else "",
        )
        names = {r.new: r.name for r in recodes if r.name}
        site = replace(
            site,
            district_name=names.get(site.district_code, site.district_name),
            street_name=names.get(site.street_code, site.street_name),
            community_name=names.get(site.community_code, site.community_name),
        )
        secret = keys.district_secret(store) or b""
        return cls(
            site,
            sent.code,
            data.month_text,
            data.meta.get("database_id", ""),
            data.path.name,
            recodes,
            own,
            Tokens(transit.token_key(secret)),
        )

    def apply(self, store: Store) -> None:
        """Take the return's own recodes into the district (its households follow)."""
        if self.own:
            apply_recodes(store, self.own, source=f"月报：{self.source}")

    def rows(self, table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """`rows` of `table` under the district's codes and tokens."""
        if table == "households" and self.recodes:
            out = []
            for row in rows:
                code = map_code(row.get("division_code") or "", self.recodes)
                if code != row.get("division_code"):
                    name = next((r.name for r in self.recodes if r.new == code and r.name), None)
                    row = {**row, "division_code": code}
                    if name:
                        row["division_name"] = name
                out.append(row)
            return out
        if table == "persons":
            return [self.tokens.record(row) for row in rows]
        return rows

    def after_merge(self, store: Store) -> list[str]:
        """Remember which database sent this month; name a second one (warnings)."""
        if not self.database_id:
            return []
        code = self.site.code
        with store.transaction() as db:
            db.conn.execute(
                "INSERT OR IGNORE INTO merge_databases (site_code, database_id, month, "
                "source_file, merged_at) VALUES (?, ?, ?, ?, ?)",
                (code, self.database_id, self.month, self.source, store.now()),
            )
        others = two_databases(store, self.month).get(code, [])
        if len(others) < 2:
            return []
        files = "、".join(f"“{f}”" for f in others)
        return [f"{TWO_DATABASES}（{files}），请核实该社区用的是哪台电脑上的数据库"]
