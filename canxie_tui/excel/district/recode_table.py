"""The district's mapping table of division codes (xlsx: 旧代码, 新代码, 新名称).

One row per recode; a 9-digit street code moves every community under it, a
6-digit district code every street.  Headers are found by name on the first
row (旧代码/原代码/old, 新代码/new, 新名称/名称/name); a bad row is refused with
its row number and nothing is applied (`store.recode.apply_recodes` applies).
"""

from __future__ import annotations

from pathlib import Path

from canxie_tui.domain.errors import InputError
from canxie_tui.excel.files import load_workbook, reading
from canxie_tui.store.recode import Recode, check

__all__ = ["read_recodes"]

_HEADERS = {
    "old": ("旧代码", "原代码", "旧区划代码", "old", "old_code"),
    "new": ("新代码", "新区划代码", "new", "new_code"),
    "name": ("新名称", "名称", "name", "new_name"),
}


def _text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


def read_recodes(path: Path | str) -> list[Recode]:
    """The recodes of a mapping table; InputError naming the row when one is wrong."""
    file = Path(path)
    wb = load_workbook(file, what="区划代码对照表")
    try:
        with reading(file, "区划代码对照表"):
            rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    if not rows:
        raise InputError(f"“{file.name}”是空的：应有表头“旧代码、新代码、新名称”", "file")
    header = [_text(c).lower() for c in rows[0]]
    where: dict[str, int] = {}
    for key, names in _HEADERS.items():
        for index, title in enumerate(header):
            if title in names:
                where[key] = index
                break
    if "old" not in where or "new" not in where:
        raise InputError(
            f"“{file.name}”第1行应有表头“旧代码”和“新代码”（可加“新名称”），没有找到", "file"
        )
    found: list[Recode] = []
    for number, row in enumerate(rows[1:], start=2):
        cells = [_text(c) for c in row]

        def cell(key: str, cells: list[str] = cells) -> str:
            index = where.get(key)
            return cells[index] if index is not None and index < len(cells) else ""

        if not cell("old") and not cell("new"):
            continue
        try:
            found.append(check(cell("old"), cell("new"), cell("name")))
        except InputError as err:
            raise InputError(f"“{file.name}”第{number}行：{err.message}", "file") from err
    if not found:
        raise InputError(
            f"“{file.name}”没有对照数据（第2行起每行一条：旧代码、新代码、新名称）", "file"
        )
    return found
