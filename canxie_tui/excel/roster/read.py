"""Reading the district's 花名册 (roster workbook): the first step of `excel.roster.importer`.

`read_roster(path)` refuses anything that is not a readable .xlsx (via
`excel.files.load_workbook`: .xls, an encrypted workbook, a CSV or a renamed text
file, a damaged zip) and a workbook without a recognisable header, each with one
Chinese message.  It finds the header row itself in the first `HEADER_SCAN_ROWS`
rows of the first sheet that has one (title rows and merged cells above it are
common), matches the columns by their usual names and variants, then streams the
rows (openpyxl read-only: the workbook is never held in memory; for a big file
from a reader process, `excel.roster.reader_process`, so that parsing and validating run on
two cores) through `domain.validate.clean_person` / `clean_household`.  A row comes out accepted
(cleaned values) or rejected (row number as Excel shows it, column, value, reason
in Chinese).  Blank rows are skipped; a second row with the same ID number is
rejected.

Accepted rows are not kept in Python: they go to a spool, a private temporary
SQLite database (`sqlite3.connect("")`).  SQLite holds a small page cache of it
and writes the rest to a file it has already unlinked, so memory stays flat in the
number of rows, and the rows (ID numbers) never outlive the process, even after a
crash.  `excel.roster.importer.preview` and `apply` work through the spool in chunks.
"""

from __future__ import annotations

import functools
import inspect
import json
import re
import sqlite3
import tempfile
import unicodedata
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from canxie_tui.domain import codes, ids, validate
from canxie_tui.domain.errors import InputError
from canxie_tui.excel.cells import unescape_text
from canxie_tui.excel.errors import SyncError, WorkbookError
from canxie_tui.excel.files import Progress, load_workbook, reading
from canxie_tui.excel.roster import reader_process as row_reader
from canxie_tui.store.bulk import gc_paused

__all__ = [
    "FIELD_LABELS",
    "HEADER_NAMES",
    "HEADER_SCAN_ROWS",
    "HOUSEHOLD_FIELDS",
    "MASKED_FIELDS",
    "NEW_TARGET",
    "PERSON_FIELDS",
    "NoHeaderError",
    "Rejection",
    "RosterFile",
    "RosterRow",
    "Spool",
    "SpoolError",
    "address_key",
    "match_header",
    "read_roster",
]

HEADER_SCAN_ROWS = 30
_FLUSH = 500  # accepted rows written to the spool at a time

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

    @property
    def household_key(self) -> str:
        """The address as compared with the register's ('' when the row has none)."""
        return household_key(dict(self.household))


def household_key(house: dict[str, str]) -> str:
    if not house.get("address"):
        return ""
    return address_key(*(house.get(k, "") for k in ("address", "building", "unit", "room")))


def address_key(*parts: str) -> str:
    """An address as compared: NFKC, no spaces, dashes unified, Latin upper-cased."""
    text = "".join(parts)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    text = "".join(text.split())  # every kind of whitespace, as str.isspace has it
    return _DASHES.sub("-", text).upper()


_DASHES = re.compile(r"[‐‑‒–—―−﹣－]")
# The cleaned values a row may carry, as spool columns (NULL: the row has none).
_PERSON_COLUMNS = (*PERSON_FIELDS, "sex", "birth_date")
_VALUE_COLUMNS = ", ".join((*_PERSON_COLUMNS, *HOUSEHOLD_FIELDS))
_SPOOL_SCHEMA = f"""
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
CREATE TABLE ids (id_number TEXT PRIMARY KEY, row INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE rows (
    row INTEGER PRIMARY KEY,         -- as Excel shows it
    id_number TEXT NOT NULL,
    hkey TEXT NOT NULL,              -- RosterRow.household_key
    certified INTEGER NOT NULL,      -- has a category: counts towards 一户多残
    kind TEXT NOT NULL DEFAULT '',   -- preview: new / match / rejected
    target TEXT NOT NULL DEFAULT '', -- preview: the household id, or 'new:' + hkey
    {_VALUE_COLUMNS}
);
CREATE INDEX rows_kind ON rows(kind, row);
CREATE INDEX rows_target ON rows(target, row);
CREATE TABLE known (hkey TEXT PRIMARY KEY, household_id TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE new_households (
    target TEXT PRIMARY KEY,         -- 'new:' + hkey
    household_values TEXT NOT NULL,  -- JSON: the first non-blank value of each field
    columns TEXT NOT NULL DEFAULT '' -- apply: the new household's columns as inserted (JSON)
) WITHOUT ROWID;
"""
NEW_TARGET = "new:"  # a rows.target for a household the import creates
_JSON = json.JSONEncoder(ensure_ascii=False)
T = TypeVar("T")


class SpoolError(SyncError):
    """The spool could not be read or written (the temporary folder is full, say)."""


def _spool_failed(err: sqlite3.Error) -> SpoolError:
    return SpoolError(
        f"导入用的临时数据无法读写（{err}）：临时文件夹“{tempfile.gettempdir()}”可能已满或不可写。"
        "数据库没有任何改动；请腾出磁盘空间后重新导入。"
    )


def _said_in_chinese(cls: type[T]) -> type[T]:
    """Every public method of `cls` turns an SQLite error into a SpoolError
    (generators too, while they are iterated)."""

    def wrap(method: Callable[..., Any]) -> Callable[..., Any]:
        if inspect.isgeneratorfunction(method):

            @functools.wraps(method)
            def generator(*args: Any, **kwargs: Any) -> Iterator[Any]:
                try:
                    yield from method(*args, **kwargs)
                except sqlite3.Error as err:
                    raise _spool_failed(err) from err

            return generator

        @functools.wraps(method)
        def plain(*args: Any, **kwargs: Any) -> Any:
            try:
                return method(*args, **kwargs)
            except sqlite3.Error as err:
                raise _spool_failed(err) from err

        return plain

    for name, value in list(vars(cls).items()):
        if inspect.isfunction(value) and not name.startswith("_"):
            setattr(cls, name, wrap(value))
    return cls


@_said_in_chinese
class Spool:
    """The accepted rows of one roster and the preview's working tables, in a
    private temporary SQLite database (see the module doc): never the register."""

    def __init__(self) -> None:
        self.conn = sqlite3.connect("", check_same_thread=False)
        self.conn.executescript(_SPOOL_SCHEMA)
        self._pending: list[tuple[Any, ...]] = []
        self._closer = weakref.finalize(self, self.conn.close)

    def close(self) -> None:
        self._closer()

    def claim(self, number: str, row: int) -> int | None:
        """Remember that `row` holds ID `number`; the earlier row holding it, if any."""
        cursor = self.conn.execute("INSERT OR IGNORE INTO ids VALUES (?, ?)", (number, row))
        if cursor.rowcount:
            return None
        return int(
            self.conn.execute("SELECT row FROM ids WHERE id_number = ?", (number,)).fetchone()[0]
        )

    def add(self, item: RosterRow) -> None:
        person, house = dict(item.person), dict(item.household)
        self._pending.append(
            (
                item.row,
                item.id_number,
                household_key(house),
                "category" in person,
                *map(person.get, _PERSON_COLUMNS),
                *map(house.get, HOUSEHOLD_FIELDS),
            )
        )
        if len(self._pending) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        marks = ", ".join("?" for _ in range(4 + len(_PERSON_COLUMNS) + len(HOUSEHOLD_FIELDS)))
        self.conn.executemany(
            f"INSERT INTO rows (row, id_number, hkey, certified, {_VALUE_COLUMNS}) VALUES ({marks})",
            self._pending,
        )
        self._pending.clear()
        self.conn.commit()

    def chunks(
        self, where: str = "1", params: Sequence[Any] = (), size: int = _FLUSH
    ) -> Iterator[list[RosterRow]]:
        """The spooled rows (those matching `where`) in row order, `size` at a time."""
        cursor = self.conn.execute(
            f"SELECT row, id_number, {_VALUE_COLUMNS} FROM rows WHERE {where} ORDER BY row",
            params,
        )
        while batch := cursor.fetchmany(size):
            yield [decode_row(*values) for values in batch]

    # -- what preview and apply keep here ----------------------------------------------
    def reset(self) -> None:
        """Forget an earlier preview of these rows."""
        self.conn.execute("UPDATE rows SET kind = '', target = '' WHERE kind != ''")
        self.conn.execute("DELETE FROM known")
        self.conn.execute("DELETE FROM new_households")
        self.conn.commit()

    def mark(self, marks: list[tuple[str, str, int]]) -> None:
        """(kind, target, row) for rows preview has looked at."""
        self.conn.executemany("UPDATE rows SET kind = ?, target = ? WHERE row = ?", marks)
        self.conn.commit()

    def count(self, kind: str) -> int:
        return int(
            self.conn.execute("SELECT count(*) FROM rows WHERE kind = ?", (kind,)).fetchone()[0]
        )

    def kinds(self, rows: Sequence[int]) -> dict[int, tuple[str, str]]:
        """row -> (kind, ID number) for some rows."""
        found: dict[int, tuple[str, str]] = {}
        for start in range(0, len(rows), _FLUSH):
            chunk = list(rows[start : start + _FLUSH])
            marks = ",".join("?" for _ in chunk)
            for row, kind, number in self.conn.execute(
                f"SELECT row, kind, id_number FROM rows WHERE row IN ({marks})", chunk
            ):
                found[row] = (kind, number)
        return found

    def match_addresses(self, known: Iterator[tuple[str, str]]) -> None:
        """Point new rows at the register's household with their address (`known`:
        (address key, household id), oldest first: the oldest wins), else at a new one."""
        self.conn.executemany("INSERT OR IGNORE INTO known VALUES (?, ?)", known)
        self.conn.execute(
            "UPDATE rows SET target = coalesce("
            "(SELECT household_id FROM known WHERE known.hkey = rows.hkey), ? || hkey) "
            "WHERE kind = 'new'",
            (NEW_TARGET,),
        )
        self.conn.commit()

    def households(
        self, size: int = _FLUSH
    ) -> Iterator[list[tuple[str, dict[str, tuple[int, str]]]]]:
        """Per household the import touches: (target, field -> (first row giving a value,
        that value)), `size` households at a time."""
        cursor = self.conn.execute(
            f"SELECT target, row, {', '.join(HOUSEHOLD_FIELDS)} FROM rows "
            "WHERE kind IN ('new', 'match') ORDER BY target, row"
        )
        batch: list[tuple[str, dict[str, tuple[int, str]]]] = []
        target, wanted = "", dict[str, tuple[int, str]]()
        for this, row, *values in cursor:
            if this != target:
                if target:
                    batch.append((target, wanted))
                    if len(batch) >= size:
                        yield batch
                        batch = []
                target, wanted = this, {}
            for key, value in zip(HOUSEHOLD_FIELDS, values, strict=True):
                if value is not None and key not in wanted:
                    wanted[key] = (row, value)
        if target:
            batch.append((target, wanted))
        if batch:
            yield batch

    def add_new_households(self, items: list[tuple[str, dict[str, str]]]) -> None:
        self.conn.executemany(
            "INSERT INTO new_households (target, household_values) VALUES (?, ?)",
            [(target, _JSON.encode(values)) for target, values in items],
        )
        self.conn.commit()

    def new_households(self, size: int = _FLUSH) -> Iterator[list[tuple[str, dict[str, str]]]]:
        """(target, values) of the households to create, `size` at a time (the batch is
        read whole before it is yielded: the caller may write `set_columns` meanwhile)."""
        after = ""
        while batch := self.conn.execute(
            "SELECT target, household_values FROM new_households WHERE target > ? "
            "ORDER BY target LIMIT ?",
            (after, size),
        ).fetchall():
            yield [(target, json.loads(values)) for target, values in batch]
            after = batch[-1][0]

    def set_columns(self, items: list[tuple[str, dict[str, Any]]]) -> None:
        """(target, columns) of households just inserted, for their new members."""
        self.conn.executemany(
            "UPDATE new_households SET columns = ? WHERE target = ?",
            [(_JSON.encode(columns), target) for target, columns in items],
        )
        self.conn.commit()

    def new_people(
        self, size: int = _FLUSH
    ) -> Iterator[list[tuple[RosterRow, str, dict[str, Any] | None, int]]]:
        """(row, target, the new household's columns or None, certified people new in
        that household) for every new person, in row order, `size` at a time."""
        cursor = self.conn.execute(
            "SELECT r.target, n.columns, (SELECT count(*) FROM rows c WHERE "
            "c.target = r.target AND c.kind = 'new' AND c.certified), r.row, r.id_number, "
            + ", ".join(f"r.{c}" for c in (*_PERSON_COLUMNS, *HOUSEHOLD_FIELDS))
            + " FROM rows r LEFT JOIN new_households n ON n.target = r.target "
            "WHERE r.kind = 'new' ORDER BY r.row"
        )
        houses: dict[str, dict[str, Any]] = {}  # decoded once per household and batch
        while batch := cursor.fetchmany(size):
            out = []
            for target, columns, certified, *values in batch:
                house = None
                if columns:
                    house = houses.get(target)
                    if house is None:
                        house = houses[target] = json.loads(columns)
                out.append((decode_row(*values), target, house, certified))
            houses.clear()
            yield out

    def joined_households(self) -> list[str]:
        """Households in the register that new people join (their tiers change)."""
        return [
            r[0]
            for r in self.conn.execute(
                "SELECT DISTINCT target FROM rows WHERE kind = 'new' AND target NOT LIKE ?",
                (NEW_TARGET + "%",),
            )
        ]


def decode_row(row: int, number: str, *values: Any) -> RosterRow:
    """A spooled row (row, id_number, then the value columns) as read."""
    person = values[: len(_PERSON_COLUMNS)]
    house = values[len(_PERSON_COLUMNS) :]
    return RosterRow(
        row,
        number,
        tuple((k, v) for k, v in zip(_PERSON_COLUMNS, person, strict=True) if v is not None),
        tuple((k, v) for k, v in zip(HOUSEHOLD_FIELDS, house, strict=True) if v is not None),
    )


@dataclass(eq=False)
class RosterFile:
    path: Path
    sheet: str
    header_row: int
    columns: dict[str, str]  # field -> header text as written
    rejected: list[Rejection] = field(default_factory=list)
    blank_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    accepted: int = 0  # rows in the spool
    generation: int = 0  # previews made of it (a plan from an earlier one is stale)
    spool: Spool = field(default_factory=Spool, repr=False)

    @property
    def data_rows(self) -> int:
        return self.accepted + len(self.rejected)

    def column(self, key: str) -> str:
        return self.columns.get(key) or FIELD_LABELS.get(key, key)

    def rows(self) -> Iterator[RosterRow]:
        """Every accepted row, in row order (read from the spool as it goes)."""
        for chunk in self.spool.chunks():
            yield from chunk

    def close(self) -> None:
        """Drop the spool now (it also goes when the file is garbage-collected)."""
        self.spool.close()


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
        with reading(file), gc_paused():
            return _read(wb, file, today, progress)
    finally:
        wb.close()


def _read(wb: Any, file: Path, today: date, progress: Progress | None) -> RosterFile:
    partial: tuple[str, int, dict[str, int]] | None = None
    for index, ws in enumerate(wb.worksheets):
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
                if file.stat().st_size >= row_reader.PARALLEL_MIN_BYTES:
                    # A big file: the rows below come from a reader process.
                    rows = row_reader.start_reader(file, index, number + 1) or rows
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
        outcome = _clean_row(roster, number, raw, today, id_column)
        if isinstance(outcome, Rejection):
            roster.rejected.append(outcome)
        else:
            roster.spool.add(outcome)
            roster.accepted += 1
    roster.spool.flush()
    if progress is not None:
        progress("读取花名册", estimate, estimate)


def _clean_row(
    roster: RosterFile,
    number: int,
    raw: dict[str, Any],
    today: date,
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
    first = roster.spool.claim(parsed.number, number)
    if first is not None:
        return Rejection(
            number, id_column, _shown(id_raw), f"与第{first}行身份证号重复", "id_number"
        )

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
