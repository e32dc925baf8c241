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

import hmac
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
        return _unsigned(secret, data)
    if data.meta.get("id_key_issued", "0") != "1":
        return (
            "该社区还没有填写区里发放的密钥，月报中的身份证号代号无法与本区核对：请为该社区发放密钥"
            "（canxie district key --community-code 代码），社区在“设置：区里发放的密钥”"
            "或用 canxie site key 填写后重新导出月报"
        )
    return "月报所用的密钥不是本区发放的（可能来自别的区，或密钥填错了），无法核对身份证号代号"


def _unsigned(secret: bytes, data: MonthlyData | ReturnHeader) -> str:
    """Why the return's MAC does not verify under its community's key ("" when it does)."""
    code = data.meta.get("mac_code", "")
    if not data.mac or not code:
        return "月报没有用区里发给社区的密钥签名，无法确认来源，已拒绝（请社区填写密钥后重新导出）"
    expected = transit.return_mac(transit.community_mac_key(secret, code), code, data.checksum)
    if not hmac.compare_digest(expected, data.mac):
        return (
            "月报的签名核对不上：文件在导出后被改动过，或不是用区里发给该社区的密钥导出的，"
            "已拒绝合并。请让社区重新导出月报"
        )
    return ""


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
    signer: str  # the community the signing key was issued to, under today's codes

    def impostor(self, store: Store) -> str:
        """Why the return may not speak for the site it names ("" when it may)."""
        code = self.site.community_code
        if self.signer != code:
            return (
                f"月报自称来自{self.site.name}（{code}），但签名密钥是发给代码为 {self.signer} "
                "的社区的：一个社区只能报送本社区的数据，已拒绝合并"
            )
        known = {r.old for r in list_recodes(store)}
        for item in self.own:
            if item.old in known:
                continue
            taken = store.scalar(
                "SELECT 1 FROM households WHERE division_code = ? LIMIT 1", (item.new,)
            ) or store.scalar("SELECT 1 FROM merge_sources WHERE site_code = ?", (item.new,))
            if taken:
                return (
                    f"月报把本社区的代码 {item.old} 改为 {item.new}，但该代码已是本区另一个社区的，"
                    "已拒绝合并（整条街道或区的代码变更请由区里导入对照表）"
                )
        return ""

    @classmethod
    def of(cls, store: Store, data: MonthlyData | ReturnHeader) -> Arrival:
        sent = data.site
        code = sent.community_code
        signer = data.meta.get("mac_code", "")
        own = []
        for item in _parse(data.meta.get("recodes", "")):  # its own code's chain, nothing else
            if signer and len(item.old) == 12 and item.old == signer:
                own.append(item)
                signer = item.new
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
            map_code(data.meta.get("mac_code", ""), recodes),
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
