"""The district's month at a glance: who sent a return, who did not, what waits.

For the district screen and the roll-up's notes: the communities known to the
district (from merged returns and households' division codes), which of them
sent the month's return (`merge_databases`), the communities whose month came
from two different databases, and the people held out of the counts.
"""

from __future__ import annotations

from dataclasses import dataclass

from canxie_tui.store import places
from canxie_tui.store.connection import Store

__all__ = ["TWO_DATABASES", "MonthStatus", "month_status", "report_notes", "two_databases"]

TWO_DATABASES = "本月收到该社区两个不同数据库的月报"


@dataclass(frozen=True)
class MonthStatus:
    """Per community code its name (its label where another shares it); who sent; two
    databases; held people."""

    names: dict[str, str]
    sent: set[str]
    two: dict[str, list[str]]
    held: int

    @property
    def missing(self) -> list[tuple[str, str]]:
        """(code, name) of the communities without this month's return, by code."""
        return sorted((c, n) for c, n in self.names.items() if c not in self.sent)


def two_databases(store: Store, month: str) -> dict[str, list[str]]:
    """site code -> the files of its month that came from different databases (2 or more)."""
    found: dict[str, list[str]] = {}
    for code, files in store.db.conn.execute(
        "SELECT site_code, group_concat(source_file, '|') FROM ("
        "SELECT site_code, database_id, min(source_file) AS source_file FROM merge_databases "
        "WHERE month = ? GROUP BY site_code, database_id) GROUP BY site_code "
        "HAVING count(*) > 1 ORDER BY site_code",
        (month,),
    ):
        found[code] = str(files).split("|")
    return found


def month_status(store: Store, month: str) -> MonthStatus:
    conn = store.db.conn
    names: dict[str, str] = {}
    for code, name in conn.execute(
        "SELECT community_code, community_name FROM merge_sources WHERE community_code <> ''"
    ):
        names[code] = name
    for code, name in conn.execute(
        "SELECT division_code, max(division_name) FROM households "
        "WHERE length(division_code) = 12 GROUP BY division_code"
    ):
        names.setdefault(code, name)
    sent = {
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT site_code FROM merge_databases WHERE month = ?", (month,)
        )
    }
    sent |= {
        r[0]
        for r in conn.execute("SELECT site_code FROM merge_sources WHERE last_month = ?", (month,))
    }
    held = int(store.scalar("SELECT count(*) FROM persons WHERE held = 1") or 0)
    return MonthStatus(places.labelled(store, names), sent, two_databases(store, month), held)


def report_notes(store: Store, month: str) -> list[str]:
    """Lines for the roll-up: missing returns, two databases, people held out (Chinese)."""
    status = month_status(store, month)
    lines = []
    if status.missing:
        shown = "、".join(f"{n or c}（{c}）" for c, n in status.missing)
        lines.append(f"本月尚未收到月报的社区：{shown}。")
    for code, files in status.two.items():
        lines.append(
            f"{status.names.get(code, code)}（{code}）：{TWO_DATABASES}（{'、'.join(files)}），请核实。"
        )
    if status.held:
        lines.append(
            f"另有 {status.held} 人因身份证号与本区已有人员相同（如迁居），暂不计入以上任何数字，待处理。"
        )
    return lines
