"""A verified return as it arrives at the district: its key, codes and database.

- `refusal`: a return whose ID numbers were tokenised with a key the district
  did not issue cannot be compared with anyone: refused, saying what to do.
- `Arrival.of`: the site and the households' division codes under the
  district's recodes and the return's own (only the sender's own code: a
  community cannot move another one; other streets come from the district's
  mapping table), and any full ID number turned into the district's token.
- `Arrival.after_merge`: which database sent the return; a second database
  sending the same community's month is named ("本月收到该社区两个不同数据库的月报").
  A street's return counts for the communities its households are in
  (`Arrival.covered`).

A sender is a community (12-digit code) or a street's own install (9 digits,
its key issued for the street): a street's return holds its communities'
households, so it counts as a database sending each of those communities'
month too; the community's own return in the same month is then named the
same way.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from typing import Any

from canxie_tui.domain import transit
from canxie_tui.domain.models import Site
from canxie_tui.domain.transit import site_word
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
        whose = site_word(data.site.code)
        option = "--street-code" if transit.is_street(data.site.code) else "--community-code"
        return (
            f"该{whose}还没有填写区里发放的密钥，月报中的身份证号代号无法与本区核对："
            f"请为该{whose}发放密钥（canxie district key {option} 代码），"
            f"{whose}在“设置：区里发放的密钥”或用 canxie site key 填写后重新导出月报"
        )
    return "月报所用的密钥不是本区发放的（可能来自别的区，或密钥填错了），无法核对身份证号代号"


def _unsigned(secret: bytes, data: MonthlyData | ReturnHeader) -> str:
    """Why the return's MAC does not verify under its community's key ("" when it does)."""
    code = data.meta.get("mac_code", "")
    whose = site_word(data.site.code)
    if not data.mac or not code:
        return (
            f"月报没有用区里发给{whose}的密钥签名，无法确认来源，已拒绝"
            f"（请{whose}填写区里发放的密钥后重新导出）"
        )
    expected = transit.return_mac(transit.community_mac_key(secret, code), code, data.checksum)
    if not hmac.compare_digest(expected, data.mac):
        return (
            f"月报的签名核对不上：文件在导出后被改动过，或不是用区里发给该{whose}的密钥导出的，"
            f"已拒绝合并。请让{whose}重新导出月报"
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
    own: list[Recode]  # the return's recodes the district takes (its sender's own code's)
    tokens: Tokens
    signer: str  # the community (or street) the signing key was issued to, under today's codes

    def impostor(self, store: Store) -> str:
        """Why the return may not speak for the site it names ("" when it may)."""
        code = self.site.code
        if self.signer != code:
            signer = site_word(self.signer)
            return (
                f"月报自称来自{self.site.name}（{code}），但签名密钥是发给代码为 "
                f"{self.signer} 的{signer}的：一个{signer}只能报送本{signer}的数据，已拒绝合并"
            )
        known = {r.old for r in list_recodes(store)}
        for item in self.own:
            if item.old in known:
                continue
            if not _taken(store, item.new):
                continue
            if len(item.old) == 9:
                return (
                    f"月报把本街道/镇的代码 {item.old} 改为 {item.new}，但本区已有该代码下的户"
                    "或月报，已拒绝合并（其他街道或区的代码变更请由区里导入对照表）"
                )
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
            if signer and item.old == signer:
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
        if table == "households":
            return [self._household(row) for row in rows] if self.recodes else rows
        if table == "persons":
            return [self.tokens.record(row) for row in rows]
        return rows

    def _household(self, row: dict[str, Any]) -> dict[str, Any]:
        code = map_code(row.get("division_code") or "", self.recodes)
        if code == row.get("division_code"):
            return row
        name = next((r.name for r in self.recodes if r.new == code and r.name), None)
        row = {**row, "division_code": code}
        if name:
            row["division_name"] = name
        return row

    def covered(self, households: list[dict[str, Any]]) -> set[str]:
        """The communities of the street's own that `households` (the return's, as
        `rows` maps them) are in; none for a community's return."""
        street = self.site.street_code
        if not street or self.site.community_code:
            return set()
        return {
            code
            for row in households
            if len(code := row.get("division_code") or "") == 12 and code.startswith(street)
        }

    def after_merge(self, store: Store, covered: set[str]) -> list[str]:
        """Remember which database sent this month; name a second one (warnings).

        A street's return is also a database sending each community it holds
        households of (`covered`), so the community's own return of the month is
        named too.
        """
        if not self.database_id:
            return []
        code = self.site.code
        with store.transaction() as db:
            db.conn.executemany(
                "INSERT OR IGNORE INTO merge_databases (site_code, database_id, month, "
                "source_file, merged_at) VALUES (?, ?, ?, ?, ?)",
                [
                    (sent, self.database_id, self.month, self.source, store.now())
                    for sent in [code, *sorted(covered)]
                ],
            )
        found = two_databases(store, self.month)

        def files(site_code: str) -> str:
            return "、".join(f"“{f}”" for f in found.get(site_code, []))

        warnings = []
        if code in found:
            warnings.append(
                f"{TWO_DATABASES}（{files(code)}），请核实该社区用的是哪台电脑上的数据库"
            )
        for community in sorted(covered & found.keys()):
            warnings.append(
                f"社区 {community}：{TWO_DATABASES}（{files(community)}：街道和社区都报送了它），"
                "请核实以哪个数据库为准，今后只由一方报送"
            )
        return warnings


def _taken(store: Store, code: str) -> bool:
    """Whether the district already has households or returns under `code` (a prefix)."""
    end = code + ":"  # ':' sorts right after '9': every code starting with `code` is below
    return bool(
        store.scalar(
            "SELECT 1 FROM households WHERE division_code >= ? AND division_code < ? LIMIT 1",
            (code, end),
        )
        or store.scalar(
            "SELECT 1 FROM merge_sources WHERE site_code >= ? AND site_code < ? LIMIT 1",
            (code, end),
        )
    )
