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

Register facts (what the 专栏1 indicators read) come from their own columns, each
optional (see HEADER_NAMES for the names and variants; `register_facts` reads the
values, and a value it cannot read rejects the row with its column and reason):
户籍所在地 (重庆市内/市外, or an address, by `codes.parse_hukou`); 户籍地址 (kept as
written; on its own it also gives the 户籍 by `parse_hukou`); 发证日期 and 有效期至
(a date cell or 2026-11-29 / 2026/11/29 / 2026.11.29 / 2026年11月29日; 有效期至 also
"长期", stored as no end date, or a range, whose end counts); 养老保险 and 医疗保险
(城乡居民 / 城镇职工 / 职工 / 未参保); 困难生活补贴 and 重度护理补贴 (是/否/享受/未享受: the
benefit added or removed, the person's other benefits kept); 低保情况 (低保 / 特困 /
低保边缘 / 低收入 / 无: the household's, see POVERTY_FLAGS).  人户分离 is derived: yes
when the 户籍 is 重庆市外, else, when the row gives both a 户籍地址 and a 现住址, yes
exactly when they clearly differ (`same_place`); otherwise the row leaves it alone.
A blank cell, here as everywhere, says nothing.

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
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from canxie_tui.domain import codes, ids, validate
from canxie_tui.domain.errors import InputError
from canxie_tui.domain.models import address_with_place
from canxie_tui.excel.cells import unescape_text
from canxie_tui.excel.errors import SyncError, WorkbookError
from canxie_tui.excel.files import Progress, load_workbook, reading
from canxie_tui.excel.roster import reader_process as row_reader
from canxie_tui.store.bulk import gc_paused

__all__ = [
    "BENEFIT_FIELDS",
    "FACT_FIELDS",
    "FIELD_LABELS",
    "HEADER_NAMES",
    "HEADER_SCAN_ROWS",
    "HOUSEHOLD_COLUMNS",
    "HOUSEHOLD_FIELDS",
    "MASKED_FIELDS",
    "NEW_TARGET",
    "NO_POVERTY",
    "PERSON_FIELDS",
    "POVERTY_FLAGS",
    "NoHeaderError",
    "Rejection",
    "RosterFile",
    "RosterRow",
    "Spool",
    "SpoolError",
    "address_key",
    "match_header",
    "read_roster",
    "same_place",
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
    # Register facts the indicators read (issue 12); see "register facts" below.
    "hukou": ("户籍所在地", "户口所在地", "户籍地", "户籍", "户籍地区", "户籍所在区域", "户籍区域"),
    "hukou_address": (
        "户籍地址",
        "户口地址",
        "户籍详细地址",
        "户籍所在地址",
        "户口所在地址",
        "户籍住址",
        "户籍登记地址",
        "户口登记地址",
    ),
    "cert_issued": (
        "发证日期",
        "发证时间",
        "办证日期",
        "办证时间",
        "领证日期",
        "残疾证发证日期",
        "残疾人证发证日期",
    ),
    "cert_valid_until": (
        "有效期至",
        "有效期",
        "有效期限",
        "有效期止",
        "有效期截止",
        "有效期截止日期",
        "有效截止日期",
        "证件有效期",
        "证件有效期至",
        "残疾证有效期",
        "残疾证有效期至",
        "残疾人证有效期",
        "残疾人证有效期至",
        "到期日期",
    ),
    "pension_scheme": (
        "养老保险",
        "养老保险类型",
        "养老保险类别",
        "养老保险险种",
        "养老保险情况",
        "养老保险参保情况",
        "养老保险参保类型",
        "参加养老保险",
        "基本养老保险",
    ),
    "medical_scheme": (
        "医疗保险",
        "医保",
        "医疗保险类型",
        "医疗保险类别",
        "医疗保险险种",
        "医疗保险情况",
        "医疗保险参保情况",
        "医疗保险参保类型",
        "医保类型",
        "医保情况",
        "医保参保情况",
        "参加医疗保险",
        "基本医疗保险",
    ),
    "poverty": (
        "低保情况",
        "低保",
        "是否低保",
        "低保类型",
        "低保类别",
        "低保状态",
        "低保/特困",
        "低保特困",
        "低保特困情况",
        "困难类型",
        "困难类别",
        "家庭困难类型",
        "救助类型",
    ),
    "living_subsidy": (
        "困难生活补贴",
        "困难残疾人生活补贴",
        "生活补贴",
        "困难补贴",
        "享受生活补贴",
        "是否享受生活补贴",
        "是否享受困难生活补贴",
        "是否享受困难残疾人生活补贴",
    ),
    "care_subsidy": (
        "重度护理补贴",
        "重度残疾人护理补贴",
        "护理补贴",
        "享受护理补贴",
        "是否享受护理补贴",
        "是否享受重度护理补贴",
        "是否享受重度残疾人护理补贴",
    ),
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
    "hukou": "户籍所在地",
    "hukou_address": "户籍地址",
    "apart": "人户分离",
    "cert_issued": "发证日期",
    "cert_valid_until": "有效期至",
    "pension_scheme": "养老保险",
    "medical_scheme": "医疗保险",
    "poverty": "低保情况",
    "living_subsidy": "困难生活补贴",
    "care_subsidy": "重度护理补贴",
}
MASKED_FIELDS = frozenset({"id_number", "cert_number"})
PERSON_FIELDS = ("name", "cert_number", "category", "level", "phone", "relation")
# The person's register facts a roster may give (a value, '' included, replaces the
# register's; `apart` is derived from the two addresses, see `register_facts`).
FACT_FIELDS = (
    "hukou",
    "hukou_address",
    "apart",
    "cert_issued",
    "cert_valid_until",
    "pension_scheme",
    "medical_scheme",
)
# Benefits a roster says yes or no to: 1 adds the code to the person's benefits, 0
# removes it, a blank cell leaves it; the other benefits are kept.
BENEFIT_FIELDS = ("living_subsidy", "care_subsidy")
HOUSEHOLD_FIELDS = (
    "address",
    "building",
    "unit",
    "room",
    "grid",
    "guardian_name",
    "guardian_phone",
)
# 低保情况 replaces these flags of the household (the others are kept): the value
# is one of them, or NO_POVERTY (无).
POVERTY_FLAGS = codes.POOR_FLAGS | codes.LOW_INCOME_FLAGS
NO_POVERTY = "none"
HOUSEHOLD_COLUMNS = (*HOUSEHOLD_FIELDS, "poverty")
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
    # (field, cleaned value) for PERSON_FIELDS, sex/birth, FACT_FIELDS, BENEFIT_FIELDS
    person: tuple[tuple[str, Any], ...]
    household: tuple[tuple[str, str], ...]  # (field, cleaned value) for HOUSEHOLD_COLUMNS

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
# The cleaned values a row may carry, as spool columns (NULL: the row has none); the
# register facts' only in the spool of a roster that has such columns (`Spool.facts`),
# so that a roster without them costs what it did before they existed.
_PERSON_COLUMNS = (*PERSON_FIELDS, "sex", "birth_date")
_FACT_PERSON_COLUMNS = (*_PERSON_COLUMNS, *FACT_FIELDS, *BENEFIT_FIELDS)
_SPOOL_SCHEMA = """
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
    {value_columns}
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

    def __init__(self, facts: bool = True) -> None:
        self.facts = facts  # carries the register facts (FACT_FIELDS, BENEFIT_FIELDS, poverty)
        self.person_columns = _FACT_PERSON_COLUMNS if facts else _PERSON_COLUMNS
        self.household_columns = HOUSEHOLD_COLUMNS if facts else HOUSEHOLD_FIELDS
        self.value_columns = ", ".join((*self.person_columns, *self.household_columns))
        self.conn = sqlite3.connect("", check_same_thread=False)
        self.conn.executescript(_SPOOL_SCHEMA.format(value_columns=self.value_columns))
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
                *map(person.get, self.person_columns),
                *map(house.get, self.household_columns),
            )
        )
        if len(self._pending) >= _FLUSH:
            self.flush()

    def flush(self) -> None:
        width = 4 + len(self.person_columns) + len(self.household_columns)
        marks = ", ".join("?" for _ in range(width))
        self.conn.executemany(
            f"INSERT INTO rows (row, id_number, hkey, certified, {self.value_columns}) "
            f"VALUES ({marks})",
            self._pending,
        )
        self._pending.clear()
        self.conn.commit()

    def chunks(
        self, where: str = "1", params: Sequence[Any] = (), size: int = _FLUSH
    ) -> Iterator[list[RosterRow]]:
        """The spooled rows (those matching `where`) in row order, `size` at a time."""
        cursor = self.conn.execute(
            f"SELECT row, id_number, {self.value_columns} FROM rows WHERE {where} ORDER BY row",
            params,
        )
        while batch := cursor.fetchmany(size):
            yield [self._decode(*values) for values in batch]

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
            f"SELECT target, row, {', '.join(self.household_columns)} FROM rows "
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
            for key, value in zip(self.household_columns, values, strict=True):
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
            + ", ".join(f"r.{c}" for c in (*self.person_columns, *self.household_columns))
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
                out.append((self._decode(*values), target, house, certified))
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

    def _decode(self, row: int, number: str, *values: Any) -> RosterRow:
        """A spooled row (row, id_number, then the value columns) as read."""
        people, houses = self.person_columns, self.household_columns
        person = values[: len(people)]
        house = values[len(people) :]
        return RosterRow(
            row,
            number,
            tuple((k, v) for k, v in zip(people, person, strict=True) if v is not None),
            tuple((k, v) for k, v in zip(houses, house, strict=True) if v is not None),
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
                    spool=Spool(facts=not _FACT_KEYS.isdisjoint(found)),
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
    facts: dict[str, Any] = {}
    benefits: tuple[tuple[str, int], ...] = ()
    poverty = None
    if not _FACT_KEYS.isdisjoint(raw):
        try:
            facts, benefits, poverty = register_facts(raw, values)
        except InputError as err:
            return reject(err.field, err.message)
        values.update(facts)
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
    household = tuple((k, house[k]) for k in HOUSEHOLD_FIELDS if house[k])
    if facts or benefits or poverty:
        if facts.get("hukou") == "outside":
            facts["apart"] = 1
        elif "hukou_address" in facts and house["address"]:
            here = address_with_place(
                house["address"], "".join(house[k] for k in ("building", "unit", "room"))
            )
            facts["apart"] = 0 if same_place(person["hukou_address"], here) else 1
        person_items += tuple(
            (k, facts["apart"] if k == "apart" else person[k]) for k in FACT_FIELDS if k in facts
        )
        person_items += benefits
        if poverty:
            household += (("poverty", poverty),)
    return RosterRow(
        row=number,
        id_number=parsed.number,
        person=person_items,
        household=household,
    )


# -- register facts (issue 12) -----------------------------------------------------------
_FACT_KEYS = frozenset(
    {
        "hukou",
        "hukou_address",
        "cert_issued",
        "cert_valid_until",
        "pension_scheme",
        "medical_scheme",
        "poverty",
        *BENEFIT_FIELDS,
    }
)
# 户口性质 (农业/非农业), which some rosters put in a column headed 户籍: not where the 户籍 is.
_HUKOU_KINDS = frozenset(
    {"农业", "非农业", "农业户口", "非农业户口", "农村", "城镇", "农村户口", "城镇户口", "居民户口"}
)
_LONG_TERM = frozenset({"长期", "长期有效", "永久", "永久有效", "无期限", "终身"})
# "2016-05-01至2026-05-01", "2016.05.01—2026.05.01", "2016.5.1-2026.5.1": the end counts.
_DATE_RANGE = re.compile(
    r"^.+?\s*(?:至|到|~|～|—|–|－)\s*(?P<end>.+)$|^\d{4}[./年]\d{1,2}[./月]\d{1,2}日?\s*-\s*(?P<dot_end>.+)$"
)
# 2026-1-5, 2026/1/5, 2026.1.5, 2026年1月5日, 20260105.
_DATE_TEXT = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$|^(\d{4})(\d\d)(\d\d)$"
)
_EXCEL_EPOCH = date(1899, 12, 30)  # day 0 of Excel's date serial numbers (1900 system)
# What `same_place` drops before comparing: 重庆市, then a 区/县, then a 街道/镇/乡.
_DIVISIONS = re.compile(
    r"^(?:重庆市?)?(?:[\u4e00-\u9fff]{1,4}?[区县])?(?:[\u4e00-\u9fff]{1,6}?(?:街道|镇|乡))?"
)


def _door(address: str) -> str:
    return _DIVISIONS.sub("", address_key(address), count=1)


def same_place(hukou_address: str, address: str) -> bool:
    """Whether a 户籍地址 names the same place as the 现住址 (else 人户分离).

    Both are compared as `address_key` has them, without the leading 重庆市, 区/县 and
    街道/镇/乡 (rosters write them or not); they are the same place when one contains
    the other (one may add the building and room, or write the district).  So only a
    clear difference counts: another road or number, another building or room.  A
    户籍地址 that names no more than a district or street is not taken as a difference.
    """
    first, second = _door(hukou_address), _door(address)
    return first in second or second in first


def _date_value(value: object, key: str, label: str) -> str:
    """A date cell as ISO text: a date cell, 2026-11-29 / 2026/11/29 / 2026.11.29 /
    20261129 / 2026年11月29日, or Excel's serial number of a date that lost its
    format; for 有效期至 also 长期 ('': no end) and a range (its end)."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and float(value).is_integer()
        and 10_000 <= value < 100_000
    ):
        return (_EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
    shown = str(_cell_text(value))
    text = unicodedata.normalize("NFKC", shown).strip()
    if key == "cert_valid_until":
        if text.replace(" ", "") in _LONG_TERM:
            return ""
        ranged = _DATE_RANGE.match(text)
        if ranged:
            text = (ranged["end"] or ranged["dot_end"]).strip()
    found = _iso_date(text)
    if found is None:
        raise InputError(
            f"{label}“{shown}”不是有效日期，请按 2026-11-29 的格式填写"
            + ("（没有期限的填“长期”）" if key == "cert_valid_until" else ""),
            key,
        )
    return found


@functools.lru_cache(maxsize=4096)  # a roster's dates repeat: each parsed once
def _iso_date(text: str) -> str | None:
    parts = _DATE_TEXT.match(text)
    if parts is None:
        return None
    numbers = [int(p) for p in parts.groups() if p is not None]
    try:
        return date(*numbers).isoformat()
    except ValueError:  # 2026-02-30
        return None


def register_facts(
    raw: dict[str, Any], values: dict[str, Any]
) -> tuple[dict[str, Any], tuple[tuple[str, int], ...], str | None]:
    """The register facts of a row's cells (`raw` as read, `values` as text): the
    person's facts (form values for `validate.clean_person`), the benefits it says
    yes or no to ((code, 1/0)), and its 低保情况 (a POVERTY_FLAGS code, NO_POVERTY for
    无, None when the row says nothing).  Raises InputError (field: the column's key)
    for a value it cannot read.  `apart` is decided by the caller, which knows the
    现住址 as cleaned.
    """
    facts: dict[str, Any] = {}
    if "hukou" in raw:
        text = values["hukou"]
        if text.replace(" ", "") in _HUKOU_KINDS:
            raise InputError(
                f"户籍所在地“{text}”是户口性质，这一列应填重庆市内、重庆市外或户籍地址", "hukou"
            )
        facts["hukou"] = codes.parse_hukou(text)
    if "hukou_address" in raw:
        facts["hukou_address"] = values["hukou_address"]
        facts.setdefault("hukou", codes.parse_hukou(values["hukou_address"]))
    for key in ("cert_issued", "cert_valid_until"):
        if key in raw:
            facts[key] = _date_value(raw[key], key, FIELD_LABELS[key])
    for key in ("pension_scheme", "medical_scheme"):
        if key in raw:
            text = values[key]
            scheme = codes.parse_scheme(text) or codes.parse_scheme(text.replace("基本", ""))
            if scheme is None:
                raise InputError(
                    f"{FIELD_LABELS[key]}“{values[key]}”无法识别，"
                    "应为城乡居民、城镇职工（职工）或未参保",
                    key,
                )
            facts[key] = scheme
    benefits: list[tuple[str, int]] = []
    for key in BENEFIT_FIELDS:
        if key in raw:
            cell = raw[key]
            said = cell if isinstance(cell, bool) else codes.parse_yes_no(values[key])
            if said is None:
                raise InputError(
                    f"{FIELD_LABELS[key]}“{values[key]}”无法识别，应为是/否（或享受/未享受）", key
                )
            benefits.append((key, int(said)))
    poverty = None
    if "poverty" in raw:
        text = values["poverty"]
        found = codes.parse_poverty(text)
        for suffix in ("户", "家庭", "人员"):  # 低保户, 低保边缘家庭, 特困人员 ...
            if found is None and text.endswith(suffix):
                found = codes.parse_poverty(text.removesuffix(suffix))
        if found is None and codes.parse_yes_no(text):
            found = "dibao"  # 是否低保：是
        if found is None:
            raise InputError(
                f"低保情况“{text}”无法识别，应为低保、特困、低保边缘、低收入或无", "poverty"
            )
        poverty = found or NO_POVERTY
    return facts, tuple(benefits), poverty
