"""Merging monthly returns into the district database (see the package's docstring).

This side reads: each workbook is read and verified (`return_reader.read_monthly`),
one that is corrupt, foreign or from outside the district is refused with its
reason, and the rows of the others go to the store (`store.district.merge`),
which decides and writes them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from canxie_tui.domain.models import Site
from canxie_tui.domain.transit import site_word
from canxie_tui.excel.district.arrival import Arrival, refusal
from canxie_tui.excel.errors import SyncError
from canxie_tui.excel.files import read_or_refuse
from canxie_tui.excel.return_reader import MonthlyData
from canxie_tui.store import anchors, scratch
from canxie_tui.store.connection import Store
from canxie_tui.store.district.apply import MergeCounts
from canxie_tui.store.district.content import CHILD_TABLES, RECORD_TABLES
from canxie_tui.store.district.merge import (
    Deletion,
    Incoming,
    InconsistentRowsError,
    merge_rows,
)
from canxie_tui.store.site import get_site

Progress = Callable[[str, int, int], None]


class MergeError(SyncError):
    """The merge cannot run at all (the database is not a district's)."""


# -- results -----------------------------------------------------------------------------
@dataclass
class FileResult(MergeCounts):
    """What one workbook did to the district database (the counts: `MergeCounts`)."""

    path: Path
    refused: bool = False
    reason: str = ""  # why it was refused (Chinese)
    site_code: str = ""
    site_name: str = ""
    month: str = ""
    warnings: list[str] = field(default_factory=list)  # said beside the counts (Chinese)

    @property
    def line(self) -> str:
        """One line for a person (Chinese)."""
        if self.refused:
            return f"{self.path.name}：已拒绝——{self.reason}"
        text = (
            f"{self.path.name}（{self.site_name} {self.month}）：新增 {self.new}，"
            f"更新 {self.updated}，未变 {self.unchanged}，冲突 {self.conflicts}"
        )
        if self.deleted:
            text += f"，删除 {self.deleted}"
        if self.linked:
            text += f"，认定为同一人 {self.linked}"
        if self.held:
            text += f"，暂不计入 {self.held}"
        if self.skipped:
            text += f"，跳过 {len(self.skipped)}"
        if self.foreign:
            text += f"，拒收其他社区的记录 {len(self.foreign)}（{self.foreign[0]}…）"
        return "；".join([text, *self.warnings])

    def to_json(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "refused": self.refused,
            "reason": self.reason,
            "site_code": self.site_code,
            "site_name": self.site_name,
            "month": self.month,
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "conflicts": self.conflicts,
            "deleted": self.deleted,
            "linked": self.linked,
            "held": self.held,
            "warnings": list(self.warnings),
            "skipped": list(self.skipped),
            "foreign": list(self.foreign),
            "by_table": self.by_table,
            "conflict_records": [list(c) for c in self.conflict_records],
        }


# -- which database, which files -----------------------------------------------------------
def _district_site(store: Store) -> Site:
    from canxie_tui.store.keys import ensure_district_secret

    site = get_site(store)
    if not site.district_code or not site.code:
        raise MergeError(
            "这个数据库还没有设置区县（区划名称和代码），无法合并社区月报："
            "要靠它判断月报是否来自本区。新建区数据库时请用 --district-name 和 --district-code 设置。"
        )
    if site.key_code:  # a street's install sends its return like a community's
        whose = site_word(site.key_code)
        raise MergeError(
            f"这个数据库是{site.full_name()}（{whose}）的数据库，不是区数据库，"
            f"不能合并其他社区的月报：{whose}的月报请导出后报送区里合并。请用 --db 指定区数据库。"
        )
    ensure_district_secret(store)  # a district set up before keys existed gets one now
    return site


def check_site(district: Site, incoming: Site, what: str = "月报") -> str:
    """Why a workbook (`what`: 月报, 调查结果) of `incoming` does not belong in
    `district`'s database ("" if it does)."""
    code = incoming.code
    if not code:
        return f"{what}没有站点区划代码，无法判断来自哪个社区"
    where = f"{incoming.full_name() or incoming.name}（{code}）"
    if incoming.district_code != district.district_code or not code.startswith(district.code):
        return (
            f"{what}来自{where}，不属于本库的{district.full_name()}（{district.code}），"
            "请确认是否发错了文件"
        )
    if code == district.code:
        return f"{what}来自{where}，与本库是同一级站点，不是下属社区的{what}"
    return ""


def _incoming(data: MonthlyData, arrival: Arrival) -> Incoming:
    """The workbook's rows as the store merges them; its audit sheet gives the deletions.

    `arrival` maps them to the district's codes and tokens (`district.arrival`).
    """
    deletions: list[Deletion] = []
    for entry in data.rows("audit_log"):
        table, rid = entry.get("table_name"), entry.get("record_id")
        if table not in RECORD_TABLES or entry.get("after") is not None:
            continue  # only an entry without an "after" is a deletion
        try:
            before = json.loads(entry.get("before") or "null") or {}
        except (TypeError, ValueError):
            before = {}
        deletions.append(Deletion(str(table), str(rid), before))
    return Incoming(
        source=data.path.name,
        site=arrival.site,
        month=data.month_text,
        checksum=data.checksum,
        tables={t: arrival.rows(t, data.rows(t)) for t in (*RECORD_TABLES, *CHILD_TABLES)},
        deletions=deletions,
    )


# -- merging -------------------------------------------------------------------------------
def merge(
    store: Store, paths: Iterable[Path | str], *, progress: Progress | None = None
) -> list[FileResult]:
    """Merge monthly returns into the district database `store`; one result per file.

    Refused files (corrupt, foreign, from another district) are reported in their
    result and do not stop the others.  Raises MergeError when `store` is not a
    district database, StoreError when the backup before merging fails.
    """
    from canxie_tui.excel.return_reader import read_monthly
    from canxie_tui.store.backup import backup_before
    from canxie_tui.store.district.tokens import tokenise_register
    from canxie_tui.store.keys import district_secret

    files = [Path(p) for p in paths]
    district = _district_site(store)
    results: list[FileResult] = []
    backed_up = False
    for index, path in enumerate(files):
        result = FileResult(path)
        results.append(result)

        def step(label: str, done: int, total: int, _name: str = path.name) -> None:
            if progress is not None:
                progress(f"{_name}：{label}", done, total)

        step("读取", 0, 1)
        data, why = read_or_refuse(lambda file: read_monthly(file, progress=step), path)
        if data is None:
            result.refused, result.reason = True, why
            continue
        result.month = data.month_text
        why = refusal(store, data)
        if why:
            result.site_code, result.site_name = data.site.code, data.site.full_name()
            result.refused, result.reason = True, why
            continue
        arrival = Arrival.of(store, data)
        result.site_code, result.site_name = arrival.site.code, arrival.site.full_name()
        why = check_site(district, arrival.site) or arrival.impostor(store)
        if why:
            result.refused, result.reason = True, why
            continue
        if not backed_up:
            backup_before(store, "merge")
            backed_up = True
            # Merged into before ID tokens: its people's numbers become tokens first.
            tokenise_register(store, district_secret(store) or b"")
        try:
            with scratch.busy(store.path, "合并月报"), store.transaction():
                arrival.apply(store)
                incoming = _incoming(data, arrival)
                covered = arrival.covered(incoming.rows("households"))
                merge_rows(store, incoming, result, progress=step)
                result.warnings += arrival.after_merge(store, covered)
                anchors.record_received(
                    store.db.conn,
                    arrival.site.code,
                    data.month_text,
                    data.meta,
                    path.name,
                    store.now(),
                )
        except InconsistentRowsError as err:
            fresh = FileResult(path, True, err.message)
            fresh.site_code, fresh.site_name, fresh.month = (
                result.site_code,
                result.site_name,
                result.month,
            )
            results[index] = fresh
    if progress is not None:
        progress("完成", 1, 1)
    return results
