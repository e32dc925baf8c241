"""Importing the district's 花名册 (roster workbook) into the register.

Three steps, so that nothing is written before a person has seen what will be:

1. `read_roster(path)` refuses anything that is not a readable .xlsx (via
   `sync.xlsx.load_workbook`: .xls, an encrypted workbook, a CSV or a renamed text
   file, a damaged zip) and a workbook without a recognisable header, each with
   one Chinese message.  It finds the header row itself in the first
   `HEADER_SCAN_ROWS` rows of the first sheet that has one (title rows and merged
   cells above it are common), matches the columns by their usual names and
   variants, then streams the rows (openpyxl read-only: the workbook is never held
   in memory) through `domain.validate.clean_person` / `clean_household`.  A row
   comes out accepted (cleaned values) or rejected (row number as Excel shows it,
   column, value, reason in Chinese).  Blank rows are skipped; a second row with
   the same ID number is rejected.
2. `preview(store, roster)` matches people by ID number: new / changed (field by
   field, old → new) / unchanged / rejected.  A blank cell never clears what the
   register holds; columns the roster does not have are left alone.
3. `apply(store, plan)` backs the database up, then writes everything in ONE
   transaction: new people (a household per distinct address, reusing a
   household whose normalised address matches), changed people and households
   through the register's audited functions.  All or nothing.

New people take a bulk path (the per-row `register.add_person` costs a duplicate
check, an audit lookup and a tier refresh per row): the same rows, one audit
entry per record in the same hash chain, `search.index_people` per batch (the
rows `search.index_person` writes), one tier refresh at the end.

`write_errors(...)` writes the rejected rows to `exports/导入错误_<file>_<time>.xlsx`.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from pathlib import Path
from typing import Any

from canxie_tui.domain import codes, ids, validate
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import Household, Person
from canxie_tui.domain.tiers import TierFacts
from canxie_tui.store import records, register, search, tiers
from canxie_tui.store.db import Store, new_id
from canxie_tui.sync.errors import SyncError, WorkbookError
from canxie_tui.sync.xlsx import (
    Book,
    Column,
    Progress,
    exports_dir,
    load_workbook,
    reading,
    safe_filename,
    unescape_text,
)

__all__ = [
    "FIELD_LABELS",
    "HEADER_SCAN_ROWS",
    "FieldDiff",
    "HouseholdChange",
    "ImportPlan",
    "ImportResult",
    "NewPerson",
    "NoHeaderError",
    "PersonChange",
    "Rejection",
    "RosterFile",
    "RosterImportError",
    "RosterRow",
    "apply",
    "match_header",
    "preview",
    "read_roster",
    "write_errors",
]

HEADER_SCAN_ROWS = 30
_CHUNK = 500  # new persons written per batch
_ACTION = "导入花名册"

# field -> names a roster may give its column (compared after `_header_key`).
HEADER_NAMES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "残疾人姓名", "持证人姓名", "名字"),
    "id_number": (
        "身份证号",
        "公民身份号码",
        "身份证号码",
        "证件号码",
        "证件号",
        "身份证",
        "居民身份证号",
        "居民身份证号码",
        "公民身份证号",
        "公民身份证号码",
    ),
    "cert_number": (
        "残疾人证号",
        "残疾证号",
        "残疾人证号码",
        "残疾证号码",
        "残疾人证编号",
        "残疾证编号",
    ),
    "category": ("残疾类别", "类别", "残疾类型", "残疾种类"),
    "level": ("残疾等级", "等级", "残疾级别", "级别"),
    "sex": ("性别",),
    "phone": ("联系电话", "手机号", "电话", "手机", "手机号码", "联系方式", "本人电话", "电话号码"),
    "relation": ("与户主关系", "与户主的关系", "户主关系"),
    "address": (
        "现住址",
        "居住地址",
        "家庭住址",
        "住址",
        "现居住地址",
        "现居住地",
        "居住地",
        "家庭地址",
        "地址",
        "现住地址",
    ),
    "building": ("楼栋", "栋", "楼号", "栋号"),
    "unit": ("单元", "单元号"),
    "room": ("房号", "门牌号", "房间号", "室"),
    "grid": ("网格", "所属网格", "网格名称"),
    "guardian_name": ("监护人", "监护人姓名"),
    "guardian_phone": ("监护人电话", "监护人联系电话", "监护人手机", "监护人手机号"),
}
FIELD_LABELS: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号",
    "cert_number": "残疾人证号",
    "category": "残疾类别",
    "level": "残疾等级",
    "sex": "性别",
    "phone": "联系电话",
    "relation": "与户主关系",
    "address": "现住址",
    "building": "楼栋",
    "unit": "单元",
    "room": "房号",
    "grid": "网格",
    "guardian_name": "监护人",
    "guardian_phone": "监护人电话",
}
MASKED_FIELDS = frozenset({"id_number", "cert_number"})
PERSON_FIELDS = ("name", "cert_number", "category", "level", "phone", "relation")
HOUSEHOLD_FIELDS = (
    "address",
    "building",
    "unit",
    "room",
    "grid",
    "guardian_name",
    "guardian_phone",
)
_PERSON_FORM = (
    "name",
    "id_number",
    "sex",
    "birth_date",
    "cert_number",
    "category",
    "level",
    "relation",
    "phone",
    "device_kind",
    "school",
)
_HOUSEHOLD_FORM = (
    "address",
    "building",
    "unit",
    "room",
    "grid",
    "phone",
    "guardian_name",
    "guardian_phone",
    "guardian_relation",
    "emergency_contact",
    "emergency_phone",
    "note",
)
_HEADER_KEYS = {
    unicodedata.normalize("NFKC", name): key
    for key, names in HEADER_NAMES.items()
    for name in names
}
_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|【[^】]*】|<[^>]*>")
_HEADER_DROP = re.compile(r"[\s*※:：.。、]+")


# -- errors --------------------------------------------------------------------------
class NoHeaderError(WorkbookError):
    """A readable workbook in which no roster header (姓名 + 身份证号 ...) was found."""


class RosterImportError(SyncError):
    """The import could not be applied; nothing was written."""


# -- what a read gives ---------------------------------------------------------------
@dataclass(frozen=True)
class Rejection:
    row: int  # as Excel shows it
    column: str  # the header as written in the file (or the field's usual name)
    value: str  # as in the file (unmasked: mask with `shown_value` for display)
    reason: str
    field: str = ""  # name / id_number / phone ... ("" when unknown)

    def shown_value(self, full_ids: bool = False) -> str:
        """The value for a person to read: ID and certificate numbers masked (前6后4)."""
        if full_ids or self.field not in MASKED_FIELDS or not self.value:
            return self.value
        return ids.mask_id(self.value)


@dataclass(frozen=True, slots=True)
class RosterRow:
    """An accepted row: cleaned values of the columns the roster has, blanks omitted."""

    row: int
    id_number: str
    person: tuple[tuple[str, Any], ...]  # (field, cleaned value) for PERSON_FIELDS + sex/birth
    household: tuple[tuple[str, str], ...]  # (field, cleaned value) for HOUSEHOLD_FIELDS

    def person_values(self) -> dict[str, Any]:
        return dict(self.person)

    def household_values(self) -> dict[str, str]:
        return dict(self.household)


@dataclass
class RosterFile:
    path: Path
    sheet: str
    header_row: int
    columns: dict[str, str]  # field -> header text as written
    rows: list[RosterRow] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    blank_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def data_rows(self) -> int:
        return len(self.rows) + len(self.rejected)

    def column(self, key: str) -> str:
        return self.columns.get(key) or FIELD_LABELS.get(key, key)


# -- header ----------------------------------------------------------------------------
def _header_key(text: object) -> str:
    """A header cell as compared: NFKC (full-width → half-width), no spaces, line breaks,
    brackets with their content (身份证号（18位）), asterisks or colons."""
    if text is None:
        return ""
    cleaned = unicodedata.normalize("NFKC", str(text))
    cleaned = _BRACKETS.sub("", cleaned)
    return _HEADER_DROP.sub("", cleaned)


def match_header(cells: Sequence[object]) -> dict[str, int]:
    """field -> 0-based column index for the cells of one row (first match wins)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        key = _HEADER_KEYS.get(_header_key(cell))
        if key and key not in found:
            found[key] = index
    return found


def _is_header(found: dict[str, int]) -> bool:
    return "name" in found and "id_number" in found


def _shown(value: object) -> str:
    """A cell value as the error workbook and messages show it."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.15g}".upper().replace("E+", "E+")
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _cell_text(value: object) -> Any:
    """A cell value ready for the validators (ID and certificate cells keep floats:
    parse_id rejects them as Excel-mangled)."""
    if isinstance(value, str):
        return unescape_text(value).strip() if "_x" in value else value.strip()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, bool) or value is None:
        return "" if value is None else str(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# -- reading ---------------------------------------------------------------------------
def _no_header_message(name: str, partial: tuple[str, int, dict[str, int]] | None) -> str:
    wanted = "“姓名”和“身份证号”（或“公民身份号码”“身份证号码”“证件号码”）"
    if partial is not None:
        sheet, row, found = partial
        has = "、".join(FIELD_LABELS[k] for k in found)
        missing = "姓名" if "name" not in found else "身份证号"
        return (
            f"“{name}”工作表“{sheet}”第{row}行像是表头（有{has}），但缺少“{missing}”列。"
            f"花名册的表头须包含{wanted}两列，请检查列名后再导入。"
        )
    return (
        f"“{name}”中找不到花名册的表头：每个工作表的前{HEADER_SCAN_ROWS}行里都没有同时包含"
        f"{wanted}的一行。请确认这是残疾人花名册，或把表头改成常用的列名后再导入。"
    )


def read_roster(
    path: Path | str,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> RosterFile:
    """Read and validate a roster workbook (see the module doc); nothing is written."""
    file = Path(path)
    today = today or date.today()
    wb = load_workbook(file)
    try:
        with reading(file):
            return _read(wb, file, today, progress)
    finally:
        wb.close()


def _read(wb: Any, file: Path, today: date, progress: Progress | None) -> RosterFile:
    partial: tuple[str, int, dict[str, int]] | None = None
    for ws in wb.worksheets:
        if getattr(ws, "sheet_state", "visible") != "visible" and len(wb.worksheets) > 1:
            continue
        estimate = ws.max_row or 0
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()  # wrong <dimension> in the file must not cut rows off
        rows = ws.iter_rows(values_only=True)
        for number, cells in enumerate(rows, 1):
            if number > HEADER_SCAN_ROWS:
                break
            found = match_header(cells)
            if _is_header(found):
                roster = RosterFile(
                    path=file,
                    sheet=ws.title,
                    header_row=number,
                    columns={k: str(cells[i]).strip() for k, i in found.items()},
                    ignored_columns=[
                        str(c).strip()
                        for i, c in enumerate(cells)
                        if c not in (None, "") and i not in found.values()
                    ],
                )
                _read_rows(roster, found, rows, number, today, progress, estimate)
                return roster
            if partial is None and len(found) >= 2 and ("name" in found or "id_number" in found):
                partial = (ws.title, number, found)
    raise NoHeaderError(_no_header_message(file.name, partial), str(file))


def _read_rows(
    roster: RosterFile,
    found: dict[str, int],
    rows: Iterator[tuple[Any, ...]],
    header_row: int,
    today: date,
    progress: Progress | None,
    estimate: int,
) -> None:
    columns = sorted(found.items(), key=lambda item: item[1])
    seen: dict[str, int] = {}  # ID number -> first row
    id_column = roster.column("id_number")
    for number, cells in enumerate(rows, header_row + 1):
        if progress is not None and number % 1000 == 0:
            progress("读取花名册", number, max(estimate, number))
        raw: dict[str, Any] = {}
        width = len(cells)
        for key, index in columns:
            if index < width:
                value = cells[index]
                if value is not None and not (isinstance(value, str) and not value.strip()):
                    raw[key] = value
        if not raw:
            roster.blank_rows += 1
            continue
        if set(raw) == {"name"} and all(
            c is None or (isinstance(c, str) and not c.strip())
            for i, c in enumerate(cells)
            if i != found["name"]
        ):
            # A footer such as "制表人：" in the name column only.
            roster.blank_rows += 1
            continue
        outcome = _clean_row(roster, number, raw, today, seen, id_column)
        if isinstance(outcome, Rejection):
            roster.rejected.append(outcome)
        else:
            roster.rows.append(outcome)
    if progress is not None:
        progress("读取花名册", estimate, estimate)


def _clean_row(
    roster: RosterFile,
    number: int,
    raw: dict[str, Any],
    today: date,
    seen: dict[str, int],
    id_column: str,
) -> RosterRow | Rejection:
    def reject(key: str, reason: str) -> Rejection:
        return Rejection(number, roster.column(key), _shown(raw.get(key)), reason, key)

    id_raw = raw.get("id_number")
    if id_raw is None:
        return reject("id_number", "缺少身份证号（花名册按身份证号匹配人员）")
    try:
        parsed = ids.parse_id(id_raw if isinstance(id_raw, int | float) else str(id_raw), today)
    except ids.IdError as err:
        return reject("id_number", err.message)
    first = seen.get(parsed.number)
    if first is not None:
        return Rejection(
            number, id_column, _shown(id_raw), f"与第{first}行身份证号重复", "id_number"
        )
    seen[parsed.number] = number

    values = {k: _cell_text(v) for k, v in raw.items() if k not in ("id_number", "cert_number")}
    cert = raw.get("cert_number")
    values["id_number"] = parsed.number
    if cert is not None:
        values["cert_number"] = cert if isinstance(cert, float) else _cell_text(cert)
    try:
        person = validate.clean_person(values, today, parsed_id=parsed)
    except InputError as err:
        return reject(err.field if err.field in FIELD_LABELS else "name", err.message)
    sex = values.get("sex", "")
    if sex:
        sex = sex.removesuffix("性")
        if sex not in codes.SEXES:
            return reject("sex", "性别应为“男”或“女”")
        if sex != person["sex"]:
            return reject("sex", f"性别“{sex}”与身份证号不符（按身份证号应为{person['sex']}）")
    house_raw = {k: values.get(k, "") for k in HOUSEHOLD_FIELDS}
    try:
        house = validate.clean_household({**house_raw, "address": house_raw["address"] or "-"})
    except InputError as err:
        return reject(err.field if err.field in FIELD_LABELS else "address", err.message)
    if not house_raw["address"]:
        house["address"] = ""
    person_items = tuple(
        (k, person[k]) for k in PERSON_FIELDS if k in raw and person[k] not in (None, "")
    )
    person_items += (("sex", person["sex"]), ("birth_date", person["birth_date"]))
    return RosterRow(
        row=number,
        id_number=parsed.number,
        person=person_items,
        household=tuple((k, house[k]) for k in HOUSEHOLD_FIELDS if house[k]),
    )


# -- preview ---------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldDiff:
    field: str
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class NewPerson:
    row: RosterRow
    household_key: str  # normalised address
    household_id: str | None  # an existing household to join, else None (created)


@dataclass(frozen=True)
class PersonChange:
    row: int
    name: str
    id_number: str
    person_id: str
    version: int
    diffs: tuple[FieldDiff, ...]  # person and (for the row that carries them) household
    values: dict[str, Any]  # full person form values (register holds + roster overrides)
    person_changed: bool


@dataclass(frozen=True)
class HouseholdChange:
    household_id: str
    version: int
    row: int  # the first roster row that gave the new values
    diffs: tuple[FieldDiff, ...]
    values: dict[str, Any]  # full household form values


@dataclass
class ImportPlan:
    source: Path
    new: list[NewPerson] = field(default_factory=list)
    new_households: dict[str, dict[str, Any]] = field(default_factory=dict)  # key -> values
    changed: list[PersonChange] = field(default_factory=list)
    household_changes: list[HouseholdChange] = field(default_factory=list)
    unchanged: list[int] = field(default_factory=list)  # row numbers
    rejected: list[Rejection] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return {
            "new": len(self.new),
            "changed": len(self.changed),
            "unchanged": len(self.unchanged),
            "rejected": len(self.rejected),
            "new_households": len(self.new_households),
            "changed_households": len(self.household_changes),
        }

    @property
    def has_changes(self) -> bool:
        return bool(self.new or self.changed or self.household_changes)


def address_key(*parts: str) -> str:
    """An address as compared: NFKC, no spaces, dashes unified, Latin upper-cased."""
    text = unicodedata.normalize("NFKC", "".join(parts))
    text = "".join(c for c in text if not c.isspace())
    return re.sub(r"[‐‑‒–—―−﹣－]", "-", text).upper()


def _household_key(values: dict[str, str]) -> str:
    return address_key(*(values.get(k, "") for k in ("address", "building", "unit", "room")))


def _show_value(key: str, value: Any) -> str:
    if value in (None, ""):
        return ""
    if key == "category":
        return codes.label(codes.CATEGORIES, value, str(value))
    if key == "level":
        return codes.label(codes.LEVELS, value, str(value))
    return str(value)


def _same(key: str, old: Any, new: Any) -> bool:
    if key == "address":
        return address_key(str(old or "")) == address_key(str(new or ""))
    return (old if old is not None else "") == (new if new is not None else "")


def _person_form(person: Person) -> dict[str, Any]:
    values: dict[str, Any] = {k: getattr(person, k) for k in _PERSON_FORM}
    values["birth_date"] = person.birth_date.isoformat() if person.birth_date else ""
    values["care_flags"] = sorted(person.care_flags)
    values["benefits"] = sorted(person.benefits)
    return values


def _household_form(household: Household) -> dict[str, Any]:
    values: dict[str, Any] = {k: getattr(household, k) for k in _HOUSEHOLD_FORM}
    values["flags"] = sorted(household.flags)
    return values


def _existing(store: Store, numbers: list[str]) -> dict[str, tuple[Person, Household]]:
    """Registered persons with one of these ID numbers, with their households."""
    persons: dict[str, Person] = {}
    for chunk in _chunks(numbers, _CHUNK):
        marks = ",".join("?" for _ in chunk)
        for row in store.query(f"SELECT * FROM persons WHERE id_number IN ({marks})", chunk):
            persons[row["id_number"]] = register.person_from_row(row)
    households: dict[str, Household] = {}
    for chunk in _chunks(sorted({p.household_id for p in persons.values()}), _CHUNK):
        marks = ",".join("?" for _ in chunk)
        for row in store.query(f"SELECT * FROM households WHERE id IN ({marks})", chunk):
            households[row["id"]] = register.household_from_row(row)
    return {k: (p, households[p.household_id]) for k, p in persons.items()}


def _households_by_address(store: Store, keys: set[str]) -> dict[str, Household]:
    """Existing households whose normalised address is one of `keys` (the oldest wins)."""
    if not keys:
        return {}
    found: dict[str, Household] = {}
    cursor = store.db.conn.execute("SELECT * FROM households ORDER BY pk")
    names = [d[0] for d in cursor.description]
    for values in cursor:
        row = dict(zip(names, values, strict=True))
        key = address_key(row["address"], row["building"], row["unit"], row["room"])
        if key in keys and key not in found:
            found[key] = register.household_from_row(row)
    return found


def preview(store: Store, roster: RosterFile) -> ImportPlan:
    """What `apply` would do (reads the database, writes nothing)."""
    plan = ImportPlan(source=roster.path, rejected=list(roster.rejected))
    today = store.today()
    existing = _existing(store, [r.id_number for r in roster.rows])
    new_keys = {
        _household_key(r.household_values())
        for r in roster.rows
        if r.id_number not in existing and r.household_values().get("address")
    }
    by_address = _households_by_address(store, new_keys)
    # Household values per household, the first non-blank value in the file winning.
    wanted: dict[str, dict[str, tuple[int, str]]] = {}  # household id or new key -> field
    new_rows: list[tuple[RosterRow, str]] = []
    person_changes: list[tuple[RosterRow, Person, Household, list[FieldDiff], dict[str, Any]]] = []

    for row in roster.rows:
        house = row.household_values()
        match = existing.get(row.id_number)
        if match is None:
            if not house.get("address"):
                plan.rejected.append(
                    Rejection(
                        row.row,
                        roster.column("address"),
                        "",
                        "新增人员须填写现住址（该人不在库中）",
                        "address",
                    )
                )
                continue
            key = _household_key(house)
            target = by_address.get(key)
            slot = wanted.setdefault(target.id if target else key, {})
            for k, v in house.items():
                slot.setdefault(k, (row.row, v))
            new_rows.append((row, key))
            continue
        person, household = match
        form = _person_form(person)
        diffs: list[FieldDiff] = []
        for key, value in row.person:
            if key in ("sex", "birth_date"):
                continue
            if not _same(key, form.get(key), value):
                diffs.append(
                    FieldDiff(
                        key,
                        FIELD_LABELS[key],
                        _show_value(key, form.get(key)),
                        _show_value(key, value),
                    )
                )
                form[key] = value
        if diffs:
            try:
                validate.clean_person(form, today)
            except InputError as err:
                plan.rejected.append(
                    Rejection(
                        row.row,
                        roster.column(err.field),
                        _show_value(err.field, form.get(err.field)),
                        f"{err.message}（与库中已登记的信息合并后）",
                        err.field,
                    )
                )
                continue
        slot = wanted.setdefault(household.id, {})
        for k, v in house.items():
            slot.setdefault(k, (row.row, v))
        person_changes.append((row, person, household, diffs, form))

    # Existing households: which fields the file changes, attributed to the first row.
    household_diffs: dict[str, tuple[int, list[FieldDiff]]] = {}
    households = {h.id: h for _, _, h, _, _ in person_changes} | {
        h.id: h for h in by_address.values()
    }
    for household_id, household in households.items():
        form = _household_form(household)
        diffs, first = [], 0
        for key, (row_number, value) in sorted(
            wanted.get(household_id, {}).items(), key=lambda item: HOUSEHOLD_FIELDS.index(item[0])
        ):
            if not _same(key, form.get(key), value):
                diffs.append(FieldDiff(key, FIELD_LABELS[key], str(form.get(key) or ""), value))
                form[key] = value
                first = row_number if not first else min(first, row_number)
        if diffs:
            plan.household_changes.append(
                HouseholdChange(household.id, household.version, first, tuple(diffs), form)
            )
            household_diffs[household.id] = (first, diffs)

    for row, person, household, diffs, form in person_changes:
        carried = household_diffs.get(household.id)
        shown = list(diffs)
        if carried is not None and carried[0] == row.row:
            shown += carried[1]
        if shown:
            plan.changed.append(
                PersonChange(
                    row.row,
                    person.name,
                    person.id_number,
                    person.id,
                    person.version,
                    tuple(shown),
                    form,
                    bool(diffs),
                )
            )
        else:
            plan.unchanged.append(row.row)

    for row, key in new_rows:
        target = by_address.get(key)
        plan.new.append(NewPerson(row, key, target.id if target else None))
        if target is None and key not in plan.new_households:
            values = {k: v for k, (_, v) in wanted[key].items()}
            plan.new_households[key] = values
    plan.rejected.sort(key=lambda r: r.row)
    return plan


# -- apply -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    households_added: int
    households_updated: int
    backup: Path | None


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {
        k: json.dumps(sorted(v)) if k in ("flags", "care_flags", "benefits") else v
        for k, v in values.items()
    }


class _Writer:
    """Bulk inserts with one audit entry per record, chained as `records.write_audit` does."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.conn = store.db.conn
        self.now = store.now()
        prev = self.conn.execute("SELECT hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        self.prev_hash = prev[0] if prev else records.GENESIS_HASH

    def insert(self, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Insert rows (all with the same columns); audit each; return their pks."""
        if not rows:
            return []
        who = self.store.operator_name
        stamp = (1, self.now, who, self.now, who)
        pick = itemgetter(*rows[0])
        columns = [*rows[0], "version", "created_at", "created_by", "updated_at", "updated_by"]
        conn = self.conn
        last = conn.execute(f"SELECT coalesce(max(pk), 0) FROM {table}").fetchone()[0]
        conn.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
            [(*pick(row), *stamp) for row in rows],
        )
        # Read the rows back: the audit entry holds every column as stored (defaults too).
        cursor = conn.execute(f"SELECT * FROM {table} WHERE pk > ? ORDER BY pk", (last,))
        names = [d[0] for d in cursor.description]
        at, operator_id, entry_hash = self.now, self.store.operator_id, records._entry_hash
        pks: list[int] = []
        entries = []
        prev = self.prev_hash
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            pks.append(row["pk"])
            entry = {
                "at": at,
                "operator_id": operator_id,
                "operator_name": who,
                "action": _ACTION,
                "table_name": table,
                "record_id": row["id"],
                "before": None,
                "after": records._dump(row),
            }
            prev = entry_hash(prev, entry)
            entries.append((*entry.values(), self.prev_hash, prev))
            self.prev_hash = prev
        if len(pks) != len(rows):
            raise RosterImportError(
                "导入时写入的记录数与预期不符，已全部撤销，数据库未做任何修改。"
            )
        conn.executemany(
            "INSERT INTO audit_log (at, operator_id, operator_name, action, table_name, "
            "record_id, before, after, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            entries,
        )
        return pks


_NEW_PERSON: dict[str, Any] = {
    "name": "",
    "sex": "",
    "birth_date": None,
    "cert_number": None,
    "category": None,
    "level": None,
    "relation": "",
    "phone": "",
    "care_flags": "[]",
    "device_kind": "",
    "benefits": "[]",
    "school": "",
    # The schema's defaults; set for certified people in new households below.
    "tier": "C",
    "tier_reason": "",
    "next_due_date": "",
}


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def apply(
    store: Store,
    plan: ImportPlan,
    *,
    progress: Progress | None = None,
    _fail_after: int | None = None,
) -> ImportResult:
    """Write the plan: backup, then one transaction (all accepted rows or nothing)."""
    if not plan.has_changes:
        return ImportResult(0, 0, 0, 0, None)
    from canxie_tui.store.backup import backup_before

    backup = backup_before(store, "before-import")
    total = len(plan.new) + len(plan.changed) + len(plan.household_changes)
    done = 0

    def step(count: int = 1) -> None:
        nonlocal done
        done += count
        if _fail_after is not None and done >= _fail_after:
            raise RuntimeError(f"模拟故障：写入{done}行后中断（测试用）")
        if progress is not None and (done % 500 < count or done == total):
            progress("写入数据库", done, total)

    try:
        with store.transaction():
            households_updated = _apply_changes(store, plan, step)
            added, households_added = _apply_new(store, plan, step)
    except sqlite3.IntegrityError as err:
        raise RosterImportError(
            "导入失败：预览之后有人登记了同一身份证号的人员（或数据库约束不满足："
            f"{err}）。已全部撤销，数据库未做任何修改，请重新预览后再导入。"
        ) from err
    return ImportResult(
        added=added,
        updated=sum(1 for c in plan.changed if c.person_changed),
        households_added=households_added,
        households_updated=households_updated,
        backup=backup,
    )


def _apply_changes(store: Store, plan: ImportPlan, step: Callable[[int], None]) -> int:
    from dataclasses import replace

    for change in plan.household_changes:
        household = register.get_household(store, change.household_id)
        register.update_household(
            store, replace(household, version=change.version), dict(change.values)
        )
        step(1)
    for person_change in plan.changed:
        if person_change.person_changed:
            person = register.get_person(store, person_change.person_id)
            register.update_person(
                store, replace(person, version=person_change.version), dict(person_change.values)
            )
        step(1)
    return len(plan.household_changes)


def _apply_new(store: Store, plan: ImportPlan, step: Callable[[int], None]) -> tuple[int, int]:
    if not plan.new:
        return 0, 0
    from canxie_tui.store.site import get_site

    site = get_site(store)
    writer = _Writer(store)
    house_ids: dict[str, str] = {}
    houses: dict[str, dict[str, Any]] = {}  # new household id -> its columns
    for key, values in plan.new_households.items():
        house_id = house_ids[key] = new_id()
        houses[house_id] = {
            "id": house_id,
            **_encode(validate.clean_household(values)),
            "division_code": site.code,
            "division_name": site.name,
        }
    for chunk in _chunks(list(houses.values()), _CHUNK * 4):
        writer.insert("households", chunk)

    # Tiers of people in new households are known here (no visits, no follow-ups,
    # no flags, the household's certified members all in this file): computed as
    # `tiers.refresh` would, without a query per household.  Households that
    # existed get new members, so theirs are refreshed at the end.
    settings = tiers.get_settings(store)
    registered = date.fromisoformat(writer.now[:10])
    certified = Counter(
        house_ids[item.household_key]
        for item in plan.new
        if item.household_id is None and dict(item.row.person).get("category") is not None
    )
    joined: set[str] = set()
    for chunk in _chunks(plan.new, _CHUNK):
        rows: list[dict[str, Any]] = []
        fresh: list[int] = []
        for item in chunk:
            person = {**_NEW_PERSON, **item.row.person_values(), "id_number": item.row.id_number}
            if item.household_id is not None:
                person["household_id"] = item.household_id
                joined.add(item.household_id)
            else:
                person["household_id"] = house_ids[item.household_key]
                if person["category"] is not None:
                    facts = TierFacts(
                        category=person["category"],
                        level=person["level"],
                        care_flags=frozenset(),
                        device_kind="",
                        household_flags=frozenset(),
                        certified_in_household=certified[person["household_id"]],
                        urgent_followup=False,
                    )
                    person["tier"], person["tier_reason"], person["next_due_date"] = tiers.derived(
                        facts, settings, registered
                    )
                fresh.append(len(rows))
            rows.append({"id": new_id(), **person})
        pks = writer.insert("persons", rows)
        search.index_new(store, [_index_row(pks[i], rows[i], houses) for i in fresh])
        if len(fresh) < len(rows):
            indexed = set(fresh)
            search.index_people(store, [pk for i, pk in enumerate(pks) if i not in indexed])
        step(len(chunk))
    if joined:
        tiers.refresh(store, household_ids=joined)
    return len(plan.new), len(houses)


def _index_row(
    pk: int, person: dict[str, Any], houses: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """What `search.index_new` reads, for a person in a household created here."""
    house = houses[person["household_id"]]
    return {**house, **person, "pk": pk, "home_phone": house["phone"]}


# -- error workbook ---------------------------------------------------------------------
ERROR_COLUMNS = (
    Column("行号", width=8, align="center"),
    Column("列", width=16),
    Column("值", width=26),
    Column("原因", max_width=70, wrap=True),
)


def error_path(source: Path, when: datetime, out_dir: Path | None = None) -> Path:
    folder = out_dir if out_dir is not None else exports_dir()
    stem = safe_filename(source.stem, "花名册")
    path = folder / f"导入错误_{stem}_{when:%Y%m%d-%H%M}.xlsx"
    n = 1
    while path.exists():
        n += 1
        path = folder / f"导入错误_{stem}_{when:%Y%m%d-%H%M}-{n}.xlsx"
    return path


def write_errors(
    roster: RosterFile | ImportPlan,
    source_path: Path | str,
    *,
    out_dir: Path | None = None,
    now: datetime | None = None,
    full_ids: bool = False,
) -> Path | None:
    """Rejected rows → the error workbook (行号, 列, 值, 原因); None when there are none.

    Pass the plan (rather than the file) to include the rows `preview` rejected too.
    ID and certificate numbers are masked (前6后4) unless `full_ids`: the row
    number finds the row in the source file.
    """
    rejected = roster.rejected
    if not rejected:
        return None
    source = Path(source_path)
    path = error_path(source, now or datetime.now(), out_dir)
    with Book() as book:
        table = book.table("导入错误", ERROR_COLUMNS)
        for item in sorted(rejected, key=lambda r: r.row):
            table.append([item.row, item.column, item.shown_value(full_ids), item.reason])
        return book.save(path)
