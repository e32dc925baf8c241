"""A folder of returns as the district screen lists them: community, month, state.

`scan(store, folder)` reads each workbook's metadata only (`read_header`) and
says what a merge would do with it: 新 (not merged yet), 已合并 (its checksum is
among the returns this database merged), or 被拒绝 with the reason (not a
return, damaged, another district, a key the district did not issue).  The data
sheets are read and verified when the file is merged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from canxie_tui.excel.district.arrival import Arrival, refusal
from canxie_tui.excel.files import read_or_refuse
from canxie_tui.excel.return_reader import read_header
from canxie_tui.store.connection import Store
from canxie_tui.store.site import get_site

__all__ = ["STATES", "ReturnEntry", "merged_checksums", "scan"]

STATES = {"new": "新", "merged": "已合并", "refused": "被拒绝"}


@dataclass
class ReturnEntry:
    path: Path
    site_code: str = ""
    site_name: str = ""
    month: str = ""
    checksum: str = ""
    state: str = "new"  # new / merged / refused
    reason: str = ""

    @property
    def state_text(self) -> str:
        label = STATES[self.state]
        return f"{label}：{self.reason}" if self.reason else label


def merged_checksums(store: Store) -> set[str]:
    """The checksums of the returns merged into this database (from the audit log)."""
    found = set()
    for (after,) in store.db.conn.execute(
        "SELECT after FROM audit_log WHERE action = '合并月报' AND table_name = 'district_merge'"
    ):
        try:
            found.add(str(json.loads(after).get("checksum", "")))
        except (TypeError, ValueError, AttributeError):
            continue
    return found


def scan(store: Store, folder: Path | str) -> list[ReturnEntry]:
    """Every .xlsx of `folder` (not its subfolders), by name, with its state."""
    from canxie_tui.domain.errors import InputError
    from canxie_tui.excel.district.merge import check_site

    where = Path(folder).expanduser()
    if not where.is_dir():
        raise InputError(f"找不到文件夹“{where}”", "folder")
    district = get_site(store)
    merged = merged_checksums(store)
    entries: list[ReturnEntry] = []
    for path in sorted(where.glob("*.xlsx")):
        if path.name.startswith(("~$", ".")):
            continue  # Excel's lock files, hidden files
        entry = ReturnEntry(path)
        entries.append(entry)
        header, why = read_or_refuse(read_header, path)
        if header is None:
            entry.state, entry.reason = "refused", why
            continue
        arrival = Arrival.of(store, header)
        entry.site_code, entry.site_name = arrival.site.code, arrival.site.name
        entry.month, entry.checksum = header.month_text, header.checksum
        why = refusal(store, header) or check_site(district, arrival.site)
        why = why or arrival.impostor(store)
        if why:
            entry.state, entry.reason = "refused", why
        elif header.checksum in merged:
            entry.state = "merged"
    return entries
